"""dagent.engine.train."""

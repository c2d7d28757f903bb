"""dagent.engine.backends."""

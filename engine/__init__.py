"""dagent.engine."""

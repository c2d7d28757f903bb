"""dagent.sandbox."""

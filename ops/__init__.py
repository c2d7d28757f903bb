"""dagent.ops."""

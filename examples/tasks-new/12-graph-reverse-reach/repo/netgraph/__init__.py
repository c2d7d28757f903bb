from .graph import CycleError, Graph

__all__ = ["CycleError", "Graph"]

from .viewport import Bounds, Viewport, ViewportError

__all__ = ["Bounds", "Viewport", "ViewportError"]

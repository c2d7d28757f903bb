"""A 2-D map viewport: world coordinates (y grows upwards) shown on a screen (y grows downwards).

The viewport is described by its screen size in pixels, the world point shown at the centre of
the screen and a zoom factor (screen pixels per world unit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class ViewportError(ValueError):
    pass


@dataclass(frozen=True)
class Bounds:
    """An axis-aligned world rectangle, min corner inclusive, max corner inclusive."""

    min_x: float
    min_y: float
    max_x: float
    max_y: float

    def __post_init__(self) -> None:
        if self.min_x > self.max_x or self.min_y > self.max_y:
            raise ViewportError(f"inverted bounds: {self}")

    @property
    def width(self) -> float:
        return self.max_x - self.min_x

    @property
    def height(self) -> float:
        return self.max_y - self.min_y

    @property
    def center(self) -> tuple[float, float]:
        return ((self.min_x + self.max_x) / 2, (self.min_y + self.max_y) / 2)

    def contains(self, x: float, y: float) -> bool:
        return self.min_x <= x <= self.max_x and self.min_y <= y <= self.max_y

    def intersects(self, other: Bounds) -> bool:
        return not (other.min_x > self.max_x or other.max_x < self.min_x
                    or other.min_y > self.max_y or other.max_y < self.min_y)

    @classmethod
    def around(cls, points) -> Bounds:
        points = list(points)
        if not points:
            raise ViewportError("no points")
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        return cls(min(xs), min(ys), max(xs), max(ys))


class Viewport:
    MIN_ZOOM = 1 / 1024
    MAX_ZOOM = 1024.0

    def __init__(self, width: int, height: int, center: tuple[float, float] = (0.0, 0.0),
                 zoom: float = 1.0) -> None:
        if width <= 0 or height <= 0:
            raise ViewportError(f"screen size must be positive: {width}x{height}")
        self.width = width
        self.height = height
        self.cx, self.cy = center
        self.zoom = self._clamp_zoom(zoom)

    def __repr__(self) -> str:
        return f"Viewport({self.width}x{self.height}, center=({self.cx:g}, {self.cy:g}), zoom={self.zoom:g})"

    @classmethod
    def _clamp_zoom(cls, zoom: float) -> float:
        if not zoom > 0 or math.isinf(zoom):
            raise ViewportError(f"zoom must be a positive finite number: {zoom!r}")
        return min(max(zoom, cls.MIN_ZOOM), cls.MAX_ZOOM)

    # -- coordinate transforms -------------------------------------------------------------

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        """World point -> screen pixel (origin top-left, y down)."""
        sx = self.width / 2 + (x - self.cx) * self.zoom
        sy = self.height / 2 - (y - self.cy) * self.zoom
        return (sx, sy)

    def to_world(self, sx: float, sy: float) -> tuple[float, float]:
        """Screen pixel -> world point; the inverse of to_screen."""
        x = self.cx + (sx - self.width / 2) / self.zoom
        y = self.cy + (sy - self.height / 2) / self.zoom
        return (x, y)

    def visible(self) -> Bounds:
        """The world rectangle covered by the screen."""
        half_w = self.width / 2 / self.zoom
        half_h = self.height / 2 / self.zoom
        return Bounds(self.cx - half_w, self.cy - half_h, self.cx + half_w, self.cy + half_h)

    def is_visible(self, x: float, y: float) -> bool:
        return self.visible().contains(x, y)

    # -- navigation ------------------------------------------------------------------------

    def pan(self, dx: float, dy: float) -> None:
        """Drag the map by (dx, dy) screen pixels: the content follows the pointer.

        Dragging right (dx > 0) shows what lies further left; dragging down (dy > 0) shows
        what lies further up in the world.
        """
        self.cx -= dx / self.zoom
        self.cy -= dy / self.zoom

    def center_on(self, x: float, y: float) -> None:
        self.cx, self.cy = x, y

    def zoom_at(self, sx: float, sy: float, factor: float) -> None:
        """Zoom by `factor` keeping the world point under screen pixel (sx, sy) in place."""
        if not factor > 0:
            raise ViewportError(f"zoom factor must be positive: {factor!r}")
        wx, wy = self.to_world(sx, sy)
        self.zoom = self._clamp_zoom(self.zoom * factor)
        # move the centre so that (wx, wy) lands on (sx, sy) again
        self.cx = wx - (sx - self.width / 2) / self.zoom
        self.cy = wy + (sy - self.height / 2) / self.zoom

    def fit(self, bounds: Bounds, padding: int = 0) -> None:
        """Centre on `bounds` and pick the largest zoom that shows all of it inside the padding."""
        avail_w = self.width - 2 * padding
        avail_h = self.height - 2 * padding
        if avail_w <= 0 or avail_h <= 0:
            raise ViewportError(f"padding {padding} leaves no room on a {self.width}x{self.height} screen")
        self.cx, self.cy = bounds.center
        zooms = []
        if bounds.width > 0:
            zooms.append(avail_w / bounds.width)
        if bounds.height > 0:
            zooms.append(avail_h / bounds.height)
        if zooms:
            self.zoom = self._clamp_zoom(min(zooms))

    def project(self, points) -> list[tuple[int, int]]:
        """World points -> whole screen pixels (floored), dropping those off screen."""
        out = []
        for x, y in points:
            sx, sy = self.to_screen(x, y)
            px, py = math.floor(sx), math.floor(sy)
            if 0 <= px < self.width and 0 <= py < self.height:
                out.append((px, py))
        return out

"""Qt-free view transform of the viewport: zoom, pan, fit and widget <-> image coordinates."""

from __future__ import annotations

from dataclasses import dataclass

MIN_ZOOM = 1.0 / 64.0
MAX_ZOOM = 64.0


@dataclass
class ViewTransform:
    """Maps image pixels to widget pixels: ``widget = image * zoom + offset``.

    Image and widget coordinates both grow right and down; pixel (0, 0) is the image's top-left
    texel and its centre is at (0.5, 0.5).
    """

    image_w: int = 1
    image_h: int = 1
    widget_w: int = 1
    widget_h: int = 1
    zoom: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0

    # -- configuration ---------------------------------------------------------------------
    def set_image_size(self, width: int, height: int) -> bool:
        """Set the image size; returns True when it changed (callers usually fit then)."""
        changed = (width, height) != (self.image_w, self.image_h)
        self.image_w, self.image_h = max(1, int(width)), max(1, int(height))
        return changed

    def set_widget_size(self, width: int, height: int) -> None:
        """Resize the widget keeping the image point at the widget centre in place."""
        cx, cy = self.widget_to_image(self.widget_w / 2.0, self.widget_h / 2.0)
        self.widget_w, self.widget_h = max(1, int(width)), max(1, int(height))
        self._centre_on(cx, cy)

    # -- mapping ---------------------------------------------------------------------------
    def image_to_widget(self, x: float, y: float) -> tuple[float, float]:
        return x * self.zoom + self.offset_x, y * self.zoom + self.offset_y

    def widget_to_image(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.offset_x) / self.zoom, (y - self.offset_y) / self.zoom

    def pixel_at(self, x: float, y: float) -> tuple[int, int] | None:
        """Integer image pixel under widget point (x, y), or None outside the image."""
        ix, iy = self.widget_to_image(x, y)
        if 0.0 <= ix < self.image_w and 0.0 <= iy < self.image_h:
            return int(ix), int(iy)
        return None

    def image_rect_ndc(self) -> tuple[float, float, float, float]:
        """The image quad in normalised device coordinates: (left, top, right, bottom)."""
        x0, y0 = self.image_to_widget(0.0, 0.0)
        x1, y1 = self.image_to_widget(self.image_w, self.image_h)
        return (
            2.0 * x0 / self.widget_w - 1.0,
            1.0 - 2.0 * y0 / self.widget_h,
            2.0 * x1 / self.widget_w - 1.0,
            1.0 - 2.0 * y1 / self.widget_h,
        )

    # -- navigation ------------------------------------------------------------------------
    def fit(self, margin: float = 0.96) -> None:
        """Zoom so the whole image is visible and centred."""
        zoom = min(self.widget_w / self.image_w, self.widget_h / self.image_h) * margin
        self.zoom = _clamp_zoom(zoom)
        self._centre_on(self.image_w / 2.0, self.image_h / 2.0)

    def one_to_one(self) -> None:
        """1 image pixel = 1 widget pixel, keeping the image point at the widget centre."""
        cx, cy = self.widget_to_image(self.widget_w / 2.0, self.widget_h / 2.0)
        self.zoom = 1.0
        self._centre_on(cx, cy)

    def zoom_at(self, factor: float, x: float, y: float) -> None:
        """Multiply the zoom by ``factor`` keeping the image point under (x, y) fixed."""
        ix, iy = self.widget_to_image(x, y)
        self.zoom = _clamp_zoom(self.zoom * factor)
        self.offset_x = x - ix * self.zoom
        self.offset_y = y - iy * self.zoom

    def pan(self, dx: float, dy: float) -> None:
        self.offset_x += dx
        self.offset_y += dy

    def _centre_on(self, ix: float, iy: float) -> None:
        self.offset_x = self.widget_w / 2.0 - ix * self.zoom
        self.offset_y = self.widget_h / 2.0 - iy * self.zoom


def wheel_factor(angle_delta_y: int) -> float:
    """Zoom factor for a wheel event: one notch (120) = x1.25, smooth for touchpads."""
    return float(1.25 ** (angle_delta_y / 120.0))


def _clamp_zoom(zoom: float) -> float:
    return min(MAX_ZOOM, max(MIN_ZOOM, zoom))

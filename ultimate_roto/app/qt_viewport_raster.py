"""QPainter viewport: the same API as the GL viewport, for platforms without OpenGL (offscreen)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

from ultimate_roto.app.display_cpu import display, to_uint8
from ultimate_roto.app.qt_viewport_base import ViewportMixin

BACKGROUND = QColor(24, 24, 26)


class QtRasterViewport(ViewportMixin, QWidget):
    """CPU display transform (display_cpu) drawn with QPainter, scaled by the view transform."""

    pixel_hovered = Signal(int, int, float, float, float, float)
    view_changed = Signal(float)
    frame_presented = Signal()  # a new frame was drawn (paintEvent; playback's actual fps)
    image_pressed = Signal(float, float, int, int)
    image_dragged = Signal(float, float, int, int)
    image_released = Signal(float, float, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._init_viewport()
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None  # keeps the QImage's buffer alive
        self._key: tuple = ()

    def _display_image(self) -> QImage | None:
        """The displayed picture, remade when the frame, mask, depth or a setting changed.

        A new frame is known by ``_frame_dirty`` (set by ``set_frame``), never by the array's
        id: two frames set between paints can free the first and the next can reuse its id."""
        if self.image is None:
            return None
        s = self.settings
        # the outline stays about one screen pixel wide when zoomed out (as in the shader)
        step = max(1, round(1.0 / max(self.device_zoom(), 1e-6)))
        key = (
            step,
            s.exposure,
            s.gamma,
            s.channel,
            s.linear,
            s.overlay_visible,
            s.overlay_colour,
            s.overlay_opacity,
            s.depth_visible,
            s.depth_opacity,
        )
        dirty = self._frame_dirty or self._mask_dirty or self._depth_dirty or self._lut_dirty
        if dirty or key != self._key or self._image is None:
            mask = None if self.mask is None else self.mask.astype(np.float32) / 255.0
            # display() reads uint8 / float16 frames as the shader does (no float copy kept)
            shown = display(self.image, s, mask, self.lut, self.depth, outline_step=step)
            self._pixels = to_uint8(shown)
            h, w = self._pixels.shape[:2]
            # copy(): the QImage then owns its pixels (PySide6 buffer refcounts are fragile)
            self._image = QImage(self._pixels, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
            self._key = key
            self._frame_dirty = self._mask_dirty = self._depth_dirty = self._lut_dirty = False
        return self._image

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        new = self._frame_dirty and self.image is not None
        image = self._display_image()
        if image is not None:
            x0, y0 = self.view.image_to_widget(0, 0)
            x1, y1 = self.view.image_to_widget(image.width(), image.height())
            smooth = self.device_zoom() < 1.0
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
            painter.drawImage(QRectF(x0, y0, x1 - x0, y1 - y0), image)
            self.paint_prompts(painter)
        else:
            painter.setPen(QColor(110, 110, 115))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No media: File > Open…")
        painter.end()
        if new:
            self.frame_presented.emit()

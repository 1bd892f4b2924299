"""Shared viewport behaviour (frame state, navigation, pixel readout) for the GL and raster views."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QWheelEvent

from ultimate_roto.app.display_cpu import (
    CHANNELS,
    DisplayLut,
    DisplaySettings,
    as_texture,
    clip_depth,
    mask_to_uint8,
    normalise_depth,
)
from ultimate_roto.app.view_math import ViewTransform, wheel_factor
from ultimate_roto.core.media.pixels import to_float32

# Signals the concrete classes declare (PySide6 signals must live on the QObject subclass):
#   pixel_hovered(int x, int y, float r, float g, float b, float a)
#   view_changed(float zoom)
#   image_pressed / image_dragged / image_released(float x, float y, int buttons, int modifiers)


class ViewportMixin:
    """Frame/mask storage, display settings and mouse navigation; no drawing here."""

    def _init_viewport(self) -> None:
        self.view = ViewTransform()
        self.settings = DisplaySettings()
        self.image: np.ndarray | None = None  # RGB(A) uint8/float16/float32: texture, readout
        self._float: np.ndarray | None = None  # float32 copy of image, made when asked for
        self._source: np.ndarray | None = None  # the array last given to set_frame
        self.mask: np.ndarray | None = None  # uint8 coverage
        self.depth: np.ndarray | None = None  # float32 0 near .. 1 far (normalise_depth)
        self.lut: DisplayLut | None = None  # OCIO display/view; None: fixed sRGB encode
        self.source_colourspace: str | None = None  # None: "Linear" if settings.linear else sRGB
        self._display_view: tuple[str, str | None] | None = None
        self._lut_dirty = False
        self._depth_dirty = False
        self._frame_dirty = False
        self._mask_dirty = False
        self._fit_pending = True
        self._pan_from: QPointF | None = None
        self._tool_button = False
        self.alt_pans = True  # Alt+drag pans unless a tool uses Alt (background clicks)
        self.points: list[tuple[float, float, int]] = []  # prompt clicks of the current object
        self.boxes: list[tuple[float, float, float, float]] = []
        self.box_preview: tuple[float, float, float, float] | None = None
        self.brush_diameter: float | None = None  # image px; None: no brush outline
        self.brush_hardness = 1.0
        self._hover: QPointF | None = None  # the pointer (widget px) while over the view
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(160, 120)

    # -- data ------------------------------------------------------------------------------
    @property
    def frame(self) -> np.ndarray | None:
        """The shown frame as float32 RGB(A) 0..1 (None: no frame).

        A float32 frame is the array given to :meth:`set_frame`; a compact one (uint8, float16)
        is converted on first access and kept until the next frame, so this is for tools and
        tests, not per-frame work: display and readout use :attr:`image` as it is."""
        if self.image is None or self.image.dtype == np.float32:
            return self.image
        if self._float is None:
            self._float = to_float32(self.image)
        return self._float

    def set_frame(self, frame: np.ndarray) -> None:
        """Show ``frame`` (H, W[, C]) and schedule a repaint. uint8, float16 and float32 RGB(A)
        are kept as given (no copy: cached frames are read-only; see ``as_texture``); showing
        the same array again uploads nothing."""
        if frame is self._source and self.image is not None:
            self.update()
            return
        rgb = as_texture(frame)
        if self.view.set_image_size(rgb.shape[1], rgb.shape[0]) or self.image is None:
            self._fit_pending = True
        self.image, self._source, self._float = rgb, frame, None
        self._frame_dirty = True
        if self._fit_pending and self.width() > 1:
            self.fit()
        self.update()

    def clear_frame(self) -> None:
        self.image = self._source = self._float = None
        self.update()

    def set_mask(self, mask: np.ndarray | None, colour: tuple[float, float, float] | None = None):
        """Overlay coverage (H, W) tinted with ``colour`` (0..1 RGB); None removes it. A uint8
        mask is kept as given (read-only ones too: a brush dab copies first); the read-only
        array shown already (a cached overlay) is not uploaded again."""
        new = None if mask is None else mask_to_uint8(mask)
        if colour is not None:
            self.settings.overlay_colour = tuple(float(c) for c in colour)
        if new is None or new is not self.mask or new.flags.writeable:
            self.mask = new
            self._mask_dirty = True
        self.update()

    def set_depth(self, depth: np.ndarray | None, *, normalised: bool = False) -> None:
        """Depth map (H, W) of the shown frame (smaller = nearer); None removes it.

        Any units are stretched to this frame's min..max; ``normalised=True`` takes a map
        already in 0 (near) .. 1 (far) as it is, so a per-shot normalisation (the document's
        depth layer) keeps one scale from frame to frame. A read-only C-contiguous float32
        map with ``normalised`` (what ``overlay_cache.shown_depth`` gives: clipped, no NaN)
        is shown as it is, without a copy; given again, it is not uploaded again."""
        if depth is None:
            self.depth = None
        elif normalised and _ready_depth(depth):
            if depth is self.depth:
                self.update()  # the map shown already (a cached overlay): no upload
                return
            self.depth = depth
        elif normalised:
            self.depth = clip_depth(depth)
        else:
            self.depth = normalise_depth(depth)
        self._depth_dirty = True
        self.update()

    def set_depth_visible(self, visible: bool) -> None:
        self.settings.depth_visible = bool(visible)
        self.update()

    def set_display_view(self, display: str | None, view: str | None = None) -> None:
        """Show through OCIO ``display``/``view`` (None view: the display's default); a None
        display goes back to the fixed sRGB encoding. A bad name raises InputError and the
        previous view stays."""
        if display is None:
            self._display_view, self.lut = None, None
        else:
            self.lut = self._bake(self.source_colourspace, display, view)
            self._display_view = (display, view)
        self._lut_dirty = True
        self.update()

    def set_source_colourspace(self, name: str | None) -> None:
        """The media's colour space (what the display view converts from)."""
        if self._display_view is not None:
            self.lut = self._bake(name, *self._display_view)
            self._lut_dirty = True
        self.source_colourspace = name
        self.update()

    def _bake(self, source: str | None, display: str, view: str | None) -> DisplayLut:
        from ultimate_roto.app import display_lut  # OCIO loads on first use only

        src = source or ("Linear" if self.settings.linear else "sRGB")
        return display_lut.bake(src, display, view)

    def set_mask_region(self, bbox: tuple[int, int, int, int], pixels: np.ndarray) -> None:
        """Replace the overlay's pixels inside ``bbox`` (a brush dab): no full-frame copy."""
        if self.mask is None:
            return
        x0, y0, x1, y1 = bbox
        if not self.mask.flags.writeable:  # a cached overlay (overlay_cache): never write it
            self.mask = self.mask.copy()
        self.mask[y0:y1, x0:x1] = mask_to_uint8(pixels)
        self._mask_dirty = True
        self.update()

    def set_prompts(self, points, boxes, preview=None) -> None:
        """Prompt clicks ``(x, y, label)`` and boxes to draw over the image (image pixels)."""
        points, boxes = [tuple(p) for p in points], [tuple(b) for b in boxes]
        if any(len(p) != 3 for p in points) or any(len(b) != 4 for b in boxes):
            raise ValueError("prompts are points (x, y, label) and boxes (x0, y0, x1, y1)")
        self.points, self.boxes = points, boxes
        self.box_preview = tuple(preview) if preview is not None else None
        self.update()

    def set_brush_cursor(self, diameter: float | None, hardness: float = 1.0) -> None:
        """Outline a brush of ``diameter`` image pixels at the pointer (a dashed inner ring
        where the ``hardness`` falloff begins); None hides it."""
        self.brush_diameter = None if diameter is None else float(diameter)
        self.brush_hardness = min(max(float(hardness), 0.0), 1.0)
        self._set_tool_cursor()
        self.update()

    def brush_ring(self) -> tuple[float, float, float] | None:
        """``(x, y, radius)`` in widget pixels of the brush outline, None when none is shown."""
        if self.brush_diameter is None or self._hover is None or self._pan_from is not None:
            return None
        return self._hover.x(), self._hover.y(), self.brush_diameter / 2.0 * self.view.zoom

    def has_overlay(self) -> bool:
        """True when :meth:`paint_prompts` has something to draw."""
        return bool(self.points or self.boxes or self.box_preview or self.brush_ring())

    def _set_tool_cursor(self) -> None:
        if self.brush_diameter is None:
            self.unsetCursor()
        else:
            self.setCursor(Qt.CursorShape.CrossCursor)

    def paint_prompts(self, painter: QPainter) -> None:
        """Draw prompt points (green = foreground, red = background), boxes and the brush
        outline."""
        if not self.has_overlay():
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for box, dashed in [(b, False) for b in self.boxes] + [(self.box_preview, True)]:
            if box is None:
                continue
            x0, y0 = self.view.image_to_widget(box[0], box[1])
            x1, y1 = self.view.image_to_widget(box[2], box[3])
            pen = QPen(QColor(255, 210, 60), 1.5)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        for x, y, label in self.points:
            wx, wy = self.view.image_to_widget(x, y)
            fill = QColor(70, 220, 110) if label else QColor(240, 70, 70)
            painter.setPen(QPen(QColor(15, 15, 15), 1.5))
            painter.setBrush(fill)
            painter.drawEllipse(QPointF(wx, wy), 5.5, 5.5)
            painter.setPen(QPen(QColor(255, 255, 255), 1.6))
            painter.drawLine(QPointF(wx - 2.5, wy), QPointF(wx + 2.5, wy))
            if label:
                painter.drawLine(QPointF(wx, wy - 2.5), QPointF(wx, wy + 2.5))
        self._paint_brush_ring(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_brush_ring(self, painter: QPainter) -> None:
        ring = self.brush_ring()
        if ring is None:
            return
        x, y, r = ring
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for colour, width, radius in (
            (QColor(0, 0, 0, 160), 3.0, r),
            (QColor(255, 255, 255), 1.2, r),
        ):
            painter.setPen(QPen(colour, width))
            painter.drawEllipse(QPointF(x, y), radius, radius)
        inner = r * self.brush_hardness
        if 2.0 < inner < r - 2.0:  # where the soft edge begins
            pen = QPen(QColor(255, 255, 255, 150), 1.0)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawEllipse(QPointF(x, y), inner, inner)

    # -- display ---------------------------------------------------------------------------
    def set_exposure(self, stops: float) -> None:
        self.settings.exposure = float(stops)
        self.update()

    def set_gamma(self, gamma: float) -> None:
        if gamma <= 0:
            raise ValueError(f"gamma must be positive, got {gamma}")
        self.settings.gamma = float(gamma)
        self.update()

    def set_channel(self, channel: str) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel '{channel}'; expected one of {CHANNELS}")
        self.settings.channel = channel
        self.update()

    def set_linear(self, linear: bool) -> None:
        self.settings.linear = bool(linear)
        if self._display_view is not None and self.source_colourspace is None:
            self.lut = self._bake(None, *self._display_view)
            self._lut_dirty = True
        self.update()

    def set_overlay_visible(self, visible: bool) -> None:
        self.settings.overlay_visible = bool(visible)
        self.update()

    def toggle_overlay(self) -> None:
        self.set_overlay_visible(not self.settings.overlay_visible)

    # -- navigation ------------------------------------------------------------------------
    def fit(self) -> None:
        self.view.set_widget_size(self.width(), self.height())
        self.view.fit()
        self._fit_pending = False
        self._view_changed()

    def one_to_one(self) -> None:
        """One image pixel to one device pixel: zoom 1 / devicePixelRatioF() on HiDPI (the view
        transform works in the widget's logical pixels), about the widget centre."""
        self.view.one_to_one()
        ratio = self.devicePixelRatioF()
        if ratio > 0 and ratio != 1.0:
            self.view.zoom_at(1.0 / ratio, self.view.widget_w / 2.0, self.view.widget_h / 2.0)
        self._view_changed()

    def device_zoom(self) -> float:
        """Device pixels per image pixel (1.0 at 1:1; the view's zoom is in logical pixels)."""
        return self.view.zoom * self.devicePixelRatioF()

    def _view_changed(self) -> None:
        self.view_changed.emit(self.view.zoom)
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.view.set_widget_size(self.width(), self.height())
        if self._fit_pending and self.image is not None:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y()
        if dy:
            p = event.position()
            self.view.zoom_at(wheel_factor(dy), p.x(), p.y())
            self._view_changed()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        button = event.button()
        left = button == Qt.MouseButton.LeftButton
        if button == Qt.MouseButton.MiddleButton or (left and alt and self.alt_pans):
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif left:
            self._tool_button = True
            self._emit_tool(self.image_pressed, event)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        p = event.position()
        self._hover = QPointF(p)
        if self.brush_diameter is not None:
            self.update()  # the brush outline follows the pointer
        if self._pan_from is not None:
            d = p - self._pan_from
            self._pan_from = p
            self.view.pan(d.x(), d.y())
            self._view_changed()
        elif self._tool_button:
            self._emit_tool(self.image_dragged, event)
        self._readout(p.x(), p.y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self._set_tool_cursor()
        elif self._tool_button and event.button() == Qt.MouseButton.LeftButton:
            self._tool_button = False
            self._emit_tool(self.image_released, event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        super().leaveEvent(event)
        self._hover = None
        if self.brush_diameter is not None:
            self.update()

    def _emit_tool(self, signal, event: QMouseEvent) -> None:
        x, y = self.view.widget_to_image(event.position().x(), event.position().y())
        signal.emit(x, y, int(event.buttons().value), int(event.modifiers().value))

    def pixel_value(self, x: int, y: int) -> tuple[float, float, float, float] | None:
        """RGBA of image pixel (x, y) as float values (uint8 frames: ``v / 255``, as the
        shader samples them), from the CPU copy (never read back from GL)."""
        image = self.image
        if image is None or not (0 <= y < image.shape[0] and 0 <= x < image.shape[1]):
            return None
        px = to_float32(image[y, x])
        return float(px[0]), float(px[1]), float(px[2]), float(px[3]) if px.size > 3 else 1.0

    def _readout(self, wx: float, wy: float) -> None:
        if self.image is None:
            return
        pixel = self.view.pixel_at(wx, wy)
        if pixel is not None:
            value = self.pixel_value(*pixel)
            if value is not None:
                self.pixel_hovered.emit(pixel[0], pixel[1], *value)


def _ready_depth(depth: np.ndarray) -> bool:
    """A normalised map to show as it is: read-only, C-contiguous float32 (H, W)."""
    return (
        depth.dtype == np.float32
        and depth.ndim == 2
        and depth.flags.c_contiguous
        and not depth.flags.writeable
    )

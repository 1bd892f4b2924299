"""Timeline ruler: frames and timecode, playhead scrubbing, in/out, keyframes, cache and occlusion."""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from ultimate_roto.app.timeline_math import TimelineGeometry, neighbour_key, runs, timecode
from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.media.timecode import offset_timecode

C_BG = QColor(30, 31, 34)
C_RULER = QColor(38, 39, 43)
C_TICK = QColor(92, 94, 100)
C_TEXT = QColor(150, 152, 158)
C_OUT_RANGE = QColor(0, 0, 0, 110)
C_INOUT = QColor(240, 180, 60)
C_PLAYHEAD = QColor(255, 120, 40)
C_CACHE = QColor(70, 160, 90)
C_OCCLUDED = QColor(150, 60, 60, 150)

RULER_H = 30
CACHE_H = 4
LANE_H = 12


class QtTimeline(QWidget):
    """Frame ruler with playhead; drag anywhere to scrub. Model state lives in the caller."""

    frame_changed = Signal(int)
    in_out_changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.geo = TimelineGeometry()
        self.fps = Fraction(24)
        self.current = 0
        self.in_point = 0
        self.out_point = 0
        self._keys: dict[str, tuple[QColor, set[int]]] = {}
        self._cached: list[tuple[int, int]] = []
        self._occluded: list[tuple[int, int]] = []
        self._scrubbing = False
        self.start_timecode: str | None = None  # the media's timecode of the first frame
        self.setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self._update_height()

    # -- model -----------------------------------------------------------------------------
    def set_range(
        self, first: int, last: int, fps: Fraction, start_timecode: str | None = None
    ) -> None:
        if last < first:
            raise ValueError(f"timeline range {first}-{last} is empty")
        if fps <= 0:
            raise ValueError(f"timeline needs a positive frame rate, got {fps}")
        self.geo.first, self.geo.last, self.fps = first, last, Fraction(fps)
        self.start_timecode = start_timecode
        self.in_point, self.out_point = first, last
        self.current = first
        self._keys.clear()
        self._cached, self._occluded = [], []
        self.update()

    def timecode_of(self, frame: int) -> str:
        """Timecode of ``frame``: the media's own (e.g. from 01:00:00:00) when it has one."""
        if self.start_timecode:
            try:
                return offset_timecode(self.start_timecode, frame - self.geo.first, self.fps)
            except (RotoError, ValueError):
                pass  # an unreadable source timecode: fall back to counting from zero
        return timecode(frame, self.fps)

    def set_frame(self, frame: int) -> None:
        """Move the playhead without emitting (used when the model drives the view)."""
        frame = min(self.geo.last, max(self.geo.first, frame))
        if frame != self.current:
            self.current = frame
            self.update()

    def set_in_out(self, first: int, last: int) -> None:
        lo, hi = self.geo.first, self.geo.last
        first, last = min(hi, max(lo, first)), min(hi, max(lo, last))
        if first > last:
            first, last = last, first
        if (first, last) != (self.in_point, self.out_point):
            self.in_point, self.out_point = first, last
            self.in_out_changed.emit(first, last)
            self.update()

    def set_in(self) -> None:
        self.set_in_out(self.current, max(self.current, self.out_point))

    def set_out(self) -> None:
        self.set_in_out(min(self.current, self.in_point), self.current)

    def set_keyframes(self, object_id: str, frames: set[int] | list[int], colour: QColor) -> None:
        self._keys[object_id] = (QColor(colour), set(frames))
        self._update_height()
        self.update()

    def remove_keyframes(self, object_id: str) -> None:
        self._keys.pop(object_id, None)
        self._update_height()
        self.update()

    def all_keyframes(self) -> set[int]:
        return set().union(*(frames for _c, frames in self._keys.values())) if self._keys else set()

    def neighbour_keyframe(self, direction: int) -> int | None:
        return neighbour_key(self.all_keyframes(), self.current, direction)

    def set_cached_frames(self, frames) -> None:
        self._cached = runs(frames)
        self.update()

    def set_occluded_frames(self, frames) -> None:
        self._occluded = runs(frames)
        self.update()

    def _update_height(self) -> None:
        self.setFixedHeight(RULER_H + CACHE_H + 6 + max(1, len(self._keys)) * LANE_H + 6)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, self.height())

    # -- mouse -----------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._scrubbing = True
            self._scrub_to(event.position().x())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._scrubbing:
            self._scrub_to(event.position().x())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._scrubbing = False

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.geo.width = self.width()

    def _scrub_to(self, x: float) -> None:
        frame = self.geo.frame_at(x)
        if frame != self.current:
            self.current = frame
            self.update()
            self.frame_changed.emit(frame)

    def _context_menu(self, pos) -> None:
        frame = self.geo.frame_at(pos.x())
        menu = QMenu(self)
        menu.addAction(
            f"Set in point at {frame}", lambda: self.set_in_out(frame, max(frame, self.out_point))
        )
        menu.addAction(
            f"Set out point at {frame}", lambda: self.set_in_out(min(frame, self.in_point), frame)
        )
        menu.addAction("Clear in/out", lambda: self.set_in_out(self.geo.first, self.geo.last))
        menu.exec(self.mapToGlobal(pos))

    # -- painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        self.geo.width = self.width()
        p = QPainter(self)
        p.fillRect(self.rect(), C_BG)
        p.fillRect(QRectF(0, 0, self.width(), RULER_H), C_RULER)
        self._paint_ticks(p)
        self._paint_bands(p)
        self._paint_keys(p)
        self._paint_in_out(p)
        self._paint_playhead(p)
        p.end()

    def _paint_ticks(self, p: QPainter) -> None:
        g = self.geo
        step = g.tick_step(70.0)
        minor = max(1, step // 5) if step >= 5 else 1
        p.setPen(C_TICK)
        if minor * g.frame_width >= 4:
            for f in range(g.first - g.first % minor, g.last + 1, minor):
                if f >= g.first:
                    x = g.centre_of(f)
                    p.drawLine(QPointF(x, RULER_H - 5), QPointF(x, RULER_H))
        font = p.font()
        font.setPointSizeF(8.0)
        p.setFont(font)
        for f in g.ticks(70.0):
            x = g.centre_of(f)
            p.setPen(C_TICK)
            p.drawLine(QPointF(x, RULER_H - 12), QPointF(x, self.height()))
            p.setPen(C_TEXT)
            p.drawText(QPointF(x + 3, 12), str(f))
            if step * g.frame_width >= 90:
                p.drawText(QPointF(x + 3, 23), self.timecode_of(f))

    def _paint_bands(self, p: QPainter) -> None:
        y = RULER_H + 1
        for (a, b), colour in [(r, C_CACHE) for r in self._cached] + [
            (r, C_OCCLUDED) for r in self._occluded
        ]:
            x0, x1 = self.geo.x_of(a), self.geo.x_of(b + 1)
            top = y if colour is C_CACHE else y + CACHE_H + 1
            p.fillRect(
                QRectF(
                    x0,
                    top,
                    max(1.0, x1 - x0),
                    CACHE_H if colour is C_CACHE else self.height() - top,
                ),
                colour,
            )

    def _paint_keys(self, p: QPainter) -> None:
        y = RULER_H + CACHE_H + 6
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for colour, frames in self._keys.values():
            p.setPen(QPen(colour.darker(160), 1))
            p.setBrush(colour)
            cy = y + LANE_H / 2
            for f in frames:
                if self.geo.first <= f <= self.geo.last:
                    x = self.geo.centre_of(f)
                    p.drawPolygon(
                        QPolygonF(
                            [
                                QPointF(x, cy - 5),
                                QPointF(x + 5, cy),
                                QPointF(x, cy + 5),
                                QPointF(x - 5, cy),
                            ]
                        )
                    )
            y += LANE_H
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_in_out(self, p: QPainter) -> None:
        g = self.geo
        h = self.height()
        left, right = g.x_of(self.in_point), g.x_of(self.out_point + 1)
        p.fillRect(QRectF(0, 0, left, h), C_OUT_RANGE)
        p.fillRect(QRectF(right, 0, self.width() - right, h), C_OUT_RANGE)
        p.setPen(QPen(C_INOUT, 2))
        if (self.in_point, self.out_point) != (g.first, g.last):
            p.drawLine(QPointF(left, 0), QPointF(left, h))
            p.drawLine(QPointF(right, 0), QPointF(right, h))

    def _paint_playhead(self, p: QPainter) -> None:
        x = self.geo.centre_of(self.current)
        w = max(2.0, self.geo.frame_width)
        p.fillRect(QRectF(x - w / 2, 0, w, RULER_H), QColor(255, 120, 40, 60))
        p.setPen(QPen(C_PLAYHEAD, 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setBrush(C_PLAYHEAD)
        p.drawPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 8)]))

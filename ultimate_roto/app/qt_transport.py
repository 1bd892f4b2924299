"""Timeline dock content: transport buttons, frame/timecode fields, fps readout, the ruler."""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.qt_playback import QtPlayback
from ultimate_roto.app.qt_theme import icon
from ultimate_roto.app.qt_timeline import QtTimeline


class QtTimelinePanel(QWidget):
    """Transport bar above a :class:`QtTimeline`; drives and mirrors a :class:`QtPlayback`."""

    def __init__(self, playback: QtPlayback, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playback = playback
        self.timeline = QtTimeline(self)
        self.frame_box = QSpinBox(self)
        self.frame_box.setObjectName("frameBox")
        self.frame_box.setKeyboardTracking(False)
        self.frame_box.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.frame_box.setMinimumWidth(72)
        self.frame_box.setMinimumHeight(22)
        self.frame_box.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tc_label = QLabel("00:00:00:00", self)
        self.tc_label.setObjectName("timecode")
        self.fps_label = QLabel("", self)
        self.fps_label.setObjectName("fpsLabel")
        self.range_label = QLabel("", self)
        self.range_label.setObjectName("dimLabel")
        self.buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.setSpacing(2)
        for name, tip, slot in (
            ("first", "First frame (Home)", lambda: self._go(self.timeline.in_point)),
            ("step_back", "Step back (Left)", lambda: self._go(self.timeline.current - 1)),
            ("play_reverse", "Play reverse (J)", lambda: playback.shuttle(-1)),
            ("stop", "Stop (K)", playback.stop),
            ("play", "Play / pause (Space)", playback.toggle),
            ("step_forward", "Step forward (Right)", lambda: self._go(self.timeline.current + 1)),
            ("last", "Last frame (End)", lambda: self._go(self.timeline.out_point)),
        ):
            b = QToolButton(self)
            b.setIcon(icon(name))
            b.setIconSize(QSize(16, 16))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            self.buttons[name] = b
            bar.addWidget(b)
        bar.addSpacing(10)
        bar.addWidget(self.frame_box)
        bar.addWidget(self.tc_label)
        bar.addStretch(1)
        bar.addWidget(self.range_label)
        bar.addSpacing(14)
        bar.addWidget(self.fps_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.timeline)
        self.frame_box.valueChanged.connect(self._go)
        self.timeline.in_out_changed.connect(self._in_out_changed)
        playback.speed_changed.connect(self._speed_changed)
        playback.actual_fps_changed.connect(self._actual_fps)

    def set_range(
        self, first: int, last: int, fps: Fraction, start_timecode: str | None = None
    ) -> None:
        """Frame range, rate and the media's timecode of ``first`` (None: count from 0)."""
        self.timeline.set_range(first, last, fps, start_timecode)
        self.frame_box.blockSignals(True)
        self.frame_box.setRange(first, last)
        self.frame_box.setValue(first)
        self.frame_box.blockSignals(False)
        self._in_out_changed(first, last)
        self._speed_changed(0)
        self.show_frame(first)

    def show_frame(self, frame: int) -> None:
        """Mirror the current frame (no signals go out)."""
        self.timeline.set_frame(frame)
        self.frame_box.blockSignals(True)
        self.frame_box.setValue(frame)
        self.frame_box.blockSignals(False)
        self.tc_label.setText(self.timeline.timecode_of(frame))

    def _go(self, frame: int) -> None:
        t = self.timeline
        frame = min(t.geo.last, max(t.geo.first, frame))
        t.set_frame(frame)
        t.frame_changed.emit(frame)

    def _in_out_changed(self, first: int, last: int) -> None:
        self.range_label.setText(f"in {first}  out {last}  ({last - first + 1} f)")
        self.playback.set_range(first, last)

    def _speed_changed(self, speed: int) -> None:
        self.buttons["play"].setIcon(icon("pause" if speed > 0 else "play"))
        fps = float(self.timeline.fps)
        state = "stopped" if speed == 0 else f"{'◀ ' if speed < 0 else '▶ '}{abs(speed)}×"
        self.fps_label.setText(f"{fps:.3g} fps   {state}")

    def _actual_fps(self, actual: float) -> None:
        speed = self.playback.clock.speed
        if speed:
            target = float(self.timeline.fps) * abs(speed)
            self.fps_label.setText(
                f"{float(self.timeline.fps):.3g} fps   {'◀' if speed < 0 else '▶'} {abs(speed)}×"
                f"   actual {actual:.1f}/{target:.0f}"
            )

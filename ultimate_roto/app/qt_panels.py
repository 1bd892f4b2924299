"""Dock panels: Inspector (media + viewer controls), Thumbnails strip and the Tool palette."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSlider,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.display_cpu import CHANNELS
from ultimate_roto.app.qt_object_panel import QtObjectPanel
from ultimate_roto.core.media.types import MediaInfo

TOOLS = ("select", "point", "box", "move", "brush", "eraser", "rotate", "scale")
TOOL_HELP = {
    "select": "Select: click an object's mask to make it current",
    "point": "Point: click = foreground, Alt-click = background",
    "box": "Box: drag a rectangle around the object",
    "move": "Move: drag a prompt point",
    "brush": "Brush: paint the current object's mask",
    "eraser": "Eraser: erase from the current object's mask",
    "rotate": "Rotate: drag to turn the mask around its centroid",
    "scale": "Scale: drag away from / toward the mask's centroid",
}


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label


def compact_combos(root: QWidget, chars: int = 12) -> None:
    """Let every combo under ``root`` shrink to ``chars`` characters: long entries (OCIO views,
    an engine's "unavailable: why") stay whole in the popup and the tooltip, and never widen
    the dock past the screen."""
    for combo in root.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(chars)
        combo.currentTextChanged.connect(combo.setToolTip)
        combo.setToolTip(combo.currentText())


class QtInspector(QWidget):
    """Media facts and the viewer's display controls; emits, never reaches into the viewport."""

    exposure_changed = Signal(float)
    gamma_changed = Signal(float)
    channel_changed = Signal(str)
    linear_changed = Signal(bool)
    overlay_toggled = Signal(bool)
    overlay_opacity_changed = Signal(float)
    display_view_changed = Signal(str, str)  # OCIO display, view
    depth_toggled = Signal(bool)
    brush_changed = Signal(float, float)  # diameter px, hardness 0..1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(_section("Object", self))
        self.object_panel = QtObjectPanel(self)
        layout.addWidget(self.object_panel)
        layout.addWidget(_section("Media", self))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key in ("File", "Resolution", "Frame rate", "Frames", "Codec", "Depth", "Colour"):
            value = self._fact_label()
            self.facts[key] = value
            form.addRow(key, value)
        layout.addLayout(form)
        layout.addWidget(_section("Viewer", self))
        layout.addLayout(self._viewer_form())
        layout.addWidget(_section("Tool", self))
        self.tool_label = QLabel(TOOL_HELP["select"], self)
        self.tool_label.setWordWrap(True)
        layout.addWidget(self.tool_label)
        layout.addLayout(self._brush_form())
        layout.addStretch(1)
        compact_combos(self)

    def _fact_label(self) -> QLabel:
        """A media fact: selectable, and never what sets the dock's width (a long file name
        is cut at the edge; the tooltip has all of it)."""
        value = QLabel("—", self)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        value.setMinimumWidth(40)
        return value

    def _brush_form(self) -> QFormLayout:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.brush_size = QDoubleSpinBox(self)
        self.brush_size.setRange(1.0, 500.0)
        self.brush_size.setValue(24.0)
        self.brush_size.setSuffix(" px")
        self.brush_hardness = QSlider(Qt.Orientation.Horizontal, self)
        self.brush_hardness.setRange(0, 100)
        self.brush_hardness.setValue(80)
        for signal in (self.brush_size.valueChanged, self.brush_hardness.valueChanged):
            signal.connect(
                lambda _v: self.brush_changed.emit(
                    self.brush_size.value(), self.brush_hardness.value() / 100.0
                )
            )
        form.addRow("Brush size", self.brush_size)
        form.addRow("Hardness", self.brush_hardness)
        return form

    def show_tool(self, name: str) -> None:
        self.tool_label.setText(TOOL_HELP.get(name, name.capitalize()))
        brush = name in ("brush", "eraser")
        self.brush_size.setEnabled(brush)
        self.brush_hardness.setEnabled(brush)

    def _viewer_form(self) -> QFormLayout:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.exposure = QDoubleSpinBox(self)
        self.exposure.setRange(-10.0, 10.0)
        self.exposure.setSingleStep(0.25)
        self.exposure.setSuffix(" stops")
        self.exposure.valueChanged.connect(self.exposure_changed)
        self.gamma = QDoubleSpinBox(self)
        self.gamma.setRange(0.1, 4.0)
        self.gamma.setSingleStep(0.1)
        self.gamma.setValue(1.0)
        self.gamma.valueChanged.connect(self.gamma_changed)
        self.channel = QComboBox(self)
        self.channel.addItems(list(CHANNELS))
        self.channel.currentTextChanged.connect(self.channel_changed)
        self.linear = QCheckBox("scene-linear input", self)
        self.linear.setToolTip("Treat the frames as scene-linear and sRGB-encode them for display")
        self.linear.toggled.connect(self.linear_changed)
        self.overlay = QCheckBox("show mask overlay", self)
        self.overlay.setChecked(True)
        self.overlay.toggled.connect(self.overlay_toggled)
        self.opacity = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.valueChanged.connect(lambda v: self.overlay_opacity_changed.emit(v / 100.0))
        self._display_combos()
        self.depth = QCheckBox("show depth", self)
        self.depth.setToolTip(
            "The current frame's depth, near warm, far cool, normalised per shot (0 near, 1 far);\n"
            "Roto > Compute depth makes it for the in/out range"
        )
        self.depth.toggled.connect(self.depth_toggled)
        for label, widget in (
            ("Display", self.display),
            ("View", self.view),
            ("Exposure", self.exposure),
            ("Gamma", self.gamma),
            ("Channels", self.channel),
            ("", self.linear),
            ("Overlay", self.overlay),
            ("Opacity", self.opacity),
            ("Depth", self.depth),
        ):
            form.addRow(label, widget)
        return form

    def _display_combos(self) -> None:
        """Display and View combos from the OCIO config (default: sRGB and its default view)."""
        from ultimate_roto.core.media import colour  # OCIO loads with the inspector only

        self.display, self.view = QComboBox(self), QComboBox(self)
        self.display.addItems(list(colour.config().getDisplays()))
        self.display.setCurrentText(colour.DEFAULT_DISPLAY)
        self._fill_views(self.display.currentText())
        self.display.currentTextChanged.connect(self._fill_views)
        self.view.currentTextChanged.connect(
            lambda v: v and self.display_view_changed.emit(self.display.currentText(), v)
        )

    def _fill_views(self, display: str) -> None:
        from ultimate_roto.core.media import colour

        self.view.blockSignals(True)
        self.view.clear()
        self.view.addItems(list(colour.display_views(display)))
        from ultimate_roto.app.display_lut import default_view

        self.view.setCurrentText(default_view(display))
        self.view.blockSignals(False)
        self.display_view_changed.emit(display, self.view.currentText())

    def display_view(self) -> tuple[str, str]:
        return self.display.currentText(), self.view.currentText()

    def show_media(self, info: MediaInfo | None) -> None:
        if info is None:
            for label in self.facts.values():
                label.setText("—")
            return
        values = {
            "File": str(info.path).rsplit("/", 1)[-1],
            "Resolution": f"{info.width} × {info.height}"
            + (f"  (PAR {info.pixel_aspect:g})" if info.pixel_aspect != 1 else ""),
            "Frame rate": f"{float(info.fps):.3f} fps" + ("  VFR" if info.vfr else ""),
            "Frames": f"{info.first_frame}–{info.last_frame}  ({info.frame_count})",
            "Codec": info.codec,
            "Depth": f"{info.bit_depth}-bit {info.pixel_type}, {info.channels} ch",
            "Colour": info.colorspace_guess,
        }
        for key, text in values.items():
            self.facts[key].setText(text)
            self.facts[key].setToolTip(str(info.path) if key == "File" else text)

    def show_channel(self, channel: str) -> None:
        """Mirror a channel change made elsewhere (e.g. the A shortcut) without re-emitting."""
        self.channel.blockSignals(True)
        self.channel.setCurrentText(channel)
        self.channel.blockSignals(False)

    def show_overlay(self, visible: bool) -> None:
        self.overlay.blockSignals(True)
        self.overlay.setChecked(visible)
        self.overlay.blockSignals(False)


class QtThumbnailStrip(QListWidget):
    """A horizontal strip of frame thumbnails; clicking one jumps there."""

    frame_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListWidget.Movement.Static)
        self.setIconSize(QSize(128, 72))
        self.setSpacing(4)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumHeight(self.needed_height())
        self._items: dict[int, QListWidgetItem] = {}
        self.itemClicked.connect(
            lambda item: self.frame_activated.emit(item.data(Qt.ItemDataRole.UserRole))
        )

    def needed_height(self) -> int:
        """Height that shows a whole thumbnail with its frame number above the scroll bar."""
        label = self.fontMetrics().height() + 6
        bar = self.horizontalScrollBar().sizeHint().height()
        return self.iconSize().height() + label + 3 * self.spacing() + bar + 2 * self.frameWidth()

    def set_frames(self, frames: list[int]) -> None:
        self.clear()
        self._items.clear()
        placeholder = QPixmap(128, 72)
        placeholder.fill(QColor(36, 37, 41))
        for f in frames:
            item = QListWidgetItem(QIcon(placeholder), str(f))
            item.setData(Qt.ItemDataRole.UserRole, f)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
            self._items[f] = item

    def set_thumbnail(self, frame: int, rgb: np.ndarray) -> None:
        """Set ``frame``'s picture from a uint8 (h, w, 3) array (GUI thread)."""
        item = self._items.get(frame)
        if item is None:
            return
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"a thumbnail must be uint8 (h, w, 3), got {rgb.dtype} {rgb.shape}")
        h, w = rgb.shape[:2]
        image = QImage(rgb, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        item.setIcon(QIcon(QPixmap.fromImage(image)))

    def show_current(self, frame: int) -> None:
        """Select the thumbnail nearest at or before ``frame``."""
        before = [f for f in self._items if f <= frame]
        if before:
            item = self._items[max(before)]
            self.blockSignals(True)
            self.setCurrentItem(item)
            self.blockSignals(False)


class QtToolPalette(QToolBar):
    """Vertical palette of the registry's tool actions (one checked at a time)."""

    tool_changed = Signal(str)

    def __init__(
        self, actions: dict[str, QAction], icons: dict[str, QIcon], parent: QWidget | None = None
    ) -> None:
        super().__init__("Tools", parent)
        self.setObjectName("toolPalette")
        self.setOrientation(Qt.Orientation.Vertical)
        self.setIconSize(QSize(22, 22))
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.current = TOOLS[0]
        self.tool_actions = [actions[f"tool.{name}"] for name in TOOLS]
        for name, action in zip(TOOLS, self.tool_actions, strict=True):
            action.setCheckable(True)
            action.setIcon(icons[name])
            action.toggled.connect(lambda on, n=name: on and self._select(n))
            self.group.addAction(action)
            self.addAction(action)
        self.refresh_tooltips()
        actions[f"tool.{TOOLS[0]}"].setChecked(True)

    def refresh_tooltips(self) -> None:
        """Tooltips name each tool's current key (call again after a rebind)."""
        for action in self.tool_actions:
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{action.text()} ({key})" if key else action.text())

    def _select(self, name: str) -> None:
        self.current = name
        self.tool_changed.emit(name)

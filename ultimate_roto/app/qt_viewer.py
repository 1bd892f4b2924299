"""Viewer panel: a slim info bar, the viewport (GL or raster) and the pixel readout line."""

from __future__ import annotations

import os

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

NO_GL_PLATFORMS = ("offscreen", "minimal", "vnc")


def use_gl() -> bool:
    """OpenGL unless the platform cannot do it or ULTIMATE_ROTO_NO_GL=1 asks for the raster view."""
    if os.environ.get("ULTIMATE_ROTO_NO_GL", "") not in ("", "0"):
        return False
    return QGuiApplication.platformName() not in NO_GL_PLATFORMS


def make_viewport(parent: QWidget | None = None):
    if use_gl():
        from ultimate_roto.app.qt_viewport import QtViewport

        return QtViewport(parent)
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    return QtRasterViewport(parent)


class QtViewerPanel(QWidget):
    """Wraps the viewport with a top info bar (resolution, zoom) and a bottom pixel readout."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewport = make_viewport(self)
        self.info = QLabel("", self)
        self.info.setObjectName("dimLabel")
        self.zoom = QLabel("", self)
        self.zoom.setObjectName("dimLabel")
        self.channel = QLabel("RGB", self)
        self.channel.setObjectName("dimLabel")
        self.readout = QLabel("", self)
        self.readout.setObjectName("pixelReadout")
        top = QHBoxLayout()
        top.setContentsMargins(8, 3, 8, 3)
        top.addWidget(self.info)
        top.addStretch(1)
        top.addWidget(self.channel)
        top.addSpacing(12)
        top.addWidget(self.zoom)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(8, 2, 8, 2)
        bottom.addWidget(self.readout)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.viewport, 1)
        layout.addLayout(bottom)
        self.viewport.view_changed.connect(self._show_zoom)
        self.viewport.pixel_hovered.connect(self.show_pixel)

    def _show_zoom(self, _zoom: float) -> None:
        """Zoom in device pixels per image pixel: 1:1 reads 100% on a HiDPI screen too."""
        self.zoom.setText(f"{self.viewport.device_zoom() * 100:.0f}%")

    def show_pixel(self, x: int, y: int, r: float, g: float, b: float, a: float) -> None:
        """The plate's RGBA under the cursor, and the current object's matte there (M)."""
        text = f"x {x:>5}  y {y:>5}    R {r:.4f}  G {g:.4f}  B {b:.4f}  A {a:.4f}"
        mask = self.viewport.mask
        if mask is not None and 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1]:
            text += f"    M {mask[y, x] / 255.0:.4f}"
        self.readout.setText(text)

    def show_media(self, text: str) -> None:
        self.info.setText(text)

    def show_channel(self, channel: str) -> None:
        self.channel.setText(channel)

"""Export dialog: plate (EXR/PNG/DPX/video) or an object's mattes (PNG/EXR) with a path template."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.core.errors import JobError

PLATE_FORMATS = ("exr", "png", "dpx", "mov", "mp4")
MATTE_FORMATS = ("png", "exr")
VIDEO = ("mov", "mp4")


@dataclass(frozen=True)
class ExportRequest:
    """What the dialog asks for: a core ExportSpec dict, the folder and the frames."""

    spec: dict[str, Any]
    output_dir: str
    frames: tuple[int, int]
    obj_id: str | None  # None: the plate

    @property
    def is_plate(self) -> bool:
        return self.obj_id is None


def default_template(fmt: str, matte: bool) -> str:
    if fmt in VIDEO:
        return f"plate.{fmt}"
    return f"{{object}}/matte.####.{fmt}" if matte else f"plate.####.{fmt}"


class QtExportDialog(QDialog):
    """Choose what to write, the format, the folder, the template and the frame range."""

    def __init__(
        self,
        objects: list[tuple[str, str]],
        frame_range: tuple[int, int],
        limits: tuple[int, int],
        folder: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.what = QComboBox(self)
        self.what.addItem("Plate (convert)", None)
        for obj_id, name in objects:
            self.what.addItem(f"Mattes of {name}", obj_id)
        self.format = QComboBox(self)
        self.folder = QLineEdit(folder, self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.template = QLineEdit(self)
        self.first = QSpinBox(self)
        self.last = QSpinBox(self)
        for box, value in ((self.first, frame_range[0]), (self.last, frame_range[1])):
            box.setRange(*limits)
            box.setValue(value)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #ff6a6a;")
        self.error.setWordWrap(True)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        frames_row = QHBoxLayout()
        frames_row.addWidget(self.first)
        frames_row.addWidget(QLabel("to", self))
        frames_row.addWidget(self.last)
        form = QFormLayout()
        form.addRow("Export", self.what)
        form.addRow("Format", self.format)
        form.addRow("Folder", folder_row)
        form.addRow("Path template", self.template)
        form.addRow("Frames", frames_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.what.currentIndexChanged.connect(self._what_changed)
        self.format.currentTextChanged.connect(self._format_changed)
        self._what_changed()

    def _what_changed(self) -> None:
        matte = self.what.currentData() is not None
        self.format.blockSignals(True)
        self.format.clear()
        self.format.addItems(list(MATTE_FORMATS if matte else PLATE_FORMATS))
        self.format.blockSignals(False)
        self._format_changed(self.format.currentText())

    def _format_changed(self, fmt: str) -> None:
        if fmt:
            self.template.setText(default_template(fmt, self.what.currentData() is not None))

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export folder", self.folder.text())
        if path:
            self.folder.setText(path)

    def request(self) -> ExportRequest:
        """The validated request; raises JobError (shown in the dialog) on bad input."""
        from ultimate_roto.app.job_work import register_mask_kind
        from ultimate_roto.core.exporters.spec import ExportSpec

        obj_id = self.what.currentData()
        fmt = self.format.currentText()
        spec = {"format": fmt, "what": "plate" if obj_id is None else "mask"}
        spec["path"] = self.template.text().strip()
        if fmt in VIDEO:
            spec["codec"] = "prores" if fmt == "mov" else "h264"
        register_mask_kind()
        ExportSpec.from_dict(spec, where="export")  # validates the template and options
        folder = self.folder.text().strip()
        if not folder:
            raise JobError("no export folder", hint="choose a folder to write into")
        first, last = self.first.value(), self.last.value()
        if last < first:
            raise JobError(f"frames {first}-{last}: the last is before the first", hint="swap")
        return ExportRequest(spec, str(Path(folder).expanduser()), (first, last), obj_id)

    def accept(self) -> None:
        try:
            self.result_request = self.request()
        except JobError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

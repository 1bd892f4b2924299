"""Export dialog: the job-file presets and formats (EXR incl. multi-layer AOVs, DPX, PNG, TIFF,
Nuke/AE/Fusion/Flame scripts, video) with a path template; validated by core before it closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
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

from ultimate_roto.core.errors import RotoError

CUSTOM = "Custom…"
#: Format → (label, what choices).
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "exr": ("OpenEXR", ("plate", "mask", "layers", "depth")),
    "dpx": ("DPX", ("plate", "mask")),
    "png": ("PNG", ("plate", "mask", "depth")),
    "tiff": ("TIFF", ("plate", "mask", "depth")),
    "nuke": ("Nuke script (.nk)", ("shapes",)),
    "ae": ("After Effects (.jsx)", ("shapes",)),
    "fusion": ("Fusion (.setting)", ("shapes",)),
    "flame": ("Flame Batch hook (.py)", ("shapes",)),
    "mov": ("Video: QuickTime ProRes", ("plate",)),
    "mp4": ("Video: MP4 H.264", ("plate",)),
}
WHAT_LABELS = {"plate": "Plate", "mask": "Object mattes", "layers": "Multi-layer (AOVs)",
               "depth": "Depth (needs Roto > Compute depth)",
               "shapes": "Roto shapes of every object"}  # fmt: skip
#: Multi-layer AOVs offered; depth and normals come from the document's depth layer.
AOVS = ("rgba", "objects", "matte", "depth", "normals", "ids", "cryptomatte", "motion")
SCRIPT_EXT = {"nuke": "nk", "ae": "jsx", "fusion": "setting", "flame": "py"}
Validate = Callable[[list[dict[str, Any]], str, tuple[int, int]], None]


@dataclass(frozen=True)
class ExportRequest:
    """What the dialog asks for: job-file export entries, the folder, frames and resume."""

    entries: tuple[dict[str, Any], ...]
    output_dir: str
    frames: tuple[int, int]
    resume: bool = False
    label: str = ""


def default_template(fmt: str, what: str) -> str:
    """A path template for the format and kind (``{object}`` for per-object mattes)."""
    if fmt in SCRIPT_EXT:
        return f"roto.{SCRIPT_EXT[fmt]}" if fmt != "flame" else "flame/import_roto.py"
    if fmt in ("mov", "mp4"):
        return f"plate.{fmt}"
    if what == "mask":
        return f"mattes/{{object}}/{{object}}.####.{fmt}"
    if what == "depth":
        return f"depth/depth.####.{fmt}"
    return f"{'comp' if what == 'layers' else 'plate'}.####.{fmt}"


def entry_for(fmt: str, what: str, path: str, options: dict[str, Any]) -> dict[str, Any]:
    """One job-file export entry from the dialog's choices."""
    entry: dict[str, Any] = {"format": fmt, "path": path}
    if what != "shapes":
        entry["what"] = what
    if fmt == "dpx":
        entry.update(bit_depth=options["bit_depth"], encoding=options["encoding"])
    elif fmt in ("png", "tiff"):
        entry["bit_depth"] = options["bit_depth"]
    elif fmt == "exr" and what == "layers":
        entry["aovs"] = list(options["aovs"])
    elif fmt == "mov":
        entry["codec"] = "prores"
    elif fmt == "mp4":
        entry["codec"] = "h264"
    return entry


class QtExportDialog(QDialog):
    """Choose a preset or a format, what, options, folder, template, frames and resume.

    ``validate(entries, folder, frames)`` (core ``doc_exports.build_job`` in the window)
    raises a RotoError that is shown here instead of closing.
    """

    def __init__(
        self,
        frame_range: tuple[int, int],
        limits: tuple[int, int],
        folder: str,
        validate: Validate | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._validate = validate
        self.result_request: ExportRequest | None = None
        from ultimate_roto.core.exporters import presets

        self.preset = QComboBox(self)
        self.preset.addItems([CUSTOM, *presets.names()])
        self.preset_info = QLabel("", self)
        self.preset_info.setWordWrap(True)
        self.format = QComboBox(self)
        for fmt, (label, _whats) in FORMATS.items():
            self.format.addItem(label, fmt)
        self.what = QComboBox(self)
        self.bit_depth = QComboBox(self)
        self.encoding = QComboBox(self)
        self.encoding.addItems(["linear", "log"])
        self.aovs = {name: QCheckBox(name, self) for name in AOVS}
        for name in ("rgba", "objects"):
            self.aovs[name].setChecked(True)
        self.folder = QLineEdit(folder, self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.template = QLineEdit(self)
        self.first, self.last = QSpinBox(self), QSpinBox(self)
        for box, value in ((self.first, frame_range[0]), (self.last, frame_range[1])):
            box.setRange(*limits)
            box.setValue(value)
        self.resume = QCheckBox("Resume: keep the frames an interrupted export finished", self)
        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #ff6a6a;")
        self.error.setWordWrap(True)
        self._layout(browse)
        self.preset.currentTextChanged.connect(self._preset_changed)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.what.currentIndexChanged.connect(self._what_changed)
        self._format_changed()

    def _layout(self, browse: QPushButton) -> None:
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        frames_row = QHBoxLayout()
        frames_row.addWidget(self.first)
        frames_row.addWidget(QLabel("to", self))
        frames_row.addWidget(self.last)
        aov_row = QHBoxLayout()
        for box in self.aovs.values():
            aov_row.addWidget(box)
        depth_row = QHBoxLayout()
        depth_row.addWidget(self.bit_depth)
        depth_row.addWidget(self.encoding)
        self.form = QFormLayout()
        self.form.addRow("Preset", self.preset)
        self.form.addRow("", self.preset_info)
        self.form.addRow("Format", self.format)
        self.form.addRow("Export", self.what)
        self.form.addRow("Bit depth", depth_row)
        self.form.addRow("AOVs", aov_row)
        self.form.addRow("Folder", folder_row)
        self.form.addRow("Path template", self.template)
        self.form.addRow("Frames", frames_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.resume)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    # -- reactions -------------------------------------------------------------------------
    def _preset_changed(self, name: str) -> None:
        from ultimate_roto.core.exporters import presets

        custom = name == CUSTOM
        self.preset_info.setText("" if custom else presets.describe(name))
        for w in (self.format, self.what, self.bit_depth, self.encoding, *self.aovs.values()):
            w.setEnabled(custom)
        self.template.setEnabled(custom)
        if custom:
            self._what_changed()
        else:
            self.template.setText("(paths from the preset, under the folder)")

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        self.what.blockSignals(True)
        self.what.clear()
        for what in FORMATS[fmt][1]:
            self.what.addItem(WHAT_LABELS[what], what)
        self.what.blockSignals(False)
        self.bit_depth.clear()
        depths = {"dpx": ("10", "16"), "png": ("8", "16"), "tiff": ("8", "16")}.get(fmt, ())
        self.bit_depth.addItems(list(depths))
        self.bit_depth.setVisible(bool(depths))
        self.encoding.setVisible(fmt == "dpx")
        self._what_changed()

    def _what_changed(self) -> None:
        fmt, what = self.format.currentData(), self.what.currentData() or "plate"
        for box in self.aovs.values():
            box.setVisible(fmt == "exr" and what == "layers")
        self.template.setText(default_template(fmt, what))

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export folder", self.folder.text())
        if path:
            self.folder.setText(path)

    # -- result ----------------------------------------------------------------------------
    def entries(self) -> list[dict[str, Any]]:
        """The job-file export entries the dialog describes."""
        name = self.preset.currentText()
        if name != CUSTOM:
            return [{"preset": name}]
        options = {
            "bit_depth": int(self.bit_depth.currentText() or 0),
            "encoding": self.encoding.currentText(),
            "aovs": [n for n, box in self.aovs.items() if box.isChecked()],
        }
        fmt, what = self.format.currentData(), self.what.currentData() or "plate"
        return [entry_for(fmt, what, self.template.text().strip(), options)]

    def request(self) -> ExportRequest:
        """The validated request; raises RotoError (shown in the dialog) on bad input."""
        folder = self.folder.text().strip()
        if not folder:
            raise RotoError("no export folder", hint="choose a folder to write into")
        first, last = self.first.value(), self.last.value()
        if last < first:
            raise RotoError(f"frames {first}-{last}: the last is before the first", hint="swap")
        entries = self.entries()
        folder = str(Path(folder).expanduser())
        if self._validate is not None:
            self._validate(entries, folder, (first, last))
        label = self.preset.currentText()
        if label == CUSTOM:
            label = f"{self.format.currentText()} → {entries[0]['path']}"
        return ExportRequest(tuple(entries), folder, (first, last), self.resume.isChecked(), label)

    def accept(self) -> None:
        try:
            self.result_request = self.request()
        except RotoError as exc:
            self.error.setText(str(exc))
            return
        super().accept()

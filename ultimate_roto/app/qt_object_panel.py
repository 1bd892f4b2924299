"""Inspector section for the selected object: every edit is a command; document events refresh it."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ultimate_roto.app.qt_project import QtProject

ENGINE_TASKS = ("segment", "propagate", "refine")
REFINE_METHODS = ("auto", "cf", "guided")
# the undo label of each mask-ops field ("Set Disc Dilate")
OPS_LABELS = {
    "dilate_px": "Dilate",
    "erode_px": "Erode",
    "feather_px": "Feather",
    "band": "Refine Band",
    "method": "Refine Method",
}


def engine_choices(task: str) -> list[tuple[str, str]]:
    """(label, id) pairs for a task: "auto" first, then the registry's engines by priority."""
    from ultimate_roto.core.engines import registry

    out = [("Auto (best available)", "auto")]
    for spec in registry.list_engines(task):
        ok, reason = spec.availability()
        out.append((spec.name + ("" if ok else f" — unavailable: {reason}"), spec.id))
    return out


class QtObjectPanel(QWidget):
    """Name, colour, engines, grow/shrink, feather and refine settings of one object."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: QtProject | None = None
        self.obj_id = ""
        self._updating = False
        self.name = QLineEdit(self)
        self.name.editingFinished.connect(self._rename)
        self.colour = QPushButton("", self)
        self.colour.setToolTip("Overlay colour of the object")
        self.colour.clicked.connect(self._pick_colour)
        self.engines: dict[str, QComboBox] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Name", self.name)
        form.addRow("Colour", self.colour)
        for task in ENGINE_TASKS:
            combo = QComboBox(self)
            combo.currentIndexChanged.connect(lambda _i, t=task: self._engine_changed(t))
            self.engines[task] = combo
            form.addRow(task.capitalize(), combo)
        self.refresh_engines()
        self.dilate = self._spin(QSpinBox(self), 0, 200, " px", "dilate_px")
        self.erode = self._spin(QSpinBox(self), 0, 200, " px", "erode_px")
        self.feather = self._spin(QDoubleSpinBox(self), 0.0, 200.0, " px", "feather_px")
        # 0 (the minimum) = no band set: the refine engine's own default applies
        self.refine_band = self._spin(QDoubleSpinBox(self), 0.0, 100.0, " px", "band")
        self.refine_band.setSpecialValueText("Engine default")
        self.refine_method = QComboBox(self)
        self.refine_method.addItems(list(REFINE_METHODS))
        self.refine_method.currentTextChanged.connect(lambda _t: self._ops_changed("method"))
        form.addRow("Dilate", self.dilate)
        form.addRow("Erode", self.erode)
        form.addRow("Feather", self.feather)
        form.addRow("Refine band", self.refine_band)
        form.addRow("Refine method", self.refine_method)
        self.show_object(None, "")

    def _spin(self, spin, lo, hi, suffix: str, field: str):
        spin.setRange(lo, hi)
        spin.setSuffix(suffix)
        spin.setKeyboardTracking(False)
        spin.valueChanged.connect(lambda _v: self._ops_changed(field))
        return spin

    # -- model → view ----------------------------------------------------------------------
    def show_object(self, project: QtProject | None, obj_id: str) -> None:
        """Mirror ``obj_id`` of ``project`` (disabled when none); never pushes commands."""
        self.project = project
        ok = project is not None and bool(obj_id) and project.doc.has_object(obj_id)
        self.obj_id = obj_id if ok else ""
        self.setEnabled(ok)
        if not ok:
            return
        obj = project.doc.object(obj_id)
        self._updating = True
        try:
            self.name.setText(obj.name)
            self.colour.setStyleSheet(f"background-color: rgb{tuple(obj.color)};")
            self.colour.setText(QColor(*obj.color).name())
            for task in ENGINE_TASKS:
                self._show_engine(task, obj.engines.get(task, "auto"))
            ops = obj.mask_ops
            self.dilate.setValue(ops.dilate_px)
            self.erode.setValue(ops.erode_px)
            self.feather.setValue(ops.feather_px)
            self.refine_band.setValue(float(ops.refine.get("band", 0.0)))
            self.refine_method.setCurrentText(str(ops.refine.get("method", "auto")))
        finally:
            self._updating = False

    def refresh(self) -> None:
        self.show_object(self.project, self.obj_id)

    def refresh_engines(self) -> None:
        """Refill the engine combos from the registry (after models were pulled, the models
        folder changed or engines were registered); the object's choices stay selected."""
        was, self._updating = self._updating, True
        try:
            for task, combo in self.engines.items():
                combo.clear()
                for label, engine_id in engine_choices(task):
                    combo.addItem(label, engine_id)
        finally:
            self._updating = was
        self.refresh()

    def _show_engine(self, task: str, engine_id: str) -> None:
        """Select ``engine_id`` in the task's combo; an id the registry does not know (a
        project from another install, a plug-in that is gone) is shown as "<id> (not
        available)" rather than passed off as Auto, and stays chosen until the user picks
        another engine."""
        combo = self.engines[task]
        for i in reversed(range(combo.count())):  # an earlier object's unknown id
            if combo.itemData(i, Qt.ItemDataRole.UserRole + 1):
                combo.removeItem(i)
        index = combo.findData(engine_id)
        if index < 0:
            combo.addItem(f"{engine_id} (not available)", engine_id)
            index = combo.count() - 1
            combo.setItemData(index, True, Qt.ItemDataRole.UserRole + 1)
            combo.setItemData(
                index,
                f"'{engine_id}' is not a registered {task} engine here",
                Qt.ItemDataRole.ToolTipRole,
            )
        combo.setCurrentIndex(index)

    # -- view → commands -------------------------------------------------------------------
    def _editable(self) -> bool:
        return not self._updating and self.project is not None and bool(self.obj_id)

    def _rename(self) -> None:
        if self._editable():
            name = self.name.text().strip()
            if not name:
                self.refresh()  # an empty name is refused: show the current one again
                return
            self.project.rename(self.obj_id, name)

    def _pick_colour(self) -> None:
        if not self._editable():
            return
        current = QColor(*self.project.doc.object(self.obj_id).color)
        colour = QColorDialog.getColor(current, self, "Object colour")
        if colour.isValid():
            self.set_colour(colour)

    def set_colour(self, colour: QColor) -> None:
        if self._editable():
            rgb = (colour.red(), colour.green(), colour.blue())
            self.project.set_property(self.obj_id, "color", rgb)

    def _engine_changed(self, task: str) -> None:
        if not self._editable():
            return
        obj = self.project.doc.object(self.obj_id)
        engines = dict(obj.engines)
        chosen = self.engines[task].currentData()
        if chosen == "auto":
            engines.pop(task, None)
        else:
            engines[task] = chosen
        if engines != obj.engines:
            label = f"Set {obj.name} {task.capitalize()} Engine"
            self.project.set_property(self.obj_id, "engines", engines, label=label)

    def _ops_changed(self, field: str) -> None:
        """Write only ``field`` (the widget that changed): the others keep their values,
        unset refine options stay unset (the engine's own default applies)."""
        if not self._editable():
            return
        obj = self.project.doc.object(self.obj_id)
        ops = obj.mask_ops
        if field in ("band", "method"):
            refine = dict(ops.refine)
            value = (
                float(self.refine_band.value())
                if field == "band"
                else self.refine_method.currentText()
            )
            if value in (0.0, "auto"):  # the special "Engine default" / "auto": unset
                refine.pop(field, None)
            else:
                refine[field] = value
            new = replace(ops, refine=refine)
        else:
            widget = {"dilate_px": self.dilate, "erode_px": self.erode, "feather_px": self.feather}
            kind = float if field == "feather_px" else int
            new = replace(ops, **{field: kind(widget[field].value())})
        if new != ops:
            label = f"Set {obj.name} {OPS_LABELS[field]}"
            self.project.set_property(
                self.obj_id, "mask_ops", new, merge=("mask_ops", field), label=label
            )

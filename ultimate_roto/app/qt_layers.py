"""Layers / Objects dock: the document's objects with colour, visibility and add/remove."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.qt_project import QtProject


def swatch(rgb: tuple[int, int, int]) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(QColor(*rgb))
    return QIcon(pix)


class QtLayersPanel(QWidget):
    """A view of :class:`QtProject`'s objects; every change goes through the project's commands."""

    current_changed = Signal(str)  # object id, "" for none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: QtProject | None = None
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Object", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 180)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current)
        self.add_button = QPushButton("+ Add", self)
        self.add_button.setToolTip("Add an object (undoable)")
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton("− Remove", self)
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_project(self, project: QtProject | None) -> None:
        self.project = project
        if project is not None:
            project.objects_changed.connect(self.refresh)
            project.keyframes_changed.connect(lambda _id: self.refresh())
        self.refresh()

    def current_id(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else ""

    def refresh(self) -> None:
        """Mirror the document (which holds the truth); items are updated in place when the
        object list is unchanged, because a change may come from inside an item's own signal."""
        objects = list(reversed(self.project.doc.objects)) if self.project is not None else []
        ids = [obj.id for obj in objects]
        self.tree.blockSignals(True)
        if ids != [self._item_id(i) for i in range(self.tree.topLevelItemCount())]:
            keep = self.current_id()
            self.tree.clear()
            for obj in objects:
                item = QTreeWidgetItem()
                item.setData(0, Qt.ItemDataRole.UserRole, obj.id)
                item.setFlags(
                    item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable
                )
                self.tree.addTopLevelItem(item)
                if obj.id == keep:
                    self.tree.setCurrentItem(item)
        for row, obj in enumerate(objects):
            item = self.tree.topLevelItem(row)
            item.setText(0, obj.name)
            item.setText(1, str(len(obj.keyframes)))
            item.setIcon(0, swatch(obj.color))
            item.setCheckState(0, Qt.CheckState.Checked if obj.visible else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        self.current_changed.emit(self.current_id())
        self._update_buttons()

    def _item_id(self, row: int) -> str:
        return self.tree.topLevelItem(row).data(0, Qt.ItemDataRole.UserRole)

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(self.project is not None)
        self.remove_button.setEnabled(self.project is not None and bool(self.current_id()))

    def _add(self) -> None:
        self.add_object()

    def add_object(self, name: str | None = None) -> str:
        """Add an object through the stack and make it current; returns its id ("" if none)."""
        if self.project is None:
            return ""
        obj_id = self.project.add_object(name)
        self.select(obj_id)
        return obj_id

    def select(self, obj_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == obj_id:
                self.tree.setCurrentItem(item)

    def _remove(self) -> None:
        if self.project is not None and self.current_id():
            self.project.remove_object(self.current_id())

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self.project is None or column != 0:
            return
        obj_id = item.data(0, Qt.ItemDataRole.UserRole)
        visible = item.checkState(0) == Qt.CheckState.Checked
        name = item.text(0).strip()
        self.project.set_visible(obj_id, visible)
        self.project.rename(obj_id, name)

    def _current(self, *_args: object) -> None:
        self._update_buttons()
        self.current_changed.emit(self.current_id())

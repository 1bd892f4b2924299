"""History panel: the command stack as a list (current step highlighted); click to go there."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ultimate_roto.app.qt_project import QtProject

ORIGIN = "— opened —"


class QtHistoryPanel(QListWidget):
    """Row 0 is the state before any command; row i is "after command i". Clicking a row
    undoes or redoes to it through the project's stack."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: QtProject | None = None
        self.itemClicked.connect(self._clicked)

    def set_project(self, project: QtProject | None) -> None:
        self.project = project
        if project is not None:
            project.stack_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.blockSignals(True)
        self.clear()
        stack = self.project.stack if self.project is not None else None
        labels = [ORIGIN] + ([stack.command(i).text for i in range(len(stack))] if stack else [])
        current = stack.index if stack else 0
        for row, text in enumerate(labels):
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, row)
            if row > current:
                item.setForeground(Qt.GlobalColor.gray)  # undone: redo reaches it
            if stack is not None and row == current and stack.is_clean:
                item.setText(f"{text}   (saved)")
            if row == current:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.addItem(item)
        self.setCurrentRow(current)
        self.blockSignals(False)

    def labels(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]

    def go_to(self, index: int) -> None:
        """Undo or redo until ``index`` commands are applied."""
        if self.project is None:
            return
        stack = self.project.stack
        index = max(0, min(len(stack), index))
        while stack.index > index and stack.can_undo:
            stack.undo()
        while stack.index < index and stack.can_redo:
            stack.redo()

    def _clicked(self, item: QListWidgetItem) -> None:
        self.go_to(int(item.data(Qt.ItemDataRole.UserRole)))

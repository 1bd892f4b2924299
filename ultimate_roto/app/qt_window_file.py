"""Main-window File work: open media/projects, save, recent files, unsaved changes, autosave, recovery."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ultimate_roto.app.qt_project import QtProject, is_project_file
from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.project import (
    Autosaver,
    RecoveryCandidate,
    find_recovery,
    load_project,
    remove_autosave,
)

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)
MEDIA_FILTER = (
    "Media or project (*.roto *.mp4 *.mov *.mkv *.avi *.mxf *.webm *.exr *.dpx *.png *.tif"
    " *.tiff *.jpg);;Roto project (*.roto);;All files (*)"
)
MAX_RECENT = 10
Button = QMessageBox.StandardButton


def open_reader(path: str | Path):
    """Open media through core.media (raises MediaError with a hint on failure)."""
    from ultimate_roto.core.media import open_media

    return open_media(path)


class WindowFileMixin:
    """Part of :class:`QtMainWindow`: everything behind the File menu."""

    # -- opening ---------------------------------------------------------------------------
    def open_dialog(self: QtMainWindow) -> None:
        start = str(self.settings.value("last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open media or project", start, MEDIA_FILTER)
        if path:
            self.open_path(path)

    def open_path(self: QtMainWindow, path: str | Path) -> bool:
        """Open media or a project; on failure show an error dialog and keep the session."""
        if not self.confirm_discard("opening another file"):
            return False
        try:
            project = self._load_project(path) if is_project_file(path) else None
            media = project.doc.shot.media_path if project is not None else path
            reader = open_reader(media)
        except (RotoError, OSError, ValueError) as exc:
            log.error("cannot open %s: %s", path, exc)
            QMessageBox.critical(self, "Cannot open", f"{exc}")
            return False
        self.set_reader(reader, project)
        self._remember(str(path))
        return True

    def _load_project(self: QtMainWindow, path: str | Path) -> QtProject:
        """The project at ``path``, or its newer autosave when the user accepts recovery."""
        found = find_recovery(path)
        if found is not None and self.offer_recovery(found):
            project = QtProject(load_project(found.path), str(path), self)
            project.doc.set_modified(True)
            self._recovered = found.path
            return project
        return QtProject.load(path, self)

    def offer_recovery(self: QtMainWindow, found: RecoveryCandidate) -> bool:
        """Ask whether to restore an autosave (No removes it); True to restore."""
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(found.mtime))
        what = found.autosave_of.name if found.autosave_of else "an unsaved session"
        answer = QMessageBox.question(
            self,
            "Recover unsaved work?",
            f"An autosave of {what} from {when} is newer than the saved project.\n\n"
            "Yes restores it (save to keep it); No deletes the autosave.",
            Button.Yes | Button.No,
            Button.Yes,
        )
        if answer == Button.Yes:
            return True
        remove_autosave(found.path)
        return False

    def recover_unsaved_session(self: QtMainWindow) -> bool:
        """At start: offer the autosave of a session that ended without saving (a crash)."""
        found = find_recovery(None, self.autosave_dir)
        if found is None or not self.offer_recovery(found):
            return False
        try:
            doc = load_project(found.path)
            reader = open_reader(doc.shot.media_path)
        except (RotoError, OSError, ValueError) as exc:
            QMessageBox.critical(self, "Cannot recover", str(exc))
            return False
        project = QtProject(doc, None, self)
        doc.set_modified(True)
        self.set_reader(reader, project)
        remove_autosave(found.path)  # the running session autosaves it again under its own name
        return True

    # -- the project -----------------------------------------------------------------------
    def _set_project(self: QtMainWindow, project: QtProject) -> None:
        self._stop_autosave()
        if self.project is not None:
            self.project.deleteLater()
        self.project = project
        self._propagated = {}
        project.stack_changed.connect(self._stack_changed)
        project.dirty_changed.connect(self.setWindowModified)
        project.keyframes_changed.connect(lambda _id: self._refresh_keys())
        project.objects_changed.connect(self._refresh_keys)
        project.objects_changed.connect(self._show_mask)
        project.objects_changed.connect(self.inspector.object_panel.refresh)
        project.mask_changed.connect(self._mask_changed)
        project.prompts_changed.connect(lambda _o, _f: self._show_prompts())
        project.flags_changed.connect(lambda _o, _f: self._show_flags())
        self.tools.set_document(project.doc, project.stack)
        self.tools.set_frame(self.current_frame)
        self.layers.set_project(project)
        self.history.set_project(project)
        self._refresh_keys()
        self._stack_changed()
        self.setWindowModified(project.doc.modified)
        self._start_autosave()

    def _start_autosave(self: QtMainWindow) -> None:
        if self.project is None or self.prefs.autosave_s <= 0:
            return
        path = self.project.path
        folder = None if path else self.autosave_dir
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.autosaver = Autosaver(self.project.doc, path, self.prefs.autosave_s, folder)
        self.autosaver.start()

    def _stop_autosave(self: QtMainWindow, discard: bool = False) -> None:
        if self.autosaver is not None:
            self.autosaver.stop(discard=discard)
            self.autosaver = None

    def _refresh_keys(self: QtMainWindow) -> None:
        for obj_id in list(self.timeline._keys):
            self.timeline.remove_keyframes(obj_id)
        if self.project is not None:
            for obj in self.project.doc.objects:
                self.timeline.set_keyframes(obj.id, obj.keyframes, QColor(*obj.color))

    def _stack_changed(self: QtMainWindow) -> None:
        """Mirror the command stack on Edit > Undo/Redo with readable labels."""
        stack = self.project.stack if self.project is not None else None
        undo, redo = self.registry.action("edit.undo"), self.registry.action("edit.redo")
        undo.setEnabled(bool(stack and stack.can_undo))
        redo.setEnabled(bool(stack and stack.can_redo))
        undo.setText(f"Undo {stack.undo_text}" if stack and stack.can_undo else "Undo")
        redo.setText(f"Redo {stack.redo_text}" if stack and stack.can_redo else "Redo")

    def _undo(self: QtMainWindow) -> None:
        if self.project is not None and self.project.stack.can_undo:
            self.project.undo()

    def _redo(self: QtMainWindow) -> None:
        if self.project is not None and self.project.stack.can_redo:
            self.project.redo()

    # -- saving ----------------------------------------------------------------------------
    def save_project(self: QtMainWindow) -> bool:
        if self.project is None:
            return False
        if not self.project.path:
            return self.save_project_as()
        return self._save_to(self.project.path)

    def save_project_as(self: QtMainWindow) -> bool:
        if self.project is None:
            return False
        start = self.project.path or str(
            Path(str(self.settings.value("last_dir", "."))) / "shot.roto"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, "Roto project (*.roto)")
        return bool(path) and self._save_to(path)

    def _save_to(self: QtMainWindow, path: str) -> bool:
        renamed = self.project.path != str(Path(path).with_suffix(".roto"))
        try:
            saved = self.project.save(path)
        except (RotoError, OSError, ValueError) as exc:
            log.error("cannot save %s: %s", path, exc)
            QMessageBox.critical(self, "Cannot save project", str(exc))
            return False
        if renamed or self.autosaver is None:  # autosaves follow the project file
            self._stop_autosave(discard=True)
            self._start_autosave()
        if self._recovered is not None:
            remove_autosave(self._recovered)
            self._recovered = None
        self._remember(saved)
        self.setWindowTitle(f"{Path(saved).name}[*] — Ultimate Roto")
        self.statusBar().showMessage(f"saved {saved}", 4000)
        return True

    def confirm_discard(self: QtMainWindow, doing: str = "closing") -> bool:
        """Unsaved changes? Ask Save / Discard / Cancel; True when it is fine to go on."""
        if self.project is None or not self.project.doc.modified:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"The project has unsaved changes. Save them before {doing}?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )
        if answer == Button.Save:
            return self.save_project()
        return answer == Button.Discard

    # -- recent files ----------------------------------------------------------------------
    def _remember(self: QtMainWindow, path: str) -> None:
        recent = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", [path, *recent][:MAX_RECENT])
        self.settings.setValue("last_dir", str(Path(path).parent))

    def recent_files(self: QtMainWindow) -> list[str]:
        value = self.settings.value("recent_files", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _fill_recent(self: QtMainWindow) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(no recent files)").setEnabled(False)

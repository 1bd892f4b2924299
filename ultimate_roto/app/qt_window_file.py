"""Main-window File work: open media/projects, save, recent files, unsaved changes, autosave, recovery."""

from __future__ import annotations

import functools
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
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
from ultimate_roto.core.project.autosave import process_running
from ultimate_roto.core.project.persist import PROJECT_SUFFIX

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)
SESSIONS = "session/open"  # QSettings group: "<pid>_<start time>" = project path ("" unsaved)


def media_filter() -> str:
    """The Open dialog's filter, from core.media's own extension lists (one frame of a
    numbered sequence opens the whole sequence)."""
    from ultimate_roto.core.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    def globs(exts) -> str:
        return " ".join(f"*{e}" for e in exts)

    media = (*VIDEO_EXTENSIONS, *IMAGE_EXTENSIONS)
    return ";;".join(
        (
            f"Media or project (*{PROJECT_SUFFIX} {globs(media)})",
            f"Roto project (*{PROJECT_SUFFIX})",
            f"Video ({globs(VIDEO_EXTENSIONS)})",
            f"Image sequence, one frame of it ({globs(IMAGE_EXTENSIONS)})",
            "All files (*)",
        )
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
        path, _ = QFileDialog.getOpenFileName(self, "Open media or project", start, media_filter())
        if path:
            self.open_path(path)

    def open_folder_dialog(self: QtMainWindow) -> None:
        """File > Open sequence folder: a folder holding one image sequence."""
        start = str(self.settings.value("last_dir", str(Path.home())))
        path = QFileDialog.getExistingDirectory(self, "Open image sequence folder", start)
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
        """The project at ``path``, or its newer autosave when the user accepts recovery
        (never this session's own live autosave: the user just chose to discard it)."""
        found = find_recovery(path)
        if found is not None and self.autosaver is not None and found.path == self.autosaver.path:
            found = None
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
        """At start: offer the autosave of a session that ended without saving (a crash):
        first the saved projects open in sessions that are gone, then unsaved sessions' work.
        True when one was restored."""
        for project_path in self._crashed_sessions():
            found = find_recovery(project_path)
            accepted = found is not None and self.offer_recovery(found)
            if accepted and self._open_recovered(found, project_path):
                return True
        seen: set[Path] = set()
        while (found := find_recovery(None, self.autosave_dir)) is not None:
            if found.path in seen:  # "No" could not delete it: ask once
                return False
            seen.add(found.path)
            if self.offer_recovery(found):
                return self._open_recovered(found, None)
        return False

    def _open_recovered(self: QtMainWindow, found: RecoveryCandidate, project: str | None) -> bool:
        """Show an autosave's document as the (modified) project it belongs to."""
        try:
            doc = load_project(found.path)
            reader = open_reader(doc.shot.media_path)
        except (RotoError, OSError, ValueError) as exc:
            QMessageBox.critical(self, "Cannot recover", str(exc))
            return False
        doc.set_modified(True)
        self.set_reader(reader, QtProject(doc, project, self))
        if project is None:  # the running session autosaves it again under its own name
            remove_autosave(found.path)
        else:  # its autosaver writes that same file; saving removes it
            self._recovered = found.path
            self._remember(project)
        log.info("recovered %s", found.path)
        return True

    # -- the session record (what a crash leaves behind) -------------------------------------
    def _session_key(self: QtMainWindow) -> str:
        return _session_key()

    def _record_session(self: QtMainWindow) -> None:
        """Note the open project while running (cleared by a clean close)."""
        path = self.project.path if self.project is not None else None
        self.settings.setValue(self._session_key(), str(Path(path).absolute()) if path else "")
        self.settings.sync()

    def end_session(self: QtMainWindow, keep: bool = False) -> None:
        """Closing: forget this session's record unless its autosave is kept (signal close)."""
        if not keep:
            self.settings.remove(self._session_key())
            self.settings.sync()

    def _crashed_sessions(self: QtMainWindow) -> list[str]:
        """Project paths recorded by sessions whose process is gone (records removed)."""
        self.settings.beginGroup(SESSIONS)
        records = {k: str(self.settings.value(k) or "") for k in self.settings.childKeys()}
        self.settings.endGroup()
        paths = []
        for key, path in records.items():
            pid, _, started = key.partition("_")
            try:
                alive = process_running(int(pid), float(started))
            except ValueError:  # a damaged record: nobody owns it
                alive = False
            if alive:  # another instance runs with that project open
                continue
            self.settings.remove(f"{SESSIONS}/{key}")
            if path:
                paths.append(path)
        self.settings.sync()
        return paths

    # -- the project -----------------------------------------------------------------------
    def _set_project(self: QtMainWindow, project: QtProject) -> None:
        self._stop_autosave(discard=self._discarded)  # "Discard" means the autosave too
        self._discarded = False
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
        self._record_session()

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
        # a drag in progress is cancelled first (its live edit put back): undoing under it
        # would change what the drag records, e.g. remove the prompts it moves
        self.tools.cancel()
        if self.project is not None and self.project.stack.can_undo:
            self.project.undo()

    def _redo(self: QtMainWindow) -> None:
        self.tools.cancel()
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
        self._record_session()
        self.setWindowTitle(f"{Path(saved).name}[*] — Ultimate Roto")
        self.statusBar().showMessage(f"saved {saved}", 4000)
        return True

    def confirm_discard(self: QtMainWindow, doing: str = "closing") -> bool:
        """Unsaved changes? Ask Save / Discard / Cancel; True when it is fine to go on.

        After "Discard" the next project replacing this one removes its autosave too (else
        the discarded work would come back as crash recovery)."""
        self._discarded = False
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
        self._discarded = answer == Button.Discard
        return self._discarded

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


@functools.cache
def _session_key() -> str:
    """This process's session record key (its pid and start time never change)."""
    return f"{SESSIONS}/{os.getpid()}_{int(psutil.Process().create_time())}"

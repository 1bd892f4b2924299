"""The workstation window: docks, menus, shortcuts, media opening, playback and layout memory."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QCloseEvent, QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.qt_layers import QtLayersPanel
from ultimate_roto.app.qt_log import QtLogPanel
from ultimate_roto.app.qt_panels import TOOLS, QtInspector, QtThumbnailStrip, QtToolPalette
from ultimate_roto.app.qt_playback import QtPlayback
from ultimate_roto.app.qt_project import QtProject, is_project_file
from ultimate_roto.app.qt_session import QtMediaSession
from ultimate_roto.app.qt_shortcuts import QtActionRegistry, QtPreferencesDialog, QtShortcutsDialog
from ultimate_roto.app.qt_system import QtSystemPanel
from ultimate_roto.app.qt_theme import icon
from ultimate_roto.app.qt_transport import QtTimelinePanel
from ultimate_roto.app.qt_viewer import QtViewerPanel
from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.media.types import MediaReader

log = logging.getLogger(__name__)
MEDIA_FILTER = (
    "Media (*.mp4 *.mov *.mkv *.avi *.mxf *.webm *.exr *.dpx *.png *.tif *.tiff *.jpg)"
    ";;All files (*)"
)
MAX_RECENT = 10
DOCKS = (  # object name, title, area
    ("tools", "Tools", Qt.DockWidgetArea.LeftDockWidgetArea),
    ("layers", "Layers / Objects", Qt.DockWidgetArea.RightDockWidgetArea),
    ("inspector", "Inspector", Qt.DockWidgetArea.RightDockWidgetArea),
    ("system", "System", Qt.DockWidgetArea.RightDockWidgetArea),
    ("thumbnails", "Thumbnails", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("timeline", "Timeline", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("log", "Log / Jobs", Qt.DockWidgetArea.BottomDockWidgetArea),
)


def open_reader(path: str | Path) -> MediaReader:
    """Open media through core.media (raises MediaError with a hint on failure)."""
    from ultimate_roto.core.media import open_media

    return open_media(path)


class QtMainWindow(QMainWindow):
    """Main window. ``settings`` defaults to the application's QSettings (tests pass their own)."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.setObjectName("UltimateRotoMainWindow")
        self.setWindowTitle("Ultimate Roto")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.session: QtMediaSession | None = None
        self.project: QtProject | None = None
        self.current_frame = 0
        self.playback = QtPlayback(self)
        self.registry = QtActionRegistry(self, self.settings)
        self._build_panels()
        self._build_docks()
        self._build_menus()
        self._connect()
        self._default_state = self.saveState()
        self._restore_layout()
        self.statusBar().showMessage("Ready — drop media here or use File > Open…", 6000)

    # -- construction ----------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.viewer = QtViewerPanel(self)
        self.viewport = self.viewer.viewport
        self.setCentralWidget(self.viewer)
        self.transport = QtTimelinePanel(self.playback, self)
        self.timeline = self.transport.timeline
        self.inspector = QtInspector(self)
        self.layers = QtLayersPanel(self)
        self.thumbnails = QtThumbnailStrip(self)
        self.log_panel = QtLogPanel(self)
        self.system = QtSystemPanel(parent=self)
        icons = {name: icon(name) for name in TOOLS}
        self.tool_palette = QtToolPalette(self.registry.actions, icons, self)
        self.tool_label = QLabel("Tool: Select", self)
        self.frame_label = QLabel("", self)
        self.statusBar().addPermanentWidget(self.tool_label)
        self.statusBar().addPermanentWidget(self.frame_label)
        logging.getLogger("ultimate_roto").addHandler(self.log_panel.bridge)
        logging.getLogger("ultimate_roto").setLevel(logging.INFO)

    def _build_docks(self) -> None:
        content = {
            "tools": self.tool_palette,
            "layers": self.layers,
            "inspector": self.inspector,
            "system": self.system,
            "thumbnails": self.thumbnails,
            "timeline": self.transport,
            "log": self.log_panel,
        }
        self.docks: dict[str, QDockWidget] = {}
        for name, title, area in DOCKS:
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(content[name])
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.splitDockWidget(self.docks["layers"], self.docks["inspector"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["inspector"], self.docks["system"])
        self.splitDockWidget(
            self.docks["thumbnails"], self.docks["timeline"], Qt.Orientation.Vertical
        )
        self.tabifyDockWidget(self.docks["thumbnails"], self.docks["log"])
        self.docks["inspector"].raise_()
        self.docks["thumbnails"].raise_()
        self.resizeDocks(
            [self.docks["layers"], self.docks["inspector"]], [220, 420], Qt.Orientation.Vertical
        )
        self.resizeDocks([self.docks["inspector"]], [330], Qt.Orientation.Horizontal)
        self.resizeDocks(
            [self.docks["thumbnails"], self.docks["timeline"]], [120, 110], Qt.Orientation.Vertical
        )
        self.resize(1600, 960)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction("&Open…", self.open_dialog).setShortcut("Ctrl+O")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        self.save_action = file_menu.addAction("&Save", self.save_project)
        self.save_action.setShortcut("Ctrl+S")
        file_menu.addAction("Save &As…", self.save_project_as).setShortcut("Ctrl+Shift+S")
        file_menu.addSeparator()
        file_menu.addAction("&Quit", self.close).setShortcut("Ctrl+Q")
        edit = bar.addMenu("&Edit")
        edit.addAction(self.registry.action("edit.undo"))
        edit.addAction(self.registry.action("edit.redo"))
        edit.addSeparator()
        edit.addAction("&Preferences…", self.show_preferences)
        self.view_menu = bar.addMenu("&View")
        for name, _title, _area in DOCKS:
            self.view_menu.addAction(self.docks[name].toggleViewAction())
        self.view_menu.addSeparator()
        for action_id in ("view.fit", "view.one_to_one", "view.show_all", "view.toggle_overlay"):
            self.view_menu.addAction(self.registry.action(action_id))
        self.view_menu.addSeparator()
        self.view_menu.addAction("&Reset layout", self.reset_layout)
        playback = bar.addMenu("&Playback")
        for spec in self.registry.keymap.actions.values():
            if spec.group in ("Playback", "Timeline"):
                playback.addAction(self.registry.action(spec.id))
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&Keyboard Shortcuts", self.show_shortcuts).setShortcut("F1")
        help_menu.addAction("&About Ultimate Roto", self._about)

    def _connect(self) -> None:
        r, t, v, pb = self.registry, self.timeline, self.viewport, self.playback
        r.connect("playback.toggle", pb.toggle)
        r.connect("playback.reverse", lambda: pb.shuttle(-1))
        r.connect("playback.stop", pb.stop)
        r.connect("playback.forward", lambda: pb.shuttle(1))
        r.connect("timeline.set_in", t.set_in)
        r.connect("timeline.set_out", t.set_out)
        r.connect("timeline.prev_key", lambda: self._jump_key(-1))
        r.connect("timeline.next_key", lambda: self._jump_key(1))
        r.connect("timeline.step_back", lambda: self.go_to(self.current_frame - 1))
        r.connect("timeline.step_forward", lambda: self.go_to(self.current_frame + 1))
        r.connect("timeline.first", lambda: self.go_to(t.in_point))
        r.connect("timeline.last", lambda: self.go_to(t.out_point))
        r.connect("view.fit", v.fit)
        r.connect("view.one_to_one", v.one_to_one)
        r.connect("view.show_all", lambda: self.set_channel("RGB"))
        r.connect("view.toggle_overlay", self.toggle_overlay)
        r.action("view.fit").setIcon(icon("fit"))
        r.action("view.toggle_overlay").setIcon(icon("overlay"))
        t.frame_changed.connect(self._user_frame)
        self.thumbnails.frame_activated.connect(self._user_frame)
        pb.frame_changed.connect(self.go_to)
        self.tool_palette.tool_changed.connect(self._tool_changed)
        ins = self.inspector
        ins.exposure_changed.connect(v.set_exposure)
        ins.gamma_changed.connect(v.set_gamma)
        ins.channel_changed.connect(self.set_channel)
        ins.linear_changed.connect(v.set_linear)
        ins.overlay_toggled.connect(self._overlay_from_inspector)
        ins.overlay_opacity_changed.connect(self._set_overlay_opacity)
        self.layers.current_changed.connect(lambda _id: self._show_mask())
        r.connect("edit.undo", self._undo)
        r.connect("edit.redo", self._redo)
        self._stack_changed()

    # -- media -----------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(self.settings.value("last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open media", start, MEDIA_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open media or a project; on failure show an error dialog, keep the current state."""
        try:
            project = QtProject.load(path, self) if is_project_file(path) else None
            media = project.doc.shot.media_path if project is not None else path
            reader = open_reader(media)
        except (RotoError, OSError, ValueError) as exc:
            log.error("cannot open %s: %s", path, exc)
            QMessageBox.critical(self, "Cannot open", f"{exc}")
            return False
        self.set_reader(reader, project)
        self._remember(str(path))
        return True

    def set_reader(
        self, reader: MediaReader | ArrayReader, project: QtProject | None = None
    ) -> None:
        """Show ``reader``'s frames (the window takes ownership and closes it)."""
        self.playback.stop()
        self._close_session()
        self.session = QtMediaSession(reader, self)
        info = self.session.info
        self.session.frame_loaded.connect(self._frame_loaded)
        self.session.frame_failed.connect(self._frame_failed)
        self.session.thumbnail_loaded.connect(self._thumbnail_loaded)
        self.playback.configure(info.fps, info.first_frame, info.last_frame)
        self.transport.set_range(info.first_frame, info.last_frame, info.fps)
        self.inspector.show_media(info)
        self._set_project(project or QtProject.for_media(info, self))
        self.viewer.show_media(
            f"{self.session.name}   {info.width}×{info.height}   {float(info.fps):.3g} fps"
        )
        self.system.set_cache_stats(self.session.cache_summary)
        self._thumbs = self.session.request_thumbnails()
        self._thumbs_done = 0
        self.thumbnails.set_frames(self._thumbs)
        self.log_panel.job_started("thumbs", f"Thumbnails of {self.session.name}")
        self.setWindowTitle(f"{self.session.name}[*] — Ultimate Roto")
        self.current_frame = info.first_frame - 1
        self.go_to(info.first_frame)
        log.info("opened %s (%d frames)", info.path, info.frame_count)

    def go_to(self, frame: int) -> None:
        """Make ``frame`` current: playhead, readouts and a background decode request."""
        if self.session is None:
            return
        info = self.session.info
        frame = min(info.last_frame, max(info.first_frame, frame))
        if frame == self.current_frame:
            return
        self.current_frame = frame
        self.transport.show_frame(frame)
        self.thumbnails.show_current(frame)
        self.frame_label.setText(f"frame {frame}")
        self.session.request(frame)
        self._show_mask()

    def _user_frame(self, frame: int) -> None:
        self.playback.set_current(frame)
        self.go_to(frame)

    def _frame_loaded(self, frame: int, data: np.ndarray) -> None:
        if self.session is None or abs(frame - self.current_frame) > 2 * abs(
            self.playback.clock.speed or 1
        ):
            return  # a stale result for a frame we already left
        self.viewport.set_frame(data)
        self.timeline.set_cached_frames(self.session.cached_frames())

    def _thumbnail_loaded(self, frame: int, rgb: np.ndarray) -> None:
        self.thumbnails.set_thumbnail(frame, rgb)
        self._thumbs_done += 1
        self.log_panel.job_progress("thumbs", self._thumbs_done / max(1, len(self._thumbs)))
        if self._thumbs_done == len(self._thumbs):
            self.log_panel.job_finished("thumbs")

    def _frame_failed(self, frame: int, message: str) -> None:
        self.statusBar().showMessage(f"frame {frame}: {message}", 5000)

    def _close_session(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            self.session = None

    def _remember(self, path: str) -> None:
        recent = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", [path, *recent][:MAX_RECENT])
        self.settings.setValue("last_dir", str(Path(path).parent))

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            self.recent_menu.addAction(path, lambda p=path: self.open_path(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(no recent files)").setEnabled(False)

    # -- drag and drop ---------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(files[0])

    # -- view ------------------------------------------------------------------------------
    def set_channel(self, channel: str) -> None:
        self.viewport.set_channel(channel)
        self.inspector.show_channel(channel)
        self.viewer.show_channel(channel)

    def toggle_overlay(self) -> None:
        self.viewport.toggle_overlay()
        self.inspector.show_overlay(self.viewport.settings.overlay_visible)

    def _overlay_from_inspector(self, visible: bool) -> None:
        self.viewport.set_overlay_visible(visible)

    def _set_overlay_opacity(self, opacity: float) -> None:
        self.viewport.settings.overlay_opacity = opacity
        self.viewport.update()

    def _show_mask(self) -> None:
        """Overlay the selected object's mask on the current frame, in its colour."""
        obj_id = self.layers.current_id()
        if self.project is None or not self.project.doc.has_object(obj_id) or not self.session:
            self.viewport.set_mask(None)
            return
        obj = self.project.doc.object(obj_id)
        if not obj.visible:
            self.viewport.set_mask(None)
            return
        mask = self.project.doc.mask(obj_id, self.current_frame)
        self.viewport.set_mask(mask, tuple(c / 255.0 for c in obj.color))

    def _tool_changed(self, name: str) -> None:
        self.tool_label.setText(f"Tool: {name.capitalize()}")
        self.inspector.tool_label.setText(name.capitalize())

    def _jump_key(self, direction: int) -> None:
        frame = self.timeline.neighbour_keyframe(direction)
        if frame is None:
            self.statusBar().showMessage(
                "no keyframe " + ("after" if direction > 0 else "before") + " this frame", 2000
            )
        else:
            self._user_frame(frame)

    # -- layout ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray) and not self.restoreState(state):
            log.warning("saved window layout is unreadable; using the default layout")

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def reset_layout(self) -> None:
        """View > Reset layout: every dock back where it started, visible and docked."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state)
        for name in ("inspector", "thumbnails"):
            self.docks[name].raise_()

    # -- dialogs ---------------------------------------------------------------------------
    def show_shortcuts(self) -> QtShortcutsDialog:
        dialog = QtShortcutsDialog(self.registry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_preferences(self) -> QtPreferencesDialog:
        dialog = QtPreferencesDialog(self.registry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Ultimate Roto",
            "Ultimate Roto — roto, enhance and deliver.\nPySide6 + OpenGL.",
        )

    # -- project ---------------------------------------------------------------------------
    def _set_project(self, project: QtProject) -> None:
        if self.project is not None:
            self.project.deleteLater()
        self.project = project
        project.stack_changed.connect(self._stack_changed)
        project.dirty_changed.connect(self.setWindowModified)
        project.keyframes_changed.connect(lambda _id: self._refresh_keys())
        project.objects_changed.connect(self._refresh_keys)
        project.objects_changed.connect(self._show_mask)
        project.mask_changed.connect(lambda _o, _f: self._show_mask())
        self.layers.set_project(project)
        self._refresh_keys()
        self._stack_changed()

    def _refresh_keys(self) -> None:
        for obj_id in list(self.timeline._keys):
            self.timeline.remove_keyframes(obj_id)
        if self.project is not None:
            for obj in self.project.doc.objects:
                self.timeline.set_keyframes(obj.id, obj.keyframes, QColor(*obj.color))

    def _stack_changed(self) -> None:
        """Mirror the command stack on Edit > Undo/Redo with readable labels."""
        stack = self.project.stack if self.project is not None else None
        undo, redo = self.registry.action("edit.undo"), self.registry.action("edit.redo")
        undo.setEnabled(bool(stack and stack.can_undo))
        redo.setEnabled(bool(stack and stack.can_redo))
        undo.setText(f"Undo {stack.undo_text}" if stack and stack.can_undo else "Undo")
        redo.setText(f"Redo {stack.redo_text}" if stack and stack.can_redo else "Redo")

    def _undo(self) -> None:
        if self.project is not None and self.project.stack.can_undo:
            self.project.undo()

    def _redo(self) -> None:
        if self.project is not None and self.project.stack.can_redo:
            self.project.redo()

    def save_project(self) -> bool:
        if self.project is None:
            return False
        if not self.project.path:
            return self.save_project_as()
        return self._save_to(self.project.path)

    def save_project_as(self) -> bool:
        if self.project is None:
            return False
        start = self.project.path or str(
            Path(str(self.settings.value("last_dir", "."))) / "shot.roto"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save project", start, "Roto project (*.roto)")
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            saved = self.project.save(path)
        except (RotoError, OSError, ValueError) as exc:
            log.error("cannot save %s: %s", path, exc)
            QMessageBox.critical(self, "Cannot save project", str(exc))
            return False
        self._remember(saved)
        self.statusBar().showMessage(f"saved {saved}", 4000)
        return True

    # -- shutdown --------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_layout()
        for dock in self.docks.values():  # floating docks are top-level windows of their own
            if dock.isFloating():
                dock.hide()
        self.playback.stop()
        self._close_session()
        logging.getLogger("ultimate_roto").removeHandler(self.log_panel.bridge)
        super().closeEvent(event)
        app = QApplication.instance()
        if app is not None:
            app.processEvents()

"""The workstation window: docks, menus, shortcuts, media opening, playback and layout memory."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from ultimate_roto import paths
from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.overlay_cache import OverlayCache
from ultimate_roto.app.qt_history import QtHistoryPanel
from ultimate_roto.app.qt_jobs import QtJobManager
from ultimate_roto.app.qt_layers import QtLayersPanel
from ultimate_roto.app.qt_log import QtLogPanel
from ultimate_roto.app.qt_models import QtModelsPanel
from ultimate_roto.app.qt_panels import TOOLS, QtInspector, QtThumbnailStrip, QtToolPalette
from ultimate_roto.app.qt_playback import QtPlayback
from ultimate_roto.app.qt_prefs import Preferences
from ultimate_roto.app.qt_project import QtProject
from ultimate_roto.app.qt_segment import QtSegmentWorker
from ultimate_roto.app.qt_session import QtMediaSession, make_cache
from ultimate_roto.app.qt_shortcuts import QtActionRegistry
from ultimate_roto.app.qt_system import QtSystemPanel
from ultimate_roto.app.qt_theme import apply_theme, icon, retint_icons
from ultimate_roto.app.qt_tools import QtToolController
from ultimate_roto.app.qt_transport import QtTimelinePanel
from ultimate_roto.app.qt_viewer import QtViewerPanel
from ultimate_roto.app.qt_window_depth import WindowDepthMixin
from ultimate_roto.app.qt_window_file import WindowFileMixin, open_reader
from ultimate_roto.app.qt_window_jobs import WindowJobsMixin
from ultimate_roto.app.qt_window_menus import WindowMenusMixin
from ultimate_roto.app.qt_window_work import WindowWorkMixin
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media.types import MediaReader
from ultimate_roto.core.project import Autosaver

log = logging.getLogger(__name__)
DOCKS = (  # object name, title, area
    ("tools", "Tools", Qt.DockWidgetArea.LeftDockWidgetArea),
    ("layers", "Layers / Objects", Qt.DockWidgetArea.RightDockWidgetArea),
    ("inspector", "Inspector", Qt.DockWidgetArea.RightDockWidgetArea),
    ("history", "History", Qt.DockWidgetArea.RightDockWidgetArea),
    ("system", "System", Qt.DockWidgetArea.RightDockWidgetArea),
    ("models", "Models", Qt.DockWidgetArea.RightDockWidgetArea),
    ("thumbnails", "Thumbnails", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("timeline", "Timeline", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("log", "Log / Jobs", Qt.DockWidgetArea.BottomDockWidgetArea),
)


__all__ = ["DOCKS", "QtMainWindow", "open_reader"]


class QtMainWindow(
    WindowFileMixin,
    WindowMenusMixin,
    WindowWorkMixin,
    WindowJobsMixin,
    WindowDepthMixin,
    QMainWindow,
):
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
        self.segmenter: QtSegmentWorker | None = None
        self.autosaver: Autosaver | None = None
        self._recovered: Path | None = None
        self._discarded = False  # the user chose "Discard" for the project being replaced
        self._propagated: dict[str, tuple[int, int]] = {}  # object → span propagated
        self.prefs = Preferences.load(self.settings)
        self.prefs.apply_models_dir()
        self.autosave_dir = Path(
            str(self.settings.value("autosave_dir", "")) or paths.user_cache_dir() / "autosave"
        )
        self.current_frame = 0
        self.overlays = OverlayCache()  # shown masks/depth (_show_mask/_depth); per media below
        self.playback = QtPlayback(self)
        self.jobs = QtJobManager(self)
        self.tools = QtToolController(self)
        self.registry = QtActionRegistry(self, self.settings)
        self._build_panels()
        self._build_docks()
        self._build_menus()
        self._connect()
        self._restore_geometry()  # the dock layout is restored at the first show
        self.statusBar().showMessage("Ready — drop media here or use File > Open…", 6000)

    # -- construction ----------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.viewer = QtViewerPanel(self)
        self.viewport = self.viewer.viewport
        self.setCentralWidget(self.viewer)
        self.transport = QtTimelinePanel(self.playback, self)
        self.timeline = self.transport.timeline
        self.inspector = QtInspector(self)
        self.inspector_scroll = QScrollArea(self)
        self.inspector_scroll.setWidget(self.inspector)
        self.inspector_scroll.setWidgetResizable(True)
        self.inspector_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.inspector_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.layers = QtLayersPanel(self)
        self.history = QtHistoryPanel(self)
        self.thumbnails = QtThumbnailStrip(self)
        self.log_panel = QtLogPanel(self)
        self.system = QtSystemPanel(parent=self)
        self.models_panel = QtModelsPanel(self.jobs, self)
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
            "inspector": self.inspector_scroll,
            "history": self.history,
            "system": self.system,
            "models": self.models_panel,
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
        self.tabifyDockWidget(self.docks["inspector"], self.docks["history"])
        self.tabifyDockWidget(self.docks["history"], self.docks["system"])
        self.tabifyDockWidget(self.docks["system"], self.docks["models"])
        self.splitDockWidget(
            self.docks["thumbnails"], self.docks["timeline"], Qt.Orientation.Vertical
        )
        self.tabifyDockWidget(self.docks["thumbnails"], self.docks["log"])
        self.docks["inspector"].raise_()
        self.docks["thumbnails"].raise_()
        self.resize(1600, 960)  # dock sizes: WindowMenusMixin.size_docks, at the first show

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
        r.connect(
            "view.matte",
            lambda: self.set_channel("RGB" if v.settings.channel == "Matte" else "Matte"),
        )
        r.connect("view.toggle_overlay", self.toggle_overlay)
        r.connect("tool.cancel", self.tools.cancel_drag)
        r.action("view.fit").setIcon(icon("fit"))
        r.action("view.toggle_overlay").setIcon(icon("overlay"))
        t.frame_changed.connect(self._user_frame)
        self.transport.frame_box.editingFinished.connect(self._frame_typed)
        self.thumbnails.frame_activated.connect(self._user_frame)
        pb.frame_changed.connect(self.go_to)
        v.frame_presented.connect(pb.note_presented)  # actual fps: frames painted
        self.tool_palette.tool_changed.connect(self._tool_changed)
        r.bindings_changed.connect(self.tool_palette.refresh_tooltips)
        ins = self.inspector
        ins.exposure_changed.connect(v.set_exposure)
        ins.gamma_changed.connect(v.set_gamma)
        ins.channel_changed.connect(self.set_channel)
        ins.linear_changed.connect(v.set_linear)
        ins.overlay_toggled.connect(self._overlay_from_inspector)
        ins.overlay_opacity_changed.connect(self._set_overlay_opacity)
        ins.display_view_changed.connect(self.set_display_view)
        ins.depth_toggled.connect(self._depth_toggled)
        self.layers.current_changed.connect(self._object_changed)
        r.connect("edit.undo", self._undo)
        r.connect("edit.redo", self._redo)
        r.connect("jobs.propagate", lambda: self.propagate("both"))
        r.connect("jobs.refine", self.refine)
        r.connect("jobs.depth", self.compute_depth)
        self.jobs.job_added.connect(self._job_added)
        self._connect_tools()
        self._stack_changed()

    # -- media -----------------------------------------------------------------------------
    def set_reader(
        self, reader: MediaReader | ArrayReader, project: QtProject | None = None
    ) -> None:
        """Show ``reader``'s frames (the window takes ownership and closes it)."""
        self.playback.stop()
        self._close_session()
        self.session = QtMediaSession(reader, self, cache=make_cache(self.prefs))
        self.overlays = OverlayCache(self.session.cache)  # in the user's budget and stats
        info = self.session.info
        self._apply_colourspace(info.colorspace_guess)
        self.session.frame_loaded.connect(self._frame_loaded)
        self.session.frame_failed.connect(self._frame_failed)
        self.session.thumbnail_loaded.connect(self._thumbnail_loaded)
        self._start_segmenter()
        self.playback.configure(info.fps, info.first_frame, info.last_frame)
        self.transport.set_range(info.first_frame, info.last_frame, info.fps, info.timecode)
        self.inspector.show_media(info)
        self._set_project(project or QtProject.for_media(info, self))
        self.project.doc.events.depth_changed.connect(self._show_depth)  # undo/redo, jobs
        self.viewer.show_media(
            f"{self.session.name}   {info.width}×{info.height}   {float(info.fps):.3g} fps"
        )
        self.system.set_cache_stats(self.session.cache_summary)
        self._thumbs = self.session.request_thumbnails()
        self._thumbs_done = 0
        self.thumbnails.set_frames(self._thumbs)
        self.log_panel.job_started("thumbs", f"Thumbnails of {self.session.name}")
        title = Path(self.project.path).name if self.project.path else self.session.name
        self.setWindowTitle(f"{title}[*] — Ultimate Roto")
        self.current_frame = info.first_frame - 1
        self.go_to(info.first_frame)
        if self.layers.tree.topLevelItemCount():
            self.layers.tree.setCurrentItem(self.layers.tree.topLevelItem(0))
        log.info("opened %s (%d frames)", info.path, info.frame_count)

    def go_to(self, frame: int) -> None:
        """Make ``frame`` current: playhead, readouts, overlays and a background decode."""
        if self.session is None:
            return
        info = self.session.info
        frame = min(info.last_frame, max(info.first_frame, frame))
        if frame == self.current_frame:
            return
        self.current_frame = frame
        self.tools.set_frame(frame)
        self.transport.show_frame(frame)
        self.thumbnails.show_current(frame)
        self.frame_label.setText(f"frame {frame}")
        self.session.request(frame)
        self._show_mask()
        self._show_prompts()
        self._show_depth()

    def _frame_typed(self) -> None:
        """Enter in the frame field: back to the viewport, so Left/Right step frames again (a
        focus change elsewhere also ends the edit; then the focus stays where it went)."""
        if self.transport.frame_box.hasFocus():
            self.viewport.setFocus(Qt.FocusReason.OtherFocusReason)

    def _user_frame(self, frame: int) -> None:
        self.playback.set_current(frame)
        self.go_to(frame)

    def _frame_loaded(self, frame: int, data: np.ndarray) -> None:
        if self.session is None:
            return  # (the session already drops results for frames the playhead passed)
        self.viewport.set_frame(data)
        cached = self.session.cached_frames_changed()  # repaint the cache bar only on change
        if cached is not None:
            self.timeline.set_cached_frames(cached)

    def _thumbnail_loaded(self, frame: int, rgb: np.ndarray) -> None:
        self.thumbnails.set_thumbnail(frame, rgb)
        self._thumbs_done += 1
        self.log_panel.job_progress("thumbs", self._thumbs_done / max(1, len(self._thumbs)))
        if self._thumbs_done == len(self._thumbs):
            self.log_panel.job_finished("thumbs")

    def _frame_failed(self, frame: int, message: str) -> None:
        self.statusBar().showMessage(f"frame {frame}: {message}", 5000)

    def _close_session(self) -> None:
        """Stop what reads the media (jobs, segmentation, decoding), then release it."""
        self.jobs.shutdown()  # cancel, then wait (one 10 s deadline) for the jobs' pool
        self._stop_segmenter()
        if self.session is not None:
            self.overlays.close()
            self.overlays = OverlayCache()  # (nothing kept until the next media's cache)
            self.session.close()
            self.session.deleteLater()
            self.session = None

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

    def set_display_view(self, display: str, view: str) -> None:
        """Show through an OCIO display/view; a bad name keeps the previous one and says why."""
        try:
            self.viewport.set_display_view(display, view)
        except InputError as exc:
            self.statusBar().showMessage(f"display view: {exc}", 8000)

    def _apply_colourspace(self, name: str) -> None:
        try:
            self.viewport.set_source_colourspace(name)
            if self.viewport.lut is None:
                self.viewport.set_display_view(*self.inspector.display_view())
        except InputError as exc:
            self.viewport.set_source_colourspace(None)
            self.statusBar().showMessage(f"display view: {exc}", 8000)

    def _overlay_from_inspector(self, visible: bool) -> None:
        self.viewport.set_overlay_visible(visible)

    def _set_overlay_opacity(self, opacity: float) -> None:
        self.viewport.settings.overlay_opacity = opacity
        self.viewport.update()

    def _jump_key(self, direction: int) -> None:
        frame = self.timeline.neighbour_keyframe(direction)
        if frame is None:
            self.statusBar().showMessage(
                "no keyframe " + ("after" if direction > 0 else "before") + " this frame", 2000
            )
        else:
            self._user_frame(frame)

    # -- preferences -----------------------------------------------------------------------
    def apply_preferences(self, prefs: Preferences) -> None:
        """Everything now: theme, models folder, device, autosave and the open media's cache
        budgets (evicts at once; timeline and System panel follow); a new disk cache folder
        waits for the next opened media (the status bar says so)."""
        old, self.prefs = self.prefs, prefs
        if self.session is not None:
            note = prefs.apply_cache(self.session.cache)
            self.timeline.set_cached_frames(self.session.budgets_changed())
            self.system.refresh_cache()
            if note:
                self.statusBar().showMessage(note, 8000)
        prefs.apply_models_dir()
        self.models_panel.refresh()
        if prefs.device != old.device:
            self.system.detect_device(prefs.device)
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, prefs.theme)
            retint_icons(self)  # tools, transport, view actions: inked for the new palette
        self._stop_autosave(discard=prefs.autosave_s <= 0)  # off: no autosave left behind
        self._start_autosave()

    # -- shutdown --------------------------------------------------------------------------
    def close_for_signal(self) -> bool:
        """SIGTERM/SIGINT: close without questions; unsaved work stays in the autosave (the
        next start offers it back)."""
        self._signal_close = True
        return self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        by_signal = getattr(self, "_signal_close", False)
        asked = by_signal or (self.confirm_stop_jobs("quit") and self.confirm_discard("closing"))
        if not asked:
            event.ignore()
            return
        keep = by_signal and self.project is not None and self.project.doc.modified
        if keep and self.autosaver is not None:
            self.autosaver.save_now()
        self.save_layout()
        for dock in self.docks.values():  # floating docks are top-level windows of their own
            if dock.isFloating():
                dock.hide()
        self.playback.stop()
        self._close_session()
        self._stop_autosave(discard=not keep)
        self.end_session(keep)
        self.system.shut_down()
        logging.getLogger("ultimate_roto").removeHandler(self.log_panel.bridge)
        super().closeEvent(event)
        app = QApplication.instance()
        if app is not None:
            app.processEvents()

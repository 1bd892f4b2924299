"""Main-window menus (every entry a keymap action), the Help/Preferences dialogs and the
layout memory (dock layout and window geometry between runs, View > Reset layout)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QMessageBox

from ultimate_roto.app.qt_prefs import QtPreferencesDialog
from ultimate_roto.app.qt_shortcuts import QtShortcutsDialog

if TYPE_CHECKING:
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

log = logging.getLogger(__name__)
RAISED_TABS = ("inspector", "thumbnails")  # the tab in front of each tabbed dock group
DOCK_SIZES = (  # docks, their sizes, the direction: the default layout's proportions
    (("layers", "inspector"), (220, 420), Qt.Orientation.Vertical),
    (("inspector",), (330,), Qt.Orientation.Horizontal),
    (("thumbnails", "timeline"), (150, 110), Qt.Orientation.Vertical),
)


class WindowMenusMixin:
    """Part of :class:`QtMainWindow`: menus, dialogs, layout memory."""

    # -- menus -----------------------------------------------------------------------------
    def _build_menus(self: QtMainWindow) -> None:
        """Menus show the registry's actions, so every menu key is listed in Help > Keyboard
        Shortcuts, rebindable, and checked for clashes like the others."""
        self._connect_menu_actions()
        r, bar = self.registry, self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(r.action("file.open"))
        file_menu.addAction(r.action("file.open_folder"))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        self.save_action = r.action("file.save")
        file_menu.addAction(self.save_action)
        file_menu.addAction(r.action("file.save_as"))
        file_menu.addSeparator()
        file_menu.addAction(r.action("file.export"))
        file_menu.addSeparator()
        file_menu.addAction(r.action("file.quit"))
        edit = bar.addMenu("&Edit")
        for action_id in ("edit.undo", "edit.redo", None, "edit.preferences"):
            self._add(edit, action_id)
        roto = bar.addMenu("&Roto")
        self._add(roto, "roto.add_object")
        roto.addSeparator()
        self._add(roto, "jobs.propagate")
        roto.addAction("Propagate &forward", lambda: self.propagate("forward"))
        roto.addAction("Propagate &backward", lambda: self.propagate("backward"))
        self._add(roto, "jobs.refine")
        self._add(roto, "jobs.depth")
        roto.addAction("C&lear depth", self.clear_depth)
        roto.addSeparator()
        roto.addAction("&Cancel all jobs", lambda: self.jobs.cancel_all(wait_s=0.0))
        self._build_view_menu()
        playback = bar.addMenu("&Playback")
        for spec in r.keymap.actions.values():
            if spec.group in ("Playback", "Timeline"):
                playback.addAction(r.action(spec.id))
        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "help.shortcuts")
        help_menu.addAction("&About Ultimate Roto", self._about)

    def _build_view_menu(self: QtMainWindow) -> None:
        self.view_menu = self.menuBar().addMenu("&View")
        for dock in self.docks.values():  # built in DOCKS order
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        for spec in self.registry.keymap.actions.values():
            if spec.group == "View":  # fit, 1:1, RGB, matte, overlay
                self._add(self.view_menu, spec.id)
        self.view_menu.addSeparator()
        self.view_menu.addAction("&Reset layout", self.reset_layout)

    def _add(self: QtMainWindow, menu, action_id: str | None) -> None:
        if action_id is None:
            menu.addSeparator()
        else:
            menu.addAction(self.registry.action(action_id))

    def _connect_menu_actions(self: QtMainWindow) -> None:
        r = self.registry
        r.connect("file.open", lambda: self.open_dialog())
        r.connect("file.open_folder", lambda: self.open_folder_dialog())
        r.connect("file.save", lambda: self.save_project())
        r.connect("file.save_as", lambda: self.save_project_as())
        r.connect("file.export", lambda: self.export_dialog())
        r.connect("file.quit", lambda: self.close())
        r.connect("edit.preferences", lambda: self.show_preferences())
        r.connect("roto.add_object", lambda: self.layers.add_object())
        r.connect("help.shortcuts", lambda: self.show_shortcuts())

    # -- dialogs ---------------------------------------------------------------------------
    def show_shortcuts(self: QtMainWindow) -> QtShortcutsDialog:
        dialog = QtShortcutsDialog(self.registry, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_preferences(self: QtMainWindow) -> QtPreferencesDialog:
        dialog = QtPreferencesDialog(self.registry, self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.preferences_changed.connect(self.apply_preferences)
        dialog.open()
        return dialog

    def _about(self: QtMainWindow) -> None:
        QMessageBox.about(
            self,
            "About Ultimate Roto",
            "Ultimate Roto — roto, enhance and deliver.\nPySide6 + OpenGL.",
        )

    # -- layout ----------------------------------------------------------------------------
    def _restore_geometry(self: QtMainWindow) -> None:
        """Window size and place now (before show); the dock layout waits for the first show."""
        self._default_state: QByteArray | None = None
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def showEvent(self: QtMainWindow, event: QShowEvent) -> None:  # noqa: N802
        """First show: size the docks (resizeDocks on a window never laid out is lost), keep
        that layout as the default for View > Reset layout, then restore the saved one."""
        super().showEvent(event)
        if self._default_state is None:
            self.size_docks()
            self._default_state = self.saveState()
            self._restore_state()

    def size_docks(self: QtMainWindow) -> None:
        """Give the docks the default layout's sizes."""
        for names, sizes, orientation in DOCK_SIZES:
            self.resizeDocks([self.docks[n] for n in names], list(sizes), orientation)

    def _restore_state(self: QtMainWindow) -> None:
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray) and not self.restoreState(state):
            log.warning("saved window layout is unreadable; using the default layout")

    def save_layout(self: QtMainWindow) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self._default_state is not None:  # never shown: keep the saved layout
            self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def reset_layout(self: QtMainWindow) -> None:
        """View > Reset layout: every dock back where it started, visible and docked."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        if self._default_state is not None:
            self.restoreState(self._default_state)
        for name in RAISED_TABS:
            self.docks[name].raise_()

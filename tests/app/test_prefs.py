"""Preferences: the shared user settings file (core.settings), migration from QSettings,
applied to the window (models folder, device, autosave), bad values rejected."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette

from ultimate_roto.app.qt_mainwindow import QtMainWindow
from ultimate_roto.app.qt_prefs import Preferences
from ultimate_roto.app.qt_theme import (
    apply_theme,
    error_colour,
    icon,
    light_palette,
    retint_icons,
    stylesheet,
)
from ultimate_roto.core import settings as core_settings


@pytest.fixture
def app_look(qapp):
    """Put the application's stylesheet and palette back after a test changes the theme."""
    sheet, palette = qapp.styleSheet(), QPalette(qapp.palette())
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


def ink(icon) -> int:
    """The lightness of an icon's most opaque pixel (its strokes)."""
    image = icon.pixmap(24, 24).toImage()
    pixels = [image.pixelColor(x, y) for x in range(24) for y in range(24)]
    return max(pixels, key=lambda c: c.alpha()).lightness()


def test_preferences_persist_in_the_shared_file_and_apply(
    qtbot, main_window, settings, tmp_path, user_settings_file, app_look
):
    from ultimate_roto.core.engines import models

    apply_theme(app_look, "dark")
    retint_icons(main_window)  # as if the window had been built under the dark theme
    assert ink(icon("brush")) > 150 and ink(main_window.registry.action("tool.brush").icon()) > 150
    dialog = main_window.show_preferences()
    page = dialog.general
    page.ram.setValue(2048)
    page.disk.setValue(512)
    page.disk_dir.setText(str(tmp_path / "cache"))
    page.device.setCurrentText("cpu")
    page.models_dir.setText(str(tmp_path / "models"))
    page.autosave.setValue(30)
    page.theme.setCurrentText("light")
    dialog.accept()
    expected = Preferences(2048, 512, str(tmp_path / "cache"), "cpu", str(tmp_path / "models"),
                           30, "light")  # fmt: skip
    assert main_window.prefs == expected
    assert main_window.autosaver is not None and main_window.autosaver.interval_s == 30
    assert models.models_dir() == tmp_path / "models"
    assert app_look.styleSheet() == stylesheet("light") and "light theme" in app_look.styleSheet()
    window = app_look.palette().color(QPalette.ColorRole.Window)
    assert window == light_palette().color(QPalette.ColorRole.Window) and window.lightness() > 200
    assert ink(main_window.registry.action("tool.brush").icon()) < 100  # icons re-inked dark
    assert ink(main_window.transport.buttons["play"].icon()) < 100
    # what --batch reads: the same file, through core.settings
    data = core_settings.load_settings()
    assert data["cache"]["ram_mb"] == 2048 and data["device"] == "cpu"
    assert data["models_dir"] == str(tmp_path / "models") and data["autosave_interval_s"] == 30
    assert not settings.contains("preferences/device")  # not in QSettings any more
    main_window.close()
    again = QtMainWindow(settings)
    qtbot.addWidget(again)
    assert again.prefs == expected
    reopened = again.show_preferences()
    assert reopened.general.prefs() == expected
    reopened.reject()
    again.close()


def test_keys_the_gui_does_not_edit_are_kept(user_settings_file):
    user_settings_file.write_text(json.dumps({"cache": {"kind_mb": {"embedding": 512}}}))
    Preferences(ram_mb=1024).save()
    data = json.loads(user_settings_file.read_text())
    assert data["cache"]["kind_mb"] == {"embedding": 512} and data["cache"]["ram_mb"] == 1024


def test_legacy_qsettings_values_move_into_the_file_once(settings, user_settings_file):
    settings.setValue("preferences/ram_mb", 3000)
    settings.setValue("preferences/device", "cpu")
    settings.setValue("preferences/theme", "system")  # the old name of the light theme
    settings.setValue("preferences/autosave_s", "oops")  # unreadable: the default stays
    prefs = Preferences.load(settings)
    assert (prefs.ram_mb, prefs.device, prefs.theme, prefs.autosave_s) == (
        3000,
        "cpu",
        "light",
        120,
    )
    assert json.loads(user_settings_file.read_text())["device"] == "cpu"
    assert not settings.contains("preferences/ram_mb")
    settings.setValue("preferences/device", "cuda")  # the file wins from now on
    assert Preferences.load(settings).device == "cpu"


def test_cache_preferences_size_the_frame_cache(qtbot, main_window, tmp_path):
    from tests.app.conftest import small_reader

    main_window.apply_preferences(Preferences(ram_mb=300, disk_mb=64, disk_dir=str(tmp_path)))
    main_window.set_reader(small_reader())
    stats = main_window.session.cache.stats()
    assert stats.ram_budget == 300 * 1024 * 1024


def test_bad_settings_file_gives_defaults_and_bad_values_are_refused(
    main_window, settings, user_settings_file
):
    user_settings_file.write_text('{"device": "quantum", "cache": {"ram_mb": -1}}')
    prefs = Preferences.load(settings)
    assert prefs == Preferences()
    with pytest.raises(ValueError, match="theme"):
        Preferences(theme="neon").save()
    dialog = main_window.show_preferences()
    dialog.general.ram.setValue(10)  # below the 64 MB floor
    dialog.accept()
    assert dialog.isVisible() and "too small" in dialog.error.text()
    dialog.reject()


def test_keyboard_conflict_keeps_the_dialog_open(main_window):
    dialog = main_window.show_preferences()
    dialog.editors["tool.point"].setKeySequence("B")  # the brush's key
    dialog.accept()
    assert dialog.isVisible() and "Brush tool" in dialog.conflict_label.text()
    assert dialog.tabs.currentWidget() is dialog.keyboard
    dialog.reject()
    assert main_window.registry.keymap.key("tool.point") == "P"


def test_an_unwritable_settings_file_changes_no_keys(main_window, monkeypatch, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("ULTIMATE_ROTO_SETTINGS", str(blocker / "settings.json"))
    dialog = main_window.show_preferences()
    dialog.editors["tool.brush"].setKeySequence("N")
    dialog.accept()
    assert dialog.isVisible() and "a_file" in dialog.error.text()
    assert main_window.registry.keymap.key("tool.brush") == "B"
    assert main_window.registry.action("tool.brush").shortcut().toString() == "B"
    dialog.reject()


def test_unwritable_key_bindings_put_the_settings_file_back(qtbot, tmp_path, user_settings_file):
    Preferences(ram_mb=1024).save()
    before = user_settings_file.read_bytes()
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    unwritable = QSettings(str(blocker / "settings.ini"), QSettings.Format.IniFormat)
    unwritable.setValue("autosave_dir", str(tmp_path / "autosave"))
    win = QtMainWindow(unwritable)
    qtbot.addWidget(win)
    dialog = win.show_preferences()
    dialog.general.ram.setValue(2048)
    dialog.editors["tool.brush"].setKeySequence("N")
    dialog.accept()
    assert dialog.isVisible() and "key bindings" in dialog.error.text()
    assert user_settings_file.read_bytes() == before  # nothing changed unless all did
    assert win.registry.keymap.key("tool.brush") == "B" and win.prefs.ram_mb == 1024
    dialog.reject()
    win.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_keyboard_page_colours_come_from_the_theme(main_window, app_look, theme):
    apply_theme(app_look, theme)
    dialog = main_window.show_preferences()
    page = dialog.keyboard
    dialog.editors["tool.point"].setKeySequence("B")  # a clash with the brush
    rows = {spec.id: row for row, spec in enumerate(page.specs)}
    clash = page.table.item(rows["tool.point"], 1).foreground().color()
    assert clash == error_colour()
    assert page.table.item(rows["tool.eraser"], 1).data(Qt.ItemDataRole.ForegroundRole) is None
    base = app_look.palette().color(QPalette.ColorRole.Base)
    assert abs(clash.lightness() - base.lightness()) > 90  # readable on the table
    assert error_colour().name() in page.conflict_label.styleSheet()
    dialog.reject()


def test_the_device_preference_reaches_segmentation_and_jobs(main_window, monkeypatch):
    """Preferences > device is what a click's segmentation and a job's engine load get."""
    from ultimate_roto.app.qt_prefs import Preferences
    from ultimate_roto.core.commands import AddPromptCommand

    win = main_window
    obj = win.layers.add_object("Hero")
    doc, frame = win.project.doc, win.current_frame
    win.project.stack.push(AddPromptCommand(doc, obj, frame, "point", (10, 10, 1)))
    asked: list[dict] = []
    monkeypatch.setattr(win.segmenter, "request", lambda **f: asked.append(f) or 1)
    for device, expected in (("cpu", "cpu"), ("auto", None)):
        win.apply_preferences(Preferences(device=device))
        win.segment_object(obj, frame)
        assert asked[-1]["device"] == expected
        inp = win._job_input("propagate", obj)
        assert inp is not None and inp.device == expected

"""Preferences: general page persists in QSettings, applies to the window, rejects bad values."""

from __future__ import annotations

import pytest

from ultimate_roto.app.qt_mainwindow import QtMainWindow
from ultimate_roto.app.qt_prefs import Preferences


def test_preferences_persist_and_apply(qtbot, main_window, settings, tmp_path):
    dialog = main_window.show_preferences()
    page = dialog.general
    page.ram.setValue(2048)
    page.disk.setValue(512)
    page.disk_dir.setText(str(tmp_path / "cache"))
    page.device.setCurrentText("cpu")
    page.models_dir.setText(str(tmp_path / "models"))
    page.autosave.setValue(30)
    page.theme.setCurrentText("system")
    dialog.accept()
    expected = Preferences(2048, 512, str(tmp_path / "cache"), "cpu", str(tmp_path / "models"),
                           30, "system")  # fmt: skip
    assert main_window.prefs == expected
    assert main_window.autosaver is not None and main_window.autosaver.interval_s == 30
    main_window.close()
    again = QtMainWindow(settings)
    qtbot.addWidget(again)
    assert again.prefs == expected
    reopened = again.show_preferences()
    assert reopened.general.prefs() == expected
    reopened.reject()
    again.close()


def test_cache_preferences_size_the_frame_cache(qtbot, main_window, tmp_path):
    from tests.app.conftest import small_reader

    main_window.apply_preferences(Preferences(ram_mb=300, disk_mb=64, disk_dir=str(tmp_path)))
    main_window.set_reader(small_reader())
    stats = main_window.session.cache.stats()
    assert stats.ram_budget == 300 * 1024 * 1024


def test_bad_stored_preferences_fall_back_to_defaults(settings):
    settings.setValue("preferences/device", "quantum")
    settings.setValue("preferences/ram_mb", "lots")
    prefs = Preferences.load(settings)
    assert prefs.device == "auto" and prefs.ram_mb == Preferences().ram_mb
    with pytest.raises(ValueError, match="theme"):
        Preferences(theme="neon").save(settings)


def test_keyboard_conflict_keeps_the_dialog_open(main_window):
    dialog = main_window.show_preferences()
    dialog.editors["tool.point"].setKeySequence("B")  # the brush's key
    dialog.accept()
    assert dialog.isVisible() and "Brush tool" in dialog.conflict_label.text()
    assert dialog.tabs.currentWidget() is dialog.keyboard
    dialog.reject()
    assert main_window.registry.keymap.key("tool.point") == "P"

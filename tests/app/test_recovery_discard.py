"""Work the user discarded must not come back as "crash recovery": Discard when replacing a
project removes its autosave, and so does turning autosave off."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QMessageBox

from tests.app.test_file_open import png_sequence
from ultimate_roto.core.project import find_recovery

Button = QMessageBox.StandardButton


def test_discard_when_opening_another_file_removes_the_autosave(main_window, tmp_path):
    win = main_window  # the fixture answers "Discard"
    win.layers.add_object("throwaway")
    assert win.autosaver.save_now()
    autosave = win.autosaver.path
    assert autosave.exists()
    assert win.open_path(png_sequence(tmp_path / "seq", 2)[0])
    assert not autosave.exists()
    assert find_recovery(None, win.autosave_dir) is None


def test_reopening_the_same_project_after_discard_offers_no_recovery(
    main_window, tmp_path, monkeypatch
):
    win = main_window
    frames = png_sequence(tmp_path / "seq", 2)
    assert win.open_path(frames[0])
    win.layers.add_object("Kept")
    project = tmp_path / "shot.roto"
    assert win._save_to(str(project))
    win.layers.add_object("Discarded")
    assert win.autosaver.save_now() and find_recovery(project) is not None
    offered = []
    monkeypatch.setattr(win, "offer_recovery", lambda found: offered.append(found) or True)
    assert win.open_path(project)
    assert offered == []
    assert [o.name for o in win.project.doc.objects] == ["Kept"]
    assert find_recovery(project) is None


def test_save_when_opening_another_file_keeps_the_work_and_leaves_no_autosave(
    main_window, tmp_path, monkeypatch
):
    win = main_window
    frames = png_sequence(tmp_path / "seq", 2)
    assert win.open_path(frames[0])
    assert win._save_to(str(tmp_path / "a.roto"))
    win.layers.add_object("Wanted")
    assert win.autosaver.save_now()
    autosave = win.autosaver.path
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: Button.Save)
    assert win.open_path(frames[1])
    assert not autosave.exists()
    assert not win._discarded


def test_turning_autosave_off_removes_the_autosave(main_window):
    win = main_window
    win.layers.add_object("unsaved")
    assert win.autosaver.save_now()
    autosave = win.autosaver.path
    win.apply_preferences(replace(win.prefs, autosave_s=30))  # another interval: kept
    assert autosave.exists() and win.autosaver.interval_s == 30
    win.apply_preferences(replace(win.prefs, autosave_s=0))
    assert win.autosaver is None and not autosave.exists()

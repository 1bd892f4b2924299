"""Crash recovery at start-up: a saved project's autosave (found through the session record a
crash leaves in QSettings), an unsaved session's autosave, never a running instance's."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.app.test_file_open import png_sequence
from ultimate_roto.app.qt_main import open_initial
from ultimate_roto.app.qt_mainwindow import QtMainWindow
from ultimate_roto.app.qt_project import QtProject
from ultimate_roto.app.qt_window_file import SESSIONS
from ultimate_roto.core.media import open_media
from ultimate_roto.core.project import Autosaver, find_recovery, load_project, save_project
from ultimate_roto.core.project.autosave import autosave_path

Button = QMessageBox.StandardButton


def dead_pid() -> int:
    """The pid of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def answer(monkeypatch):
    """Answer the recovery question (and count it): set ``answer.value`` to Yes or No."""

    class Answer:
        value = Button.Yes
        asked: list[str] = []

    def question(_parent, title, text, *_a, **_k):
        Answer.asked.append(title)
        return Answer.value

    monkeypatch.setattr(QMessageBox, "question", question)
    return Answer


@pytest.fixture
def window(bare_window):
    return bare_window


def crashed_project(tmp_path, settings):
    """A saved project with two objects, then a third only in its autosave; the session that
    had it open is recorded in QSettings under a pid that is gone (a crash)."""
    frames = png_sequence(tmp_path / "seq", 3)
    project = QtProject.for_media(open_media(frames[0]).info)
    project.add_object("Hero")
    project.add_object("Car")
    path = tmp_path / "job.roto"
    project.save(path)
    project.add_object("Lost in the crash")
    saver = Autosaver(project.doc, path, interval_s=3600)
    assert saver.save_now()
    saver.stop()
    later = time.time() + 5  # the autosave is newer than the project file
    os.utime(saver.path, (later, later))
    settings.setValue(f"{SESSIONS}/{dead_pid()}_{int(time.time())}", str(path))
    return path, saver.path


def test_a_crash_with_a_saved_project_open_is_offered_at_the_next_start(
    window, answer, settings, tmp_path
):
    project, autosave = crashed_project(tmp_path, settings)
    open_initial(window, [])  # what the program does at start
    assert answer.asked == ["Recover unsaved work?"]
    names = [o.name for o in window.project.doc.objects]
    assert names == ["Hero", "Car", "Lost in the crash"]
    assert window.project.path == str(project)
    assert window.project.doc.modified and window.isWindowModified()
    assert window.session.info.frame_count == 3
    settings.beginGroup(SESSIONS)  # the dead session's record is gone; this one's is there
    records = {k: settings.value(k) for k in settings.childKeys()}
    settings.endGroup()
    assert list(records.values()) == [str(project)]
    assert records and list(records)[0].startswith(f"{os.getpid()}_")
    assert window.save_project()  # saving the recovered work keeps it and drops the autosave
    assert [o.name for o in load_project(project).objects][-1] == "Lost in the crash"
    assert not autosave.exists()


def test_declining_recovery_deletes_the_autosave_and_starts_normally(
    window, answer, settings, tmp_path, monkeypatch
):
    from ultimate_roto.app import qt_main

    project, autosave = crashed_project(tmp_path, settings)
    answer.value = Button.No
    monkeypatch.setattr(qt_main, "default_media", lambda: None)  # the generated shot
    open_initial(window, [])
    assert answer.asked == ["Recover unsaved work?"]
    assert not autosave.exists() and project.exists()
    assert window.project.path is None and not window.project.doc.objects
    assert not window.recover_unsaved_session()  # asked once only: the record is gone


def test_a_clean_close_forgets_the_session_and_a_signal_close_keeps_it(qtbot, settings, tmp_path):
    frames = png_sequence(tmp_path / "seq", 2)
    for by_signal in (False, True):
        win = QtMainWindow(settings)
        qtbot.addWidget(win)
        assert win.open_path(frames[0])
        assert win._save_to(str(tmp_path / "a.roto"))
        key = win._session_key()
        assert settings.value(key) == str(tmp_path / "a.roto")
        win.layers.add_object("unsaved")
        if by_signal:
            win.close_for_signal()
            assert settings.value(key) == str(tmp_path / "a.roto")
            assert find_recovery(tmp_path / "a.roto") is not None
            win.project.doc.set_modified(False)
        else:
            win.project.doc.set_modified(False)
            win.close()
            assert not settings.contains(key)


def untitled_autosave(folder, pid: int, names=("Lost",), media=None):
    """An unsaved session's autosave (``untitled-<pid>``) of a document on ``media``."""
    info = open_media(media).info
    project = QtProject.for_media(info)
    for name in names:
        project.add_object(name)
    path = autosave_path(None, folder).with_name(f"untitled-{pid}.autosave.roto")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_project(project.doc, path, mark_clean=False, autosave_of=None)
    return path


def test_an_unsaved_session_that_crashed_is_offered(window, answer, tmp_path):
    frames = png_sequence(tmp_path / "seq", 3)
    path = untitled_autosave(window.autosave_dir, dead_pid(), ("A", "B"), frames[0])
    assert window.recover_unsaved_session()
    assert [o.name for o in window.project.doc.objects] == ["A", "B"]
    assert window.project.path is None and window.isWindowModified()
    assert not path.exists()  # this session autosaves it again under its own name


def test_a_running_instances_autosave_is_neither_offered_nor_deleted(window, answer, tmp_path):
    frames = png_sequence(tmp_path / "seq", 3)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.2)
        path = untitled_autosave(window.autosave_dir, other.pid, ("Theirs",), frames[0])
        assert find_recovery(None, window.autosave_dir) is None
        answer.value = Button.No
        assert not window.recover_unsaved_session()
        assert answer.asked == [] and path.exists()
        old = time.time() - 3600  # written before that process started: a reused pid
        os.utime(path, (old, old))
        assert find_recovery(None, window.autosave_dir).path == path
    finally:
        other.kill()
        other.wait()
    os.utime(path)  # now: the writer is gone
    assert find_recovery(None, window.autosave_dir).path == path

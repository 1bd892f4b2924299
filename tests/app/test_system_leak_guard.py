"""The teardown guard (tests/qt_leaks.py) of every Qt test finds what a test leaves behind:
hidden top-level widgets, Python threads, running QTimers; deleted widgets are not leaks."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QWidget

from tests import qt_leaks


@pytest.fixture
def snapshot(qapp, monkeypatch):
    monkeypatch.setattr(qt_leaks, "GRACE_S", 0.2)
    return qt_leaks._top_levels(), set(threading.enumerate())


def test_a_hidden_widget_a_thread_and_a_timer_are_reported(snapshot):
    widget = QWidget()  # never shown: the old fixture only counted visible windows
    widget.setObjectName("forgotten")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="forgotten-worker", daemon=True)
    thread.start()
    timer = QTimer()
    timer.setObjectName("forgotten-timer")
    timer.start(60_000)
    try:
        problems = qt_leaks.leaks(*snapshot)
    finally:
        stop.set()
        thread.join()
    text = "\n".join(problems)
    assert len(problems) == 3, text
    assert "QWidget(objectName='forgotten'" in text and "visible=False" in text
    assert "forgotten-worker" in text
    assert "forgotten-timer every 60000 ms" in text
    assert not timer.isActive()  # stopped, so the next test is not blamed for it
    assert widget not in qt_leaks._top_levels()  # and the widget deleted


def test_deleted_widgets_and_finished_threads_are_not_leaks(snapshot):
    dialog = QDialog()
    dialog.show()
    dialog.close()
    dialog.deleteLater()  # gone once the guard runs the deferred deletes
    thread = threading.Thread(target=lambda: None, name="short")
    thread.start()  # ends within the grace
    timer = QTimer(dialog)  # dies with its parent
    timer.start(60_000)
    assert qt_leaks.leaks(*snapshot) == []

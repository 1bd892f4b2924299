"""Teardown guard of the Qt tests (tests/app, tests/gl): no leaked widgets, threads or timers.

Every test of those folders runs inside :func:`guard` (an autouse fixture in their conftest):
after the test and its fixtures are torn down (pytest-qt has closed and ``deleteLater``-ed the
widgets given to ``qtbot.addWidget``), the deferred deletes are run, and the test fails if

* a top-level widget (visible or hidden) made during the test still exists,
* the global QThreadPool still runs work after 2 s,
* a Python thread started during the test is still alive after a 2 s grace,
* a QTimer is still alive and running (see :func:`running_timers`).

Imported lazily: the GL conftest must start Xvfb before anything imports Qt.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

GRACE_S = 2.0


def _app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance()


def _top_levels() -> set:
    app = _app()
    return set(app.topLevelWidgets()) if app is not None else set()


def running_timers() -> list:
    """The live, running QTimers Python holds (one parented to a deleted widget is gone).

    Compared with nothing: a scan costs ~0.1 s (every object the interpreter tracks), so it
    runs once, after the test; a timer still running then is the test's (or is stopped and
    reported by the test that left it, so it never blames a later one).
    """
    import shiboken6
    from PySide6.QtCore import QTimer

    # issubclass(type(o)), not isinstance: isinstance reads o.__class__, which some lazy
    # modules' objects answer with a deprecation warning
    return [
        obj
        for obj in gc.get_objects()
        if issubclass(type(obj), QTimer) and shiboken6.isValid(obj) and obj.isActive()
    ]


def flush_deletes() -> None:
    """Run the pending ``deleteLater`` calls (and the events they cause), a few rounds deep."""
    from PySide6.QtCore import QCoreApplication, QEvent

    app = _app()
    if app is None:
        return
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


def _new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """Threads started since ``before`` still alive after the grace (QThreadPool threads that
    ran Python code show up as _DummyThread forever: the pool's own wait covers them)."""
    deadline = time.monotonic() + GRACE_S
    alive = []
    for t in set(threading.enumerate()) - before:
        if isinstance(t, threading._DummyThread):
            continue
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            alive.append(t)
    return alive


def _describe(widget) -> str:
    return (
        f"{type(widget).__name__}(objectName={widget.objectName()!r}, "
        f"title={widget.windowTitle()!r}, visible={widget.isVisible()})"
    )


def leaks(widgets: set, threads: set[threading.Thread]) -> list[str]:
    """What the test left behind, compared with the snapshots taken before it ran."""
    from PySide6.QtCore import QThreadPool

    problems = []
    flush_deletes()
    if not QThreadPool.globalInstance().waitForDone(int(GRACE_S * 1000)):
        problems.append("the global QThreadPool still runs work 2 s after the test")
    flush_deletes()  # results of the pool's last work may have queued more deletes
    widgets_left = [w for w in _top_levels() if w not in widgets]
    if widgets_left:
        problems.append(
            "top-level widgets left after teardown: " + ", ".join(map(_describe, widgets_left))
        )
    threads_left = _new_threads(threads)
    if threads_left:
        problems.append(
            "threads still running after teardown: " + ", ".join(t.name for t in threads_left)
        )
    timers = running_timers()
    if timers:
        problems.append(
            "QTimers still running after teardown: "
            + ", ".join(f"{t.objectName() or 'unnamed'} every {t.interval()} ms" for t in timers)
        )
    for timer in timers:  # do not let one leak spill into the next tests
        timer.stop()
    for widget in widgets_left:
        widget.close()
        widget.deleteLater()
    flush_deletes()
    return problems


@contextmanager
def guard() -> Iterator[None]:
    """Snapshot top-level widgets and Python threads; on exit, report what the test left
    behind through ``pytest.fail`` (see the module docstring)."""
    import pytest

    widgets, threads = _top_levels(), set(threading.enumerate())
    yield
    if _app() is None:  # a test that never started Qt: only threads can leak
        left = _new_threads(threads)
        problems = [f"threads still running after teardown: {[t.name for t in left]}"] * bool(left)
    else:
        problems = leaks(widgets, threads)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)

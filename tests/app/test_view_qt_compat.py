"""The PySide6 refcount guard covers True: every Signal.emit() of the 6.12.0 build drops one."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    fired = Signal()


def test_thousands_of_emits_cannot_free_true(qapp):
    import ultimate_roto.app  # noqa: F401  (the guard runs on import)

    emitter = Emitter()
    emitter.fired.connect(lambda: None)
    for _ in range(5000):  # more than True's natural reference count (about 600)
        emitter.fired.emit()
    assert sys.getrefcount(True) > 1_000_000 or sys.version_info >= (3, 12)

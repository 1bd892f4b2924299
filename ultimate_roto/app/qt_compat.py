"""Works around PySide6 6.12.0 on Python 3.11: every void Qt call drops one reference to None.

Measured here: ``QWidget().update()``, ``QApplication.processEvents()`` and every other call
returning ``void`` decrement ``sys.getrefcount(None)`` by one (the binding returns a borrowed
``Py_None``, which is only harmless where None is immortal, i.e. Python >= 3.12). A few thousand
calls later CPython aborts with "none_dealloc: deallocating None". :func:`protect_none` detects the
leak with one probe call and, only then, gives None a huge reference count: the immortality that
Python 3.12 gives it natively. None is a static singleton and is never freed either way.

The same build drops a reference to True on every ``Signal.emit()`` (it starts near 600
references: a few seconds of playback emit that many), so True and False get the same reserve
when an emit probe shows the leak.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40


def void_call_leaks_none() -> bool:
    """True when a void Qt method call loses a reference to None (the 6.12.0 bug)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def emit_leaks_true() -> bool:
    """True when ``Signal.emit()`` loses a reference to True (the same 6.12.0 bug)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        fired = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    return sys.getrefcount(True) < before


def _reserve(obj: object) -> None:
    refcnt = ctypes.c_ssize_t.from_address(id(obj))
    if refcnt.value < _RESERVE:
        refcnt.value += _RESERVE


def protect_none() -> bool:
    """Make None (and True/False, see the module note) effectively immortal if this PySide6
    build leaks them; returns True if it did."""
    if sys.version_info >= (3, 12):
        return False
    leaked = False
    if void_call_leaks_none():
        _reserve(None)
        leaked = True
    if emit_leaks_true():
        _reserve(True)
        _reserve(False)
        leaked = True
    return leaked

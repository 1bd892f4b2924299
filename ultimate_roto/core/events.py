"""Small typed signal/observer helper: the model announces, views subscribe."""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Slot = Callable[..., Any]


class Signal:
    """A typed notification that any number of callbacks can subscribe to.

    Bound methods are held through weak references, so a view that is garbage-collected
    disconnects itself; plain functions and other callables are held strongly.

    Parameters
    ----------
    *types
        The types of the arguments :meth:`emit` passes, in order (checked for arity only).
    name
        A readable name used in error messages (``"object_changed"``).

    Examples
    --------
    >>> changed = Signal(str, int, name="changed")
    >>> seen = []
    >>> changed.connect(lambda obj_id, frame: seen.append((obj_id, frame)))
    >>> changed.emit("a", 3)
    >>> seen
    [('a', 3)]
    """

    def __init__(self, *types: type, name: str = "signal") -> None:
        self.types = types
        self.name = name
        self._slots: list[weakref.WeakMethod | Slot] = []
        self._blocked = 0
        self._lock = threading.Lock()

    def connect(self, slot: Slot) -> Slot:
        """Subscribe ``slot``; connecting the same callable twice has no extra effect.

        Returns the slot, so ``connect`` can be used as a decorator.
        """
        if not callable(slot):
            raise TypeError(f"{self.name}.connect needs a callable, got {type(slot).__name__}")
        with self._lock:
            if self._index(slot) < 0:
                ref = weakref.WeakMethod(slot) if inspect.ismethod(slot) else slot
                self._slots.append(ref)
        return slot

    def disconnect(self, slot: Slot) -> None:
        """Unsubscribe ``slot``; unknown slots are ignored."""
        with self._lock:
            i = self._index(slot)
            if i >= 0:
                del self._slots[i]

    def emit(self, *args: Any) -> None:
        """Call every connected slot with ``args`` (unless blocked).

        Raises
        ------
        TypeError
            If the number of arguments differs from the declared types.
        """
        if len(args) != len(self.types):
            raise TypeError(f"{self.name}.emit takes {len(self.types)} arguments, got {len(args)}")
        if self._blocked:
            return
        for slot in self._live_slots():
            slot(*args)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress emissions inside the ``with`` block (re-entrant)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1

    @property
    def is_blocked(self) -> bool:
        return self._blocked > 0

    def __len__(self) -> int:
        return len(self._live_slots())

    def _live_slots(self) -> list[Slot]:
        live: list[Slot] = []
        with self._lock:
            kept: list[weakref.WeakMethod | Slot] = []
            for ref in self._slots:
                target = ref() if isinstance(ref, weakref.WeakMethod) else ref
                if target is not None:
                    kept.append(ref)
                    live.append(target)
            self._slots = kept
        return live

    def _index(self, slot: Slot) -> int:
        for i, ref in enumerate(self._slots):
            target = ref() if isinstance(ref, weakref.WeakMethod) else ref
            if target == slot:
                return i
        return -1

    def __repr__(self) -> str:
        args = ", ".join(t.__name__ for t in self.types)
        return f"<Signal {self.name}({args}) slots={len(self._slots)}>"


class EventGroup:
    """A named bundle of :class:`Signal` attributes, blockable as a whole.

    Subclasses declare their signals in ``__init__``; :meth:`blocked` blocks them all.
    """

    def signals(self) -> dict[str, Signal]:
        """Every signal of the group by attribute name."""
        return {k: v for k, v in vars(self).items() if isinstance(v, Signal)}

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress every signal of the group inside the ``with`` block."""
        signals = list(self.signals().values())
        for s in signals:
            s._blocked += 1
        try:
            yield
        finally:
            for s in signals:
                s._blocked -= 1


class DocumentEvents(EventGroup):
    """Notifications a :class:`~ultimate_roto.core.project.Document` emits after each change.

    Attributes
    ----------
    object_added(obj_id), object_removed(obj_id), object_changed(obj_id, field),
    prompts_changed(obj_id, frame), mask_changed(obj_id, frame, bbox),
    keyframes_changed(obj_id), flags_changed(obj_id, frame), shot_changed(),
    settings_changed(key), dirty_changed(dirty).
    ``bbox`` is ``(x0, y0, x1, y1)`` in pixels, half-open.
    """

    def __init__(self) -> None:
        self.object_added = Signal(str, name="object_added")
        self.object_removed = Signal(str, name="object_removed")
        self.object_changed = Signal(str, str, name="object_changed")
        self.prompts_changed = Signal(str, int, name="prompts_changed")
        self.mask_changed = Signal(str, int, tuple, name="mask_changed")
        self.keyframes_changed = Signal(str, name="keyframes_changed")
        self.flags_changed = Signal(str, int, name="flags_changed")
        self.shot_changed = Signal(name="shot_changed")
        self.settings_changed = Signal(str, name="settings_changed")
        self.dirty_changed = Signal(bool, name="dirty_changed")

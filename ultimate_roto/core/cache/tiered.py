"""Thread-safe byte-budget LRU cache in RAM that spills to a disk tier of .npy files."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ultimate_roto.core.cache.budgets import (
    BudgetsMixin,
    check_budget,
    check_kind_budgets,
    no_disk_dir,
)
from ultimate_roto.core.cache.disk import DiskTier
from ultimate_roto.core.cache.keys import CacheKey, registered_kinds, to_array
from ultimate_roto.core.cache.stats import CacheStats, KindStats
from ultimate_roto.core.errors import ProcessingError

__all__ = ["TieredCache", "check_budget"]  # check_budget now lives in .budgets
log = logging.getLogger(__name__)

CacheEvent = Literal["added", "evicted", "cleared"]
Listener = Callable[[str, "CacheKey | None"], None]


class _Entry:
    __slots__ = ("value", "nbytes", "on_disk")

    def __init__(self, value: np.ndarray, on_disk: bool = False) -> None:
        self.value = value
        self.nbytes = int(value.nbytes)
        self.on_disk = on_disk  # the disk tier held the same value when this entry was made


class TieredCache(BudgetsMixin):
    """Byte-budget LRU cache: RAM first, evicted values spill to an optional disk tier.

    Values are numpy arrays (torch tensors too for ``"embedding"``, stored as numpy). The cache
    takes ownership of a stored array and makes it read-only; a hit returns that same array
    (no copy), so callers that want to edit a cached value copy it first.

    A value evicted from RAM is written to the disk tier (if configured) as a ``.npy`` file; a
    disk hit is loaded and promoted back to RAM while its file stays on disk, so evicting it again
    costs nothing. The disk tier does not persist across runs (see :mod:`.disk`).

    All methods are thread-safe. Listeners added with :meth:`add_listener` are called as
    ``fn(event, key)`` from the thread that caused the change, outside the cache's lock:
    ``"added"`` when a key becomes available (in any tier), ``"evicted"`` when it is no longer
    available in any tier, ``"cleared"`` (key ``None``) after :meth:`clear`. A GUI forwards them
    to its own thread (queued signal).

    Budgets can change while the cache is in use: :meth:`set_budgets` (bytes) and
    :meth:`apply_settings` (the settings :meth:`from_settings` takes) evict at once.

    Parameters
    ----------
    ram_bytes
        Total RAM budget in bytes (0: nothing stays in RAM).
    disk_dir
        Folder for the disk tier; None turns the disk tier off.
    disk_bytes
        Disk budget in bytes (0 turns the disk tier off).
    kind_budgets
        Optional RAM budget in bytes per kind, e.g. ``{"embedding": 2 << 30}``; the total
        budget applies as well.

    Raises
    ------
    InputError
        For a negative or non-integer budget, an unknown kind, or a disk folder that cannot be
        created.
    """

    def __init__(
        self,
        ram_bytes: int,
        disk_dir: str | Path | None = None,
        disk_bytes: int = 0,
        *,
        kind_budgets: Mapping[str, int] | None = None,
    ) -> None:
        self.ram_budget = check_budget("ram_bytes", ram_bytes)
        disk_budget = check_budget("disk_bytes", disk_bytes)
        self.kind_budgets = check_kind_budgets(kind_budgets)
        if disk_budget and not disk_dir:
            raise no_disk_dir(disk_budget)
        self._disk = DiskTier(disk_dir, disk_budget) if disk_dir and disk_budget else None
        self._disk_root = Path(disk_dir) if disk_dir else None  # for set_budgets turning it on
        self._lock = threading.Lock()
        self._ram: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._ram_kind: dict[str, OrderedDict[CacheKey, None]] = {}
        self._ram_bytes = 0
        self._kind_bytes: Counter[str] = Counter()
        self._spilling: dict[CacheKey, _Entry] = {}
        self._pending: dict[CacheKey, tuple[Future, int]] = {}
        self._hits_ram: Counter[str] = Counter()
        self._hits_disk: Counter[str] = Counter()
        self._misses: Counter[str] = Counter()
        self._evictions = 0
        self._spills = 0
        self._listeners: list[Listener] = []
        self._later: list[tuple[CacheKey, _Entry]] = []  # spills for the background writer
        self._writer: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TieredCache:
        """Build a cache from settings ``{"ram_mb", "disk_mb", "disk_dir", "kind_mb"}``.

        Missing keys get defaults (RAM: 25 % of physical memory; disk tier off unless
        ``disk_dir`` or ``disk_mb`` is set). See :func:`.settings.budgets_from_settings`.
        """
        from ultimate_roto.core.cache.settings import budgets_from_settings

        return cls(**budgets_from_settings(settings))

    @property
    def disk_dir(self) -> Path | None:
        """The disk tier's session folder, or None when the disk tier is off."""
        return self._disk.dir if self._disk and self._disk.budget else None

    # -- lookups ---------------------------------------------------------------------------
    def get(self, key: CacheKey, *, background: bool = False) -> np.ndarray | None:
        """Return the cached array for ``key`` (read-only), or None on a miss.

        ``background``: what a disk hit's promotion evicts is written to disk by a background
        thread, not by the caller (a GUI thread must not wait on the disk; see :meth:`put`)."""
        with self._lock:
            entry = self._ram.get(key)
            if entry is not None:
                self._ram.move_to_end(key)
                self._ram_kind[key.kind].move_to_end(key)
                self._hits_ram[key.kind] += 1
                return entry.value
            entry = self._spilling.get(key)
            if entry is not None:
                self._hits_ram[key.kind] += 1
                return entry.value
        value = self._disk_get(key, background) if self._disk else None
        with self._lock:
            if value is None:
                self._misses[key.kind] += 1
            else:
                self._hits_disk[key.kind] += 1
        return value

    def __contains__(self, key: object) -> bool:
        with self._lock:
            if key in self._ram or key in self._spilling:
                return True
        return self._disk is not None and key in self._disk

    def get_or_compute(self, key: CacheKey, fn: Callable[[], Any]) -> np.ndarray:
        """Return the cached value of ``key``, computing and caching ``fn()`` on a miss.

        Concurrent calls for the same key compute it once: later callers wait for the first
        one's result (or its exception). ``fn`` must not ask for its own key (that would wait
        for itself; it raises :class:`ProcessingError`).
        """
        value = self.get(key)
        if value is not None:
            return value
        me = threading.get_ident()
        with self._lock:
            value = self._ram_value_locked(key)
            if value is not None:
                return value
            pending = self._pending.get(key)
            if pending is None:
                future: Future = Future()
                self._pending[key] = (future, me)
        if pending is not None:
            if pending[1] == me:
                raise ProcessingError(
                    f"computing {key.kind} for frame {key.frame} of {key.media_id!r} asked for "
                    "its own result",
                    hint="the compute function must not call get_or_compute with its own key",
                )
            return pending[0].result()
        return self._compute(key, fn, future)

    def _compute(self, key: CacheKey, fn: Callable[[], Any], future: Future) -> np.ndarray:
        try:
            value = self._disk_get(key) if self._disk else None  # spilled since our lookup
            if value is None:
                value = self.put(key, fn())
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def _ram_value_locked(self, key: CacheKey) -> np.ndarray | None:
        entry = self._ram.get(key) or self._spilling.get(key)
        return entry.value if entry is not None else None

    def _disk_get(self, key: CacheKey, background: bool = False) -> np.ndarray | None:
        """Load ``key`` from disk and promote it to RAM when it is still current."""
        assert self._disk is not None
        loaded = self._disk.get(key)
        if loaded is None:
            return None
        value, token = loaded
        value.flags.writeable = False
        events: list[tuple[str, CacheKey | None]] = []
        with self._lock:
            newer = self._ram_value_locked(key)
            if newer is not None:
                return newer
            if not self._disk.is_current(key, token):
                return value  # replaced meanwhile: a valid read, but do not promote it
            victims = self._insert_locked(key, _Entry(value, on_disk=True), events)
        self._spill_now_or_later(victims, events, background)
        return value

    # -- storing ---------------------------------------------------------------------------
    def put(self, key: CacheKey, value: Any, *, background: bool = False) -> np.ndarray:
        """Store ``value`` for ``key`` (replacing any older value) and return the stored array.

        Emits "added" (for a new or replaced value). What the new value evicts from RAM is
        written to the disk tier (when on) by the caller, which so waits on the disk: the
        back-pressure a producer thread wants. ``background=True`` hands those writes to one
        background thread instead (for a GUI thread; the entries stay readable meanwhile).

        Raises
        ------
        InputError
            If ``value`` is not a numpy array (or, for embeddings, a torch tensor).
        """
        array = to_array(key, value)
        array.flags.writeable = False
        events: list[tuple[str, CacheKey | None]] = [("added", key)]
        with self._lock:
            self._drop_locked(key)
            victims = self._insert_locked(key, _Entry(array), events)
        # (a value too big for every tier gets "evicted" at once)
        self._spill_now_or_later(victims, events, background)
        return array

    def _spill_now_or_later(self, victims: list, events: list, background: bool) -> None:
        """Write ``victims`` here (then emit ``events``), or emit now and queue the writes
        for the background writer (which emits their own events)."""
        if background and victims:
            self._emit(events)
            with self._lock:
                self._later.extend(victims)
                if self._writer is not None:
                    return  # the running writer takes them
                self._writer = threading.Thread(
                    target=self._write_later, name="cache-spill", daemon=True
                )
            self._writer.start()
            return
        self._spill(victims, events)
        self._emit(events)

    def _write_later(self) -> None:
        """Background writer: spill what is queued, then end (no idle thread is kept)."""
        while True:
            with self._lock:
                batch, self._later = self._later, []
                if not batch:
                    self._writer = None
                    return
            events: list[tuple[str, CacheKey | None]] = []
            try:
                self._spill(batch, events)
            except Exception:  # a bug must not stop the writer: what it held stays in RAM
                log.exception("cache: background write of %d entries failed", len(batch))
            self._emit(events)

    def wait_writes(self, timeout_s: float = 30.0) -> bool:
        """Block until the background writer is done; True when it is (close, tests)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                writer = self._writer
            if writer is None:
                return True
            writer.join(max(0.0, deadline - time.monotonic()))
            if writer.is_alive():
                return False

    def _insert_locked(
        self, key: CacheKey, entry: _Entry, events: list
    ) -> list[tuple[CacheKey, _Entry]]:
        """Add ``entry`` to RAM and evict over budget; return the entries to write to disk."""
        self._ram[key] = entry
        self._ram_kind.setdefault(key.kind, OrderedDict())[key] = None
        self._ram_bytes += entry.nbytes
        self._kind_bytes[key.kind] += entry.nbytes
        victims: list[tuple[CacheKey, _Entry]] = []
        kind_budget = self.kind_budgets.get(key.kind)
        if entry.nbytes > min(
            self.ram_budget, self.ram_budget if kind_budget is None else kind_budget
        ):
            self._evict_locked(key, victims, events)  # too big for RAM: do not flush the rest
            return victims
        self._enforce_locked((key.kind,), victims, events)
        return victims

    def _enforce_locked(self, kinds: Iterable[str], victims: list, events: list) -> None:
        """Evict least recently used entries until ``kinds`` and the total fit their budgets."""
        for kind in kinds:
            budget = self.kind_budgets.get(kind)
            while budget is not None and self._kind_bytes[kind] > budget:
                self._evict_locked(next(iter(self._ram_kind[kind])), victims, events)
        while self._ram_bytes > self.ram_budget:
            self._evict_locked(next(iter(self._ram)), victims, events)

    def _evict_locked(self, key: CacheKey, victims: list, events: list) -> None:
        entry = self._pop_ram_locked(key)
        self._evictions += 1
        if self._disk is None or not self._disk.budget:  # no disk tier, or turned off
            events.append(("evicted", key))
        elif not (entry.on_disk and self._disk.touch(key)):
            self._spilling[key] = entry
            victims.append((key, entry))

    def _pop_ram_locked(self, key: CacheKey) -> _Entry:
        entry = self._ram.pop(key)
        del self._ram_kind[key.kind][key]
        self._ram_bytes -= entry.nbytes
        self._kind_bytes[key.kind] -= entry.nbytes
        return entry

    def _drop_locked(self, key: CacheKey) -> bool:
        """Remove ``key`` from every tier (no event); return whether it was present."""
        present = False
        if key in self._ram:
            self._pop_ram_locked(key)
            present = True
        present = self._spilling.pop(key, None) is not None or present
        if self._disk is not None:
            present = self._disk.discard(key) or present
        return present

    def _spill(self, victims: list[tuple[CacheKey, _Entry]], events: list) -> None:
        """Write evicted entries to the disk tier (outside the lock; renames under it)."""
        for key, entry in victims:
            assert self._disk is not None
            with self._lock:
                if self._spilling.get(key) is not entry:
                    continue  # dropped or replaced since (cleared, discarded, put again)
            try:
                written: tuple[Path, int] | None = self._disk.write_temp(entry.value)
            except OSError as exc:
                log.warning("cache: cannot write %s frame %s to disk: %s", key.kind, key.frame, exc)
                written = None
            with self._lock:
                current = self._spilling.get(key) is entry
                if current:
                    del self._spilling[key]
                stored, dropped = False, []
                if current and written is not None:
                    stored, dropped = self._disk.commit(key, *written)
                    self._spills += int(stored)
                elif written is not None:
                    self._disk.abandon(written[0])
                if current and not stored:
                    events.append(("evicted", key))
                events.extend(
                    ("evicted", k)
                    for k in dropped
                    if k not in self._ram and k not in self._spilling
                )

    # -- removal ---------------------------------------------------------------------------
    def discard(self, key: CacheKey) -> bool:
        """Remove ``key`` from every tier; return whether it was cached."""
        with self._lock:
            present = self._drop_locked(key)
        if present:
            self._emit([("evicted", key)])
        return present

    def clear(self) -> None:
        """Remove every value from every tier (statistics are kept)."""
        with self._lock:
            self._ram.clear()
            self._ram_kind.clear()
            self._ram_bytes = 0
            self._kind_bytes.clear()
            self._spilling.clear()
            if self._disk is not None:
                self._disk.clear()
        self._emit([("cleared", None)])

    def close(self) -> None:
        """Clear the cache and delete the disk tier's session folder."""
        self.clear()
        self.wait_writes()  # (cleared: it only skips what it had left)
        if self._disk is not None:
            self._disk.close()

    def __enter__(self) -> TieredCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- introspection ---------------------------------------------------------------------
    def keys(self, media_id: str | None = None, kind: str | None = None) -> list[CacheKey]:
        """Keys cached in any tier, optionally only those of one media and/or kind."""
        with self._lock:
            found = set(self._ram) | set(self._spilling)
        if self._disk is not None:
            found.update(self._disk.keys())
        return [
            k
            for k in found
            if (media_id is None or k.media_id == media_id) and (kind is None or k.kind == kind)
        ]

    def frames(
        self, media_id: str, kind: str = "frame", params: tuple | str | None = None
    ) -> list[int]:
        """Sorted frame numbers cached for ``media_id`` and ``kind`` (and ``params`` if given)."""
        keys = self.keys(media_id, kind)
        return sorted({k.frame for k in keys if params is None or k.params == params})

    def stats(self) -> CacheStats:
        """A snapshot of sizes and hit/miss counters, per tier and per kind."""
        disk_bytes, disk_files = self._disk.kind_totals() if self._disk else ({}, {})
        with self._lock:
            ram_keys = set(self._ram) | set(self._spilling)
            per_kind = {
                kind: KindStats(
                    hits_ram=self._hits_ram[kind],
                    hits_disk=self._hits_disk[kind],
                    misses=self._misses[kind],
                    ram_bytes=self._kind_bytes[kind],
                    disk_bytes=disk_bytes.get(kind, 0),
                    ram_entries=len(self._ram_kind.get(kind, ())),
                    disk_entries=disk_files.get(kind, 0),
                    ram_budget=self.kind_budgets.get(kind),
                )
                for kind in registered_kinds()
            }
            stats = CacheStats(
                ram_bytes=self._ram_bytes,
                ram_budget=self.ram_budget,
                disk_bytes=self._disk.bytes if self._disk else 0,
                disk_budget=self._disk.budget if self._disk else 0,
                hits_ram=sum(self._hits_ram.values()),
                hits_disk=sum(self._hits_disk.values()),
                misses=sum(self._misses.values()),
                evictions=self._evictions,
                disk_evictions=self._disk.evictions if self._disk else 0,
                spills=self._spills,
                ram_entries=len(self._ram),
                disk_entries=sum(disk_files.values()),
                per_kind=per_kind,
            )
        disk_keys = set(self._disk.keys()) if self._disk else set()
        stats.entries = len(ram_keys | disk_keys)
        return stats

    # -- listeners -------------------------------------------------------------------------
    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(event, key)`` on "added" / "evicted" / "cleared" (key None)."""
        with self._lock:
            self._listeners = [*self._listeners, fn]

    def remove_listener(self, fn: Listener) -> None:
        """Stop calling ``fn``; unknown listeners are ignored. Compared by equality: a bound
        method is a new object at each ``obj.method``, equal to the one added."""
        with self._lock:
            self._listeners = [f for f in self._listeners if f != fn]

    def _emit(self, events: list[tuple[str, CacheKey | None]]) -> None:
        listeners = self._listeners  # replaced, never mutated: safe to read without the lock
        for event, key in events:
            for fn in listeners:
                try:
                    fn(event, key)
                except Exception:  # a broken view must not break the cache
                    log.exception("cache listener %r failed on %s %s", fn, event, key)

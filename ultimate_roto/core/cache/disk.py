"""Disk tier of the cache: .npy files under a byte budget with LRU eviction.

The tier does NOT persist across runs. Its index lives in memory, and each tier writes into its
own session folder ``<disk_dir>/ur-cache-<pid>-<random>/`` that :meth:`DiskTier.close` (or the
interpreter's exit) deletes. Session folders left behind by a crashed run are deleted when the
next tier starts in the same ``disk_dir`` (only folders whose process is gone).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ultimate_roto.core.cache.keys import CacheKey
from ultimate_roto.core.errors import InputError

log = logging.getLogger(__name__)

SESSION_PREFIX = "ur-cache-"


@dataclass(frozen=True)
class _DiskEntry:
    path: Path
    nbytes: int  # file size on disk


def _make_root(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the cache folder '{root}' (setting disk_dir): {exc.strerror or exc}",
            hint="set disk_dir to a writable folder, or disk_mb to 0 to turn the disk cache off",
        ) from None
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        raise InputError(
            f"the cache folder '{root}' (setting disk_dir) is not a writable folder",
            hint="set disk_dir to a writable folder, or disk_mb to 0 to turn the disk cache off",
        )


def _remove_stale_sessions(root: Path) -> None:
    """Delete session folders of processes that no longer exist (left by a crash)."""
    import psutil

    for child in root.glob(f"{SESSION_PREFIX}*"):
        pid_text = child.name[len(SESSION_PREFIX) :].split("-", 1)[0]
        if not child.is_dir() or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid != os.getpid() and not psutil.pid_exists(pid):
            shutil.rmtree(child, ignore_errors=True)


class DiskTier:
    """LRU store of numpy arrays as ``.npy`` files, bounded by total file size.

    Thread-safe. File writes and reads happen outside the index lock; only renames, deletions and
    index updates happen under it.

    Parameters
    ----------
    root
        Folder that holds the session folder (created if missing).
    budget
        Most bytes of files kept; older files are deleted first.

    Raises
    ------
    InputError
        If the folder cannot be created or written.
    """

    def __init__(self, root: str | Path, budget: int) -> None:
        self.root = Path(root)
        self.budget = int(budget)
        _make_root(self.root)
        _remove_stale_sessions(self.root)
        try:
            self.dir = Path(tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-", dir=root))
        except OSError as exc:
            raise InputError(
                f"cannot write in the cache folder '{self.root}' (setting disk_dir): {exc}",
                hint="set disk_dir to a writable folder, or disk_mb to 0",
            ) from None
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.dir), True)
        self._lock = threading.Lock()
        self._index: OrderedDict[CacheKey, _DiskEntry] = OrderedDict()
        self._names: dict[str, CacheKey] = {}
        self._doomed: list[Path] = []  # files whose deletion failed (open elsewhere); retried
        self.bytes = 0
        self.evictions = 0
        self._kind_bytes: Counter[str] = Counter()
        self._kind_entries: Counter[str] = Counter()

    # -- writing ---------------------------------------------------------------------------
    def write_temp(self, array: np.ndarray) -> tuple[Path, int]:
        """Write ``array`` to a temporary file in the session folder; return (path, size).

        Call :meth:`commit` (or :meth:`abandon`) afterwards. Raises ``OSError`` on failure.
        """
        fd, name = tempfile.mkstemp(suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, array, allow_pickle=False)
                size = f.tell()
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        return Path(name), size

    def abandon(self, tmp: Path) -> None:
        """Delete a temporary file that will not be committed."""
        with self._lock:
            self._unlink(tmp)

    def commit(self, key: CacheKey, tmp: Path, size: int) -> tuple[bool, list[CacheKey]]:
        """Move a written temp file into place as ``key``; evict older files over budget.

        Returns
        -------
        (stored, evicted)
            Whether the file was kept (False if it alone exceeds the budget), and the keys
            whose files were deleted to make room.
        """
        with self._lock:
            self._retry_doomed()
            if size > self.budget:
                self._unlink(tmp)
                return False, []
            self._remove(key)
            path = self.dir / f"{self._name_for(key)}.npy"
            os.replace(tmp, path)
            self._index[key] = _DiskEntry(path, size)
            self._names[path.stem] = key
            self.bytes += size
            self._kind_bytes[key.kind] += size
            self._kind_entries[key.kind] += 1
            return True, self._evict_over_budget(exclude=key)

    def _name_for(self, key: CacheKey) -> str:
        base = key.digest()
        name, n = base, 0
        while name in self._names and self._names[name] != key:  # repr collision: rare
            n += 1
            name = f"{base}-{n}"
        return name

    def set_budget(self, budget: int) -> list[CacheKey]:
        """Change the budget (0: keep no files); delete the least recently used files over it.

        Returns
        -------
        list of CacheKey
            The keys whose files were deleted, least recently used first.
        """
        with self._lock:
            self.budget = int(budget)
            self._retry_doomed()
            return self._evict_over_budget(exclude=None)

    def _evict_over_budget(self, exclude: CacheKey | None) -> list[CacheKey]:
        evicted = []
        while self.bytes > self.budget:
            victim = next((k for k in self._index if k != exclude), None)
            if victim is None:
                break
            self._remove(victim)
            self.evictions += 1
            evicted.append(victim)
        return evicted

    # -- reading ---------------------------------------------------------------------------
    def get(self, key: CacheKey) -> tuple[np.ndarray, object] | None:
        """Load ``key``'s array (marking it most recently used), or None if absent/unreadable.

        Returns ``(array, token)``; :meth:`is_current` tells later whether the file the array
        came from is still the one stored for ``key`` (it was not replaced or deleted).
        """
        with self._lock:
            entry = self._index.get(key)
            if entry is None:
                return None
            self._index.move_to_end(key)
        try:
            return np.load(entry.path, allow_pickle=False), entry
        except (OSError, ValueError) as exc:
            # deleted meanwhile by eviction, or damaged on disk: treat as a miss
            log.debug("cache file %s for %s unreadable: %s", entry.path, key, exc)
            with self._lock:
                if self._index.get(key) is entry:
                    self._remove(key)
            return None

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._index

    def is_current(self, key: CacheKey, token: object) -> bool:
        """Whether ``token`` (from :meth:`get`) is still the stored file of ``key``."""
        with self._lock:
            return self._index.get(key) is token

    def touch(self, key: CacheKey) -> bool:
        """Mark ``key`` most recently used; return whether it is present."""
        with self._lock:
            if key not in self._index:
                return False
            self._index.move_to_end(key)
            return True

    def keys(self) -> list[CacheKey]:
        """Snapshot of the keys on disk, least recently used first."""
        with self._lock:
            return list(self._index)

    def kind_totals(self) -> tuple[dict[str, int], dict[str, int]]:
        """(bytes per kind, files per kind) snapshot."""
        with self._lock:
            return dict(self._kind_bytes), dict(self._kind_entries)

    # -- removal ---------------------------------------------------------------------------
    def discard(self, key: CacheKey) -> bool:
        """Delete ``key``'s file; return whether it was present."""
        with self._lock:
            return self._remove(key)

    def clear(self) -> list[CacheKey]:
        """Delete every file; return the keys that were present."""
        with self._lock:
            keys = list(self._index)
            for key in keys:
                self._remove(key)
            return keys

    def close(self) -> None:
        """Delete the session folder and everything in it."""
        with self._lock:
            self._index.clear()
            self._names.clear()
            self.bytes = 0
            self._kind_bytes.clear()
            self._kind_entries.clear()
        self._finalizer()

    def _remove(self, key: CacheKey) -> bool:
        entry = self._index.pop(key, None)
        if entry is None:
            return False
        self._names.pop(entry.path.stem, None)
        self.bytes -= entry.nbytes
        self._kind_bytes[key.kind] -= entry.nbytes
        self._kind_entries[key.kind] -= 1
        self._unlink(entry.path)
        return True

    def _unlink(self, path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # e.g. open by a reader on Windows; try again later
            self._doomed.append(path)

    def _retry_doomed(self) -> None:
        doomed, self._doomed = self._doomed, []
        for path in doomed:
            if path.stem not in self._names:
                self._unlink(path)

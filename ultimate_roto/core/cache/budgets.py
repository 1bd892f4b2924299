"""Budgets of the tiered cache: validation, and changing them on a live cache.

:class:`BudgetsMixin` gives :class:`~ultimate_roto.core.cache.tiered.TieredCache` its
:meth:`~BudgetsMixin.set_budgets` and :meth:`~BudgetsMixin.apply_settings`; it works on the
cache's own state (declared below) and eviction helpers, under the cache's lock.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ultimate_roto.core.cache.disk import DiskTier
from ultimate_roto.core.cache.keys import CacheKey, check_kind
from ultimate_roto.core.errors import InputError

if TYPE_CHECKING:
    from ultimate_roto.core.cache.tiered import _Entry


def check_budget(name: str, value: object) -> int:
    """Return ``value`` as a byte count, or raise :class:`InputError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(
            f"cache budget {name} must be a whole number of bytes >= 0, got {value!r}",
            hint=f"set {name} to 0 (tier off) or a positive size",
        )
    return int(value)


def check_kind_budgets(kind_budgets: Mapping[str, int] | None) -> dict[str, int]:
    """Validated per-kind RAM budgets ``{kind: bytes}`` (unknown kinds and bad sizes raise)."""
    if kind_budgets is not None and not isinstance(kind_budgets, Mapping):
        raise InputError(
            f"cache kind_budgets must map kinds to bytes, got {kind_budgets!r}",
            hint='pass e.g. {"embedding": 2 << 30}',
        )
    return {
        check_kind(k): check_budget(f"kind_budgets[{k!r}]", v)
        for k, v in (kind_budgets or {}).items()
    }


def no_disk_dir(disk_bytes: int) -> InputError:
    """The error for a disk budget without a folder to put the files in."""
    return InputError(
        f"cache disk_bytes is {disk_bytes} but no disk_dir is given",
        hint="pass disk_dir (a writable folder), or disk_bytes=0 to turn the disk tier off",
    )


def same_folder(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same folder (``~`` expanded, links resolved)."""
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


class BudgetsMixin:
    """Live budget changes for :class:`~ultimate_roto.core.cache.tiered.TieredCache`."""

    # the cache's state this mixin works on (set by TieredCache.__init__)
    ram_budget: int
    kind_budgets: dict[str, int]
    _lock: threading.Lock
    _disk: DiskTier | None
    _disk_root: Path | None
    _ram: OrderedDict[CacheKey, _Entry]
    _spilling: dict[CacheKey, _Entry]
    _kind_bytes: Counter[str]

    def set_budgets(
        self,
        *,
        ram_bytes: int | None = None,
        disk_bytes: int | None = None,
        kind_budgets: Mapping[str, int] | None = None,
        disk_dir: str | Path | None = None,
    ) -> None:
        """Change budgets now; values over a smaller budget are evicted before this returns.

        Any subset may be given (None keeps a budget as it is). Evictions go least recently
        used first and work as usual: a value pushed out of RAM is written to the disk tier
        (in the calling thread, before this returns) or, with the disk tier off, dropped;
        shrinking the disk budget deletes the oldest files. Listeners get "evicted" for each
        key that is no longer held in any tier. A larger budget evicts nothing. Safe to call
        while other threads use the cache.

        The disk tier: ``disk_bytes=0`` turns it off (its files are deleted; its empty session
        folder stays until :meth:`close`, so turning it on again reuses it). Turning it on in a
        cache that never had one needs a folder: ``disk_dir``, else the one the cache was built
        with. Once made, the disk tier keeps its folder for the life of the cache: a different
        ``disk_dir`` is then ignored (:meth:`apply_settings` reports it).

        Parameters
        ----------
        ram_bytes
            Total RAM budget in bytes (0: nothing stays in RAM).
        disk_bytes
            Disk budget in bytes (0: disk tier off).
        kind_budgets
            RAM budget per kind; replaces the previous mapping as a whole (``{}`` removes every
            per-kind budget).
        disk_dir
            Folder for the disk tier when this call turns it on in a cache without one.

        Raises
        ------
        InputError
            For a negative or non-integer budget, an unknown kind, a disk budget without a
            folder, or a folder that cannot be created. Nothing is changed then.
        """
        ram = None if ram_bytes is None else check_budget("ram_bytes", ram_bytes)
        disk = None if disk_bytes is None else check_budget("disk_bytes", disk_bytes)
        kinds = None if kind_budgets is None else check_kind_budgets(kind_budgets)
        created = self._new_disk_tier(disk, disk_dir)
        events: list[tuple[str, CacheKey | None]] = []
        victims: list[tuple[CacheKey, _Entry]] = []
        with self._lock:
            if created is not None and self._disk is None:
                self._disk, created = created, None
            if disk_dir is not None and self._disk is None:
                self._disk_root = Path(disk_dir)
            if disk is not None and self._disk is not None:
                dropped = self._disk.set_budget(disk)
                events.extend(
                    ("evicted", k)
                    for k in dropped
                    if k not in self._ram and k not in self._spilling
                )
            if ram is not None:
                self.ram_budget = ram
            if kinds is not None:
                self.kind_budgets = kinds
            self._enforce_locked(list(self.kind_budgets), victims, events)
        if created is not None:  # another call turned the disk tier on first
            created.close()
        self._spill(victims, events)
        self._emit(events)

    def _new_disk_tier(self, disk: int | None, disk_dir: str | Path | None) -> DiskTier | None:
        """A disk tier to install when ``disk`` turns the tier on in a cache without one."""
        if not disk or self._disk is not None:
            return None
        root = disk_dir or self._disk_root
        if not root:
            raise no_disk_dir(disk)
        return DiskTier(root, disk)

    def apply_settings(self, settings: Mapping[str, Any]) -> list[str]:
        """Give this live cache the budgets of ``settings`` (as :meth:`from_settings` takes them).

        Missing keys get the same defaults as :meth:`from_settings`, so the cache ends up with
        the budgets a new cache built from ``settings`` would have. See :meth:`set_budgets`.

        Returns
        -------
        list of str
            The settings that did not take effect and wait for a new cache: ``["disk_dir"]``
            when the disk tier is on in another folder; else empty.

        Raises
        ------
        InputError
            Naming the bad setting (nothing is changed then).
        """
        from ultimate_roto.core.cache.settings import budgets_from_settings

        budgets = budgets_from_settings(settings)
        self.set_budgets(
            ram_bytes=budgets["ram_bytes"],
            disk_bytes=budgets["disk_bytes"],
            kind_budgets=budgets["kind_budgets"],
            disk_dir=budgets["disk_dir"],
        )
        wanted, disk = budgets["disk_dir"], self._disk
        moved = wanted is not None and disk is not None and disk.budget > 0
        return ["disk_dir"] if moved and not same_folder(disk.root, wanted) else []

    if TYPE_CHECKING:  # provided by TieredCache

        def _enforce_locked(self, kinds: Iterable[str], victims: list, events: list) -> None: ...

        def _spill(self, victims: list[tuple[CacheKey, _Entry]], events: list) -> None: ...

        def _emit(self, events: list[tuple[str, CacheKey | None]]) -> None: ...

"""Cache budgets from user settings (megabytes, folder) with defaults and validation."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ultimate_roto.core.cache.keys import check_kind
from ultimate_roto.core.errors import InputError

MB = 1024 * 1024
SETTING_KEYS = ("ram_mb", "disk_mb", "disk_dir", "kind_mb")
DEFAULT_RAM_FRACTION = 0.25  # of physical memory
DEFAULT_DISK_MB = 8192  # when a disk folder is given without a size


def default_ram_mb() -> int:
    """25 % of physical memory, in MiB (at least 256)."""
    import psutil

    return max(256, int(psutil.virtual_memory().total * DEFAULT_RAM_FRACTION) // MB)


def default_disk_dir() -> Path:
    """``<user cache folder>/frames``."""
    from ultimate_roto.paths import user_cache_dir

    return user_cache_dir() / "frames"


def _megabytes(name: str, value: object) -> int:
    """Validate a size in MiB (int or float >= 0) and return it in bytes."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:  # type: ignore[arg-type]
        raise InputError(
            f"cache setting '{name}' must be a number of megabytes >= 0, got {value!r}",
            hint=f"set '{name}' to e.g. 4096, or 0 to turn that tier off",
        )
    return int(value * MB)  # type: ignore[operator]


def budgets_from_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Turn cache settings into :class:`~ultimate_roto.core.cache.TieredCache` arguments.

    Parameters
    ----------
    settings
        ``ram_mb`` (default 25 % of RAM), ``disk_mb`` (default 8192 when ``disk_dir`` is set,
        else 0 = off), ``disk_dir`` (default ``<user cache>/frames`` when ``disk_mb`` > 0),
        ``kind_mb`` (optional ``{kind: MiB}`` RAM budgets, e.g. ``{"embedding": 2048}``).

    Returns
    -------
    dict
        Keyword arguments ``ram_bytes``, ``disk_dir``, ``disk_bytes``, ``kind_budgets``.

    Raises
    ------
    InputError
        Naming the setting that is unknown, negative, not a number, or an unknown kind.
    """
    if not isinstance(settings, Mapping):
        raise InputError(
            f"cache settings must be a mapping, got {type(settings).__name__}",
            hint='use e.g. {"ram_mb": 4096, "disk_mb": 0}',
        )
    for name in settings:
        if name not in SETTING_KEYS:
            close = difflib.get_close_matches(str(name), SETTING_KEYS, n=1)
            raise InputError(
                f"unknown cache setting '{name}'",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + "known settings: "
                + ", ".join(SETTING_KEYS),
            )
    ram = settings.get("ram_mb")
    ram_bytes = _megabytes("ram_mb", default_ram_mb() if ram is None else ram)
    disk_dir = settings.get("disk_dir")
    if disk_dir is not None and (not isinstance(disk_dir, str | Path) or not str(disk_dir)):
        raise InputError(
            f"cache setting 'disk_dir' must be a folder path, got {disk_dir!r}",
            hint="set 'disk_dir' to a writable folder, or leave it out",
        )
    disk = settings.get("disk_mb")
    disk_bytes = _megabytes(
        "disk_mb", (DEFAULT_DISK_MB if disk_dir else 0) if disk is None else disk
    )
    if disk_bytes and disk_dir is None:
        disk_dir = default_disk_dir()
    kind_mb = settings.get("kind_mb") or {}
    if not isinstance(kind_mb, Mapping):
        raise InputError(
            f"cache setting 'kind_mb' must map kinds to megabytes, got {kind_mb!r}",
            hint='use e.g. {"embedding": 2048}',
        )
    kind_budgets = {check_kind(k): _megabytes(f"kind_mb.{k}", v) for k, v in kind_mb.items()}
    return {
        "ram_bytes": ram_bytes,
        "disk_dir": Path(disk_dir).expanduser() if disk_bytes and disk_dir else None,
        "disk_bytes": disk_bytes,
        "kind_budgets": kind_budgets,
    }

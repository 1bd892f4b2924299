"""Project JSON schema versions and the registry of upgrade steps vN → vN+1."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ultimate_roto.core.errors import InputError

SCHEMA_VERSION = 3
"""Version written by :func:`~ultimate_roto.core.project.save_project`.

History
-------
1. First release; ``shot.fps`` is a float (23.976).
2. ``shot.fps`` is an exact rational string ``"24000/1001"``.
3. Optional ``depth`` section (per-shot range, engine, sidecar ``depth/`` chunk files). A v2
   reader would load such a file without its depth and drop it on the next save, so the
   version moved on: older builds refuse v3 files instead of losing data.
"""

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
UPGRADES: dict[int, Upgrade] = {}

# NTSC-style rates that v1 files stored as rounded floats.
_NTSC_FLOATS = {23.976: Fraction(24000, 1001), 29.97: Fraction(30000, 1001)}
_NTSC_FLOATS[59.94] = Fraction(60000, 1001)


def upgrade_step(from_version: int) -> Callable[[Upgrade], Upgrade]:
    """Register ``fn`` as the upgrade from ``from_version`` to ``from_version + 1``."""

    def register(fn: Upgrade) -> Upgrade:
        if from_version in UPGRADES:
            raise ValueError(f"an upgrade from schema v{from_version} is already registered")
        UPGRADES[from_version] = fn
        return fn

    return register


def fps_from_float(fps: float) -> Fraction:
    """Map a float frame rate to an exact rational (23.976 → 24000/1001, 25.0 → 25).

    Rates within 0.001 of an integer are that integer; rates within 0.001 of N·1000/1001 are
    the NTSC rational; anything else is the closest fraction with a denominator ≤ 1001.
    """
    value = float(fps)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"frame rate must be a positive number, got {fps!r}")
    for known, exact in _NTSC_FLOATS.items():
        if abs(value - known) < 1e-3:
            return exact
    if abs(value - round(value)) < 1e-3:
        return Fraction(round(value))
    ntsc = round(value * 1001 / 1000)
    if abs(value - ntsc * 1000 / 1001) < 1e-3:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(value).limit_denominator(1001)


def parse_fps(value: Any, where: str) -> Fraction:
    """Parse a v2 fps string ``"num/den"`` (or an int); InputError naming ``where``."""
    try:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError
        fps = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise InputError(
            f"{where}: fps {value!r} is not an exact rational",
            hint='write it as a string such as "24000/1001" or "25/1"',
        ) from None
    if fps <= 0:
        raise InputError(f"{where}: fps must be positive, got {value!r}", hint='e.g. "24/1"')
    return fps


@upgrade_step(1)
def upgrade_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 stored ``shot.fps`` as a float; v2 stores an exact ``"num/den"`` string."""
    out = copy.deepcopy(data)
    shot = out.get("shot")
    if isinstance(shot, dict) and "fps" in shot:
        try:
            fps = fps_from_float(shot["fps"])
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"schema v1 field shot.fps is not a frame rate: {shot['fps']!r}",
                hint="edit the project file so shot.fps is a number such as 24 or 23.976",
            ) from exc
        shot["fps"] = f"{fps.numerator}/{fps.denominator}"
    out["schema_version"] = 2
    return out


@upgrade_step(2)
def upgrade_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """v2 had no depth layer; v3 reads a missing ``depth`` as none, so nothing changes."""
    out = copy.deepcopy(data)
    out["schema_version"] = 3
    return out


def upgrade_to_current(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Run every registered step from the file's version up to :data:`SCHEMA_VERSION`.

    Raises
    ------
    InputError
        When the version is missing or not an integer, or newer than this program knows.
    """
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError(
            f"{source}: 'schema_version' is missing or invalid ({version!r})",
            hint="this is not an Ultimate Roto project, or its header is damaged",
        )
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{source} uses project schema v{version}; this program reads up to v{SCHEMA_VERSION}",
            hint="open it with a newer Ultimate Roto",
        )
    while version < SCHEMA_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            raise InputError(
                f"{source}: no upgrade from schema v{version}", hint="open it with an older build"
            )
        data = step(data)
        version += 1
        data["schema_version"] = version
    return data

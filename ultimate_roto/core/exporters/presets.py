"""Named export presets: lists of job-file export entries for the Export dialog and for jobs.

A job entry ``{"preset": "Flame", "folder": "deliver"}`` expands to the preset's entries with
every path put under ``folder`` (see :meth:`ExportSpec._from_preset`); the GUI lists
:func:`names` and shows :func:`describe`.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
from typing import Any

from ultimate_roto.core.errors import JobError

#: Preset name → (one-line description, export entries as a job file writes them).
PRESETS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "Nuke multi-layer EXR": (
        "one EXR per frame (plate, an alpha layer per object, matte, ids, Cryptomatte, motion)"
        " plus a .nk with the plate Read, a Roto per object and the Nuke-Python companion",
        [
            {"format": "exr", "what": "layers", "path": "nuke/comp.####.exr",
             "aovs": ["rgba", "objects", "matte", "ids", "cryptomatte", "motion"],
             "compression": "zip"},
            {"format": "nuke", "path": "nuke/roto.nk"},
        ],
    ),
    "Flame": (
        "plate EXR, one matte EXR sequence per object and a Flame Python hook that builds a"
        " Batch with them",
        [
            {"format": "exr", "what": "plate", "path": "flame/plate/plate.####.exr",
             "compression": "piz"},
            {"format": "flame", "path": "flame/import_roto.py",
             "plate": "plate/plate.####.exr"},
        ],
    ),
    "DPX log": (
        "10-bit Cineon log DPX of the plate (95 black, 685 white)",
        [{"format": "dpx", "path": "dpx/plate.####.dpx", "encoding": "log", "bit_depth": 10}],
    ),
    "PNG mattes": (
        "16-bit PNG matte sequence per object",
        [{"format": "png", "what": "mask", "path": "mattes/{object}/{object}.####.png",
          "bit_depth": 16}],
    ),
}  # fmt: skip


def names() -> list[str]:
    """Preset names in display order."""
    return list(PRESETS)


def canonical(name: Any, where: str = "preset") -> str:
    """The preset's exact name (case-insensitive match).

    Raises
    ------
    JobError
        Unknown name: the message lists the presets, the hint suggests the closest.
    """
    if isinstance(name, str):
        for known in PRESETS:
            if known.lower() == name.strip().lower():
                return known
    close = difflib.get_close_matches(str(name), list(PRESETS), n=1, cutoff=0.4)
    raise JobError(
        f"{where}: {name!r} is not a preset; presets: {', '.join(PRESETS)}",
        hint=f"did you mean {close[0]!r}?" if close else "use one of the names listed",
    )


def describe(name: str) -> str:
    """One line for the GUI."""
    return PRESETS[canonical(name)][0]


def entries(name: Any, *, folder: str = "", where: str = "preset") -> list[dict[str, Any]]:
    """The preset's export entries (fresh copies), each path under ``folder`` when given.

    The mask kind these entries may name is registered by the engines; it is imported here so
    a job naming a preset validates even before any step module loaded.
    """
    known = canonical(name, where)
    _register_engine_kinds()
    out = copy.deepcopy(PRESETS[known][1])
    if folder:
        base = folder.rstrip("/\\")
        for entry in out:
            entry["path"] = f"{base}/{entry['path']}"
    return out


def _register_engine_kinds() -> None:
    # engines not installed: the entries naming their kinds fail validation instead
    with contextlib.suppress(ImportError):
        import ultimate_roto.core.engines.exports  # noqa: F401  (registers mask/matte/depth)

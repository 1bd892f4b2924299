"""OpenEXR writer (OpenEXR 3.5 ``File`` API): named/dotted channels, timecode, fps, metadata."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR

from ultimate_roto.core.errors import MediaError, OutputError
from ultimate_roto.core.exporters.atomic import atomic_path
from ultimate_roto.core.exporters.spec import EXR_COMPRESSIONS, as_fraction

PIXEL_TYPES = {"half": np.float16, "float": np.float32, "uint": np.uint32}
PixelTypes = str | Mapping[str, str] | None
#: One part of a multi-part file: ``(name, channels, pixel_types, compression)``.
ExrPart = tuple[str, Mapping[str, np.ndarray], PixelTypes, str]
_TIMECODE = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{2})")


def _compression(name: str) -> OpenEXR.Compression:
    key = name.lower()
    if key not in EXR_COMPRESSIONS:
        raise OutputError(
            f"EXR compression {name!r} is not supported",
            hint=f"use one of {', '.join(EXR_COMPRESSIONS)}",
        )
    return getattr(OpenEXR, ("NO" if key == "none" else key.upper()) + "_COMPRESSION")


def make_timecode(text: str) -> OpenEXR.TimeCode:
    """An EXR TimeCode from ``"HH:MM:SS:FF"`` (``;`` before the frames marks drop-frame)."""
    m = _TIMECODE.fullmatch(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise OutputError(f"timecode {text!r} is not HH:MM:SS:FF", hint="e.g. '01:00:00:00'")
    tc = OpenEXR.TimeCode()  # built empty, then its fields set (the constructor is fussy)
    tc.hours, tc.minutes, tc.seconds = int(m[1]), int(m[2]), int(m[3])
    tc.frame = int(m[5])
    tc.dropFrame = m[4] in ";."
    return tc


def format_timecode(tc: OpenEXR.TimeCode) -> str:
    """``"HH:MM:SS:FF"`` (``;`` for drop-frame) from an EXR TimeCode."""
    sep = ";" if tc.dropFrame else ":"
    return f"{tc.hours:02d}:{tc.minutes:02d}:{tc.seconds:02d}{sep}{tc.frame:02d}"


def rgba_channels(img: np.ndarray) -> dict[str, np.ndarray]:
    """Split an (H, W, C) image into ``{"R","G","B"[,"A"]}`` (C = 1 gives ``{"Y"}``).

    Each plane is copied to a C-contiguous array (strided views are written wrong).
    """
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    names = {1: ("Y",), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}.get(arr.shape[-1])
    if arr.ndim != 3 or names is None:
        raise OutputError(
            f"cannot split an image of shape {arr.shape} into EXR channels",
            hint="pass (H, W, 1), (H, W, 3) or (H, W, 4)",
        )
    return {n: np.ascontiguousarray(arr[:, :, i]) for i, n in enumerate(names)}


def _pixel_type(name: str, arr: np.ndarray, pixel_types: PixelTypes) -> Any:
    chosen = pixel_types if isinstance(pixel_types, str) else (pixel_types or {}).get(name)
    if chosen is None:
        return np.uint32 if arr.dtype == np.uint32 else np.float16
    if chosen not in PIXEL_TYPES:
        raise OutputError(
            f"EXR channel {name}: pixel type {chosen!r} is not half, float or uint",
            hint="use 'half' for colour and mattes, 'float' for depth and ids",
        )
    return PIXEL_TYPES[chosen]


def _prepare(
    path: Path, channels: Mapping[str, np.ndarray], pixel_types: PixelTypes
) -> dict[str, np.ndarray]:
    if not channels:
        raise OutputError(f"cannot write {path}: no channels given", hint="pass at least R,G,B")
    if isinstance(pixel_types, Mapping) and set(pixel_types) - set(channels):
        extra = ", ".join(sorted(set(pixel_types) - set(channels)))
        raise OutputError(f"cannot write {path}: pixel_types names unknown channels {extra}")
    shape = None
    out: dict[str, np.ndarray] = {}
    for name, plane in channels.items():
        arr = np.asarray(plane)
        if arr.ndim != 2 or arr.size == 0 or (shape is not None and arr.shape != shape):
            raise OutputError(
                f"cannot write {path}: channel {name!r} has shape {arr.shape}"
                + (f", expected {shape}" if shape else ", expected a non-empty 2-D array"),
                hint="every EXR channel must be a 2-D array of the same height and width",
            )
        shape = arr.shape
        # ALWAYS C-contiguous: OpenEXR 3.5 silently writes strided views wrong.
        out[name] = np.ascontiguousarray(arr, dtype=_pixel_type(name, arr, pixel_types))
    return out


def _header(compression: str, header: Mapping[str, Any] | None) -> dict[str, Any]:
    hdr: dict[str, Any] = {"compression": _compression(compression), "type": OpenEXR.scanlineimage}
    for key, value in (header or {}).items():
        if value is None:
            continue
        if key == "timeCode":
            value = value if isinstance(value, OpenEXR.TimeCode) else make_timecode(value)
        elif key == "framesPerSecond":
            value = as_fraction(value, "framesPerSecond")
        elif isinstance(value, bool) or not isinstance(value, (int, float, str, Fraction)):
            value = str(value)
        hdr[key] = value
    return hdr


def write_exr(
    path: str | Path,
    channels: Mapping[str, np.ndarray],
    *,
    compression: str = "zip",
    pixel_types: PixelTypes = None,
    header: Mapping[str, Any] | None = None,
) -> Path:
    """Write a single-part scanline EXR atomically.

    Parameters
    ----------
    path
        Output file.
    channels
        ``{name: 2-D array}``; dotted names for layers (``R,G,B,A``, ``hero.A``, ``depth.Z``).
    compression
        One of :data:`spec.EXR_COMPRESSIONS` (``zip`` default; ``dwaa/dwab`` are lossy).
    pixel_types
        ``"half"``/``"float"``/``"uint"`` for every channel, or per channel name;
        unnamed channels are half (uint32 arrays stay uint).
    header
        Extra attributes: ``timeCode`` ("HH:MM:SS:FF"), ``framesPerSecond`` (Fraction or
        "24000/1001"), and strings/numbers such as shot, frame, software, version.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        Bad channels/options, or the file cannot be written (disk full names the path).
    """
    path = Path(path)
    planes = _prepare(path, channels, pixel_types)
    hdr = _header(compression, header)
    with atomic_path(path) as tmp:
        _write_file(tmp, hdr, planes)
    return path


def _write_file(tmp: Path, hdr: dict[str, Any], planes: dict[str, np.ndarray]) -> None:
    """The low-level write (a seam the tests use to simulate a full disk)."""
    OpenEXR.File(hdr, planes).write(str(tmp))


def write_exr_parts(
    path: str | Path, parts: Sequence[ExrPart], *, header: Mapping[str, Any] | None = None
) -> Path:
    """Write a multi-part scanline EXR atomically, one part per entry of ``parts``.

    Parameters
    ----------
    path
        Output file.
    parts
        ``(name, channels, pixel_types, compression)`` per part, in file order; ``channels``,
        ``pixel_types`` and ``compression`` as for :func:`write_exr`, ``name`` the part name.
    header
        Attributes written into every part's header (as for :func:`write_exr`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputError
        No parts, bad channels/options, or the file cannot be written.
    """
    path = Path(path)
    if not parts:
        raise OutputError(f"cannot write {path}: no parts given", hint="pass at least one part")
    built = []
    for name, channels, types, compression in parts:
        planes = _prepare(path, channels, types)
        built.append(OpenEXR.Part(_header(compression, header), planes, name))
    with atomic_path(path) as tmp:
        OpenEXR.File(built).write(str(tmp))
    return path


def read_exr_channels(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read every channel by name, plus the header (``timeCode`` given as "HH:MM:SS:FF").

    Raises
    ------
    MediaError
        The file is missing or not a readable EXR.
    """
    try:
        with OpenEXR.File(str(path), separate_channels=True) as f:
            header = dict(f.header())
            chans = {name: ch.pixels for name, ch in f.channels().items()}
    except Exception as exc:
        raise MediaError(f"cannot read EXR {path}: {exc}", hint="check the file exists") from exc
    if isinstance(header.get("timeCode"), OpenEXR.TimeCode):
        header["timeCode"] = format_timecode(header["timeCode"])
    return chans, header

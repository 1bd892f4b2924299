"""DPX, PNG, TIFF and JPEG writers over OpenImageIO, with rounding quantisation."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import OutputError
from ultimate_roto.core.exporters.atomic import atomic_path
from ultimate_roto.core.exporters.exr import make_timecode
from ultimate_roto.core.exporters.spec import as_fraction

BIT_DEPTHS = {"dpx": (10, 16), "png": (8, 16), "tiff": (8, 16, 32), "jpg": (8,)}
DEFAULT_BIT_DEPTH = {"dpx": 10, "png": 8, "tiff": 16, "jpg": 8}
_TIFF_COMPRESSION = {"none": "none", "lzw": "lzw", "zip": "zip"}


def quantise(img: np.ndarray, bits: int) -> np.ndarray:
    """Float [0, 1] → unsigned ints of ``bits`` bits: round to nearest, clip, NaN → 0.

    10-bit values are returned in a uint16 array, scaled 0..1023.
    """
    top = (1 << bits) - 1
    scaled = np.nan_to_num(np.asarray(img, dtype=np.float32), nan=0.0) * np.float32(top)
    dtype = np.uint8 if bits <= 8 else np.uint16
    return np.clip(np.rint(scaled), 0, top).astype(dtype)


def _pixels(img: np.ndarray, fmt: str, bits: int) -> tuple[np.ndarray, Any]:
    """The array handed to OIIO and its TypeDesc."""
    if bits == 32:
        return np.ascontiguousarray(img, dtype=np.float32), oiio.FLOAT
    if bits == 10:
        # OIIO keeps the top 10 bits of uint16 data: replicate bits so that is exactly q.
        q = quantise(img, 10)
        return np.ascontiguousarray((q << 6) | (q >> 4)), oiio.UINT16
    q = quantise(img, bits)
    return np.ascontiguousarray(q), oiio.UINT8 if bits == 8 else oiio.UINT16


def _timecode_words(text: str) -> np.ndarray:
    """SMPTE 12M packed BCD timecode (the form DPX and OIIO's ``smpte:TimeCode`` use)."""
    tc = make_timecode(text)
    digits = (tc.hours, tc.minutes, tc.seconds, tc.frame)
    word = 0
    for value in digits:
        word = (word << 8) | ((value // 10) << 4) | (value % 10)
    if tc.dropFrame:
        word |= 1 << 6  # drop-frame flag sits in the frames byte
    return np.array([word, 0], dtype=np.uint32)


def _spec(
    shape: tuple[int, ...],
    typedesc: Any,
    fmt: str,
    bits: int,
    opts: Mapping[str, Any],
) -> Any:
    height, width, nchan = shape
    spec = oiio.ImageSpec(width, height, nchan, typedesc)
    spec.channelnames = ("R", "G", "B", "A")[:nchan] if nchan in (3, 4) else ("Y",)
    if nchan == 4:
        spec.alpha_channel = 3
        # Pixels are written as given: never let OIIO (un)premultiply on the way out
        # (PNG stores unassociated alpha and OIIO would otherwise divide by A).
        spec.attribute("oiio:UnassociatedAlpha", 1)
    spec.attribute("Software", f"{SOFTWARE_NAME} {__version__}")
    if bits == 10:
        spec.attribute("oiio:BitsPerSample", 10)
    if fmt == "jpg":
        spec.attribute("Compression", f"jpeg:{int(opts.get('quality', 95))}")
    if fmt == "tiff":
        spec.attribute("Compression", _TIFF_COMPRESSION[opts.get("compression") or "zip"])
    if opts.get("timecode"):
        spec.attribute(
            "smpte:TimeCode", oiio.TypeDesc("timecode"), _timecode_words(opts["timecode"])
        )
    if opts.get("fps") is not None:
        fps = as_fraction(opts["fps"])
        spec.attribute("FramesPerSecond", oiio.TypeDesc("rational"), _rational(fps))
        if fmt == "dpx":
            spec.attribute("dpx:FrameRate", float(fps))
    for key, value in (opts.get("metadata") or {}).items():
        spec.attribute(str(key), str(value))
    return spec


def _rational(fps: Fraction) -> np.ndarray:
    return np.array([fps.numerator, fps.denominator], dtype=np.int32)


def _check(path: Path, img: np.ndarray, fmt: str, bits: int) -> np.ndarray:
    if fmt not in BIT_DEPTHS:
        raise OutputError(
            f"cannot write {path}: unknown image format {fmt!r}",
            hint=f"use one of {', '.join(BIT_DEPTHS)} (EXR goes through exr.write_exr)",
        )
    if bits not in BIT_DEPTHS[fmt]:
        raise OutputError(
            f"cannot write {path}: {fmt} does not take {bits}-bit",
            hint=f"use bit_depth {' or '.join(map(str, BIT_DEPTHS[fmt]))}",
        )
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.size == 0:
        raise OutputError(
            f"cannot write {path}: image shape {arr.shape} is not (H, W, 1/3/4)",
            hint="pass a float32 RGB or RGBA frame",
        )
    if fmt == "jpg" and arr.shape[2] == 4:
        arr = arr[:, :, :3]  # JPEG has no alpha: it is dropped
    return arr


def write_image(
    path: str | Path,
    img: np.ndarray,
    fmt: str,
    bit_depth: int | None = None,
    **opts: Any,
) -> Path:
    """Write one frame as DPX, PNG, TIFF or JPEG, atomically.

    Parameters
    ----------
    path
        Output file (its extension should match ``fmt``).
    img
        float32 (H, W, C), C = 1, 3 or 4, values in [0, 1] for integer formats (rounded to
        nearest and clipped; NaN → 0). 32-bit TIFF stores the floats unchanged.
    fmt
        ``"dpx"`` (10/16), ``"png"`` (8/16), ``"tiff"`` (8/16/32 = float), ``"jpg"`` (8).
    bit_depth
        Bits per channel; ``None`` takes the format's default (DPX 10, PNG 8, TIFF 16).
    **opts
        ``quality`` (JPEG 1-100), ``compression`` (TIFF none/lzw/zip), ``timecode``
        ("HH:MM:SS:FF"), ``fps`` (Fraction), ``metadata`` (dict of strings).

    Raises
    ------
    OutputError
        Unsupported format/bit depth/shape, or the write failed (disk full names the path).
    """
    path = Path(path)
    bits = DEFAULT_BIT_DEPTH.get(fmt, 8) if bit_depth is None else int(bit_depth)
    arr = _check(path, img, fmt, bits)
    pixels, typedesc = _pixels(arr, fmt, bits)
    spec = _spec(pixels.shape, typedesc, fmt, bits, opts)
    with atomic_path(path) as tmp:
        _write_file(tmp, spec, pixels)
    return path


def _write_file(tmp: Path, spec: Any, pixels: np.ndarray) -> None:
    """The low-level OIIO write (a seam the tests use to simulate a full disk)."""
    out = oiio.ImageOutput.create(str(tmp))
    if out is None:
        raise OutputError(f"no OpenImageIO writer for {tmp.suffix}: {oiio.geterror()}")
    try:
        ok = out.open(str(tmp), spec) and out.write_image(pixels)
        error = "" if ok else out.geterror() or "unknown OpenImageIO error"
    finally:
        closed = out.close()
    if not ok or not closed:
        raise OSError(error or out.geterror() or "OpenImageIO could not finish the file")

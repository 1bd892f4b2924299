"""Pixel dtypes of frames: float32 for processing, compact uint8 / float16 for display caches.

Every reader returns float32 from ``read(n)`` (engines, exporters, the batch pipeline). A
reader may also offer ``read_compact(n)``: the same frame in the smallest dtype that keeps the
source's precision for display, ``compact_dtype``: uint8 for 8-bit integer sources (values
``v / 255`` of the float32 read), float16 for deeper integer sources and for float sources
(half EXR as stored; float EXR rounded to half, magnitudes above 65504 clamped to 65504).
A 1080p RGB frame is 6.2 MB in uint8, 12.4 MB in float16, 24.9 MB in float32.
"""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media.types import MediaInfo, MediaReader

FLOAT32 = np.dtype(np.float32)
COMPACT_DTYPES = (np.dtype(np.uint8), np.dtype(np.float16))
HALF_MAX = 65504.0
_SCALE = {np.dtype(np.uint8): 1.0 / 255.0, np.dtype(np.uint16): 1.0 / 65535.0}


def compact_dtype(info: MediaInfo) -> np.dtype:
    """The compact display dtype of media described by ``info``.

    uint8 for integer sources of 8 bits or fewer, float16 for anything deeper and for float
    (half, float) sources.
    """
    if info.pixel_type == "uint" and 0 < info.bit_depth <= 8:
        return np.dtype(np.uint8)
    return np.dtype(np.float16)


def reader_dtype(reader: MediaReader, compact: bool = True) -> np.dtype:
    """The dtype :func:`read_frame` returns for ``reader``: its ``compact_dtype`` when
    ``compact`` and the reader has ``read_compact``, else float32."""
    if compact and callable(getattr(reader, "read_compact", None)):
        return np.dtype(getattr(reader, "compact_dtype", FLOAT32))
    return FLOAT32


def read_frame(reader: MediaReader, frame: int, compact: bool = False) -> np.ndarray:
    """Frame ``frame`` of ``reader``: compact (``read_compact``, when the reader has it) or
    float32 (``read``)."""
    if compact and callable(getattr(reader, "read_compact", None)):
        return reader.read_compact(frame)  # type: ignore[attr-defined]
    return reader.read(frame)


def to_float32(img: np.ndarray) -> np.ndarray:
    """``img`` as C-contiguous float32: uint8 / 255, uint16 / 65535, floats as they are.

    A float32 C-contiguous input is returned as it is (no copy). uint8 gives exactly the values
    a reader's float32 ``read`` gives for 8-bit data (the same float32 multiply).
    """
    a = np.asarray(img)
    if a.dtype == FLOAT32:
        return np.ascontiguousarray(a)
    scale = _SCALE.get(a.dtype)
    if scale is not None:
        return np.multiply(a, np.float32(scale), dtype=np.float32)
    if a.dtype == np.float16 and a.size >= 4096:
        return _cv_scale(a, 1.0, np.float32)
    return np.ascontiguousarray(a, dtype=np.float32)


def to_compact(img: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """``img`` (uint8, uint16, float16 or float32) as C-contiguous ``dtype`` (uint8, float16
    or float32).

    uint16 and floats go to uint8 clipped to 0..1 and rounded; integers go to float16
    normalised (``v / 65535``); floats to float16 are clamped to +-65504 (NaN stays NaN).
    An input already of ``dtype`` is returned as it is when C-contiguous.

    Raises
    ------
    InputError
        For a target dtype other than uint8, float16 or float32.
    """
    target = frame_dtype(dtype)
    a = np.asarray(img)
    if a.dtype == target:
        return np.ascontiguousarray(a)
    if target == FLOAT32:
        return to_float32(a)
    if target == np.uint8:
        f = to_float32(a)
        return (np.clip(f, 0.0, 1.0) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)
    scale = _SCALE.get(a.dtype)
    if scale is not None:
        return _cv_scale(a, scale, np.float16)
    f = np.asarray(a, np.float32)
    if f.size and not (f.min() >= -HALF_MAX and f.max() <= HALF_MAX):  # NaN, inf or huge
        f = np.clip(f, -HALF_MAX, HALF_MAX)  # NaN stays NaN
    return _cv_scale(f, 1.0, np.float16)


def _cv_scale(a: np.ndarray, scale: float, dtype: type) -> np.ndarray:
    """``a * scale`` as ``dtype`` in one pass (OpenCV: numpy's float16 casts are 4-5x slower).

    The array is viewed as one channel (a plain scalar multiplies only a Mat's first channel).
    """
    src = np.ascontiguousarray(a)
    if src.size == 0 or src.ndim == 0:
        return (src.astype(np.float32) * np.float32(scale)).astype(dtype)
    import cv2

    depth = {np.dtype(np.float16): cv2.CV_16F, np.dtype(np.float32): cv2.CV_32F}[np.dtype(dtype)]
    flat = src.reshape(src.shape[0], -1) if src.ndim >= 2 else src.reshape(1, -1)
    out = cv2.multiply(flat, scale, dtype=depth)
    return np.ascontiguousarray(out.reshape(src.shape))


def frame_dtype(dtype: np.dtype | type | str) -> np.dtype:
    """``dtype`` as a numpy dtype if frames may have it (uint8, float16, float32).

    Raises
    ------
    InputError
        For any other dtype.
    """
    try:
        target = np.dtype(dtype)
    except TypeError:
        target = None
    if target not in (*COMPACT_DTYPES, FLOAT32):
        raise InputError(
            f"frames are uint8, float16 or float32, not {dtype!r}",
            hint="ask for numpy.uint8 or numpy.float16 (compact) or numpy.float32",
        )
    return target

"""Non-destructive per-object mask operations: grow/shrink, feather, holes, islands, temporal.

Each object keeps its raw engine mask; these operations are re-applied on display and export
from a settings dict (see :func:`apply_ops`), so changing a setting never loses work. All
functions take and return float32 ``(H, W)`` masks in [0, 1] (bool/uint8 accepted).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.masks import nonzero_bbox

DEFAULTS: dict[str, float] = {
    "fill_holes": 0.0,  # max hole area in px to fill (0 = off; -1 = all holes)
    "remove_islands": 0.0,  # min island area in px to keep (0 = off)
    "grow": 0.0,  # signed px: > 0 dilate, < 0 erode
    "feather": 0.0,  # px (Gaussian sigma ≈ feather / 2)
}
ORDER = ("fill_holes", "remove_islands", "grow", "feather")


def object_settings(mask_ops: Any) -> dict[str, float]:
    """The :func:`apply_ops` settings of an object's ``MaskOps`` (grow = dilate - erode,
    feather), as the overlay, the select tool and the exports apply them."""
    return {
        "grow": float(mask_ops.dilate_px - mask_ops.erode_px),
        "feather": float(mask_ops.feather_px),
    }


def ops_active(ops: Mapping[str, float]) -> bool:
    """True when the settings change a mask at all."""
    return any(float(v) for v in ops.values())


def _f32(mask: np.ndarray) -> np.ndarray:
    m = np.asarray(mask)
    if m.ndim != 2:
        raise InputError(f"mask has shape {m.shape}, expected (H, W)", hint="one object per mask")
    if m.dtype == np.uint8:
        return m.astype(np.float32) / 255.0
    return m.astype(np.float32)


def _disk(radius: float) -> np.ndarray:
    import cv2

    d = 2 * int(np.ceil(radius)) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))


def grow(mask: np.ndarray, pixels: float) -> np.ndarray:
    """Dilate (``pixels`` > 0) or erode (< 0) by a disc of radius ``|pixels|``.

    Grey-level morphology, so soft edges move without being hardened.
    """
    import cv2

    m = _f32(mask)
    if abs(pixels) < 0.5:
        return m
    k = _disk(abs(pixels))
    return cv2.dilate(m, k) if pixels > 0 else cv2.erode(m, k)


def feather(mask: np.ndarray, pixels: float) -> np.ndarray:
    """Soften the edge over about ``pixels`` px (Gaussian with sigma = pixels / 2)."""
    import cv2

    m = _f32(mask)
    if pixels <= 0:
        return m
    return np.clip(cv2.GaussianBlur(m, (0, 0), sigmaX=pixels / 2.0), 0.0, 1.0)


def fill_holes(mask: np.ndarray, max_area: float = -1) -> np.ndarray:
    """Fill background regions enclosed by the object (not touching the border).

    Parameters
    ----------
    max_area
        Only holes up to this many pixels are filled; -1 fills all.
    """
    import cv2

    m = _f32(mask)
    bg = (m < 0.5).astype(np.uint8)
    n, comp, stats, _ = cv2.connectedComponentsWithStats(bg, connectivity=4)
    h, w = m.shape
    border = set(np.unique(np.concatenate([comp[0], comp[-1], comp[:, 0], comp[:, -1]])).tolist())
    holes = [
        i
        for i in range(1, n)
        if i not in border and (max_area < 0 or stats[i, cv2.CC_STAT_AREA] <= max_area)
    ]
    out = m.copy()
    if holes:
        out[np.isin(comp, holes)] = 1.0
    return out


def remove_islands(mask: np.ndarray, min_area: float) -> np.ndarray:
    """Remove foreground parts smaller than ``min_area`` pixels (8-connected)."""
    import cv2

    m = _f32(mask)
    if min_area <= 0:
        return m
    n, comp, stats, _ = cv2.connectedComponentsWithStats((m >= 0.5).astype(np.uint8), 8)
    small = np.nonzero(stats[1:, cv2.CC_STAT_AREA] < min_area)[0] + 1
    out = m.copy()
    if small.size:
        out[np.isin(comp, small)] = 0.0
    return out


def temporal_smooth(
    masks: Sequence[np.ndarray],
    images: Sequence[np.ndarray] | None = None,
    *,
    centre: int | None = None,
    change_threshold: float = 0.04,
) -> np.ndarray:
    """Smooth one mask over a short window of neighbours, gated by image change.

    A neighbour contributes at a pixel only where the image there barely changed between that
    neighbour and the centre frame (|ΔRGB| < ``change_threshold``), so static edges stop
    flickering while moving edges keep the centre frame's mask (no lag).

    Parameters
    ----------
    masks
        Masks of consecutive frames (e.g. 3 or 5), all the same shape.
    images
        The matching RGB frames; None = ungated average (only for static shots).
    centre
        Index of the frame being smoothed (default: the middle).
    change_threshold
        Image change (max over channels, [0, 1] units) above which a neighbour is ignored.

    Raises
    ------
    InputError
        Empty window, mismatched shapes or counts, or a centre outside the window.
    """
    if not masks:
        raise InputError("temporal smoothing got no masks", hint="pass a window of frames")
    c = len(masks) // 2 if centre is None else centre
    if not 0 <= c < len(masks):
        raise InputError(f"temporal centre {c} outside window of {len(masks)}", hint="0..n-1")
    ms = [_f32(m) for m in masks]
    if any(m.shape != ms[c].shape for m in ms):
        raise InputError("temporal smoothing: masks differ in shape", hint="same-size frames")
    if images is not None and len(images) != len(ms):
        raise InputError(f"{len(images)} images for {len(ms)} masks", hint="one image per mask")
    total = ms[c].copy()
    weight = np.ones_like(total)
    for i, m in enumerate(ms):
        if i == c:
            continue
        if images is None:
            w = np.ones_like(total)
        else:
            d = np.abs(np.asarray(images[i], np.float32) - np.asarray(images[c], np.float32))
            w = ((d.max(axis=2) if d.ndim == 3 else d) < change_threshold).astype(np.float32)
        total += w * m
        weight += w
    return total / weight


def validate_settings(settings: Mapping[str, Any]) -> dict[str, float]:
    """Check an ops settings dict and fill defaults.

    Raises
    ------
    InputError
        Unknown key, non-number, or a value out of range (the message names the setting).
    """
    out = dict(DEFAULTS)
    for key, value in settings.items():
        if key not in DEFAULTS:
            raise InputError(f"unknown mask setting '{key}'", hint="valid: " + ", ".join(ORDER))
        if isinstance(value, bool) and key == "fill_holes":
            value = -1.0 if value else 0.0
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise InputError(f"mask setting '{key}' = {value!r} is not a number", hint="use px")
        if key in ("feather", "remove_islands") and value < 0:
            raise InputError(f"mask setting '{key}' = {value} is negative", hint="use >= 0")
        if key == "fill_holes" and value < 0 and value != -1:
            raise InputError(f"mask setting 'fill_holes' = {value}", hint="-1 = all, 0 = off")
        if key in ("grow", "feather") and abs(value) > 500:
            raise InputError(f"mask setting '{key}' = {value} is too large", hint="|px| <= 500")
        out[key] = float(value)
    return out


def ops_reach(settings: Mapping[str, float]) -> int:
    """How far (px) ``settings`` can change a mask beyond its non-zero pixels: the grow
    radius plus the feather's Gaussian reach (OpenCV's kernel spans 4 sigma, sigma = feather
    / 2), +2 for rounding. Holes and islands never reach outside the non-zero pixels' bbox."""
    grow_px, feather_px = float(settings.get("grow", 0.0)), float(settings.get("feather", 0.0))
    return int(math.ceil(abs(grow_px) + 2.0 * max(feather_px, 0.0))) + 2


def apply_ops(mask: np.ndarray, settings: Mapping[str, Any]) -> np.ndarray:
    """Apply the settings in a fixed order: fill holes, remove islands, grow, feather.

    Only the bbox of the mask's non-zero pixels grown by :func:`ops_reach` is processed (the
    rest stays 0), with the full frame's result: holes and islands lie inside that bbox (any
    background at its edge reaches the image border, as in the full frame), dilation, erosion
    and the blur see the same zeros around it, and the image's own edges are where they are.
    An object of a fifth of a 1080p or 4K frame: 2-4x faster than the whole frame
    (``benchmarks/bench_maskops.py``).

    Parameters
    ----------
    mask
        Raw mask (float in [0, 1], bool or uint8).
    settings
        Any of :data:`DEFAULTS`' keys; missing keys are off.

    Raises
    ------
    InputError
        A bad setting (see :func:`validate_settings`).
    """
    s = validate_settings(settings)
    m = np.asarray(mask)
    if m.ndim != 2:
        return _f32(m)  # (raises the shape error)
    box = nonzero_bbox(m)
    out = np.zeros(m.shape, np.float32)
    if box is None:  # nothing to fill, no islands; grow and feather of zeros are zeros
        return out
    r = ops_reach(s)
    h, w = m.shape
    x0, y0, x1, y1 = max(0, box[0] - r), max(0, box[1] - r), min(w, box[2] + r), min(h, box[3] + r)
    out[y0:y1, x0:x1] = _apply(np.ascontiguousarray(m[y0:y1, x0:x1]), s)
    return out


def _apply(mask: np.ndarray, s: Mapping[str, float]) -> np.ndarray:
    """The settings ``s`` (validated) on all of ``mask``: the full-frame reference."""
    m = _f32(mask)
    if s["fill_holes"]:
        m = fill_holes(m, s["fill_holes"])
    if s["remove_islands"]:
        m = remove_islands(m, s["remove_islands"])
    m = grow(m, s["grow"])
    return feather(m, s["feather"])

"""Animated Bézier shapes from per-frame mattes: fixed point count, stable start, sparse keys.

Per object, islands and holes are linked frame to frame into tracks (a new island starts a new
shape, a vanished one ends it: each shape has a lifetime). Every key of a track has the same
number of points in the same order and winding: the break positions of an adaptive fit on the
track's longest outline are carried to every frame as fractions of the perimeter, the start is
aligned by the cyclic shift nearest the neighbouring key, and points are inserted (on every
frame) where a segment misses the tolerance. Keys are then dropped where interpolating their
neighbours keeps the rasterised IoU ≥ ``iou_min`` and the deviation within tolerance.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters import shapes as S


@dataclass
class ShapeTrack:
    """One animated closed shape.

    Attributes
    ----------
    name
        Shape name (unique within its object).
    hole
        True for an inner outline (subtracted).
    keys
        ``{frame: (N, 3, 2)}`` in image space, every key with the same N.
    feather
        Feather distance in px (see :func:`shapes.measure_feather`).
    first, last
        Lifetime: the frames where the shape exists (inclusive).
    """

    name: str
    hole: bool
    keys: dict[int, np.ndarray]
    feather: float = 0.0
    first: int = 0
    last: int = 0
    stats: dict = field(default_factory=dict)

    def at(self, frame: float) -> np.ndarray:
        """The shape at ``frame``: linear between keys, held before the first/after the last."""
        frames = sorted(self.keys)
        if frame <= frames[0]:
            return self.keys[frames[0]]
        if frame >= frames[-1]:
            return self.keys[frames[-1]]
        j = int(np.searchsorted(frames, frame))
        f0, f1 = frames[j - 1], frames[j]
        t = (frame - f0) / (f1 - f0)
        return (1 - t) * self.keys[f0] + t * self.keys[f1]

    def shape_at(self, frame: float) -> S.BezierShape:
        """A :class:`shapes.BezierShape` for ``frame``."""
        return S.BezierShape(self.at(frame), self.hole, self.feather)


def _bbox(poly: np.ndarray) -> np.ndarray:
    return np.concatenate([poly.min(axis=0), poly.max(axis=0)])


def _box_iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _link(contours: dict[int, list]) -> list[dict[int, tuple]]:
    """Group per-frame contours into tracks by bounding-box overlap with the previous frame."""
    tracks: list[dict[int, tuple]] = []
    prev_frame, active = None, []
    for f in sorted(contours):
        pairs = []
        for ti in active:
            last = tracks[ti][prev_frame]
            for ci, (poly, hole, _) in enumerate(contours[f]):
                if hole == last[1]:
                    score = _box_iou(_bbox(last[0]), _bbox(poly))
                    if score > 0:
                        pairs.append((score, ti, ci))
        used_t, used_c, now = set(), set(), []
        for _, ti, ci in sorted(pairs, reverse=True):
            if ti not in used_t and ci not in used_c:
                used_t.add(ti), used_c.add(ci)
                tracks[ti][f] = contours[f][ci]
                now.append(ti)
        for ci, item in enumerate(contours[f]):
            if ci not in used_c:
                tracks.append({f: item})
                now.append(len(tracks) - 1)
        prev_frame, active = f, now
    return tracks


def _align_start(poly: np.ndarray, fracs: np.ndarray, prev: np.ndarray | None) -> float:
    """Arc length of the start that puts the centres nearest ``prev`` (cyclic shift search)."""
    if prev is None:
        return 0.0
    total = S._arc(poly)[-1]
    cand = np.arange(0.0, total, max(total / 2000.0, 0.25))
    pos = (cand[:, None] + fracs[None, :] * total).ravel()
    pts = S.sample_closed(poly, pos).reshape(len(cand), len(fracs), 2)
    cost = np.sum((pts - prev[None]) ** 2, axis=(1, 2))
    return float(cand[int(np.argmin(cost))])


def _fit_fixed(
    poly: np.ndarray, start: float, fracs: np.ndarray, corner_deg: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Bézier through the contour points at ``start + fracs × perimeter``; per-segment errors."""
    total = S._arc(poly)[-1]
    s = start + fracs * total
    ends = np.append(s[1:], s[0] + total)
    back, fwd = S.side_directions(poly, s)
    cusp = np.degrees(np.arccos(np.clip(np.sum(-back * fwd, axis=1), -1, 1))) > corner_deg
    smooth = S._unit(fwd - back)
    t_out = np.where(cusp[:, None], fwd, smooth)
    t_in = np.where(cusp[:, None], back, -smooth)
    spacing = max(total / max(len(poly), 1), 0.1)
    pieces, errs = [], np.zeros(len(s))
    for i, (a, b) in enumerate(zip(s, ends, strict=True)):
        pts = S.sample_closed(poly, np.linspace(a, b, max(int(np.ceil((b - a) / spacing)) + 1, 2)))
        ctrl, errs[i], _ = S.fit_segment(pts, t_out[i], t_in[(i + 1) % len(s)])
        pieces.append(ctrl)
    return S._pieces_to_points(pieces), errs


def _fit_track(track: dict[int, tuple], tol: float, max_rounds: int = 8) -> dict[int, np.ndarray]:
    frames = sorted(track)
    ref = max(frames, key=lambda f: S._arc(track[f][0])[-1])
    poly_ref = track[ref][0]
    _, arcs = S.fit_closed_with_breaks(poly_ref, tol)
    total = S._arc(poly_ref)[-1]
    start_ref = float(arcs[0])
    fracs = np.sort(np.mod(arcs - start_ref, total) / total)
    order = [ref] + [f for f in frames if f > ref] + [f for f in reversed(frames) if f < ref]
    for _ in range(max_rounds):
        keys, worst = {}, np.zeros(len(fracs))
        for f in order:
            poly = track[f][0]
            if f == ref:
                start = start_ref
            else:
                near = max(g for g in keys if g < f) if f > ref else min(g for g in keys if g > f)
                start = _align_start(poly, fracs, keys[near][:, 1])
            keys[f], errs = _fit_fixed(poly, start, fracs)
            worst = np.maximum(worst, errs)
        bad = np.flatnonzero(worst > tol)
        if bad.size == 0:
            break
        nxt = np.append(fracs[1:], 1.0)
        fracs = np.sort(np.concatenate([fracs, (fracs[bad] + nxt[bad]) / 2]))
    return keys


def _crop_raster(shapes: list[np.ndarray]) -> list[np.ndarray]:
    polys = [S.flatten(p) for p in shapes]
    lo = np.floor(np.min([p.min(axis=0) for p in polys], axis=0)) - 2
    hi = np.ceil(np.max([p.max(axis=0) for p in polys], axis=0)) + 2
    w, h = (hi - lo).astype(int)
    out = []
    for p in polys:
        m = np.zeros((h, w), np.uint8)
        S.fill_polygon(m, p - lo, 1)
        out.append(m)
    return out


def _interp_ok(a, b, t, key, poly, tol, iou_min) -> tuple[bool, float]:
    mid = (1 - t) * a + t * b
    if S.max_deviation(mid, poly, per_segment=12) > tol:
        return False, 0.0
    ra, rb = _crop_raster([mid, key])
    score = S.iou(ra, rb)
    return score >= iou_min, score


def reduce_keys(
    keys: dict[int, np.ndarray],
    contours: dict[int, np.ndarray],
    *,
    tolerance: float = 1.0,
    iou_min: float = 0.98,
) -> dict[int, np.ndarray]:
    """Drop keys that interpolation of the kept neighbours reproduces (recursive, worst first)."""
    frames = sorted(keys)
    kept = {frames[0], frames[-1]}

    def split(lo: int, hi: int) -> None:
        worst, worst_score = None, 2.0
        for j in range(lo + 1, hi):
            f0, f1, f = frames[lo], frames[hi], frames[j]
            ok, score = _interp_ok(
                keys[f0], keys[f1], (f - f0) / (f1 - f0), keys[f], contours[f], tolerance, iou_min
            )
            if not ok and score < worst_score:
                worst, worst_score = j, score
        if worst is not None:
            kept.add(frames[worst])
            split(lo, worst)
            split(worst, hi)

    split(0, len(frames) - 1)
    return {f: keys[f] for f in sorted(kept)}


def fit_animated(
    masks_by_frame: Mapping[int, np.ndarray],
    *,
    tolerance: float = 1.0,
    iou_min: float = 0.98,
    name: str = "shape",
    min_area: float = 4.0,
) -> list[ShapeTrack]:
    """Animated shapes for one object from its matte per frame.

    Parameters
    ----------
    masks_by_frame
        ``{frame: (H, W) matte}`` (uint8 or float; threshold 0.5), all the same size.
    tolerance
        Largest allowed distance (px) between a shape and the matte contour, at keys and at the
        frames between them.
    iou_min
        A key is dropped only when interpolation keeps the rasterised IoU at least this high.
    name
        Prefix of the shape names (``<name>1``, ``<name>_hole1`` …).

    Raises
    ------
    InputError
        No frames, or mattes of different sizes (names the frames).
    """
    if not masks_by_frame:
        raise InputError(f"{name}: no frames given", hint="pass {frame: matte}")
    sizes = {f: np.shape(m)[:2] for f, m in masks_by_frame.items()}
    if len(set(sizes.values())) > 1:
        first = min(sizes)
        odd = sorted(f for f, s in sizes.items() if s != sizes[first])
        raise InputError(
            f"{name}: mattes differ in size: frame {first} is {sizes[first]}, frames {odd[:5]} "
            f"are {sizes[odd[0]]}",
            hint="resize every matte to the plate size first",
        )
    soft = {f: S.as_mask(m, f"{name} frame {f}") for f, m in masks_by_frame.items()}
    contours = {
        f: [(p, h, f) for p, h in S.find_contours(m) if abs(S.signed_area(p)) >= min_area]
        for f, m in soft.items()
    }
    if not any(contours.values()):
        warnings.warn(f"{name}: every matte is empty, no shapes", UserWarning, stacklevel=2)
        return []
    tracks, n_in, n_hole = [], 0, 0
    for raw in _link(contours):
        polys = {f: item[0] for f, item in raw.items()}
        keys = _fit_track(raw, tolerance * 0.9)
        reduced = reduce_keys(keys, polys, tolerance=tolerance, iou_min=iou_min)
        hole = next(iter(raw.values()))[1]
        n_hole, n_in = n_hole + hole, n_in + (not hole)
        sample = sorted(raw)[:: max(1, len(raw) // 4)]
        feather = float(np.median([S.measure_feather(soft[f], polys[f], hole) for f in sample]))
        tracks.append(
            ShapeTrack(
                f"{name}_hole{n_hole}" if hole else f"{name}{n_in}",
                hole,
                reduced,
                feather,
                min(raw),
                max(raw),
                {"frames": len(raw), "points": len(keys[min(keys)])},
            )
        )
    return tracks


def fit_objects(masks: Mapping[str, Mapping[int, np.ndarray]], **kwargs) -> dict[str, list]:
    """:func:`fit_animated` for every object: ``{object: [ShapeTrack, …]}``."""
    return {obj: fit_animated(frames, name=obj, **kwargs) for obj, frames in masks.items()}

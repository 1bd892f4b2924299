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


def _align_start(
    poly: np.ndarray, fracs: np.ndarray, prev: np.ndarray | None, arc: np.ndarray | None = None
) -> float:
    """Arc length of the start that puts the centres nearest ``prev`` (cyclic shift search).

    The candidate starts are every ``max(perimeter / 2000, 0.25)`` px. The squared distance for
    every shift on a finer grid (at most 0.25 px) comes first from one circular cross-correlation
    (FFT) of the uniformly resampled outline with the previous centres; only the candidates
    around its minimum are then scored exactly.
    """
    if prev is None:
        return 0.0
    if arc is None:
        arc = S._arc(poly)
    total = float(arc[-1])
    m = 1 << max(6, int(np.ceil(np.log2(max(total / 0.25, 1.0)))))
    h = total / m
    q = S.sample_closed(poly, np.arange(m) * h, arc)  # (M, 2)
    r = np.rint(fracs * total / h).astype(np.int64) % m
    a = np.zeros((m, 2))
    np.add.at(a, r, prev)
    cnt = np.bincount(r, minlength=m).astype(np.float64)
    fq, fa = np.fft.rfft(q, axis=0), np.fft.rfft(a, axis=0)
    corr = np.fft.irfft(np.sum(fq * np.conj(fa), axis=1), m)
    energy = np.fft.irfft(np.fft.rfft(np.sum(q * q, axis=1)) * np.conj(np.fft.rfft(cnt)), m)
    best = int(np.argmin(energy - 2.0 * corr)) * h
    step = max(total / 2000.0, 0.25)
    n_cand = int(np.ceil(total / step))
    k = np.unique(np.arange(int(best / step) - 3, int(best / step) + 5) % n_cand)
    cand = k * step
    cand = cand[cand < total]
    pos = (cand[:, None] + fracs[None, :] * total).ravel()
    pts = S.sample_closed(poly, pos, arc).reshape(len(cand), len(fracs), 2)
    cost = np.sum((pts - prev[None]) ** 2, axis=(1, 2))
    return float(cand[int(np.argmin(cost))])


def _fit_fixed(
    poly: np.ndarray, start: float, fracs: np.ndarray, corner_deg: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Bézier through the contour points at ``start + fracs × perimeter``; per-segment errors."""
    arc = S._arc(poly)
    total = arc[-1]
    s = start + fracs * total
    ctrl, errs = _fit_runs([(poly, arc, s, np.append(s[1:], s[0] + total))], corner_deg)[0]
    return S._pieces_to_points(ctrl), errs


def _runs(poly, arc, s, ends, corner_deg):
    """Samples, run lengths and end tangents of the contour pieces ``s[i] → ends[i]``."""
    total = arc[-1]
    both = np.concatenate([s, ends])
    back, fwd = S.side_directions(poly, both, arc=arc)
    cusp = np.degrees(np.arccos(np.clip(np.sum(-back * fwd, axis=1), -1, 1))) > corner_deg
    smooth = S._unit(fwd - back)
    k = len(s)
    t_out = np.where(cusp[:k, None], fwd[:k], smooth[:k])
    t_in = np.where(cusp[k:, None], back[k:], -smooth[k:])
    spacing = max(total / max(len(poly), 1), 0.1)
    n = np.maximum(np.ceil((ends - s) / spacing).astype(np.int64) + 1, 2)
    run = np.repeat(np.arange(len(n)), n)
    j = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    step = (ends - s) / (n - 1)  # np.linspace(s, ends, n) per piece, same arithmetic
    pos = np.where(j == (n - 1)[run], ends[run], j * step[run] + s[run])
    pts = S.sample_closed(poly, pos, arc)
    return pts, n, t_out, t_in


def _fit_runs(frames: list, corner_deg: float = 60.0) -> list:
    """Fits of the pieces ``[(poly, arc, starts, ends), …]`` → ``[(ctrl (K, 4, 2), err (K,))]``.

    All frames go through a few vectorised :func:`shapes.fit_segments` calls.
    """
    out, batch, size = [], [], 0

    def flush():
        if not batch:
            return
        pts, n, t1, t2 = (np.concatenate(parts) for parts in zip(*batch, strict=True))
        ctrl, err, _ = S.fit_segments(pts, n, t1, t2)
        at = 0
        for runs in batch:
            k = len(runs[1])
            out.append((ctrl[at : at + k], err[at : at + k]))
            at += k
        batch.clear()

    for poly, arc, s, ends in frames:
        runs = _runs(poly, arc, s, ends, corner_deg)
        batch.append(runs)
        size += len(runs[0])
        if size > 200_000:  # bound the temporary (samples × 4 × 2) arrays
            flush()
            size = 0
    flush()
    return out


def _starts(track, frames, order, ref, start_ref, fracs, arcs_of) -> tuple[dict, dict]:
    """Start arc length per frame (aligned to the neighbouring key) and repeats of a neighbour."""
    starts, centres, same = {}, {}, {}
    digest = {f: hash(track[f][0].tobytes()) for f in frames}
    for f in order:
        poly = track[f][0]
        if f == ref:
            starts[f] = start_ref
        else:
            near = max(g for g in starts if g < f) if f > ref else min(g for g in starts if g > f)
            if digest[f] == digest[near] and np.array_equal(poly, track[near][0]):
                same[f] = same.get(near, near)  # a held matte: reuse the neighbour's fit
                starts[f] = starts[near]
            else:
                starts[f] = _align_start(poly, fracs, centres[near], arcs_of[f])
        centres[f] = S.sample_closed(poly, starts[f] + fracs * arcs_of[f][-1], arcs_of[f])
    return starts, same


def _fit_track(track: dict[int, tuple], tol: float, max_rounds: int = 8) -> dict[int, np.ndarray]:
    """Keys with one point layout for every frame of a track.

    Each round inserts a point halfway along every segment that missed the tolerance on some
    frame and re-aligns the starts; a frame whose start did not move refits only the new halves.
    """
    frames = sorted(track)
    arcs_of = {f: S._arc(track[f][0]) for f in frames}
    ref = max(frames, key=lambda f: arcs_of[f][-1])
    _, arcs = S.fit_closed_with_breaks(track[ref][0], tol)
    total = arcs_of[ref][-1]
    start_ref = float(arcs[0])
    fracs = np.sort(np.mod(arcs - start_ref, total) / total)
    order = [ref] + [f for f in frames if f > ref] + [f for f in reversed(frames) if f < ref]
    ctrl: dict[int, np.ndarray] = {}  # per frame (K, 4, 2) and (K,): the current fits
    err: dict[int, np.ndarray] = {}
    prev_starts: dict[int, float] = {}
    split = np.zeros(0, np.int64)  # segments of the previous layout halved in this round
    for _ in range(max_rounds):
        starts, same = _starts(track, frames, order, ref, start_ref, fracs, arcs_of)
        todo = [f for f in order if f not in same]
        whole = [f for f in todo if f not in ctrl or prev_starts.get(f) != starts[f]]
        part = [f for f in todo if f not in whole]
        ends = np.append(fracs[1:], 1.0)
        fits = _fit_runs([_pieces(track, arcs_of, f, starts[f], fracs, ends) for f in whole])
        for f, (c, e) in zip(whole, fits, strict=True):
            ctrl[f], err[f] = c, e
        if part:
            # new layout index of each old segment's left half; its right half follows it
            left = np.arange(len(fracs) - len(split)) + np.searchsorted(
                split, np.arange(len(fracs) - len(split)), side="left"
            )
            left_new = left[split]
            idx = np.concatenate([left_new, left_new + 1])
            fits = _fit_runs(
                [_pieces(track, arcs_of, f, starts[f], fracs[idx], ends[idx]) for f in part]
            )
            for f, (c, e) in zip(part, fits, strict=True):
                nc = np.empty((len(fracs), 4, 2))
                ne = np.empty(len(fracs))
                nc[left], ne[left] = ctrl[f], err[f]
                nc[idx], ne[idx] = c, e
                ctrl[f], err[f] = nc, ne
        prev_starts = starts
        worst = np.max([err[f] for f in todo], axis=0)
        bad = np.flatnonzero(worst > tol)
        if bad.size == 0:
            break
        split = bad
        fracs = np.insert(fracs, bad + 1, (fracs[bad] + ends[bad]) / 2)
    keys = {f: S._pieces_to_points(ctrl[f]) for f in todo}
    for f, g in same.items():
        keys[f] = keys[g].copy()
    return keys


def _pieces(track, arcs_of, f, start, lo, hi):
    tot = arcs_of[f][-1]
    return track[f][0], arcs_of[f], start + lo * tot, start + hi * tot


def _to_polyline(tree, verts: np.ndarray, query: np.ndarray, k: int = 3) -> np.ndarray:
    """Distance from each query point to the closed polyline ``verts`` (upper bound).

    Exact distances to the edges at the ``k`` nearest vertices: never below the true distance,
    and equal to it wherever the nearest edge touches one of those vertices (always, in practice,
    for outlines sampled densely compared with their distance).
    """
    n = len(verts)
    _, idx = tree.query(query, k=min(k, n))
    idx = idx.reshape(len(query), -1)
    a = np.concatenate([idx, idx], axis=1)
    b = np.concatenate([(idx + 1) % n, (idx - 1) % n], axis=1)
    ax, ay = verts[a, 0], verts[a, 1]  # (Q, 2k) each
    bx, by = verts[b, 0] - ax, verts[b, 1] - ay
    px, py = query[:, 0:1] - ax, query[:, 1:2] - ay
    den = bx * bx + by * by
    t = np.clip((px * bx + py * by) / np.where(den > 0, den, 1.0), 0.0, 1.0)
    dx, dy = px - t * bx, py - t * by
    return np.sqrt(np.min(dx * dx + dy * dy, axis=1))


def _far(tree, verts: np.ndarray, query: np.ndarray, tol: float) -> bool:
    """Whether some query point lies farther than ``tol`` from the closed polyline ``verts``."""
    near, _ = tree.query(query)  # distance to the nearest vertex bounds the one to the polyline
    check = near > tol
    return bool(check.any()) and bool(_to_polyline(tree, verts, query[check]).max() > tol)


class _Contour:
    """One frame's contour with its k-d tree, built once and reused by every deviation check."""

    def __init__(self, poly: np.ndarray):
        from scipy.spatial import cKDTree

        self.poly = np.asarray(poly, np.float64)
        self.tree = cKDTree(self.poly)

    def within(self, points: np.ndarray, tol: float, per_segment: int = 32) -> bool:
        """Whether the symmetric Hausdorff distance of shape and contour is at most ``tol``.

        Point-to-edge distances both ways (the shape flattened to ``per_segment`` samples a
        segment: 32, as :func:`shapes.max_deviation`, since coarser chords cut inside the curve
        and hide part of its bulge), stopping at the first direction that fails; never more
        lenient than the exact distance to the flattened shape.
        """
        from scipy.spatial import cKDTree

        curve = S.flatten(points, per_segment)
        if _far(self.tree, self.poly, curve, tol):
            return False
        return not _far(cKDTree(curve), curve, self.poly, tol)


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
    contour = poly if isinstance(poly, _Contour) else _Contour(poly)
    if not contour.within(mid, tol):
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
    cache: dict[int, _Contour] = {}

    def contour(f: int) -> _Contour:
        if f not in cache:
            cache[f] = _Contour(contours[f])
        return cache[f]

    def split(lo: int, hi: int) -> None:
        worst, worst_score = None, 2.0
        for j in range(lo + 1, hi):
            f0, f1, f = frames[lo], frames[hi], frames[j]
            ok, score = _interp_ok(
                keys[f0], keys[f1], (f - f0) / (f1 - f0), keys[f], contour(f), tolerance, iou_min
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

"""Mask → closed cubic Bézier shapes (subpixel contours, Schneider fitting) and back to masks.

A shape's points are an ``(N, 3, 2)`` array in image space (x right, y down, pixel centres on
integers), one row per control point: ``[left tangent (relative), centre (absolute), right
tangent (relative)]`` — the layout Nuke's Roto uses, so exporters only flip y. Segment ``i`` runs
``c[i], c[i] + right[i], c[i+1] + left[i+1], c[i+1]``. Every shape winds the same way (positive
shoelace area in image coordinates); holes are separate shapes flagged ``hole=True``.

Fitting follows P. J. Schneider, "An Algorithm for Automatically Fitting Digitized Curves"
(Graphics Gems, 1990): least-squares tangent lengths, Newton reparameterisation, split at the
worst point; corners (turns sharper than ``corner_deg``) become cusps.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.errors import InputError

THRESHOLD = 0.5


@dataclass
class BezierShape:
    """One closed Bézier outline.

    Attributes
    ----------
    points
        ``(N, 3, 2)`` float64: left tangent (relative), centre, right tangent (relative).
    hole
        True for an inner outline (subtracted from the islands around it).
    feather
        Distance in pixels from the outline to its feather curve (0 for a hard edge).
    """

    points: np.ndarray
    hole: bool = False
    feather: float = 0.0


def as_mask(mask: np.ndarray, what: str = "mask") -> np.ndarray:
    """A float32 (H, W) matte in [0, 1] from uint8 (0/255 or 0/1), bool or float input."""
    arr = np.asarray(mask)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2 or arr.size == 0:
        raise InputError(
            f"{what}: expected a 2-D (H, W) matte, got shape {arr.shape}",
            hint="pass one single-channel matte per frame",
        )
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / (255.0 if arr.max(initial=0) > 1 else 1.0)
    out = arr.astype(np.float32)  # a copy: clip it in place (np.clip is slow on big arrays)
    return np.minimum(np.maximum(out, 0.0, out=out), 1.0, out=out)


def signed_area(poly: np.ndarray) -> float:
    """Shoelace area of a closed polygon (positive = the winding every shape uses)."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def find_contours(mask: np.ndarray, level: float = THRESHOLD) -> list[tuple[np.ndarray, bool]]:
    """Closed subpixel iso-contours of a soft matte: ``[(xy (M, 2), is_hole), …]``.

    Contours come from marching squares on the soft values (so edges are subpixel), padded by a
    zero border so every contour closes; all are returned with positive winding, largest first.
    """
    from skimage import measure

    full = as_mask(mask)
    above = full >= level
    rows, cols = np.flatnonzero(above.any(axis=1)), np.flatnonzero(above.any(axis=0))
    if rows.size == 0:
        return []
    # marching squares only where the matte crosses the level: the bounding box of the pixels at
    # or above it, grown by one pixel (values outside are below the level, like the zero pad)
    r0, c0 = max(rows[0] - 1, 0), max(cols[0] - 1, 0)
    soft = np.pad(full[r0 : rows[-1] + 2, c0 : cols[-1] + 2], 1)
    offset = np.array([c0 - 1.0, r0 - 1.0])
    out = []
    for c in measure.find_contours(
        soft, level, fully_connected="high", positive_orientation="high"
    ):
        xy = c[:-1, ::-1] + offset  # (row, col) → (x, y); drop the repeated end; undo crop + pad
        if len(xy) < 3:
            continue
        area = signed_area(xy)
        if abs(area) < 1e-9:
            continue
        # positive_orientation="high" makes islands and holes wind in opposite directions
        hole = area > 0
        out.append((xy if area > 0 else xy[::-1].copy(), hole))
    out.sort(key=lambda item: -abs(signed_area(item[0])))
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-12, n, 1.0)


def bezier_points(ctrl: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points of cubic(s) ``ctrl`` (…, 4, 2) at parameters ``t`` (K,) → (…, K, 2)."""
    t = np.asarray(t, np.float64)[:, None]
    mt = 1.0 - t
    c = np.asarray(ctrl, np.float64)
    return (
        mt**3 * c[..., 0:1, :]
        + 3 * mt**2 * t * c[..., 1:2, :]
        + 3 * mt * t**2 * c[..., 2:3, :]
        + t**3 * c[..., 3:4, :]
    )


def _chord_params(pts: np.ndarray) -> np.ndarray:
    d = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return d / d[-1] if d[-1] > 0 else np.linspace(0, 1, len(pts))


def _generate(pts: np.ndarray, u: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Least-squares tangent lengths for fixed ends and tangent directions (Schneider)."""
    p0, p3 = pts[0], pts[-1]
    b0, b1, b2, b3 = (1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u**2 * (1 - u), u**3
    a1, a2 = b1[:, None] * t1, b2[:, None] * t2
    c = np.array([[np.sum(a1 * a1), np.sum(a1 * a2)], [np.sum(a1 * a2), np.sum(a2 * a2)]])
    tmp = pts - (np.outer(b0 + b1, p0) + np.outer(b2 + b3, p3))
    x = np.array([np.sum(a1 * tmp), np.sum(a2 * tmp)])
    seg = float(np.linalg.norm(p3 - p0))
    det = c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]
    al1 = al2 = seg / 3.0
    if abs(det) > 1e-12:
        s1 = (x[0] * c[1, 1] - c[0, 1] * x[1]) / det
        s2 = (c[0, 0] * x[1] - c[1, 0] * x[0]) / det
        if s1 > 1e-6 * seg and s2 > 1e-6 * seg:
            al1, al2 = s1, s2
    return np.array([p0, p0 + al1 * t1, p3 + al2 * t2, p3])


def _reparam(pts: np.ndarray, u: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
    """One Newton step per sample towards the closest curve parameter."""
    q = bezier_points(ctrl, u)
    d1c = 3 * (ctrl[1:] - ctrl[:-1])
    d2c = 2 * (d1c[1:] - d1c[:-1])
    uu = u[:, None]
    q1 = (1 - uu) ** 2 * d1c[0] + 2 * uu * (1 - uu) * d1c[1] + uu**2 * d1c[2]
    q2 = (1 - uu) * d2c[0] + uu * d2c[1]
    num = np.sum((q - pts) * q1, axis=1)
    den = np.sum(q1 * q1, axis=1) + np.sum((q - pts) * q2, axis=1)
    step = np.where(np.abs(den) > 1e-12, num / np.where(den == 0, 1, den), 0.0)
    out = np.clip(u - step, 0.0, 1.0)
    out[0], out[-1] = 0.0, 1.0
    return np.maximum.accumulate(out)


def fit_segment(pts: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Best cubic through ``pts`` with end tangents ``t1`` (forward) and ``t2`` (backward).

    Returns the control points (4, 2), the largest distance of a sample from the curve and the
    index of that sample.
    """
    if len(pts) < 3:
        p0, p3 = pts[0], pts[-1]
        return np.array([p0, p0 + (p3 - p0) / 3, p3 - (p3 - p0) / 3, p3]), 0.0, 0
    u = _chord_params(pts)
    best = None
    for _ in range(4):
        ctrl = _generate(pts, u, t1, t2)
        err = np.linalg.norm(bezier_points(ctrl, u) - pts, axis=1)
        i = int(np.argmax(err))
        if best is None or err[i] < best[1]:
            best = (ctrl, float(err[i]), i)
        u = _reparam(pts, u, ctrl)
    return best


def fit_segments(
    pts: np.ndarray, counts: np.ndarray, t1: np.ndarray, t2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fit_segment` for many runs of samples at once (vectorised over the runs).

    ``pts`` (P, 2) holds the runs back to back, ``counts`` (K,) their lengths; ``t1``/``t2``
    (K, 2) their end tangents. Returns ``ctrl`` (K, 4, 2), the worst error (K,) and the index of
    the worst sample within its run (K,).
    """
    pts = np.asarray(pts, np.float64)
    counts = np.asarray(counts, np.int64)
    k = len(counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    last = first + counts - 1
    seg = np.repeat(np.arange(k), counts)
    p0, p3 = pts[first], pts[last]
    # chord-length parameters per run
    step = np.zeros(len(pts))
    step[1:] = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    step[first] = 0.0
    cum = np.cumsum(step)
    d = cum - cum[first][seg]
    length = d[last]
    local = np.arange(len(pts)) - first[seg]
    u = np.where(
        (length > 0)[seg],
        d / np.where(length > 0, length, 1.0)[seg],
        local / np.maximum(counts - 1, 1)[seg],
    )
    chord = np.linalg.norm(p3 - p0, axis=1)
    t1s, t2s, p0s, p3s = t1[seg], t2[seg], p0[seg], p3[seg]
    best_ctrl = np.zeros((k, 4, 2))
    best_err = np.full(k, np.inf)
    best_i = np.zeros(k, np.int64)
    for _ in range(4):
        ctrl = _generate_many(pts, u, seg, k, t1, t2, p0, p3, t1s, t2s, p0s, p3s, chord)
        c = ctrl[seg]
        q = _bez(c, u)
        diff = q - pts
        err = np.sqrt(_dot(diff, diff))
        worst = np.maximum.reduceat(err, first)
        # the first sample at the worst error; near-ties (rounding noise, e.g. on symmetric
        # outlines) go to the first one so that the split point does not depend on summation order
        at = np.flatnonzero(err >= worst[seg] - 1e-9 * (1.0 + worst[seg]))
        _, pick = np.unique(seg[at], return_index=True)
        arg = local[at[pick]]
        better = worst < best_err
        best_ctrl[better], best_err[better], best_i[better] = (
            ctrl[better],
            worst[better],
            arg[better],
        )
        u = _reparam_many(pts, u, c, q, seg, first, last)
    short = counts < 3
    if short.any():
        a, b = p0[short], p3[short]
        best_ctrl[short] = np.stack([a, a + (b - a) / 3, b - (b - a) / 3, b], axis=1)
        best_err[short], best_i[short] = 0.0, 0
    return best_ctrl, best_err, best_i


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot product of (P, 2) arrays (faster than ``np.sum(a * b, axis=1)``)."""
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]


def _bez(c: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per-sample cubic evaluation: ``c`` (P, 4, 2), ``u`` (P,) → (P, 2)."""
    uu = u[:, None]
    mt = 1.0 - uu
    return mt**3 * c[:, 0] + 3 * mt**2 * uu * c[:, 1] + 3 * mt * uu**2 * c[:, 2] + uu**3 * c[:, 3]


def _generate_many(pts, u, seg, k, t1, t2, p0, p3, t1s, t2s, p0s, p3s, chord):
    """:func:`_generate` for every run at once (sums by ``np.bincount``)."""
    mu = 1.0 - u
    b0, b1, b2, b3 = mu**3, 3 * u * mu**2, 3 * u**2 * mu, u**3
    a1, a2 = b1[:, None] * t1s, b2[:, None] * t2s
    tmp = pts - (b0 + b1)[:, None] * p0s - (b2 + b3)[:, None] * p3s

    def total(v, w):
        return np.bincount(seg, _dot(v, w), minlength=k)

    c00, c01, c11 = total(a1, a1), total(a1, a2), total(a2, a2)
    x0, x1 = total(a1, tmp), total(a2, tmp)
    det = c00 * c11 - c01 * c01
    ok = np.abs(det) > 1e-12
    safe = np.where(ok, det, 1.0)
    s1 = (x0 * c11 - c01 * x1) / safe
    s2 = (c00 * x1 - c01 * x0) / safe
    ok &= (s1 > 1e-6 * chord) & (s2 > 1e-6 * chord)
    al1 = np.where(ok, s1, chord / 3.0)[:, None]
    al2 = np.where(ok, s2, chord / 3.0)[:, None]
    return np.stack([p0, p0 + al1 * t1, p3 + al2 * t2, p3], axis=1)


def _reparam_many(pts, u, c, q, seg, first, last):
    """:func:`_reparam` for every run at once; ``c`` and ``q`` are per sample."""
    d1 = 3 * (c[:, 1:] - c[:, :-1])
    d2 = 2 * (d1[:, 1:] - d1[:, :-1])
    uu = u[:, None]
    q1 = (1 - uu) ** 2 * d1[:, 0] + 2 * uu * (1 - uu) * d1[:, 1] + uu**2 * d1[:, 2]
    q2 = (1 - uu) * d2[:, 0] + uu * d2[:, 1]
    diff = q - pts
    num = _dot(diff, q1)
    den = _dot(q1, q1) + _dot(diff, q2)
    step = np.where(np.abs(den) > 1e-12, num / np.where(den == 0, 1, den), 0.0)
    out = np.minimum(np.maximum(u - step, 0.0), 1.0)
    out[first], out[last] = 0.0, 1.0
    # monotone within each run: runs live in disjoint bands [2k, 2k + 1] during the scan
    band = 2.0 * seg
    return np.maximum.accumulate(out + band) - band


def _arc(poly: np.ndarray) -> np.ndarray:
    """Cumulative arc length at each vertex of the closed polygon, plus the closing length."""
    seg = np.linalg.norm(np.roll(poly, -1, axis=0) - poly, axis=1)
    return np.concatenate([[0.0], np.cumsum(seg)])


def sample_closed(poly: np.ndarray, s: np.ndarray, arc: np.ndarray | None = None) -> np.ndarray:
    """Points of the closed polygon at arc lengths ``s`` (wrapped to the perimeter).

    ``arc`` is ``_arc(poly)`` when the caller already has it (saves recomputing it per call).
    """
    if arc is None:
        arc = _arc(poly)
    s = np.mod(s, arc[-1])
    # the segment of each sample, then one linear blend (cheaper than two np.interp calls)
    j = np.minimum(np.maximum(np.searchsorted(arc, s, side="right") - 1, 0), len(poly) - 1)
    seg = arc[j + 1] - arc[j]
    w = np.where(seg > 0, (s - arc[j]) / np.where(seg > 0, seg, 1.0), 0.0)[..., None]
    nxt = np.where(j + 1 < len(poly), j + 1, 0)
    return (1.0 - w) * poly[j] + w * poly[nxt]


def side_directions(
    poly: np.ndarray, s: np.ndarray, reach: float = 2.5, arc: np.ndarray | None = None
) -> tuple:
    """Unit directions from the contour at ``s`` back (``-reach``) and forward (``+reach``)."""
    if arc is None:
        arc = _arc(poly)
    here = sample_closed(poly, s, arc)
    back = _unit(sample_closed(poly, s - reach, arc) - here)
    fwd = _unit(sample_closed(poly, s + reach, arc) - here)
    return back, fwd


def corner_positions(poly: np.ndarray, corner_deg: float = 60.0, reach: float = 3.0) -> np.ndarray:
    """Arc lengths of corners: local maxima of the turning angle sharper than ``corner_deg``."""
    from scipy.ndimage import maximum_filter1d

    arc = _arc(poly)
    s = arc[:-1]
    back, fwd = side_directions(poly, s, reach, arc)
    turn = np.degrees(np.arccos(np.clip(np.sum(-back * fwd, axis=1), -1, 1)))
    n = len(s)
    win = max(1, int(round(reach / max(arc[-1] / n, 1e-6))))
    if 2 * win + 1 > n:  # the window wraps onto itself: the maximum over the whole outline
        local_max = np.full(n, turn.max())
    else:
        local_max = maximum_filter1d(turn, 2 * win + 1, mode="wrap")
    peaks: list[float] = []
    for i in np.flatnonzero((turn > corner_deg) & (turn >= local_max)):
        if not any(abs(s[i] - p) < reach for p in peaks):
            peaks.append(s[i])
    return np.array(sorted(peaks))


def fit_closed(poly: np.ndarray, tolerance: float = 1.0, corner_deg: float = 60.0) -> np.ndarray:
    """Adaptive closed Bézier fit of a polygon within ``tolerance`` px → ``(N, 3, 2)``."""
    return fit_closed_with_breaks(poly, tolerance, corner_deg)[0]


def fit_closed_with_breaks(
    poly: np.ndarray, tolerance: float = 1.0, corner_deg: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit_closed` plus the arc length of every control point along ``poly``."""
    arc = _arc(poly)
    total = arc[-1]
    breaks = list(corner_positions(poly, corner_deg))
    corners = set(breaks)
    if len(breaks) < 3:  # too few corners: add smooth break points spread along the contour
        start = breaks[0] if breaks else 0.0
        extra = 4 - len(breaks)
        breaks = sorted(
            set(breaks) | {start + total * k / extra for k in range(1, extra)} | {start}
        )
    spacing = max(total / max(len(poly), 1), 0.1)
    ends = [*breaks[1:], breaks[0] + total]
    spans = [
        (a, b, a in corners, (b % total) in corners or b in corners)
        for a, b in zip(breaks, ends, strict=True)
    ]
    pieces = _fit_spans(poly, arc, spans, tolerance, spacing)
    arcs = np.array([p[0] for p in pieces])
    return _pieces_to_points([p[1] for p in pieces]), arcs


def _span_tangents(poly, arc, s, cusp, forward):
    """End tangents at arc lengths ``s``: one side's direction at cusps, else the smooth one."""
    back, fwd = side_directions(poly, s, arc=arc)
    side = fwd if forward else back
    smooth = _unit(fwd - back)
    return np.where(cusp[:, None], side, smooth if forward else -smooth)


def _fit_spans(poly, arc, spans, tol, spacing, max_depth=24):
    """Schneider's split-at-the-worst-sample recursion, one vectorised fit per depth level."""
    done: list[tuple[float, np.ndarray]] = []
    depth = 0
    while spans:
        a = np.array([sp[0] for sp in spans])
        b = np.array([sp[1] for sp in spans])
        cusp_a = np.array([sp[2] for sp in spans], bool)
        cusp_b = np.array([sp[3] for sp in spans], bool)
        n = np.maximum(np.ceil((b - a) / spacing).astype(np.int64) + 1, 2)
        # linspace(a, b, n) for every span, back to back (same arithmetic as np.linspace)
        run = np.repeat(np.arange(len(n)), n)
        k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        step = (b - a) / (n - 1)
        s = np.where(k == (n - 1)[run], b[run], k * step[run] + a[run])
        pts = sample_closed(poly, s, arc)
        t1 = _span_tangents(poly, arc, a, cusp_a, True)
        t2 = _span_tangents(poly, arc, b, cusp_b, False)
        ctrl, err, worst = fit_segments(pts, n, t1, t2)
        nxt = []
        for j, (a_j, b_j, ca, cb) in enumerate(spans):
            if err[j] <= tol or depth > max_depth or n[j] < 4:
                done.append((a_j, ctrl[j]))
                continue
            i = min(max(int(worst[j]), 1), int(n[j]) - 2)
            mid = i * step[j] + a_j
            nxt += [(a_j, mid, ca, False), (mid, b_j, False, cb)]
        spans, depth = nxt, depth + 1
    done.sort(key=lambda p: p[0])
    return done


def _pieces_to_points(pieces: list[np.ndarray]) -> np.ndarray:
    n = len(pieces)
    pts = np.zeros((n, 3, 2))
    for i, c in enumerate(pieces):
        pts[i, 1] = c[0]
        pts[i, 2] = c[1] - c[0]
        pts[(i + 1) % n, 0] = c[2] - c[3]
    return pts


def segments(points: np.ndarray) -> np.ndarray:
    """The ``(N, 4, 2)`` control points of a closed shape's segments."""
    c = points[:, 1]
    nxt = np.roll(points, -1, axis=0)
    return np.stack([c, c + points[:, 2], nxt[:, 1] + nxt[:, 0], nxt[:, 1]], axis=1)


def flatten(points: np.ndarray, per_segment: int = 16) -> np.ndarray:
    """A closed polyline through the shape (``per_segment`` samples per Bézier segment)."""
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)
    return bezier_points(segments(np.asarray(points, np.float64)), t).reshape(-1, 2)


def fit_shapes(
    mask: np.ndarray, tolerance: float = 1.0, *, min_area: float = 4.0, what: str = "mask"
) -> list[BezierShape]:
    """Fit every island (outer shape) and hole (inner shape) of a matte.

    An empty matte gives ``[]`` and a ``UserWarning`` naming ``what``.
    """
    soft = as_mask(mask, what)
    out = []
    for poly, hole in find_contours(soft):
        if abs(signed_area(poly)) < min_area:
            continue
        pts = fit_closed(poly, tolerance * 0.9)
        out.append(BezierShape(pts, hole, measure_feather(soft, poly, hole)))
    if not out:
        warnings.warn(f"{what} is empty: no shapes to fit", UserWarning, stacklevel=2)
    return out


def fill_polygon(out: np.ndarray, poly: np.ndarray, value: int) -> None:
    """Set the pixels whose centres lie inside ``poly`` (even-odd rule) to ``value``, in place.

    Exact for subpixel vertices: a pixel centre ``(x, y)`` is inside when ``xa <= x < xb`` for a
    pair of edge crossings of the row ``y`` (OpenCV's fillPoly also paints boundary pixels).
    """
    h, w = out.shape
    a, b = poly, np.roll(poly, -1, axis=0)
    lo, hi = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
    r0 = np.clip(np.ceil(lo), 0, h).astype(np.int64)
    r1 = np.clip(np.ceil(hi), 0, h).astype(np.int64)  # rows r with lo <= r < hi
    count = np.maximum(r1 - r0, 0)
    if count.sum() == 0:
        return
    edge = np.repeat(np.arange(len(poly)), count)
    rows = np.repeat(r0, count) + (
        np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    )
    ya, yb, xa, xb = a[edge, 1], b[edge, 1], a[edge, 0], b[edge, 0]
    xs = xa + (rows - ya) * (xb - xa) / (yb - ya)
    order = np.lexsort((xs, rows))
    rows, xs = rows[order], xs[order]
    start, stop = rows[0::2], rows[1::2]
    if len(start) != len(stop) or np.any(start != stop):
        raise ValueError("polygon crossings do not pair up")  # cannot happen for closed polygons
    c0 = np.clip(np.ceil(xs[0::2]), 0, w).astype(np.int64)
    c1 = np.clip(np.ceil(xs[1::2]), 0, w).astype(np.int64)
    diff = np.zeros((h, w + 1), np.int32)
    np.add.at(diff, (start, c0), 1)
    np.add.at(diff, (start, c1), -1)
    inside = np.cumsum(diff[:, :w], axis=1) > 0
    out[inside] = value


def rasterise_shapes(
    shapes: list[BezierShape], width: int, height: int, per_segment: int = 16
) -> np.ndarray:
    """Fill the shapes into a uint8 (H, W) 0/1 mask: islands painted, holes cleared.

    Shapes are painted largest first, so nested islands and holes come out right.
    """
    out = np.zeros((height, width), np.uint8)
    polys = [(flatten(s.points, per_segment), s.hole) for s in shapes]
    polys.sort(key=lambda ph: -abs(signed_area(ph[0])))
    for poly, hole in polys:
        fill_polygon(out, poly, 0 if hole else 1)
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks (1.0 when both are empty)."""
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def max_deviation(points: np.ndarray, poly: np.ndarray, per_segment: int = 32) -> float:
    """Symmetric Hausdorff distance (px) between a shape and a contour, densely sampled."""
    from scipy.spatial import cKDTree

    curve = flatten(points, per_segment)
    total = _arc(poly)[-1]
    dense = sample_closed(poly, np.linspace(0, total, max(int(total / 0.1), 8), endpoint=False))
    dc = cKDTree(dense).query(curve)[0].max()
    curve_dense = sample_closed(
        curve, np.linspace(0, _arc(curve)[-1], max(int(_arc(curve)[-1] / 0.1), 8), endpoint=False)
    )
    return float(max(dc, cKDTree(curve_dense).query(poly)[0].max()))


def outward_normals(points: np.ndarray) -> np.ndarray:
    """Unit normals at the centres pointing away from the shape's inside."""
    tangent = _unit(points[:, 2] - points[:, 0])
    return np.column_stack([tangent[:, 1], -tangent[:, 0]])


def measure_feather(
    soft: np.ndarray, poly: np.ndarray, hole: bool = False, reach: float = 24.0, step: float = 0.25
) -> float:
    """Half the width of the 0.05–0.95 band along the contour normals (median), in px.

    Hard mattes (band under 1.5 px, i.e. one pixel of anti-aliasing) give 0.
    """
    from scipy.ndimage import map_coordinates

    total = _arc(poly)[-1]
    s = np.linspace(0, total, min(256, max(int(total), 8)), endpoint=False)
    back, fwd = side_directions(poly, s)
    normal = _unit(np.column_stack([(fwd - back)[:, 1], -(fwd - back)[:, 0]]))
    if hole:
        normal = -normal  # a hole's outward side is the filled side: the matte falls inwards
    d = np.arange(-reach, reach + step, step)
    base = sample_closed(poly, s)
    xy = base[:, None, :] - d[None, :, None] * normal[:, None, :]  # +d walks into the matte
    prof = map_coordinates(
        soft, [xy[..., 1].ravel(), xy[..., 0].ravel()], order=1, mode="constant", cval=0.0
    ).reshape(xy.shape[:2])
    hi = prof >= 0.95
    inner = np.argmax(hi, axis=1)
    idx = np.arange(len(d))[None, :]
    outer = np.where((prof <= 0.05) & (idx < inner[:, None]), idx, -1).max(axis=1)
    ok = hi.any(axis=1) & (outer >= 0)
    width = (d[inner] - d[outer])[ok]
    if width.size == 0:
        return 0.0
    w = float(np.median(width))
    return 0.0 if w < 1.5 else w / 2.0

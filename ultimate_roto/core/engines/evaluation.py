"""DAVIS segmentation metrics (J, F, J&F) and a matte-flicker measure.

Definitions follow the DAVIS 2017 evaluation code:

* **J** (region similarity) = |pred ∩ gt| / |pred ∪ gt| over non-void pixels; 1 when both
  are empty.
* **F** (contour accuracy): 1-px boundary maps of pred and gt (``seg2bmap``: a pixel is on the
  boundary when it differs from its right, lower or lower-right neighbour); each is dilated
  by a disk of radius ``ceil(0.008 × image diagonal)``; precision = pred boundary pixels
  within reach of the gt boundary / pred boundary pixels, recall likewise; F = 2PR/(P+R).
  No pred boundary and no gt boundary gives F = 1; one of them empty gives F = 0.
* Semi-supervised protocol: the first frame (the given mask) and the last frame are excluded.
* **J&F** = (mean J + mean F) / 2, the means taken over objects (each object's score is its
  mean over the scored frames), objects pooled across sequences for a data set.

Annotations are id maps (0 background, 255 void) or ``{object id: bool mask}`` dicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ultimate_roto.core.errors import InputError

VOID = 255
Frame = np.ndarray | Mapping[int, np.ndarray]


def jaccard(pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None) -> float:
    """Region similarity J (IoU) of two binary masks over non-void pixels."""
    p, g = _pair(pred, gt)
    valid = ~void if void is not None else np.ones_like(g)
    inter = np.count_nonzero(p & g & valid)
    union = np.count_nonzero((p | g) & valid)
    return 1.0 if union == 0 else inter / union


def seg2bmap(mask: np.ndarray) -> np.ndarray:
    """1-px boundary map of a binary mask (DAVIS ``seg2bmap`` at the mask's own size)."""
    seg = np.asarray(mask, bool)
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = (seg ^ e) | (seg ^ s) | (seg ^ se)
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def boundary_radius(shape: tuple[int, ...], bound_th: float = 0.008) -> int:
    """Tolerance radius in pixels: ``ceil(bound_th × diagonal)`` (``bound_th`` ≥ 1: pixels)."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(shape[0], shape[1])))


def disk(radius: int) -> np.ndarray:
    """Disk structuring element (x² + y² ≤ r²), like ``skimage.morphology.disk``."""
    r = int(radius)
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return (xx * xx + yy * yy <= r * r).astype(np.uint8)


def f_measure(
    pred: np.ndarray, gt: np.ndarray, void: np.ndarray | None = None, bound_th: float = 0.008
) -> float:
    """Contour accuracy F of two binary masks (see the module docstring)."""
    import cv2

    p, g = _pair(pred, gt)
    if void is not None:
        p, g = p & ~void, g & ~void
    pb, gb = seg2bmap(p), seg2bmap(g)
    kernel = disk(boundary_radius(g.shape, bound_th))
    pd = cv2.dilate(pb.astype(np.uint8), kernel).astype(bool)
    gd = cv2.dilate(gb.astype(np.uint8), kernel).astype(bool)
    n_p, n_g = np.count_nonzero(pb), np.count_nonzero(gb)
    if n_p == 0 and n_g == 0:
        return 1.0
    if n_p == 0 or n_g == 0:
        return 0.0
    precision = np.count_nonzero(pb & gd) / n_p
    recall = np.count_nonzero(gb & pd) / n_g
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass
class SequenceScore:
    """Scores of one sequence: per object, the per-frame J and F over the scored frames."""

    name: str
    j: dict[int, list[float]] = field(default_factory=dict)
    f: dict[int, list[float]] = field(default_factory=dict)

    def j_mean(self) -> float:
        """Mean over objects of each object's mean J."""
        return float(np.mean([np.mean(v) for v in self.j.values()])) if self.j else float("nan")

    def f_mean(self) -> float:
        """Mean over objects of each object's mean F."""
        return float(np.mean([np.mean(v) for v in self.f.values()])) if self.f else float("nan")

    def jf(self) -> float:
        """J&F of the sequence."""
        return (self.j_mean() + self.f_mean()) / 2


@dataclass
class DatasetScore:
    """Scores pooled over sequences (objects are the unit, as in DAVIS)."""

    sequences: list[SequenceScore]

    def _objects(self, attr: str) -> list[float]:
        return [float(np.mean(v)) for s in self.sequences for v in getattr(s, attr).values()]

    def j_mean(self) -> float:
        """Mean J over all objects of all sequences."""
        return float(np.mean(self._objects("j")))

    def f_mean(self) -> float:
        """Mean F over all objects of all sequences."""
        return float(np.mean(self._objects("f")))

    def jf(self) -> float:
        """J&F of the data set."""
        return (self.j_mean() + self.f_mean()) / 2


def evaluate_sequence(
    gt: Sequence[Frame],
    pred: Sequence[Frame],
    *,
    name: str = "sequence",
    semi_supervised: bool = True,
    bound_th: float = 0.008,
) -> SequenceScore:
    """Score predictions against ground truth for every object of a sequence.

    Parameters
    ----------
    gt, pred
        Per-frame id maps (uint8, 0 background, 255 void in gt) or ``{id: bool mask}``.
        Objects are the ids present in any gt frame; an object missing from a pred frame is
        an empty prediction.
    name
        Sequence name (messages and reports).
    semi_supervised
        Exclude the first and last frames (DAVIS semi-supervised protocol).

    Raises
    ------
    InputError
        Different frame counts or frame sizes, or too few frames to score.
    """
    if len(gt) != len(pred):
        raise InputError(
            f"{name}: {len(gt)} ground-truth frames but {len(pred)} predicted",
            hint="predict every annotated frame",
        )
    frames = range(1, len(gt) - 1) if semi_supervised else range(len(gt))
    if len(frames) == 0:
        raise InputError(f"{name}: too few frames to score", hint="need at least 3 frames")
    gts = [_as_objects(g, name, i) for i, g in enumerate(gt)]
    ids = sorted({k for objs, _ in gts for k in objs})
    score = SequenceScore(name, {k: [] for k in ids}, {k: [] for k in ids})
    for i in frames:
        g_objs, void = gts[i]
        p_objs, _ = _as_objects(pred[i], name, i)
        shape = void.shape
        for k in ids:
            g = g_objs.get(k, np.zeros(shape, bool))
            p = p_objs.get(k, np.zeros(shape, bool))
            if p.shape != shape:
                raise InputError(
                    f"{name}: frame {i} object {k} prediction is {p.shape}, gt is {shape}",
                    hint="predict at the annotation resolution",
                )
            score.j[k].append(jaccard(p, g, void))
            score.f[k].append(f_measure(p, g, void, bound_th))
    return score


def _as_objects(frame: Frame, name: str, i: int) -> tuple[dict[int, np.ndarray], np.ndarray]:
    if isinstance(frame, Mapping):
        objs = {int(k): np.asarray(v) >= 0.5 for k, v in frame.items()}
        if not objs:
            raise InputError(f"{name}: frame {i} has no masks", hint="pass an id map instead")
        shape = next(iter(objs.values())).shape
        return objs, np.zeros(shape, bool)
    ids = np.asarray(frame)
    if ids.ndim != 2:
        raise InputError(f"{name}: frame {i} id map has shape {ids.shape}", hint="use (H, W)")
    labels = [int(v) for v in np.unique(ids) if v not in (0, VOID)]
    return {k: ids == k for k in labels}, ids == VOID


def matte_flicker(mattes: Sequence[np.ndarray], region: np.ndarray | None = None) -> float:
    """Mean frame-to-frame absolute change of a matte inside a static region.

    Parameters
    ----------
    mattes
        Consecutive float alphas in [0, 1] (at least two).
    region
        Bool mask of pixels where nothing moves (e.g. from :func:`static_region`); None = all.

    Raises
    ------
    InputError
        Fewer than two mattes, mismatched shapes, or an empty region.
    """
    if len(mattes) < 2:
        raise InputError("matte flicker needs at least two frames", hint="pass a sequence")
    first = np.asarray(mattes[0], np.float32)
    sel = np.ones(first.shape, bool) if region is None else np.asarray(region, bool)
    if sel.shape != first.shape or not sel.any():
        raise InputError(
            f"flicker region has shape {sel.shape} / {int(sel.sum())} pixels for mattes of "
            f"shape {first.shape}",
            hint="pass a non-empty region of the matte's size",
        )
    diffs = []
    for a, b in zip(mattes, mattes[1:], strict=False):
        a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
        if b.shape != first.shape:
            raise InputError(f"matte of shape {b.shape} != {first.shape}", hint="same size")
        diffs.append(float(np.abs(b - a)[sel].mean()))
    return float(np.mean(diffs))


def static_region(frames: Sequence[np.ndarray], threshold: float = 0.02) -> np.ndarray:
    """Pixels whose image value never changes by more than ``threshold`` between frames."""
    moving = np.zeros(np.asarray(frames[0]).shape[:2], bool)
    for a, b in zip(frames, frames[1:], strict=False):
        d = np.abs(np.asarray(b, np.float32) - np.asarray(a, np.float32))
        moving |= (d.max(axis=2) if d.ndim == 3 else d) > threshold
    return ~moving


def _pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred)
    g = np.asarray(gt)
    if p.shape != g.shape:
        raise InputError(f"prediction {p.shape} and ground truth {g.shape} differ in size",
                         hint="resize the prediction to the annotation size")  # fmt: skip
    return p >= 0.5 if p.dtype != bool else p, g >= 0.5 if g.dtype != bool else g

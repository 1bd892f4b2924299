"""The keyframe shape carried by an object's own motion: the shape prior of ``propagate.flow``.

The keyframe mask (at the tracker's working size) is carried into each frame by the object's
accumulated similarity motion, a RANSAC fit to its consistent flow frame after frame
(:meth:`CarriedShape.fit`). In the re-fit (:meth:`CarriedShape.terms`) the carried shape is
weighted by how rigidly the object moves:

* **Inside it** the warped edge is pulled towards it: edges eroded under rotation or scale,
  parts coming back from behind an occluder.
* **Outside it** the re-fit may move the edge by ``slack`` pixels and no further where the
  keyframe saw background. Without that bound the re-fit ratchets: where the colours on both
  sides of the edge are alike (a mask that ends inside a uniform suit, a look-alike background)
  the colour model moves the edge outwards by a fraction of a pixel each frame, the next frame
  warps the grown mask and grows it again. The demo shot (a camera move over a still photo:
  background and object move alike, so no motion cue helps) grew by tens of pixels over its
  48 frames (``bench_propagate.py --demo``).
* **Where the keyframe could not see** the re-fit stays free: pixels outside the keyframe's
  frame (entering past the border) and pixels where an occluder has been seen since the
  keyframe (:meth:`CarriedShape.remember`: inconsistent flow unlike the object's motion); the
  parts of those that the re-fit takes are added to the carried shape.

When the object stops moving as one piece the caller re-anchors the shape on the current mask
(:meth:`CarriedShape.reanchor`).
"""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.engines import flow as fl
from ultimate_roto.core.engines.trimap import signed_distance


class CarriedShape:
    """A keyframe mask, the object's accumulated motion since the keyframe, its rigidity.

    Parameters
    ----------
    mask
        The keyframe mask at working size (float in [0, 1]).

    Attributes
    ----------
    key
        The keyframe mask (keyframe coordinates), grown by parts revealed since.
    free
        Keyframe coordinates where an occluder has been seen: the keyframe's background there
        does not bind the re-fit.
    motion
        3×3 similarity, keyframe → current frame.
    rigidity
        How well a similarity explains the object's flow (smoothed, 0-1).
    """

    def __init__(self, mask: np.ndarray) -> None:
        self.size = mask.shape[:2]
        self.rigidity = 1.0
        self.last_fit = np.float32([[1, 0, 0], [0, 1, 0]])
        self.reanchor(mask)
        self._occluder = np.zeros(self.size, bool)

    def reanchor(self, mask: np.ndarray) -> None:
        """Carry ``mask`` (the current frame's) from now on."""
        self.key = mask.astype(np.float32, copy=True)
        self.free = np.zeros(self.size, np.float32)
        self.motion = np.eye(3, dtype=np.float64)

    def fit(
        self, backward: np.ndarray, cons: np.ndarray, warped: np.ndarray, min_points: float
    ) -> np.ndarray:
        """Similarity (2×3, previous → current frame) fitted with RANSAC to the consistent flow
        inside the warped mask; updates the accumulated motion and the rigidity. With fewer
        than ``min_points`` such pixels (mostly hidden) the object keeps its last motion."""
        import cv2

        m = self.last_fit
        ys, xs = np.nonzero((warped >= 0.5) & (cons >= 0.9))
        if xs.size < min_points:
            self.motion = np.vstack([m, [0, 0, 1]]) @ self.motion
            return m
        pick = np.linspace(0, xs.size - 1, min(xs.size, 800)).astype(int)
        ys, xs = ys[pick], xs[pick]
        b = backward[ys, xs]
        dst = np.stack([xs, ys], 1).astype(np.float32)
        src = dst + b
        fit, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                             ransacReprojThreshold=1.0)  # fmt: skip
        if fit is None:
            self.rigidity *= 0.5
            return m
        pred = src @ fit[:, :2].T + fit[:, 2]
        res = np.sqrt(((pred - dst) ** 2).sum(1))
        tol = 0.75 + 0.05 * np.sqrt((b**2).sum(1))
        inl = float((res <= tol).mean())
        q = float(np.clip((inl - 0.5) / 0.35, 0.0, 1.0))
        self.rigidity = 0.7 * self.rigidity + 0.3 * q
        self.motion = np.vstack([fit, [0, 0, 1]]) @ self.motion
        self.last_fit = fit.astype(np.float32)
        return self.last_fit

    def carried(self) -> np.ndarray:
        """The keyframe mask carried into the current frame (working size, soft)."""
        return self._to_current(self.key)

    def terms(
        self,
        sd: np.ndarray,
        rigid: np.ndarray,
        w: np.ndarray,
        c: np.ndarray,
        backward: np.ndarray,
        m: np.ndarray,
        roi: tuple[int, int, int, int],
        *,
        weight: float,
        motion_weight: float,
        slack: float,
    ) -> tuple[np.ndarray, np.ndarray | float, np.ndarray]:
        """The shape prior in the re-fit crop ``roi`` (y0, y1, x0, x1).

        Returns the warped edge's signed distance ``sd`` pulled towards the carried shape
        (inside it) and held within ``slack`` pixels of it (outside it, where the keyframe saw
        background), both by ``weight``; a logit penalty for consistent flow unlike the
        object's motion ``m`` (occluders, background); and where the carried shape covers
        pixels with no reliable flow (reappearing parts). ``rigid``: :meth:`carried` (whole
        frame); ``w``, ``c``: the warped mask and the flow consistency in the crop.

        Only pixels that move with the object (or have no reliable flow, or are already in the
        warped mask) follow the carried shape: an occluder in front keeps its own (empty) warp.
        """
        import cv2

        y0, y1, x0, x1 = roi
        r = rigid[y0:y1, x0:x1]
        if weight <= 0:
            return sd, 0.0, np.zeros(r.shape, bool)
        sdr = np.clip(signed_distance(r >= 0.5), -1e3, 1e3)
        xs, ys = fl.grid(*self.size)
        xs, ys = xs[y0:y1, x0:x1], ys[y0:y1, x0:x1]
        bk = backward[y0:y1, x0:x1]
        inv = cv2.invertAffineTransform(m)
        px = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
        py = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
        res = np.sqrt((xs + bk[..., 0] - px) ** 2 + (ys + bk[..., 1] - py) ** 2)
        tol = 1.5 + 0.05 * np.sqrt((bk**2).sum(-1))
        agree = (res <= tol) | (w >= 0.5) | ((c < 0.5) & (r >= 0.5))
        moving_apart = weight * motion_weight * np.clip(res / tol - 1.0, 0.0, 1.0) * c
        pulled = weight * sdr + (1 - weight) * sd
        # outside the carried shape the edge may grow (no pull inwards), but only by `slack`
        # beyond it where the keyframe saw background; else colour look-alikes ratchet it out
        loose = self._unseen(xs, ys) | (self._to_current(self.free)[y0:y1, x0:x1] >= 0.5)
        excess = np.where(loose, 0.0, np.maximum(sd - sdr - slack, 0.0))
        pulled = np.where(r < 0.5, np.maximum(pulled, sd) - weight * excess, pulled)
        sd = np.where(agree, pulled, sd)
        self._occluder[:] = False
        self._occluder[y0:y1, x0:x1] = (c < 0.5) & (res > tol) & (r < 0.5)
        return sd, moving_apart, (r >= 0.5) & (c < 0.5)

    def remember(self, mask: np.ndarray) -> None:
        """After the re-fit (``mask``, current frame): where :meth:`terms` saw an occluder move
        off (inconsistent flow unlike the object's motion, outside the carried shape), the
        keyframe's background no longer binds; what of it joined the object is carried on."""
        import cv2

        if not self._occluder.any():
            return
        h, w = self.size
        back = cv2.invertAffineTransform(self.motion[:2])
        gone = cv2.warpAffine(self._occluder.astype(np.float32), back, (w, h),
                              flags=cv2.INTER_LINEAR)  # fmt: skip
        joined = cv2.warpAffine((mask >= 0.5).astype(np.float32), back, (w, h),
                                flags=cv2.INTER_LINEAR)  # fmt: skip
        self.free = np.maximum(self.free, gone)
        self.key = np.maximum(self.key, gone * (joined >= 0.5))
        self._occluder[:] = False

    def _to_current(self, values: np.ndarray) -> np.ndarray:
        import cv2

        if not values.any():
            return np.zeros(self.size, np.float32)
        h, w = self.size
        return cv2.warpAffine(values, self.motion[:2].astype(np.float32), (w, h),
                              flags=cv2.INTER_LINEAR)  # fmt: skip

    def _unseen(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Pixels (coordinates ``xs``, ``ys`` in the current frame) that were outside the
        keyframe's frame (or on its outermost pixel): nothing is known of them there."""
        k = np.linalg.inv(self.motion)
        kx = k[0, 0] * xs + k[0, 1] * ys + k[0, 2]
        ky = k[1, 0] * xs + k[1, 1] * ys + k[1, 2]
        h, w = self.size
        return (kx < 1) | (kx > w - 2) | (ky < 1) | (ky > h - 2)


def keep_tracked_parts(
    out: np.ndarray, warped: np.ndarray, min_part: float, carried: np.ndarray | None = None
) -> np.ndarray:
    """Drop blobs that do not touch the warped mask (colour look-alikes in the band) and
    crumbs smaller than ``min_part`` × the largest part (remnants left behind on the track),
    but not a piece on a small part of the ``carried`` keyframe shape: the keyframe has that
    part of its own (a strand, a detached piece), so it is tracked however small."""
    import cv2

    binary = (out >= 0.5).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 2:
        return out
    support = np.bincount(labels[warped >= 0.5], minlength=n)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    areas[0] = 0
    keep = (support > 0) & (areas >= min_part * areas.max())
    if carried is not None:
        cn, clabels, cstats, _ = cv2.connectedComponentsWithStats(
            (carried >= 0.5).astype(np.uint8), connectivity=8
        )
        if cn > 2:
            carea = cstats[:, cv2.CC_STAT_AREA].astype(np.float64)
            carea[0] = 0
            small = carea < min_part * carea.max()
            small[0] = False
            keep |= np.bincount(labels[small[clabels]], minlength=n) > 0
    keep[0] = True
    out[~keep[labels]] = 0.0
    return out

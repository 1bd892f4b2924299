"""``propagate.flow``: keyframe masks carried along DIS optical flow and re-fitted every frame.

Per frame (all modelling at a reduced working size, long side ``max_side``):

1. **Flow** — DIS optical flow both ways between the previous and the current frame
   (:mod:`.flow`); the previous mask is warped into the current frame with the backward flow.
2. **Forward-backward consistency** — pixels whose round trip does not return were hidden in the
   previous frame (disocclusion) or got bad flow. There the warped mask is trusted less, so the
   mask neither grows into them blindly nor keeps pixels it cannot vouch for: colour decides.
3. **Re-fit** — in a narrow band around the warped edge (plus inconsistent pixels next to it),
   the mask is decided by a spatial prior (signed distance to the warped edge) combined with
   foreground/background colour histograms learnt on the keyframe and updated on confident
   pixels; the result is snapped to image edges with a guided filter. Warping errors therefore
   do not accumulate; the re-fit's own bias is bounded by the shape prior below.
   A **shape prior** steadies the re-fit (:mod:`.carried_shape`): the keyframe mask carried
   by the object's own accumulated similarity motion (RANSAC fit to its consistent flow),
   weighted by how rigidly the object moves (re-anchored on the current mask when it stops
   moving as one piece). It may add pixels that move with the object (eroded edges under
   rotation/scale, parts coming back from behind an occluder, even after a full occlusion);
   consistent flow unlike the object's motion (occluder, background) counts against the
   object; and the edge may not grow more than ``shape_slack`` beyond it where the keyframe
   saw background, so colour look-alikes next to the edge are not absorbed a little every
   frame (that ratchet grew masks on the demo shot, a camera move where no motion cue helps).
4. **Occlusion and confidence** — the share of the previous mask that is lost (inconsistent)
   and the area relative to a slowly updated reference area give a confidence; frames where
   a large part vanishes are flagged ``occluded``.
5. **Full resolution** — the working mask is upsampled inside the object's box and snapped to
   the full-resolution edges (guided filter), giving an anti-aliased edge.

Keyframes re-anchor the track. Frames are pulled one at a time through ``get_frame(n)``, so
memory stays flat over any length. Blending forward/backward runs between keyframes is done by
:mod:`.keyframes`. Speed and quality: ``benchmarks/bench_propagate.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.engines import flow as fl
from ultimate_roto.core.engines.base import (
    ProgressLike,
    PropagationInfo,
    check_frames,
    check_image,
    keyframe_mask,
    walk_frames,
)
from ultimate_roto.core.engines.carried_shape import CarriedShape, keep_tracked_parts
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.trimap import signed_distance
from ultimate_roto.core.errors import InputError

ENGINES = (
    EngineSpec(
        id="propagate.flow",
        task="propagate",
        name="Optical flow (DIS) with edge re-fit",
        description="Keyframe masks along DIS optical flow, re-fitted to colour and edges per frame",
        factory="ultimate_roto.core.engines.propagate_flow:FlowPropagator",
        needs_gpu=False,
        licence="Apache-2.0 (OpenCV)",
        check="ultimate_roto.core.engines.propagate_flow:availability",
        priority=10,
    ),
)

_BINS = 16  # colour histogram levels per channel


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: OpenCV with DIS optical flow is importable."""
    import importlib.util

    if importlib.util.find_spec("cv2") is None:
        return False, "opencv-python-headless is not installed"
    return True, "ok"


@dataclass
class _Frame:
    """One frame at working size: RGB uint8, grey uint8 and colour-bin indices."""

    rgb: np.ndarray
    gray: np.ndarray
    bins: np.ndarray


class Tracker:
    """Frame-to-frame mask tracking state (one object, one direction).

    Built by :meth:`FlowPropagator.tracker`; call :meth:`step` with each next frame.
    """

    def __init__(self, engine: FlowPropagator, image: np.ndarray, mask: np.ndarray) -> None:
        self.e = engine
        self.full_shape = image.shape[:2]
        self.size = fl.work_size(self.full_shape, engine.max_side)
        self.scale = self.size[1] / self.full_shape[1]
        self.band = max(4.0, engine.band * max(self.size) / 640.0)
        self.prev = self._prepare(image)
        self.mask = fl.resize(mask, self.size).astype(np.float32)
        self.fg_hist, self.bg_hist = self._histograms(self.prev.bins, self.mask, None)
        self.ref_area = float((self.mask >= 0.5).sum())
        self.hidden = np.zeros(self.size, np.float32)
        # shape prior: the keyframe mask carried by the object's accumulated similarity motion
        self.shape = CarriedShape(self.mask)

    # -- public ----------------------------------------------------------------------------
    def step(self, image: np.ndarray) -> tuple[np.ndarray, PropagationInfo]:
        """Track into the next frame; return the full-resolution mask and its info."""
        cur = self._prepare(image)
        pair = self.e.flow.pair(self.prev.gray, cur.gray)
        assert pair.forward is not None
        cons = fl.consistency(pair.backward, pair.forward, self.e.fb_tolerance)
        warped = fl.warp(self.mask, pair.backward)
        lost_frac, lost = self._lost(pair)
        m = self.shape.fit(pair.backward, cons, warped, max(20.0, 0.3 * self.ref_area))
        hidden = self._move_hidden(m, lost)
        if warped.max() >= 0.5 or hidden.max() >= 0.5 or self._shape_weight() > 0:
            mask = self._refit(cur, warped, cons, hidden, pair, m)
            self.shape.remember(mask)
        else:
            mask = np.zeros_like(warped)
        self.hidden = np.where(mask >= 0.5, 0.0, hidden * self.e.memory_decay)
        info = self._info(mask, lost_frac)
        if self.shape.rigidity < self.e.reanchor and not info.occluded:
            # the object does not move as one piece (any more): carry the current shape instead
            self.shape.reanchor(mask)
        self._update_model(cur, mask, cons, info)
        self.prev, self.mask = cur, mask
        return self._to_full(image, mask), info

    # -- steps -----------------------------------------------------------------------------
    def _prepare(self, image: np.ndarray) -> _Frame:
        import cv2

        rgb = fl.resize(image[..., :3], self.size)
        rgb8 = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
        gray = cv2.cvtColor(rgb8, cv2.COLOR_RGB2GRAY)
        q = (rgb8 >> 4).astype(np.int32)
        bins = (q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]
        return _Frame(rgb8, gray, bins)

    def _lost(self, pair: fl.FlowPair) -> tuple[float, np.ndarray]:
        """Share of the previous mask with no consistent match in this frame, and where."""
        import cv2

        assert pair.forward is not None
        src_cons = fl.consistency(pair.forward, pair.backward, self.e.fb_tolerance)
        prev = self.mask >= 0.5
        area = prev.sum()
        if area == 0:
            return 1.0, np.zeros(self.size, np.float32)
        fwd = pair.forward
        xs, ys = fl.grid(*self.size)
        h, w = self.size
        inside = (
            (xs + fwd[..., 0] >= 0)
            & (xs + fwd[..., 0] <= w - 1)
            & (ys + fwd[..., 1] >= 0)
            & (ys + fwd[..., 1] <= h - 1)
        )
        kept = src_cons * inside
        lost = ((kept < 0.5) & prev).astype(np.uint8)
        lost = cv2.morphologyEx(lost, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))  # no edge noise
        return float(1.0 - kept[prev].sum() / area), lost.astype(np.float32)

    def _move_hidden(self, m: np.ndarray, lost: np.ndarray) -> np.ndarray:
        """Occlusion memory: object parts hidden so far, moved with the object's own motion
        (a similarity fitted to its consistent flow) into this frame."""
        import cv2

        hidden = np.maximum(self.hidden, lost)
        if hidden.max() < 0.5:
            return np.zeros(self.size, np.float32)
        h, w = self.size
        return cv2.warpAffine(hidden, m, (w, h), flags=cv2.INTER_LINEAR)

    def _refit(
        self,
        cur: _Frame,
        warped: np.ndarray,
        cons: np.ndarray,
        hidden: np.ndarray,
        pair: fl.FlowPair,
        m: np.ndarray,
    ) -> np.ndarray:
        from ultimate_roto.core.engines.segment_classic import guided_filter

        rigid = self.shape.carried()
        hid = hidden >= 0.5
        pad = int((self.e.regrow + 1) * self.band)
        y0, y1, x0, x1 = _roi((warped >= 0.5) | hid | (rigid >= 0.5), pad, self.size)
        w = warped[y0:y1, x0:x1]
        c = cons[y0:y1, x0:x1]
        hid = hid[y0:y1, x0:x1]
        sd = signed_distance(w >= 0.5)
        sd, moving_apart, rhid = self.shape.terms(
            sd, rigid, w, c, pair.backward, m, (y0, y1, x0, x1), weight=self._shape_weight(),
            motion_weight=self.e.motion_weight, slack=self.e.shape_slack * self.band,
        )  # fmt: skip
        # spatial prior: sharp far from the warped edge, uncertain near it and where the
        # flow is inconsistent (those pixels are not vouched for by the previous frame)
        # (minus a background bias, or plus one where the occlusion memory says the object is)
        unmatched = np.where(hid, 1.0, np.where(rhid, 0.0, -self.e.disocclusion_bias))
        prior = (sd / (0.35 * self.band)) * c + unmatched * (1.0 - c)
        fh, bh = self.fg_hist, self.bg_hist
        b = cur.bins[y0:y1, x0:x1]
        pf, pb = fh[b], bh[b]
        colour = np.log(pf + 1e-4) - np.log(pb + 1e-4)
        colour = np.clip(colour, -4.0, 4.0) * self.e.colour_weight
        reach = np.abs(sd) <= self.band
        reach |= (c < 0.5) & ((sd >= -self.e.regrow * self.band) | hid)
        logit = np.where(reach, prior + colour - moving_apart, np.clip(prior, -8, 8) * 4)
        prob = 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))
        guide = cur.gray[y0:y1, x0:x1].astype(np.float32) / 255.0
        r = max(1, round(self.band / 3))
        snapped = guided_filter(guide, prob.astype(np.float32), r, 2e-3)
        out = np.zeros(self.size, np.float32)
        out[y0:y1, x0:x1] = np.clip((snapped - 0.5) * 2.0 + 0.5, 0.0, 1.0)
        return keep_tracked_parts(out, np.maximum(warped, rigid), self.e.min_part, rigid)

    def _shape_weight(self) -> float:
        return self.shape.rigidity * self.e.shape_prior

    def _info(self, mask: np.ndarray, lost_frac: float) -> PropagationInfo:
        area = float((mask >= 0.5).sum())
        ratio = area / self.ref_area if self.ref_area > 0 else 0.0
        conf = float(np.clip(min(1.0 - lost_frac, ratio, 2.0 - ratio), 0.0, 1.0))
        occluded = area == 0 or ratio < self.e.occlusion_area or lost_frac > self.e.occlusion_lost
        return PropagationInfo(confidence=conf, occluded=bool(occluded))

    def _update_model(
        self, cur: _Frame, mask: np.ndarray, cons: np.ndarray, info: PropagationInfo
    ) -> None:
        if info.occluded or info.confidence < 0.6:
            return  # do not learn from frames we doubt, nor let the reference area collapse
        fg, bg = self._histograms(cur.bins, mask, cons)
        k = self.e.model_rate
        self.fg_hist = (1 - k) * self.fg_hist + k * fg
        self.bg_hist = (1 - k) * self.bg_hist + k * bg
        area = float((mask >= 0.5).sum())
        self.ref_area = 0.9 * self.ref_area + 0.1 * area

    def _histograms(
        self, bins: np.ndarray, mask: np.ndarray, cons: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Normalised colour histograms of confident foreground and a background ring."""
        import cv2

        fg = mask >= 0.9
        outside = (mask < 0.1).astype(np.uint8)
        dist = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
        bg = (outside > 0) & (dist <= 6 * self.band)
        if cons is not None:
            good = cons >= 0.5
            fg, bg = fg & good, bg & good
        n = _BINS**3
        hf = np.bincount(bins[fg], minlength=n).astype(np.float32) + 0.5
        hb = np.bincount(bins[bg], minlength=n).astype(np.float32) + 0.5
        hf = cv2.GaussianBlur(hf.reshape(_BINS, _BINS * _BINS), (3, 3), 0).ravel()
        hb = cv2.GaussianBlur(hb.reshape(_BINS, _BINS * _BINS), (3, 3), 0).ravel()
        return hf / hf.sum(), hb / hb.sum()

    def _to_full(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return upsample_mask(image, mask, self.full_shape, snap=self.e.snap)


class FlowPropagator:
    """The ``propagate.flow`` engine.

    Parameters
    ----------
    device
        Ignored (CPU engine); accepted for the registry's factory signature.
    max_side
        Long side of the working size in pixels (flow, re-fit); 640 by default.
    preset
        DIS preset: ``"ultrafast"`` (default) or ``"fast"``.
    band
        Re-fit band half-width in pixels at a 640-pixel working size (scaled with it).
    colour_weight
        Weight of the colour model against the spatial prior in the band.
    fb_tolerance
        Forward-backward tolerance in working pixels.
    occlusion_area, occlusion_lost
        A frame is flagged occluded when its area falls below ``occlusion_area`` × the reference
        area or more than ``occlusion_lost`` of the previous mask has no consistent match.
    disocclusion_bias
        Background bias (logit) for pixels with no consistent match in the previous frame:
        they were hidden there, so only colour may claim them for the object.
    min_part
        Disconnected parts smaller than this fraction of the largest part are dropped.
    regrow
        Inconsistent (disoccluded) pixels up to ``regrow`` × band outside the warped edge may
        join the object when their colour says so (parts reappearing from behind occluders).
    memory_decay
        Per-frame decay of the occlusion memory (object parts hidden behind an occluder are
        remembered, moved with the object, and may come back when they reappear).
    model_rate
        How fast the colour model follows the shot (0 = keyframe model only).
    snap
        Snap the upsampled mask to full-resolution edges.
    shape_prior
        Weight (0-1, times the measured rigidity) of the rigidly carried keyframe shape.
    reanchor
        Below this rigidity the carried shape is re-anchored on the current mask.
    motion_weight
        Logit penalty for consistent flow unlike the object's motion (occluders, background).
    shape_slack
        How far (× band) the re-fit may move the edge beyond the carried keyframe shape where
        the keyframe saw background (:mod:`.carried_shape`); beyond it the carried shape wins
        by the object's rigidity, so look-alike colours next to the edge cannot be absorbed a
        little every frame.
    """

    def __init__(
        self,
        device: str = "cpu",
        *,
        max_side: int = 640,
        preset: str = "ultrafast",
        band: float = 6.0,
        colour_weight: float = 0.8,
        fb_tolerance: float = 1.0,
        occlusion_area: float = 0.5,
        occlusion_lost: float = 0.4,
        model_rate: float = 0.2,
        disocclusion_bias: float = 1.0,
        min_part: float = 0.05,
        regrow: float = 3.0,
        memory_decay: float = 0.97,
        snap: bool = True,
        shape_prior: float = 1.0,
        reanchor: float = 0.25,
        motion_weight: float = 1.0,
        shape_slack: float = 0.25,
    ) -> None:
        fl.work_size((max_side, max_side), max_side)  # validates
        numbers = {
            "band": band, "colour_weight": colour_weight, "fb_tolerance": fb_tolerance,
            "occlusion_area": occlusion_area, "occlusion_lost": occlusion_lost,
            "model_rate": model_rate, "disocclusion_bias": disocclusion_bias,
            "min_part": min_part, "regrow": regrow, "memory_decay": memory_decay,
            "shape_prior": shape_prior, "reanchor": reanchor, "motion_weight": motion_weight,
            "shape_slack": shape_slack,
        }  # fmt: skip
        for name, value in numbers.items():
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not (number and math.isfinite(value)):
                raise InputError(f"propagate.flow: {name} = {value!r} is not a finite number",
                                 hint="give a number, or leave the setting out")  # fmt: skip
        if band <= 0:
            raise InputError(f"propagate.flow: band {band} must be positive", hint="try 6")
        if shape_slack < 0:
            raise InputError(f"propagate.flow: shape_slack {shape_slack} is negative",
                             hint="try 0.25")  # fmt: skip
        for name, value in numbers.items():
            setattr(self, name, float(value))
        self.device = device
        self.max_side = int(max_side)
        self.snap = bool(snap)
        self.flow = fl.FlowEstimator(preset)

    def tracker(self, image: np.ndarray, mask: np.ndarray) -> Tracker:
        """Start a track from a frame and its (keyframe) mask."""
        return Tracker(self, image, mask)

    def propagate(
        self,
        get_frame: Callable[[int], np.ndarray],
        keyframes: dict[int, np.ndarray],
        frames: Sequence[int],
        *,
        progress: ProgressLike | None = None,
    ) -> Iterator[tuple[int, np.ndarray, PropagationInfo]]:
        """Yield ``(frame, mask, info)`` for ``frames`` (strictly ascending or descending).

        The run starts from ``frames[0]`` if it is a keyframe, else from the nearest keyframe
        before it in the direction of travel (the frames in between are tracked, not
        yielded). Every keyframe met on the way re-anchors the track.

        Raises
        ------
        InputError
            No keyframes, frames not monotonic, no keyframe to start from, a keyframe mask of
            the wrong shape or empty.
        """
        order = check_frames(frames)
        walk = walk_frames(keyframes, order)
        wanted = set(order)
        total = len(walk)
        tracker: Tracker | None = None
        for i, n in enumerate(walk):
            if progress is not None:
                progress.check_aborted()
            image = check_image(get_frame(n), f"frame {n}")
            if n in keyframes:
                mask = keyframe_mask(keyframes, n, image.shape[:2])
                tracker = self.tracker(image, mask)
                result, info = mask, PropagationInfo(confidence=1.0, occluded=False)
            else:
                assert tracker is not None
                result, info = tracker.step(image)
            if progress is not None:
                progress.report((i + 1) / total, f"propagated frame {n} ({i + 1}/{total})")
            if n in wanted:
                yield n, result, info


def upsample_mask(
    image: np.ndarray, mask: np.ndarray, shape: tuple[int, int], *, snap: bool = True
) -> np.ndarray:
    """Upsample a working-size soft mask to ``shape``, snapping its edge to the image's.

    Only the object's box is processed; the edge comes out anti-aliased.
    """
    import cv2

    from ultimate_roto.core.engines.segment_classic import guided_filter

    out = np.zeros(shape, np.float32)
    if mask.shape == tuple(shape):
        return np.clip(mask, 0, 1).astype(np.float32)
    k = shape[1] / mask.shape[1]
    ys, xs = np.nonzero(mask >= 0.02)
    if xs.size == 0:
        return out
    pad = 3
    sx0, sx1 = max(0, xs.min() - pad), min(mask.shape[1], xs.max() + 1 + pad)
    sy0, sy1 = max(0, ys.min() - pad), min(mask.shape[0], ys.max() + 1 + pad)
    x0, x1 = int(sx0 * k), min(shape[1], int(np.ceil(sx1 * k)))
    y0, y1 = int(sy0 * k), min(shape[0], int(np.ceil(sy1 * k)))
    # map the full-res crop's pixel centres back into working coordinates
    xs_f = (np.arange(x0, x1, dtype=np.float32) + 0.5) / k - 0.5
    ys_f = (np.arange(y0, y1, dtype=np.float32) + 0.5) / (shape[0] / mask.shape[0]) - 0.5
    mx, my = np.meshgrid(xs_f, ys_f)
    up = cv2.remap(mask.astype(np.float32), mx, my, cv2.INTER_LINEAR,
                   borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)  # fmt: skip
    if snap and k > 1.2:
        crop = np.ascontiguousarray(image[y0:y1, x0:x1, :3], np.float32)
        guide = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
        up = guided_filter(guide, up, max(2, round(k)), 1e-3)
        up = (up - 0.5) * 2.5 + 0.5
    out[y0:y1, x0:x1] = np.clip(up, 0.0, 1.0)
    return out


def _roi(mask: np.ndarray, pad: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return 0, size[0], 0, size[1]
    return (max(0, ys.min() - pad), min(size[0], ys.max() + 1 + pad),
            max(0, xs.min() - pad), min(size[1], xs.max() + 1 + pad))  # fmt: skip

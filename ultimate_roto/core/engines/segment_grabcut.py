"""Stages of ``segment.classic``: region of interest, coarse-to-fine GrabCut, clean-up, edge snap.

Pure functions over numpy arrays (OpenCV imported inside them); the engine, its priors and
its caches live in :mod:`ultimate_roto.core.engines.segment_classic`, which documents the
pipeline and its measured costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.engines.base import Prompt

Box = tuple[int, int, int, int]
Shape = tuple[int, int]
RNG_SEED = 12345
GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD = 0, 1, 2, 3  # cv2.GC_* (cv2 is imported lazily)


@dataclass
class Work:
    """The region of interest and its crop at three resolutions.

    ``crop`` is the full-resolution view of the frame, ``fine`` its resize to the work size
    (edge band refinement, the priors' input) and ``coarse`` its resize to the coarse size
    (colour models and the first graph cuts). ``coarse`` may be ``fine`` itself.
    """

    roi: Box
    crop: np.ndarray
    fine: np.ndarray
    coarse: np.ndarray

    @property
    def scale(self) -> float:
        """fine = crop × scale."""
        return self.fine.shape[0] / self.crop.shape[0]

    def cell(self, shape: Shape, x: float, y: float) -> tuple[int, int]:
        """Pixel ``(x, y)`` of a level of ``shape`` for the image point ``(x, y)``, clamped."""
        sx = shape[1] / self.crop.shape[1]
        sy = shape[0] / self.crop.shape[0]
        cx = int((x - self.roi[0]) * sx)
        cy = int((y - self.roi[1]) * sy)
        return min(max(cx, 0), shape[1] - 1), min(max(cy, 0), shape[0] - 1)

    def cells(self, shape: Shape, prompts: list[Prompt], *, bg: bool) -> list[tuple[int, int]]:
        """Cells of the background (or foreground) clicks on a level of ``shape``."""
        return [
            self.cell(shape, x, y) for p in prompts for x, y in (p.bg_points if bg else p.fg_points)
        ]

    def level(self, shape: Shape) -> np.ndarray:
        """The crop at the level of ``shape`` (``coarse`` or ``fine``)."""
        for img in (self.coarse, self.fine, self.crop):
            if img.shape[:2] == tuple(shape):
                return img
        raise ValueError(f"no level of shape {shape}")

    def box_mask(self, shape: Shape, prompts: list[Prompt]) -> np.ndarray | None:
        """Inside any box, on a level of ``shape`` (None without boxes)."""
        boxes = [p.box for p in prompts if p.box is not None]
        if not boxes:
            return None
        m = np.zeros(shape, bool)
        sx = shape[1] / self.crop.shape[1]
        sy = shape[0] / self.crop.shape[0]
        for b in boxes:
            ax, ay = int((b[0] - self.roi[0]) * sx), int((b[1] - self.roi[1]) * sy)
            bx, by = int((b[2] - self.roi[0]) * sx), int((b[3] - self.roi[1]) * sy)
            m[max(0, ay) : max(ay + 1, by), max(0, ax) : max(ax + 1, bx)] = True
        return m


def widen(box: Box, sides: tuple[bool, ...], w: int, h: int) -> Box:
    """``box`` with each side in ``sides`` (left, top, right, bottom) moved out by the box's
    own width or height, clamped to the ``w`` × ``h`` image."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    left, top, right, bottom = sides
    return (
        max(0, x0 - bw) if left else x0,
        max(0, y0 - bh) if top else y0,
        min(w, x1 + bw) if right else x1,
        min(h, y1 + bh) if bottom else y1,
    )


def roi(prompts: list[Prompt], w: int, h: int) -> Box:
    """Boxes' union +15 %, else the clicks' bounding box grown 150 % (≥ 40 % of the short side)."""
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


def prepare(crop: np.ndarray, box: Box, work_size: int, coarse_size: int) -> Work:
    """The crop of ``box`` shrunk to the work and coarse sizes (INTER_AREA)."""
    fine = _shrink(crop, work_size)
    coarse = _shrink(fine, coarse_size)
    return Work(box, crop, fine, coarse)


def _shrink(img: np.ndarray, long_side: int) -> np.ndarray:
    import cv2

    scale = min(1.0, long_side / max(img.shape[:2]))
    if scale >= 1.0:
        return np.ascontiguousarray(img)
    size = (max(8, round(img.shape[1] * scale)), max(8, round(img.shape[0] * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def to_u8(img: np.ndarray) -> np.ndarray:
    """float RGB in [0, 1] → uint8 (GrabCut's input)."""
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def init_labels(
    work: Work,
    prompts: list[Prompt],
    prior: np.ndarray | None,
    shape: Shape,
    *,
    confidence: float = 0.5,
    carve: float = 0.0,
) -> np.ndarray:
    """GrabCut label map on a level of ``shape`` from boxes, clicks and the prior.

    Parameters
    ----------
    work, prompts, prior, shape
        The region, the prompts, the prior (or None) and the level's shape.
    confidence
        Without a box: the prior's value from which a pixel is probable foreground (with a
        box, or with the clicks' own hull as the prior: 0.5).
    carve
        Edge strength of the geodesic carving from background clicks that land on the
        probable foreground (:func:`segment_clicks.carve`); 0 = off.
    """
    import cv2

    from ultimate_roto.core.engines import segment_clicks

    threshold = 0.5
    inside = work.box_mask(shape, prompts)
    if inside is None:
        inside = np.ones(shape, bool)
        if prior is None:
            prior = click_prior(work, prompts, shape)
        else:
            threshold = confidence
    labels = np.full(shape, cv2.GC_BGD, np.uint8)
    labels[inside] = cv2.GC_PR_BGD
    prob_fg = inside if prior is None else inside & (prior >= threshold)
    if prior is not None and np.count_nonzero(prob_fg) < 0.05 * np.count_nonzero(inside):
        prob_fg = inside & (prior >= 0.5 * float(prior[inside].max()))  # weak prior: relative
    labels[prob_fg] = cv2.GC_PR_FGD
    if carve > 0:
        fg, bg = work.cells(shape, prompts, bg=False), work.cells(shape, prompts, bg=True)
        segment_clicks.carve(labels, work.level(shape), fg, bg, strength=carve)
    draw_clicks(labels, work, prompts)
    return labels


def draw_clicks(labels: np.ndarray, work: Work, prompts: list[Prompt]) -> None:
    """Sure-background / sure-foreground discs (1.5 % of the level's long side) at the clicks."""
    import cv2

    shape = labels.shape[:2]
    radius = max(2, round(0.015 * max(shape)))
    for c in work.cells(shape, prompts, bg=True):
        cv2.circle(labels, c, radius, int(cv2.GC_BGD), -1)
    for c in work.cells(shape, prompts, bg=False):
        cv2.circle(labels, c, radius, int(cv2.GC_FGD), -1)


def click_prior(work: Work, prompts: list[Prompt], shape: Shape) -> np.ndarray:
    """Without a box or model: probable foreground near the clicks' hull."""
    import cv2

    pts = np.array(work.cells(shape, prompts, bg=False), np.int32)
    m = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(m, cv2.convexHull(pts), 1)
    k = max(3, round(0.3 * max(shape)))
    return cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))).astype(np.float32)


@dataclass
class ColourModel:
    """GrabCut's two 5-component GMMs (OpenCV's packed ``(1, 65)`` arrays)."""

    bgd: np.ndarray
    fgd: np.ndarray


def grabcut(
    img8: np.ndarray, labels: np.ndarray, iterations: int
) -> tuple[np.ndarray, ColourModel | None]:
    """GrabCut from a label map (``GC_INIT_WITH_MASK``): foreground and the learnt colour model."""
    import cv2

    fg_lab = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    bg_lab = (labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)
    if not bg_lab.any():  # box covers the whole crop: let the crop border be probable bg
        labels[[0, -1], :] = cv2.GC_PR_BGD
        labels[:, [0, -1]] = cv2.GC_PR_BGD
    if not fg_lab.any():
        return np.zeros(labels.shape, bool), None
    model = ColourModel(np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
    # GrabCut seeds its GMMs with k-means++ drawn from OpenCV's global RNG: without a fixed
    # seed the same prompt gives a different mask call after call (J 0.83 then 0.91 on the
    # test cup; some benchmark cases swing between 0.1 and 0.97)
    cv2.setRNGSeed(RNG_SEED)
    # iterations 0: OpenCV only fits the GMMs to the labels and returns (no cut)
    cv2.grabCut(img8, labels, None, model.bgd, model.fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD), model


def refine_band(
    fg: np.ndarray,
    work: Work,
    prompts: list[Prompt],
    model: ColourModel,
    band: int,
) -> np.ndarray:
    """Re-cut a ``band``-pixel ring around the coarse edge at the fine level.

    The coarse mask is upsampled; pixels farther than ``band`` from its edge keep their side
    (fixed labels), the ring is cut again with the coarse colour model frozen
    (``GC_EVAL_FREEZE_MODEL``: one graph cut, no re-learning), so the edge moves to the
    fine level's contrast at a fraction of a full GrabCut's cost there.
    """
    import cv2

    shape = work.fine.shape[:2]
    if fg.shape == shape:
        return fg
    up = cv2.resize(fg.astype(np.float32), shape[::-1], interpolation=cv2.INTER_LINEAR) >= 0.5
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    up8 = up.astype(np.uint8)
    inner = cv2.erode(up8, k).astype(bool)
    outer = cv2.dilate(up8, k).astype(bool)
    labels = np.full(shape, cv2.GC_BGD, np.uint8)
    labels[outer] = cv2.GC_PR_BGD
    labels[outer & up] = cv2.GC_PR_FGD
    labels[inner] = cv2.GC_FGD
    inside = work.box_mask(shape, prompts)
    if inside is not None:
        labels[~inside] = cv2.GC_BGD
    draw_clicks(labels, work, prompts)
    if not ((labels == cv2.GC_PR_BGD) | (labels == cv2.GC_PR_FGD)).any():
        return up
    bgd, fgd = model.bgd.copy(), model.fgd.copy()
    cv2.grabCut(to_u8(work.fine), labels, None, bgd, fgd, 1, cv2.GC_EVAL_FREEZE_MODEL)
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def cleanup(fg: np.ndarray, work: Work, prompts: list[Prompt]) -> np.ndarray:
    """Keep the parts holding a foreground click (else the large parts); fill pin-holes."""
    import cv2

    n, comp, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if n <= 1:
        return fg
    shape = fg.shape[:2]
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = set((np.nonzero(areas >= 0.2 * areas.max())[0] + 1).tolist())
    clicked = {int(comp[y, x]) for x, y in work.cells(shape, prompts, bg=False)}
    clicked.discard(0)
    out = np.isin(comp, list(clicked or keep))
    holes = ~out
    nh, hcomp, hstats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    small_holes = np.nonzero(hstats[1:, cv2.CC_STAT_AREA] < 0.002 * out.size)[0] + 1
    clicked_bg = {int(hcomp[y, x]) for x, y in work.cells(shape, prompts, bg=True)}
    small_holes = np.array([k for k in small_holes.tolist() if k not in clicked_bg], int)
    if small_holes.size:
        out |= np.isin(hcomp, small_holes)
    return out


def to_full(fg: np.ndarray, work: Work, edge_snap: bool) -> np.ndarray:
    """Upsample the fine mask to the crop and snap it to the image edges (guided filter).

    The filter's coefficients are computed at no more than twice the fine level's size
    (He & Sun's "fast guided filter" subsampling) and applied with the full-resolution guide.
    """
    import cv2

    ch, cw = work.crop.shape[:2]
    soft = fg.astype(np.float32)
    if not edge_snap:
        return resize(soft, (ch, cw))
    sub = -(-max(ch, cw) // (2 * max(fg.shape)))  # ceil: coefficients at <= 2x fine
    radius = max(2, round(1.0 / work.scale))
    guide = cv2.cvtColor(work.crop, cv2.COLOR_RGB2GRAY)
    q = guided_filter(guide, soft, radius, 1e-3, subsample=sub)
    return np.clip((q - 0.5) * 3.0 + 0.5, 0.0, 1.0)


def guided_filter(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float, *, subsample: int = 1
) -> np.ndarray:
    """Grey-guide guided filter (He, Sun & Tang 2010) with ``cv2.boxFilter`` means.

    Parameters
    ----------
    guide
        float32 ``(H, W)`` guidance image.
    src
        float32 image to filter: ``(H, W)``, or any size when it is upsampled first
        (bilinear) to the guide's size.
    radius
        Box radius in pixels (of the guide).
    eps
        Regularisation: larger = smoother, less edge-following.
    subsample
        Compute the linear coefficients at ``1/subsample`` of the size and upsample them
        (the fast guided filter, He & Sun 2015); 1 = exact.
    """
    import cv2

    h, w = guide.shape[:2]
    sub = max(1, int(subsample))
    if sub > 1:
        size = (max(1, round(w / sub)), max(1, round(h / sub)))
        g = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
        p = cv2.resize(
            src, size, interpolation=cv2.INTER_AREA if src.shape[0] > size[1] else cv2.INTER_LINEAR
        )
        r = max(1, round(radius / sub))
    else:
        g, p, r = guide, resize(src, (h, w)), radius
    k = (2 * r + 1, 2 * r + 1)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mi, mp = mean(g), mean(p)
    cov = mean(g * p) - mi * mp
    var = mean(g * g) - mi * mi
    a = cov / (var + eps)
    b = mp - a * mi
    ma, mb = mean(a), mean(b)
    if sub > 1:
        ma, mb = resize(ma, (h, w)), resize(mb, (h, w))
    return ma * guide + mb


def clip_to_boxes(alpha: np.ndarray, prompts: list[Prompt], box: Box) -> None:
    """Zero ``alpha`` (the crop of ``box``) outside every prompt box (1 px of slack)."""
    boxes = [p.box for p in prompts if p.box is not None]
    if not boxes:
        return
    ox, oy = box[0], box[1]
    keep = np.zeros(alpha.shape, bool)
    for x0, y0, x1, y1 in boxes:
        ya, xa = max(0, int(y0) - 1 - oy), max(0, int(x0) - 1 - ox)
        keep[ya : max(ya, int(np.ceil(y1)) + 1 - oy), xa : max(xa, int(np.ceil(x1)) + 1 - ox)] = (
            True
        )
    alpha[~keep] = 0.0


def resize(prob: np.ndarray, shape: Shape) -> np.ndarray:
    """Bilinear resize of a probability map to ``shape`` (no-op when it already fits)."""
    import cv2

    if prob.shape[:2] == tuple(shape):
        return prob
    return cv2.resize(prob, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)

"""``refine.classic``: hard mask → soft matte with closed-form matting or a colour guided filter.

1. **Trimap** — an unknown band around the mask edge (:mod:`.trimap`; width settable,
   optionally adaptive to edge contrast). Core and background keep their values exactly.
2. **Alpha in the band**, two solvers:

   * ``"cf"`` — closed-form matting (Levin et al., ``pymatting.estimate_alpha_cf``) on the
     crop around the band, shrunk to at most ``max_pixels`` (the sparse solve grows
     super-linearly), then upsampled inside the band with a guided filter on the full-res
     crop. Best quality. pymatting compiles with numba on first use (a few seconds once; the
     cache is kept on disk after that).
   * ``"guided"`` — a colour guided filter (He et al.) of the hard mask with the frame as guide,
     restricted to the band. Much faster on big frames.
   * ``"auto"`` — ``"cf"`` while the band has at most ``auto_pixels`` pixels, else ``"guided"``.
3. **Foreground colour** (for premultiplied output) — ``pymatting.estimate_foreground_ml`` on
   the band's crop (:func:`estimate_foreground`, :meth:`ClassicRefiner.refine_rgba`).

Speed and SAD against a ground-truth soft matte: ``benchmarks/bench_refine.py``.
"""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.engines.base import ProgressLike, check_image, check_mask
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.trimap import UNKNOWN, make_trimap, unknown_box
from ultimate_roto.core.errors import InputError

ENGINES = (
    EngineSpec(
        id="refine.classic",
        task="refine",
        name="Classic matting (closed-form / guided filter)",
        description="Soft edges from a hard mask: trimap band + closed-form matting or guided filter",
        factory="ultimate_roto.core.engines.refine_classic:ClassicRefiner",
        needs_gpu=False,
        licence="MIT (pymatting), Apache-2.0 (OpenCV)",
        check="ultimate_roto.core.engines.refine_classic:availability",
        priority=10,
    ),
)
METHODS = ("auto", "cf", "guided")


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: OpenCV and pymatting are importable."""
    import importlib.util

    for mod, pkg in (("cv2", "opencv-python-headless"), ("pymatting", "pymatting")):
        if importlib.util.find_spec(mod) is None:
            return False, f"{pkg} is not installed"
    return True, "ok"


class ClassicRefiner:
    """The ``refine.classic`` engine.

    Parameters
    ----------
    device
        Ignored (CPU engine).
    method
        ``"auto"``, ``"cf"`` (closed-form matting) or ``"guided"`` (colour guided filter).
    band
        Full width of the trimap's unknown band in pixels.
    adaptive
        Widen the band on low-contrast edges, narrow it on crisp ones.
    max_pixels
        Largest crop solved by closed-form matting; bigger crops are shrunk to this.
    auto_pixels
        ``"auto"`` uses ``"cf"`` up to this many unknown pixels.
    eps
        Guided-filter regularisation (``"guided"``).
    """

    def __init__(
        self,
        device: str = "cpu",
        *,
        method: str = "auto",
        band: float = 10.0,
        adaptive: bool = False,
        max_pixels: int = 120_000,
        auto_pixels: int = 60_000,
        eps: float = 1e-4,
    ) -> None:
        if method not in METHODS:
            raise InputError(f"refine.classic: unknown method '{method}'", hint=f"use {METHODS}")
        if max_pixels < 1000:
            raise InputError(f"refine.classic: max_pixels {max_pixels} too small", hint="≥ 1000")
        self.device = device
        self.method = method
        self.band = float(band)
        self.adaptive = bool(adaptive)
        self.max_pixels = int(max_pixels)
        self.auto_pixels = int(auto_pixels)
        self.eps = float(eps)

    def trimap(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The trimap this refiner would use for ``mask`` on ``image``."""
        return make_trimap(mask, self.band, image=image, adaptive=self.adaptive)

    def refine(
        self, image: np.ndarray, mask: np.ndarray, *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Return a float32 ``(H, W)`` alpha: soft only inside the unknown band.

        Raises
        ------
        InputError
            Bad image, or a mask that does not match the image size.
        """
        img = check_image(image)
        m = check_mask(mask, img.shape[:2])
        if progress is not None:
            progress.check_aborted()
        tri = self.trimap(img, m)
        box = unknown_box(tri, pad=2)
        if box is None:
            return tri
        method = self.method
        if method == "auto":
            method = "cf" if np.count_nonzero(tri == UNKNOWN) <= self.auto_pixels else "guided"
        y0, y1, x0, x1 = box
        crop, tcrop = img[y0:y1, x0:x1], tri[y0:y1, x0:x1]
        if method == "cf":
            alpha = matte_cf(crop, tcrop, self.max_pixels)
        else:
            hard = (m[y0:y1, x0:x1] >= 0.5).astype(np.float32)
            alpha = matte_guided(crop, hard, max(2, round(self.band / 2)), self.eps)
        out = tri.copy()
        out[y0:y1, x0:x1] = np.where(tcrop == UNKNOWN, alpha, tcrop)
        if progress is not None:
            progress.report(1.0, f"refined edges ({method})")
        return out

    def refine_rgba(
        self, image: np.ndarray, mask: np.ndarray, *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Premultiplied ``(H, W, 4)`` RGBA: estimated foreground colour × alpha, and alpha."""
        img = check_image(image)
        alpha = self.refine(img, mask, progress=progress)
        fg = estimate_foreground(img, alpha)
        return np.dstack([fg * alpha[..., None], alpha]).astype(np.float32)


def matte_cf(image: np.ndarray, trimap: np.ndarray, max_pixels: int = 120_000) -> np.ndarray:
    """Closed-form matting of a crop, solved at most at ``max_pixels`` and guided back up."""
    import cv2
    from pymatting import estimate_alpha_cf

    h, w = trimap.shape
    k = min(1.0, float(np.sqrt(max_pixels / (h * w))))
    if k < 1.0:
        size = (max(8, round(w * k)), max(8, round(h * k)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        tsmall = cv2.resize(trimap, size, interpolation=cv2.INTER_NEAREST)
    else:
        small, tsmall = image, trimap
    if not (tsmall == 1.0).any() or not (tsmall == 0.0).any():  # nothing to anchor the solve
        return matte_guided(image, (trimap >= UNKNOWN).astype(np.float32), 4, 1e-4)
    small = np.clip(small, 0.0, 1.0).astype(np.float64)
    alpha = estimate_alpha_cf(small, tsmall.astype(np.float64))
    alpha = np.clip(alpha, 0, 1).astype(np.float32)
    if k < 1.0:
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        alpha = guided_filter_rgb(image, alpha, max(1, round(1 / k)), 1e-5)
    return np.clip(alpha, 0.0, 1.0)


def matte_guided(image: np.ndarray, hard: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Colour guided filter of a hard 0/1 mask over the frame (the caller keeps the band)."""
    return np.clip(guided_filter_rgb(image, hard, radius, eps), 0.0, 1.0)


def guided_filter_rgb(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Colour-guide guided filter (He, Sun & Tang 2010, eq. 14), box means via ``cv2``.

    Parameters
    ----------
    guide
        float32 ``(H, W, 3)`` guidance image.
    src
        float32 ``(H, W)`` image to filter.
    radius, eps
        Box radius in pixels; regularisation (smaller = follows colour edges more closely).
    """
    import cv2

    k = (2 * radius + 1, 2 * radius + 1)
    g = np.ascontiguousarray(guide[..., :3], np.float32)
    p = np.ascontiguousarray(src, np.float32)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mu = mean(g)  # (H, W, 3)
    mp = mean(p)
    cov = mean(g * p[..., None]) - mu * mp[..., None]
    var = np.empty(g.shape[:2] + (3, 3), np.float32)
    for i in range(3):
        for j in range(i, 3):
            v = mean(g[..., i] * g[..., j]) - mu[..., i] * mu[..., j]
            var[..., i, j] = var[..., j, i] = v
    var += eps * np.eye(3, dtype=np.float32)
    a = np.linalg.solve(var, cov[..., None])[..., 0]  # (H, W, 3)
    b = mp - (a * mu).sum(axis=2)
    return (mean(a) * g).sum(axis=2) + mean(b)


def estimate_foreground(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Foreground colour (``pymatting.estimate_foreground_ml``) where 0 < alpha < 1.

    Elsewhere the frame's colour is returned (alpha 1) or kept as is (alpha 0: irrelevant
    once premultiplied). Only the crop around the soft pixels is solved.

    Raises
    ------
    InputError
        Image and alpha sizes differ.
    """
    from pymatting import estimate_foreground_ml

    img = check_image(image)
    a = check_mask(alpha, img.shape[:2], "alpha")
    fg = img.copy()
    soft = (a > 0.0) & (a < 1.0)
    ys, xs = np.nonzero(soft)
    if xs.size == 0:
        return fg
    h, w = a.shape
    y0, y1 = max(0, ys.min() - 8), min(h, ys.max() + 9)
    x0, x1 = max(0, xs.min() - 8), min(w, xs.max() + 9)
    est = estimate_foreground_ml(img[y0:y1, x0:x1].astype(np.float64), a[y0:y1, x0:x1])
    fg[y0:y1, x0:x1] = np.where(soft[y0:y1, x0:x1, None], est, fg[y0:y1, x0:x1])
    return np.clip(fg, 0.0, 1.0).astype(np.float32)

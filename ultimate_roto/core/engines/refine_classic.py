"""``refine.classic``: hard mask → soft matte with closed-form matting or a colour guided filter.

1. **Trimap** — an unknown band around the mask edge (:mod:`.trimap`; width settable,
   optionally adaptive to edge contrast). Core and background keep their values exactly.
2. **Alpha in the band**, two solvers; both cost what the band costs, not its bounding box:

   * ``"cf"`` — closed-form matting (Levin et al.) solved for the unknown pixels only
     (:func:`solve_cf_band`: numpy-assembled Laplacian of the windows touching the band,
     pymatting's incomplete-Cholesky CG). Bands with more than ``max_pixels`` unknowns are
     solved on a copy shrunk by ``sqrt(max_pixels / unknowns)``, upsampled bilinearly and
     re-snapped to the trimap. Best SAD on bench_refine. pymatting's ``ichol``/``cg`` are numba
     functions: the first call in a process loads or compiles them (≈ 1-5 s); call
     :func:`warm_up` once per process off the GUI thread.
   * ``"guided"`` — the fast guided filter (He & Sun 2015) of the hard mask with the frame as
     guide: coefficients on the band's crop shrunk ``scale`` times, applied at full size at the
     band's pixels only.
   * ``"auto"`` — by measured cost (bench_refine, 2 cores, 1080p, 57k unknowns): ``"cf"``
     costs ≈ 20 ms per 1000 solved unknowns and is capped at ``max_pixels`` unknowns (≈ 0.15 s);
     ``"guided"`` ≈ 1.5 ms per 1000 band pixels. ``"cf"`` is chosen while the band has at most
     ``auto_pixels`` unknowns (its shrink factor then stays ≥ ``sqrt(max_pixels /
     auto_pixels)`` ≈ 0.18: finer than the guided filter's coefficients), ``"guided"`` beyond.
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
        Most unknown pixels solved by closed-form matting; bigger bands are shrunk to this.
    auto_pixels
        ``"auto"`` uses ``"cf"`` up to this many unknown pixels, ``"guided"`` beyond.
    eps
        Guided-filter regularisation (``"guided"``).
    scale
        Shrink factor of the fast guided filter; None: about a third of the radius (band / 2).
    """

    def __init__(
        self,
        device: str = "cpu",
        *,
        method: str = "auto",
        band: float = 10.0,
        adaptive: bool = False,
        max_pixels: int = 8_000,
        auto_pixels: int = 250_000,
        eps: float = 1e-4,
        scale: int | None = None,
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
        self._scale = None if scale is None else max(1, int(scale))

    @property
    def scale(self) -> int:
        """Shrink factor of the fast guided filter (automatic: about a third of the radius)."""
        if self._scale is not None:
            return self._scale
        return max(1, round(max(2, round(self.band / 2)) / 3))

    def choose(self, unknown: int) -> str:
        """The method ``"auto"`` picks for a band of ``unknown`` pixels."""
        return "cf" if unknown <= self.auto_pixels else "guided"

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
        unknown = int(np.count_nonzero(tri == UNKNOWN))
        if unknown == 0:
            return tri
        method = self.method if self.method != "auto" else self.choose(unknown)
        radius = max(2, round(self.band / 2))
        if method == "cf":
            k = min(1.0, float(np.sqrt(self.max_pixels / unknown)))
            pad = 2 + int(np.ceil(2.0 / k))
        else:
            pad = radius + 2 * self.scale
        box = unknown_box(tri, pad=pad)
        assert box is not None
        y0, y1, x0, x1 = box
        crop, tcrop = img[y0:y1, x0:x1], tri[y0:y1, x0:x1]
        out = tri.copy()
        if method == "cf":
            out[y0:y1, x0:x1] = matte_cf(crop, tcrop, self.max_pixels)
        else:
            ys, xs = np.nonzero(tcrop == UNKNOWN)
            hard = (m[y0:y1, x0:x1] >= 0.5).astype(np.float32)
            vals = matte_guided_at(crop, hard, radius, self.eps, self.scale, ys, xs)
            out[y0 + ys, x0 + xs] = vals
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


def matte_cf(image: np.ndarray, trimap: np.ndarray, max_pixels: int = 8_000) -> np.ndarray:
    """Closed-form matting of a crop's unknown band, solved on at most ``max_pixels`` unknowns.

    Only the band is solved (:func:`solve_cf_band`: the matting Laplacian is built for the
    3×3 windows that touch an unknown pixel, not for the whole crop). A band with more
    unknowns is solved on a copy shrunk by ``k = sqrt(max_pixels / unknowns)`` and brought
    back with a fast guided filter (coefficients at the solve's size, applied at full size in
    the band only). Returns the crop's alpha with the trimap's known values kept.
    """
    import cv2

    h, w = trimap.shape
    unknown = np.count_nonzero(trimap == UNKNOWN)
    k = min(1.0, float(np.sqrt(max_pixels / max(unknown, 1))))
    if k < 1.0:
        size = (max(8, round(w * k)), max(8, round(h * k)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        tsmall = cv2.resize(trimap, size, interpolation=cv2.INTER_NEAREST)
    else:
        small, tsmall = image, trimap
    if not (tsmall == 1.0).any() or not (tsmall == 0.0).any():  # nothing to anchor the solve
        return np.where(
            trimap == UNKNOWN, matte_guided(image, (trimap >= UNKNOWN), 4, 1e-4), trimap
        )
    alpha = solve_cf_band(small, tsmall)
    if k == 1.0:
        return alpha
    # back to full size: bilinear, re-snapped to the full-size trimap outside the band (a
    # guided upsampling measured worse in SAD on bench_refine's soft edges)
    up = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.where(trimap == UNKNOWN, np.clip(up, 0.0, 1.0), trimap).astype(np.float32)


def solve_cf_band(
    image: np.ndarray, trimap: np.ndarray, eps: float = 1e-7, rtol: float = 1e-6
) -> np.ndarray:
    """Closed-form matting (Levin et al. 2008, 3×3 windows) solved for the unknown pixels only.

    Same system as ``pymatting.estimate_alpha_cf`` (its Laplacian, its ``eps`` convention,
    incomplete-Cholesky preconditioned CG) but assembled with numpy from the windows that touch
    the band, so the cost follows the band's size rather than its bounding box.

    Parameters
    ----------
    image
        ``(H, W, 3)`` float RGB.
    trimap
        ``(H, W)`` with 0, :data:`UNKNOWN` and 1.
    """
    import cv2
    import scipy.sparse
    from pymatting import cg, ichol

    h, w = trimap.shape
    unk = trimap == UNKNOWN
    n_unk = int(np.count_nonzero(unk))
    if n_unk == 0:
        return trimap.astype(np.float32)
    touch = cv2.dilate(unk.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    touch[0, :] = touch[-1, :] = touch[:, 0] = touch[:, -1] = False
    cy, cx = np.nonzero(touch)
    step = (np.array([-1, 0, 1])[:, None] * w + np.array([-1, 0, 1])[None, :]).ravel()
    idx = (cy * w + cx)[:, None] + step[None, :]  # (K, 9) pixels of each window
    col = np.clip(image[..., :3], 0.0, 1.0).reshape(-1, 3).astype(np.float64)[idx]
    d = col - col.mean(axis=1, keepdims=True)
    cov = (np.einsum("kpi,kpj->kij", d, d) + eps * np.eye(3)) / 9.0
    g = np.matmul(np.matmul(d, _inv3(cov)), d.transpose(0, 2, 1))  # (K, 9, 9)
    vals = np.eye(9) - (1.0 + g) / 9.0
    uid = np.full(h * w, -1, np.int64)
    flat_unk = np.flatnonzero(unk)
    uid[flat_unk] = np.arange(n_unk)
    ru = uid[idx]  # (K, 9): unknown index of each window pixel, -1 when known
    row_u = ru[:, :, None] >= 0
    both = row_u & (ru[:, None, :] >= 0)
    stencil = np.bincount(
        (ru[:, :, None] * 25 + _PAIR_SLOT[None])[both], vals[both], minlength=n_unk * 25
    ).reshape(n_unk, 25)
    known = row_u & ~both  # unknown row, known column: moves to the right-hand side
    anchor = trimap.reshape(-1).astype(np.float64)[idx][:, None, :]
    rows = np.broadcast_to(ru[:, :, None], vals.shape)[known]
    rhs = -np.bincount(rows, (vals * anchor)[known], minlength=n_unk)
    nz = stencil != 0.0
    slot_off = (np.arange(-2, 3)[:, None] * w + np.arange(-2, 3)[None, :]).ravel()
    cols = uid[(flat_unk[:, None] + slot_off[None, :])[nz]]
    indptr = np.concatenate([[0], np.cumsum(nz.sum(axis=1))])
    lu = scipy.sparse.csr_matrix((stencil[nz], cols, indptr), shape=(n_unk, n_unk))
    x = cg(
        lu, rhs, M=ichol(lu.T.tocsc(), discard_threshold=1e-3, max_nnz=64 * n_unk + 1024), rtol=rtol
    )
    out = trimap.astype(np.float32).copy()
    out.reshape(-1)[flat_unk] = np.clip(x, 0.0, 1.0)
    return out


def _pair_slots() -> np.ndarray:
    """``(9, 9)`` slot in a 5×5 stencil of the offset from window pixel p to window pixel q."""
    py, px = np.divmod(np.arange(9), 3)
    return (py[None, :] - py[:, None] + 2) * 5 + (px[None, :] - px[:, None] + 2)


_PAIR_SLOT = _pair_slots()


def _inv3(m: np.ndarray) -> np.ndarray:
    """Inverse of a stack of symmetric 3×3 matrices by the adjugate (vectorised)."""
    a, b, c = m[:, 0, 0], m[:, 0, 1], m[:, 0, 2]
    d, e, f = m[:, 1, 1], m[:, 1, 2], m[:, 2, 2]
    i00, i01, i02 = d * f - e * e, c * e - b * f, b * e - c * d
    i11, i12, i22 = a * f - c * c, b * c - a * e, a * d - b * b
    det = a * i00 + b * i01 + c * i02
    inv = np.stack([i00, i01, i02, i01, i11, i12, i02, i12, i22], axis=1) / det[:, None]
    return inv.reshape(-1, 3, 3)


def matte_guided(
    image: np.ndarray, hard: np.ndarray, radius: int, eps: float, scale: int = 1
) -> np.ndarray:
    """Colour guided filter of a hard 0/1 mask over the frame (the caller keeps the band).

    ``scale`` > 1 is the fast guided filter (He & Sun 2015): the linear coefficients are
    computed on a copy shrunk ``scale`` times and applied to the full-size guide.
    """
    hard = np.asarray(hard, np.float32)
    if scale <= 1:
        return np.clip(guided_filter_rgb(image, hard, radius, eps), 0.0, 1.0)
    h, w = hard.shape
    ys, xs = np.indices((h, w)).reshape(2, -1)
    out = matte_guided_at(image, hard, radius, eps, scale, ys, xs)
    return out.reshape(h, w)


def matte_guided_at(
    image: np.ndarray,
    hard: np.ndarray,
    radius: int,
    eps: float,
    scale: int,
    ys: np.ndarray,
    xs: np.ndarray,
) -> np.ndarray:
    """Fast guided filter of ``hard`` evaluated only at the pixels ``(ys, xs)``."""
    import cv2

    h, w = hard.shape
    size = (max(2, -(-w // scale)), max(2, -(-h // scale)))
    g = cv2.resize(
        np.ascontiguousarray(image[..., :3], np.float32), size, interpolation=cv2.INTER_AREA
    )
    p = cv2.resize(np.asarray(hard, np.float32), size, interpolation=cv2.INTER_AREA)
    coeffs = guided_coefficients(g, p, max(1, round(radius / scale)), eps)
    return np.clip(apply_coefficients(coeffs, image, ys, xs), 0.0, 1.0)


def guided_coefficients(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Box-averaged guided-filter coefficients ``(H, W, 4)``: mean a (3 channels), mean b.

    ``q = (mean_a · I) + mean_b`` is the guided filter's output (He et al. 2010, eq. 14);
    computed on a shrunk guide they can be applied at any size (:func:`apply_coefficients`).
    """
    import cv2

    k = (2 * radius + 1, 2 * radius + 1)
    g = np.ascontiguousarray(guide[..., :3], np.float32)
    p = np.ascontiguousarray(src, np.float32)

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)

    mu = mean(g)
    mp = mean(p)
    cov = mean(g * p[..., None]) - mu * mp[..., None]
    prods = mean(np.stack([g[..., i] * g[..., j] for i, j in _UPPER], axis=2))
    var = prods - np.stack([mu[..., i] * mu[..., j] for i, j in _UPPER], axis=2)
    var[..., [0, 3, 5]] += eps
    a = _solve_sym3(var, cov)
    b = mp - (a * mu).sum(axis=2)
    return mean(np.dstack([a, b]))


_UPPER = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


def _solve_sym3(v: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve per pixel ``V a = rhs`` with ``V`` given as its upper triangle (00 01 02 11 12 22)."""
    a, b, c, d, e, f = (v[..., i] for i in range(6))
    i00, i01, i02 = d * f - e * e, c * e - b * f, b * e - c * d
    i11, i12, i22 = a * f - c * c, b * c - a * e, a * d - b * b
    det = a * i00 + b * i01 + c * i02
    r0, r1, r2 = rhs[..., 0], rhs[..., 1], rhs[..., 2]
    inv_det = 1.0 / det
    return np.stack(
        [(i00 * r0 + i01 * r1 + i02 * r2) * inv_det,
         (i01 * r0 + i11 * r1 + i12 * r2) * inv_det,
         (i02 * r0 + i12 * r1 + i22 * r2) * inv_det], axis=-1,
    )  # fmt: skip


def apply_coefficients(
    coeffs: np.ndarray, image: np.ndarray, ys: np.ndarray, xs: np.ndarray
) -> np.ndarray:
    """Guided-filter output at full-size pixels ``(ys, xs)`` of ``image`` from coefficients of
    any (smaller) size: bilinear sampling of the coefficients, then ``a · I + b``."""
    import cv2

    h, w = image.shape[:2]
    ch, cw = coeffs.shape[:2]
    n = xs.size
    rows = -(-n // 1024)  # remap's maps must stay under 32767 columns: fold them in rows
    mx = np.zeros(rows * 1024, np.float32)
    my = np.zeros(rows * 1024, np.float32)
    mx[:n] = (xs + 0.5) * (cw / w) - 0.5
    my[:n] = (ys + 0.5) * (ch / h) - 0.5
    c = cv2.remap(
        coeffs, mx.reshape(rows, 1024), my.reshape(rows, 1024), cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    ).reshape(-1, 4)[:n]  # fmt: skip
    pix = image[ys, xs, :3]
    return (c[:, :3] * pix).sum(axis=1) + c[:, 3]


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
    coeffs = guided_coefficients(guide, src, radius, eps)
    g = np.asarray(guide[..., :3], np.float32)
    return (coeffs[..., :3] * g).sum(axis=2) + coeffs[..., 3]


def warm_up() -> None:
    """Load (or compile) pymatting's numba functions with a tiny solve.

    The first closed-form solve in a process otherwise pays this (≈ 1-5 s with numba's disk
    cache, more without). Batch runs pay it once; the GUI should call this once in a
    background job at start-up, never on the GUI thread.
    """
    img = np.zeros((12, 12, 3), np.float32)
    img[:, 6:] = 1.0
    tri = np.zeros((12, 12), np.float32)
    tri[:, 7:] = 1.0
    tri[:, 4:8] = UNKNOWN
    solve_cf_band(img, tri)


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

"""Trimaps from hard masks: an unknown band around the edge, optionally adaptive to contrast.

Values: 1 = sure foreground, 0 = sure background, 0.5 = unknown (to be solved by matting).
The band is built from signed distances (any width at the same cost, unlike morphology with
big kernels). With ``image`` given, the band widens where the edge has low contrast (soft,
blurred or hairy edges) and narrows where it is crisp.
"""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.errors import InputError

UNKNOWN = 0.5


def signed_distance(inside: np.ndarray) -> np.ndarray:
    """Signed Euclidean distance to a binary mask's edge (positive inside, ±0.5 at the edge).

    An all-inside (all-outside) mask gives +1e4 (-1e4) everywhere.
    """
    import cv2

    m = np.asarray(inside).astype(np.uint8)
    if m.all():
        return np.full(m.shape, 1e4, np.float32)
    if not m.any():
        return np.full(m.shape, -1e4, np.float32)
    din = cv2.distanceTransform(m, cv2.DIST_L2, 3)
    dout = cv2.distanceTransform(1 - m, cv2.DIST_L2, 3)
    return (din - dout + np.where(m > 0, -0.5, 0.5)).astype(np.float32)


def edge_contrast_scale(
    image: np.ndarray, inside: np.ndarray, lo: float = 0.5, hi: float = 2.0
) -> np.ndarray:
    """Per-pixel band scale from the contrast of the nearest mask edge.

    The image gradient along the edge is divided by its median along the edge; the scale is the
    inverse, clipped to ``[lo, hi]`` (low contrast → wide band), and every pixel takes the scale
    of its nearest edge pixel.
    """
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(image[..., :3], np.float32), cv2.COLOR_RGB2GRAY)
    grey = cv2.GaussianBlur(grey, (0, 0), 1.0)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    grad = cv2.dilate(np.sqrt(gx * gx + gy * gy), np.ones((3, 3), np.uint8))
    m = inside.astype(np.uint8)
    edge = (m - cv2.erode(m, np.ones((3, 3), np.uint8))) > 0
    if not edge.any():
        return np.ones(m.shape, np.float32)
    contrast = grad[edge] / max(float(np.median(grad[edge])), 1e-6)
    scale_at = np.clip(1.0 / np.maximum(contrast, 1e-3), lo, hi).astype(np.float32)
    # nearest edge pixel for every pixel: labels of a distance transform to the edge set
    _, labels = cv2.distanceTransformWithLabels(
        (~edge).astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    ey, ex = np.nonzero(edge)
    lut = np.ones(labels.max() + 1, np.float32)
    lut[labels[ey, ex]] = scale_at
    return lut[labels]


def _contrast_scale_cropped(image: np.ndarray, inside: np.ndarray, band: float) -> np.ndarray:
    """:func:`edge_contrast_scale` computed on the box around the mask only (same values).

    The edge pixels all lie in the mask's box; blur, Sobel and dilation reach 5 pixels, and
    the nearest-edge labels of pixels inside a box that holds every edge pixel stay inside it.
    Outside the box the scale is 1 (those pixels are farther than any band from the edge).
    """
    box = _band_box(inside, int(np.ceil(band)) + 8)
    scale = np.ones(inside.shape, np.float32)
    if box is None:
        return scale
    y0, y1, x0, x1 = box
    scale[y0:y1, x0:x1] = edge_contrast_scale(image[y0:y1, x0:x1], inside[y0:y1, x0:x1])
    return scale


def make_trimap(
    mask: np.ndarray,
    band: float = 10.0,
    *,
    image: np.ndarray | None = None,
    adaptive: bool = False,
) -> np.ndarray:
    """Trimap (float32: 0, 0.5, 1) with an unknown band of about ``band`` pixels in total.

    Parameters
    ----------
    mask
        ``(H, W)`` mask; values ≥ 0.5 are inside.
    band
        Full width of the unknown band in pixels (half inside the edge, half outside).
    image
        ``(H, W, 3)`` float RGB, needed when ``adaptive``.
    adaptive
        Scale the band per edge pixel by the inverse of the local edge contrast (0.5×–2×).

    Raises
    ------
    InputError
        ``band`` not positive, ``adaptive`` without an image, or an image of another size.
    """
    if not band > 0:
        raise InputError(f"trimap band {band} must be positive", hint="use 4-40 pixels")
    inside = np.asarray(mask) >= 0.5
    half = np.float32(band / 2.0)
    if adaptive:
        if image is None or image.shape[:2] != inside.shape:
            got = None if image is None else image.shape
            raise InputError(
                f"adaptive trimap needs the frame (got {got} for a mask of {inside.shape})",
                hint="pass the frame the mask belongs to",
            )
        half = half * _contrast_scale_cropped(image, inside, float(band))
    box = _band_box(inside, int(np.ceil(float(np.max(half)))) + 2)
    if box is None:  # all inside or all outside: no edge, no band
        return np.full(inside.shape, np.float32(1.0 if inside.any() else 0.0))
    y0, y1, x0, x1 = box
    sd = signed_distance(inside[y0:y1, x0:x1])
    hb = half if np.ndim(half) == 0 else half[y0:y1, x0:x1]
    tri = np.zeros(inside.shape, np.float32)
    crop = np.where(sd > 0, np.float32(1.0), np.float32(0.0))
    crop[np.abs(sd) <= hb] = UNKNOWN
    tri[y0:y1, x0:x1] = crop
    return tri


def _band_box(inside: np.ndarray, pad: int) -> tuple[int, int, int, int] | None:
    """Box of the mask grown by ``pad`` (clipped), None for an all-in or all-out mask.

    Every pixel outside the box is at least ``pad`` from the mask, and a distance transform
    of the box alone is exact: the box border rows and columns are outside the mask (or are
    the frame border), so no shortest path to an edge leaves the box.
    """
    rows, cols = inside.any(axis=1), inside.any(axis=0)
    if not rows.any() or inside.all():
        return None
    h, w = inside.shape
    ys, xs = np.flatnonzero(rows), np.flatnonzero(cols)
    return (max(0, int(ys[0]) - pad), min(h, int(ys[-1]) + 1 + pad),
            max(0, int(xs[0]) - pad), min(w, int(xs[-1]) + 1 + pad))  # fmt: skip


def unknown_box(trimap: np.ndarray, pad: int = 0) -> tuple[int, int, int, int] | None:
    """``(y0, y1, x0, x1)`` box of the unknown band grown by ``pad``, None when there is none."""
    unk = trimap == UNKNOWN
    rows = unk.any(axis=1)
    if not rows.any():
        return None
    ys, xs = np.flatnonzero(rows), np.flatnonzero(unk.any(axis=0))
    h, w = trimap.shape
    return (max(0, int(ys[0]) - pad), min(h, int(ys[-1]) + 1 + pad),
            max(0, int(xs[0]) - pad), min(w, int(xs[-1]) + 1 + pad))  # fmt: skip

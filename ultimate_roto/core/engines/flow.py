"""Optical-flow helpers shared by propagation and temporal smoothing (OpenCV DIS, reduced size).

Conventions
-----------
* A flow field is float32 ``(h, w, 2)`` in pixels of the size it was computed at; ``flow[y, x]``
  is the displacement ``(dx, dy)``.
* ``backward = flow(target → source)``: for each pixel of the *target* frame, where it came from
  in the *source* frame. Warping a source-frame mask into the target frame is then a gather:
  ``remap(mask_source, x + bx, y + by)`` (see :func:`warp`).
* Forward-backward consistency: a target pixel ``p`` maps to ``q = p + b(p)`` in the source; the
  forward flow there should bring it back, ``f(q) + b(p) ≈ 0``. Where it does not, the pixel was
  hidden in the source (disocclusion) or the flow is wrong; see :func:`fb_error`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.errors import InputError

PRESETS = ("ultrafast", "fast", "medium")


@dataclass(frozen=True)
class FlowPair:
    """Flows between a source and a target frame at working size.

    Parameters
    ----------
    backward
        ``target → source`` flow (for gathering source values into the target).
    forward
        ``source → target`` flow, or None when not computed.
    """

    backward: np.ndarray
    forward: np.ndarray | None = None


def work_size(shape: tuple[int, ...], max_side: int) -> tuple[int, int]:
    """``(height, width)`` scaled so the long side is at most ``max_side`` (never upscaled).

    Raises
    ------
    InputError
        ``max_side`` below 16.
    """
    if max_side < 16:
        raise InputError(f"flow working size {max_side} is too small", hint="use 320-960 pixels")
    h, w = int(shape[0]), int(shape[1])
    k = min(1.0, max_side / max(h, w))
    return max(8, round(h * k)), max(8, round(w * k))


def to_gray(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 grey image at ``size = (h, w)`` from float RGB in [0, 1] (or uint8/grey)."""
    import cv2

    img = np.asarray(image)
    if img.ndim == 3:
        img = img[..., :3]
        if img.dtype != np.uint8:
            img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            img = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
        img = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY)
    elif img.dtype != np.uint8:
        img = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if img.shape[:2] != tuple(size):
        img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return img


class FlowEstimator:
    """Dense DIS optical flow with a reusable OpenCV instance.

    Parameters
    ----------
    preset
        ``"ultrafast"`` (≈ 15 ms at 640×360 on 2 cores), ``"fast"`` (≈ 25 ms) or ``"medium"``.
    """

    def __init__(self, preset: str = "ultrafast") -> None:
        import cv2

        if preset not in PRESETS:
            raise InputError(f"unknown flow preset '{preset}'", hint=f"use one of {PRESETS}")
        code = {
            "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
            "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
            "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
        }[preset]
        self.preset = preset
        self._dis = cv2.DISOpticalFlow_create(code)

    def flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow ``a → b`` (for each pixel of ``a``, its displacement into ``b``)."""
        if a.shape != b.shape:
            raise InputError(f"flow images differ in size: {a.shape} vs {b.shape}",
                             hint="frames of one shot must share a size")  # fmt: skip
        return self._dis.calc(a, b, None)

    def pair(self, source: np.ndarray, target: np.ndarray, *, forward: bool = True) -> FlowPair:
        """Backward (``target → source``) and optionally forward flow between grey images."""
        back = self.flow(target, source)
        fwd = self.flow(source, target) if forward else None
        return FlowPair(back, fwd)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs, ys


_GRIDS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Cached pixel-coordinate grids ``(xs, ys)`` of size ``(h, w)`` (float32)."""
    key = (h, w)
    if key not in _GRIDS:
        if len(_GRIDS) > 8:
            _GRIDS.clear()
        _GRIDS[key] = _grid(h, w)
    return _GRIDS[key]


def warp(values: np.ndarray, backward: np.ndarray, border: float = 0.0) -> np.ndarray:
    """Gather ``values`` (source frame) into the target frame along a backward flow."""
    import cv2

    h, w = backward.shape[:2]
    if values.shape[:2] != (h, w):
        raise InputError(f"warp: values {values.shape[:2]} and flow {(h, w)} differ in size",
                         hint="compute the flow at the values' size")  # fmt: skip
    xs, ys = grid(h, w)
    map_x = xs + backward[..., 0]
    map_y = ys + backward[..., 1]
    return cv2.remap(values, map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=border)  # fmt: skip


def fb_error(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward-backward error in the target frame, in pixels: ``|f(p + b(p)) + b(p)|``.

    Large values mark target pixels not visible in the source (disocclusion) or bad flow.
    """
    fwd_at = warp(forward, backward, border=0.0)
    d = fwd_at + backward
    return np.sqrt(d[..., 0] ** 2 + d[..., 1] ** 2)


def consistency(backward: np.ndarray, forward: np.ndarray, tol: float = 1.0) -> np.ndarray:
    """Soft consistency in [0, 1] (1 = consistent) with a tolerance relative to the motion.

    The threshold is ``tol + 0.05·|b|`` pixels (Sundaram et al. style): fast motion is allowed a
    little more error than still areas.
    """
    err = fb_error(backward, forward)
    mag = np.sqrt(backward[..., 0] ** 2 + backward[..., 1] ** 2)
    limit = tol + 0.05 * mag
    return np.clip(2.0 - err / limit, 0.0, 1.0).astype(np.float32)


def resize_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample a flow field to ``size = (h, w)``, scaling the vectors accordingly."""
    import cv2

    h0, w0 = flow.shape[:2]
    h, w = size
    if (h0, w0) == (h, w):
        return flow
    out = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR)
    out[..., 0] *= w / w0
    out[..., 1] *= h / h0
    return out


def resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an image/mask to ``size = (h, w)`` (area when shrinking, linear otherwise)."""
    import cv2

    if values.shape[:2] == tuple(size):
        return values
    shrink = size[0] < values.shape[0]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(values, (size[1], size[0]), interpolation=interp)

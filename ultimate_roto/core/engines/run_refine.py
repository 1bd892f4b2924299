"""Qt-free refine and depth operations: masks → soft mattes, frames → per-shot normalised depth."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ultimate_roto.core.engines.base import ProgressLike
from ultimate_roto.core.errors import InputError, ProcessingError

#: Default strength of the flow-compensated temporal smoothing of mattes (0 = off).
TEMPORAL_STRENGTH = 0.5


def refine_object(
    refiner: Any,
    get_frame: Callable[[int], np.ndarray],
    get_mask: Callable[[int], np.ndarray | None],
    frames: Sequence[int],
    *,
    temporal: float = TEMPORAL_STRENGTH,
    obj: str | None = None,
    progress: ProgressLike | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Soft mattes of one object over ``frames`` (in the given order).

    Parameters
    ----------
    refiner
        A ``Refiner`` engine instance (e.g. ``refine.classic``).
    get_frame
        ``get_frame(n)`` → display-referred float32 RGB.
    get_mask
        ``get_mask(n)`` → the object's mask (float [0, 1] or uint8), or None / all zeros
        where the object is absent (its matte is then zeros and the engine is skipped).
    frames
        Frames to refine; consecutive frames are smoothed along optical flow.
    temporal
        Temporal smoothing strength in [0, 1) (0 turns it off).
    obj
        Object name for messages.
    progress
        Checked and reported every frame.

    Yields
    ------
    (frame, float32 alpha (H, W))

    Raises
    ------
    InputError
        ``temporal`` outside [0, 1). ProcessingError: the engine returned a wrong-size matte.
    """
    from ultimate_roto.core.engines.temporal import TemporalSmoother

    if not 0.0 <= temporal < 1.0:
        raise InputError(f"refine: temporal strength {temporal} outside [0, 1)", hint="try 0.5")
    smoother = TemporalSmoother(temporal) if temporal > 0 else None
    previous: int | None = None
    for i, n in enumerate(frames):
        if progress is not None:
            progress.check_aborted()
        image = get_frame(n)
        mask = get_mask(n)
        alpha = _refine_one(refiner, image, mask, obj, n)
        if smoother is not None:
            if previous is None or abs(n - previous) != 1 or not alpha.any():
                smoother.reset()
            alpha = smoother.update(image, alpha)
        previous = n
        if progress is not None:
            progress.report((i + 1) / len(frames), f"refined '{obj}' frame {n}")
        yield n, alpha


def _refine_one(
    refiner: Any, image: np.ndarray, mask: np.ndarray | None, obj: str | None, n: int
) -> np.ndarray:
    h, w = image.shape[:2]
    if mask is None:
        return np.zeros((h, w), np.float32)
    m = np.asarray(mask)
    m = m.astype(np.float32) / 255.0 if m.dtype == np.uint8 else m.astype(np.float32)
    if not (m >= 0.5).any():
        return np.zeros((h, w), np.float32)
    alpha = np.asarray(refiner.refine(image, m), np.float32)
    if alpha.shape != (h, w):
        raise ProcessingError(
            f"object '{obj}' frame {n}: the refine engine returned a {alpha.shape} matte "
            f"for a {w}x{h} frame",
            hint="this is an engine bug; choose another refine engine",
        )
    return np.clip(alpha, 0.0, 1.0)


def depth_frames(
    estimator: Any,
    get_frame: Callable[[int], np.ndarray],
    frames: Sequence[int],
    *,
    progress: ProgressLike | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Raw depth of each frame from a ``DepthEstimator`` (float32 ``(H, W)``).

    Raises
    ------
    ProcessingError
        The engine returned a wrong-size or non-finite depth map (naming the frame).
    """
    for i, n in enumerate(frames):
        if progress is not None:
            progress.check_aborted()
        image = get_frame(n)
        depth = np.asarray(estimator.estimate(image), np.float32)
        if depth.shape != image.shape[:2] or not np.isfinite(depth).all():
            raise ProcessingError(
                f"frame {n}: the depth engine returned a {depth.shape} map"
                + ("" if depth.shape != image.shape[:2] else " with NaN/inf values"),
                hint="this is an engine bug; choose another depth engine",
            )
        if progress is not None:
            progress.report((i + 1) / len(frames), f"depth frame {n}")
        yield n, depth


def depth_range(
    maps: Sequence[np.ndarray], low: float = 0.5, high: float = 99.5
) -> tuple[float, float]:
    """The per-shot normalisation range: robust percentiles over every frame's depth.

    Raises
    ------
    InputError
        No maps, or percentiles not ``0 <= low < high <= 100``.
    """
    if not maps:
        raise InputError("no depth maps to normalise", hint="run the depth step on some frames")
    if not 0.0 <= low < high <= 100.0:
        raise InputError(f"depth percentiles {low}, {high} are invalid", hint="0 <= low < high")
    step = max(1, len(maps) // 16)  # a sample of frames is enough for the range
    sample = np.concatenate([m[::4, ::4].ravel() for m in maps[::step]])
    lo, hi = np.percentile(sample, [low, high])
    return float(lo), float(hi)


def normalise_depth(depth: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``depth`` mapped to [0, 1] with ``lo`` → 0 and ``hi`` → 1 (clipped); flat → zeros."""
    if hi <= lo:
        return np.zeros(depth.shape, np.float32)
    return np.clip((depth - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)

"""Temporal coherence for mattes: a motion-compensated EMA along optical flow, gated by trust.

Edges that chatter from frame to frame (each frame matted on its own) are smoothed by blending
each new matte with the previous *smoothed* matte warped into the current frame along the
backward DIS flow. The blend is switched off where the warp cannot be trusted: pixels failing
the forward-backward check (occlusion, disocclusion, bad flow) and pixels whose matte really
changed (difference above ``change``), so motion and genuine edits are not smeared.
Flicker before/after: :func:`ultimate_roto.core.engines.evaluation.matte_flicker` and
``benchmarks/bench_refine.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ultimate_roto.core.engines import flow as fl
from ultimate_roto.core.engines.base import ProgressLike, check_image, check_mask
from ultimate_roto.core.errors import InputError


class TemporalSmoother:
    """Stateful matte smoother; feed frames in order with :meth:`update`.

    Parameters
    ----------
    strength
        Weight of the warped history in [0, 1) (0 = off; 0.6 ≈ a 2.5-frame memory).
    change
        Matte differences above this pass through unsmoothed (real changes).
    max_side
        Working size of the flow (long side, pixels).
    fb_tolerance
        Forward-backward tolerance in working pixels.
    """

    def __init__(
        self,
        strength: float = 0.6,
        *,
        change: float = 0.35,
        max_side: int = 480,
        fb_tolerance: float = 1.0,
        preset: str = "ultrafast",
    ) -> None:
        if not 0.0 <= strength < 1.0:
            raise InputError(f"temporal strength {strength} outside [0, 1)", hint="try 0.6")
        if not change > 0:
            raise InputError(f"temporal change threshold {change} must be > 0", hint="try 0.35")
        self.strength = float(strength)
        self.change = float(change)
        self.max_side = int(max_side)
        self.fb_tolerance = float(fb_tolerance)
        self._flow = fl.FlowEstimator(preset)
        self._gray: np.ndarray | None = None
        self._alpha: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the history (call at cuts or when jumping in the shot)."""
        self._gray = None
        self._alpha = None

    def update(self, image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """Smooth ``alpha`` of ``image`` against the history; returns the float32 result.

        Raises
        ------
        InputError
            Bad image, alpha of another size, or a frame size change without :meth:`reset`.
        """
        img = check_image(image)
        a = check_mask(alpha, img.shape[:2], "matte")
        size = fl.work_size(img.shape, self.max_side)
        gray = fl.to_gray(img, size)
        if self._gray is None or self._alpha is None or self.strength == 0.0:
            self._gray, self._alpha = gray, a.copy()
            return a.copy()
        if self._alpha.shape != a.shape:
            raise InputError(
                f"matte size changed from {self._alpha.shape} to {a.shape}",
                hint="call reset() between shots",
            )
        pair = self._flow.pair(self._gray, gray)
        assert pair.forward is not None
        cons = fl.consistency(pair.backward, pair.forward, self.fb_tolerance)
        back = fl.resize_flow(pair.backward, a.shape)
        warped = fl.warp(self._alpha, back)
        trust = fl.resize(cons, a.shape)
        trust = trust * np.exp(-((np.abs(a - warped) / self.change) ** 2))
        w = self.strength * trust
        out = ((1.0 - w) * a + w * warped).astype(np.float32)
        self._gray, self._alpha = gray, out
        return out


def smooth_mattes(
    frames: Iterable[tuple[np.ndarray, np.ndarray]],
    smoother: TemporalSmoother | None = None,
    *,
    progress: ProgressLike | None = None,
) -> Iterator[np.ndarray]:
    """Smooth a stream of ``(image, alpha)`` pairs in order; yields the smoothed alphas."""
    sm = smoother or TemporalSmoother()
    for image, alpha in frames:
        if progress is not None:
            progress.check_aborted()
        yield sm.update(image, alpha)

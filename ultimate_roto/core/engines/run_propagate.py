"""Qt-free propagate operation: keyframe masks → every frame, with occlusion/confidence records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ultimate_roto.core.engines.base import ProgressLike, PropagationInfo
from ultimate_roto.core.errors import InputError

DIRECTIONS = ("both", "forward", "backward")
#: Frames below this confidence are listed for review.
REVIEW_CONFIDENCE = 0.5


@dataclass
class TrackReport:
    """What a propagation found for one object: per-frame confidence and occlusion flags."""

    confidence: dict[int, float] = field(default_factory=dict)
    occluded: list[int] = field(default_factory=list)

    def add(self, frame: int, info: PropagationInfo) -> None:
        """Record one frame's :class:`~.base.PropagationInfo`."""
        self.confidence[int(frame)] = float(info.confidence)
        if info.occluded:
            self.occluded.append(int(frame))

    @property
    def review(self) -> list[int]:
        """Frames whose confidence is below :data:`REVIEW_CONFIDENCE`."""
        return sorted(f for f, c in self.confidence.items() if c < REVIEW_CONFIDENCE)

    def summary(self) -> str:
        """One line: frame count, minimum confidence, occluded and low-confidence frames."""
        if not self.confidence:
            return "no frames"
        low = min(self.confidence.values())
        return (
            f"{len(self.confidence)} frame(s), min confidence {low:.2f}, "
            f"occluded: {_ranges(self.occluded) or 'none'}, "
            f"to review: {_ranges(self.review) or 'none'}"
        )


def _ranges(frames: Sequence[int]) -> str:
    """``[3, 4, 5, 9]`` → ``"3-5, 9"``."""
    out: list[str] = []
    for f in sorted(frames):
        if out and int(out[-1].rsplit("-", 1)[-1]) == f - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{f}"
        else:
            out.append(str(f))
    return ", ".join(out)


def propagation_span(
    keyframes: Sequence[int], frames: Sequence[int], direction: str = "both"
) -> tuple[int, int]:
    """The inclusive frame span a propagation covers.

    ``"both"``: all of ``frames``; ``"forward"``: from the first keyframe to the end;
    ``"backward"``: from the start to the last keyframe.

    Raises
    ------
    InputError
        Unknown direction, no keyframes, keyframes outside ``frames``, or ``frames`` not a
        contiguous ascending range.
    """
    if direction not in DIRECTIONS:
        raise InputError(f"unknown propagation direction '{direction}'", hint=f"use {DIRECTIONS}")
    order = [int(f) for f in frames]
    if not order or order != list(range(order[0], order[0] + len(order))):
        raise InputError(
            "frames to propagate must be a contiguous ascending range",
            hint="pass the shot's frame range, e.g. range(first, last + 1)",
        )
    keys = sorted(int(k) for k in keyframes)
    if not keys:
        raise InputError("no keyframes to propagate from", hint="segment the object on a frame")
    for k in keys:
        if not order[0] <= k <= order[-1]:
            raise InputError(
                f"keyframe on frame {k} is outside the frames {order[0]}-{order[-1]}",
                hint="move the prompt into the frame range",
            )
    if direction == "forward":
        return keys[0], order[-1]
    if direction == "backward":
        return order[0], keys[-1]
    return order[0], order[-1]


def propagate_object(
    propagator: Any,
    get_frame: Callable[[int], np.ndarray],
    keyframes: dict[int, np.ndarray],
    frames: Sequence[int],
    *,
    direction: str = "both",
    blend: str = "sdf",
    report: TrackReport | None = None,
    progress: ProgressLike | None = None,
) -> Iterator[tuple[int, np.ndarray, PropagationInfo]]:
    """Propagate one object's keyframe masks through ``frames`` in ascending order.

    Between two keyframes the forward and backward runs are blended (keyframes module);
    before the first keyframe the track runs backward, after the last one forward.

    Parameters
    ----------
    propagator
        A ``Propagator`` engine instance (e.g. ``propagate.flow``).
    get_frame
        ``get_frame(n)`` → display-referred float32 RGB.
    keyframes
        ``{frame: mask}`` float in [0, 1] (or uint8 0-255), non-empty masks.
    frames
        The shot's frames (contiguous, ascending); the span follows ``direction``.
    direction
        ``"both"``, ``"forward"`` or ``"backward"``.
    blend
        ``"sdf"`` or ``"soft"`` between keyframes.
    report
        Receives every frame's confidence and occlusion flag.
    progress
        Checked every frame.

    Yields
    ------
    (frame, float32 mask, PropagationInfo)
        Keyframes included (with confidence 1).

    Raises
    ------
    InputError
        See :func:`propagation_span`; bad keyframe masks (empty, wrong size) name the frame.
    """
    from ultimate_roto.core.engines.keyframes import propagate_span

    span = propagation_span(list(keyframes), frames, direction)
    keys = {int(k): _as_float(m) for k, m in keyframes.items() if span[0] <= k <= span[1]}
    shot = (int(frames[0]), int(frames[-1]))
    results = propagate_span(
        propagator, get_frame, keys, span, shot_range=shot, progress=progress, blend=blend
    )
    for n, mask, info in results:
        if report is not None:
            report.add(n, info)
        yield n, mask, info


def _as_float(mask: np.ndarray) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    return arr.astype(np.float32, copy=False)

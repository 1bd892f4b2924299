"""Engine base types: prompts, propagation info, protocols and the input checks engines share.

Conventions shared by all engines
---------------------------------
* Images are float32 ``(H, W, 3)`` display-referred RGB in [0, 1] (convert scene-linear media
  with ``core.media.colour.to_display`` first). A 4th channel, if present, is ignored.
* Masks and alphas are float32 ``(H, W)`` in [0, 1] at the image's full resolution.
* Coordinates are full-resolution pixel coordinates: ``x`` to the right, ``y`` down, the
  top-left pixel covers ``[0, 1) x [0, 1)``.
* Long work takes an optional :class:`~ultimate_roto.core.progress.Progress` (or a
  ``SubProgress``) and calls ``check_aborted()`` between frames or tiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.progress import Progress, SubProgress

ProgressLike = Progress | SubProgress
FG = 1
BG = 0


@dataclass(frozen=True)
class Prompt:
    """A user prompt on one frame: clicks and/or a box (and optionally text).

    Parameters
    ----------
    frame
        Frame number the prompt belongs to.
    points
        Clicks as ``(x, y, label)``; label 1 = foreground (include), 0 = background (exclude).
    box
        ``(x0, y0, x1, y1)`` with ``x0 < x1`` and ``y0 < y1``, or None.
    text
        Free-text description for engines that accept it (ignored by the others), or None.
    name
        Optional label used in error messages (e.g. the object name).
    """

    frame: int
    points: tuple[tuple[float, float, int], ...] = field(default_factory=tuple)
    box: tuple[float, float, float, float] | None = None
    text: str | None = None
    name: str | None = None

    def describe(self) -> str:
        """A short human name for messages, e.g. ``prompt 'hero' on frame 12``."""
        who = f"prompt '{self.name}'" if self.name else "prompt"
        return f"{who} on frame {self.frame}"

    @property
    def fg_points(self) -> list[tuple[float, float]]:
        """Foreground clicks as ``(x, y)``."""
        return [(float(x), float(y)) for x, y, lab in self.points if int(lab) == FG]

    @property
    def bg_points(self) -> list[tuple[float, float]]:
        """Background clicks as ``(x, y)``."""
        return [(float(x), float(y)) for x, y, lab in self.points if int(lab) == BG]

    def validate(
        self, width: int, height: int, frame_range: range | tuple[int, int] | None = None
    ) -> None:
        """Check the prompt against an image size and a frame range.

        Parameters
        ----------
        width, height
            Image size in pixels.
        frame_range
            A ``range`` of valid frames, or ``(first, last)`` inclusive, or None to skip.

        Raises
        ------
        InputError
            Empty prompt, a point outside the image or with a label not 0/1, an empty,
            inverted or outside box, or a frame out of range. The message names the prompt.
        """
        me = self.describe()
        if frame_range is not None:
            first, last = _frame_bounds(frame_range)
            if not first <= self.frame <= last:
                raise InputError(
                    f"{me}: frame {self.frame} is outside the shot ({first}-{last})",
                    hint="place prompts on a frame that exists in the shot",
                )
        if not self.points and self.box is None and not self.text:
            raise InputError(f"{me} is empty", hint="add a click or draw a box")
        for i, pt in enumerate(self.points):
            _check_point(me, i, pt, width, height)
        if self.box is not None:
            _check_box(me, self.box, width, height)


def _frame_bounds(frame_range: range | tuple[int, int]) -> tuple[int, int]:
    if isinstance(frame_range, range):
        if len(frame_range) == 0:
            raise InputError("the frame range is empty", hint="the shot has no frames")
        return frame_range[0], frame_range[-1]
    first, last = frame_range
    return int(first), int(last)


def _check_point(me: str, i: int, pt: Sequence[float], width: int, height: int) -> None:
    if len(pt) != 3:
        raise InputError(
            f"{me}: point {i} is {tuple(pt)!r}, expected (x, y, label)",
            hint="label is 1 for foreground, 0 for background",
        )
    x, y, label = pt
    if int(label) not in (FG, BG) or label != int(label):
        raise InputError(
            f"{me}: point {i} has label {label!r}",
            hint="label is 1 for foreground, 0 for background",
        )
    if not (np.isfinite(x) and np.isfinite(y) and 0 <= x < width and 0 <= y < height):
        raise InputError(
            f"{me}: point {i} at ({x}, {y}) is outside the {width}x{height} image",
            hint="click inside the picture",
        )


def _check_box(me: str, box: tuple[float, float, float, float], width: int, height: int) -> None:
    if len(box) != 4 or not all(np.isfinite(v) for v in box):
        raise InputError(f"{me}: box {box!r} is not (x0, y0, x1, y1)", hint="draw the box again")
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        raise InputError(
            f"{me}: box {box!r} is empty or inverted (need x0 < x1 and y0 < y1)",
            hint="drag from the top-left corner to the bottom-right corner",
        )
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height:
        raise InputError(
            f"{me}: box {box!r} lies outside the {width}x{height} image",
            hint="draw the box over the object",
        )


@dataclass(frozen=True)
class PropagationInfo:
    """Per-frame side information from a propagator.

    Parameters
    ----------
    confidence
        0 (lost) … 1 (certain); UIs flag frames below ~0.5 for review.
    occluded
        True when the object is judged hidden (mostly or fully) on this frame.
    """

    confidence: float
    occluded: bool = False


@runtime_checkable
class Segmenter(Protocol):
    """Prompt → mask on one image (task ``"segment"``)."""

    def segment(
        self, image: np.ndarray, prompts: list[Prompt], *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Return a float32 ``(H, W)`` mask in [0, 1] for the prompts of this frame."""
        ...


@runtime_checkable
class Propagator(Protocol):
    """Keyframe masks → masks on other frames (task ``"propagate"``)."""

    def propagate(
        self,
        get_frame: Callable[[int], np.ndarray],
        keyframes: dict[int, np.ndarray],
        frames: Sequence[int],
        *,
        progress: ProgressLike | None = None,
    ) -> Iterator[tuple[int, np.ndarray, PropagationInfo]]:
        """Yield ``(frame, mask, info)`` for ``frames`` in the given order."""
        ...


@runtime_checkable
class Refiner(Protocol):
    """Hard/rough mask → soft alpha matte (task ``"refine"``)."""

    def refine(
        self, image: np.ndarray, mask: np.ndarray, *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Return a float32 ``(H, W)`` alpha in [0, 1]."""
        ...


@runtime_checkable
class DepthEstimator(Protocol):
    """Image → relative depth (task ``"depth"``)."""

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """Return float32 ``(H, W)`` depth (larger = farther unless the engine says otherwise)."""
        ...


def check_image(image: np.ndarray, what: str = "image") -> np.ndarray:
    """Validate an engine input image and return its RGB float32 view.

    Raises
    ------
    InputError
        Not ``(H, W, 3|4)``, empty, or not a float/uint8 array.
    """
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InputError(
            f"{what} has shape {arr.shape}, expected (H, W, 3) or (H, W, 4)",
            hint="pass an RGB frame as read by core.media",
        )
    if arr.dtype == np.uint8:
        return arr[..., :3].astype(np.float32) / 255.0
    if not np.issubdtype(arr.dtype, np.floating):
        raise InputError(f"{what} has dtype {arr.dtype}", hint="pass float32 RGB in [0, 1]")
    return arr[..., :3].astype(np.float32, copy=False)


def check_mask(mask: np.ndarray, shape: tuple[int, int], what: str = "mask") -> np.ndarray:
    """Validate a mask against an image size and return it as float32 in [0, 1].

    Raises
    ------
    InputError
        Wrong shape or non-finite values.
    """
    arr = np.asarray(mask)
    if arr.shape != tuple(shape):
        raise InputError(
            f"{what} has shape {arr.shape}, expected {tuple(shape)}",
            hint="masks are (H, W) at the frame's full resolution",
        )
    out = arr.astype(np.float32, copy=False)
    if arr.dtype == np.uint8:
        out = out / 255.0
    if not np.isfinite(out).all():
        raise InputError(f"{what} contains NaN or inf", hint="clean the mask before use")
    return np.clip(out, 0.0, 1.0)


def keyframe_mask(keyframes: dict[int, np.ndarray], n: int, shape: tuple[int, int]) -> np.ndarray:
    """The validated float32 mask of keyframe ``n`` for frames of ``shape``.

    Raises
    ------
    InputError
        Wrong shape, NaN, or an empty mask (naming the frame).
    """
    mask = check_mask(keyframes[n], shape, f"keyframe mask on frame {n}")
    if not (mask >= 0.5).any():
        raise InputError(
            f"keyframe mask on frame {n} is empty",
            hint="draw or segment the object on that frame, or delete the keyframe",
        )
    return mask


def check_frames(frames: Sequence[int]) -> list[int]:
    """The frames a propagator is asked for, as ints, checked to be strictly monotonic.

    Raises
    ------
    InputError
        No frames, or frames not strictly ascending or descending.
    """
    order = [int(f) for f in frames]
    if not order:
        raise InputError("no frames to propagate", hint="pass at least one frame")
    steps = {np.sign(b - a) for a, b in zip(order, order[1:], strict=False)}
    if len(steps) > 1 or 0 in steps:
        raise InputError(
            f"frames to propagate must be strictly ascending or descending (got {order[:6]}…)",
            hint="propagate forward and backward in separate runs",
        )
    return order


def walk_frames(keyframes: dict[int, np.ndarray], order: list[int]) -> list[int]:
    """Frames a propagator visits: a pre-roll from the nearest keyframe before ``order[0]``
    (in the direction of travel), then ``order``.

    Raises
    ------
    InputError
        No keyframes, or no keyframe to start from (naming the frame and the direction).
    """
    if not keyframes:
        raise InputError("no keyframes to propagate from", hint="segment the object on a frame")
    first = order[0]
    if first in keyframes:
        return order
    step = 1 if len(order) < 2 or order[1] > first else -1
    behind = [k for k in keyframes if (k - first) * step < 0]
    if not behind:
        side = "before" if step > 0 else "after"
        raise InputError(
            f"frame {first}: no keyframe {side} it to propagate from "
            f"(keyframes: {sorted(keyframes)})",
            hint="add a keyframe or propagate in the other direction",
        )
    start = max(behind, key=lambda k: k * step)
    return list(range(start, first, step)) + order

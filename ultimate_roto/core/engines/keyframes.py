"""Keyframe logic for propagation: spans to recompute, forward/backward blending, the driver.

A correction on any frame (a new prompt, a brush stroke) becomes a keyframe. Only the frames
between the neighbouring keyframes change (:func:`affected_span`). Between two keyframes the
forward run (from the earlier one) and the backward run (from the later one) are blended by
distance, and by each run's confidence (:func:`blend_weight`, :func:`blend_masks`); before the
first keyframe only a backward run exists, after the last one only a forward run.

:func:`propagate_span` is what the batch "propagate" step and the GUI's Propagate job call: it
yields the final ``(frame, mask, info)`` in ascending frame order. The backward runs are kept
as PNG-compressed 8-bit masks (tens of kB per 1080p frame), never as full float arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.engines.base import (
    ProgressLike,
    PropagationInfo,
    Propagator,
    keyframe_mask,
)
from ultimate_roto.core.engines.trimap import signed_distance
from ultimate_roto.core.errors import InputError

BLEND_MODES = ("sdf", "soft")
Span = tuple[int, int]


def affected_span(keyframes: Iterable[int], edited_frame: int, shot_range: Span) -> Span:
    """Frames to recompute after ``edited_frame`` became (or stopped being) a keyframe.

    Parameters
    ----------
    keyframes
        Frame numbers of the other keyframes (the edited frame may be included or not).
    edited_frame
        The frame that was corrected.
    shot_range
        ``(first, last)`` frames of the shot, inclusive.

    Returns
    -------
    (start, end)
        Inclusive span: from just after the previous keyframe (or the shot start) to just
        before the next keyframe (or the shot end); it always contains ``edited_frame``.

    Raises
    ------
    InputError
        An inverted shot range, or the edited frame outside it.
    """
    first, last = _check_range(shot_range)
    if not first <= edited_frame <= last:
        raise InputError(
            f"edited frame {edited_frame} is outside the shot ({first}-{last})",
            hint="corrections must be made on a frame of the shot",
        )
    others = sorted({int(k) for k in keyframes} - {int(edited_frame)})
    before = [k for k in others if k < edited_frame]
    after = [k for k in others if k > edited_frame]
    start = before[-1] + 1 if before else first
    end = after[0] - 1 if after else last
    return max(first, start), min(last, end)


def blend_weight(
    frame: int, k_prev: int, k_next: int, conf_fwd: float = 1.0, conf_bwd: float = 1.0
) -> float:
    """Weight of the forward result at ``frame`` between keyframes ``k_prev < k_next``.

    Linear in distance (1 at ``k_prev``, 0 at ``k_next``), then tilted by the two runs'
    confidences so a run that lost the object hands over to the other one.

    Raises
    ------
    InputError
        ``frame`` not within ``[k_prev, k_next]`` or ``k_prev >= k_next``.
    """
    if not k_prev < k_next or not k_prev <= frame <= k_next:
        raise InputError(
            f"frame {frame} is not between keyframes {k_prev} and {k_next}",
            hint="blend only frames between two keyframes",
        )
    w = (k_next - frame) / (k_next - k_prev)
    num = w * max(conf_fwd, 1e-3)
    return float(num / (num + (1 - w) * max(conf_bwd, 1e-3)))


def blend_masks(fwd: np.ndarray, bwd: np.ndarray, w: float, mode: str = "sdf") -> np.ndarray:
    """Blend a forward and a backward mask with forward weight ``w`` in [0, 1].

    ``"sdf"`` interpolates signed distance fields (the edge moves between the two outlines and
    stays sharp, with a 1-pixel anti-aliased ramp); ``"soft"`` mixes the masks linearly.

    Raises
    ------
    InputError
        Unknown mode or masks of different shapes.
    """
    if mode not in BLEND_MODES:
        raise InputError(f"unknown blend mode '{mode}'", hint=f"use one of {BLEND_MODES}")
    if fwd.shape != bwd.shape:
        raise InputError(f"blend: masks {fwd.shape} and {bwd.shape} differ", hint="same size")
    if mode == "soft" or w >= 1.0 or w <= 0.0:
        return (w * fwd + (1.0 - w) * bwd).astype(np.float32)
    union = (fwd >= 0.5) | (bwd >= 0.5)
    out = np.zeros(fwd.shape, np.float32)
    ys, xs = np.nonzero(union)
    if xs.size == 0:
        return out
    y0, y1 = max(0, ys.min() - 2), min(fwd.shape[0], ys.max() + 3)
    x0, x1 = max(0, xs.min() - 2), min(fwd.shape[1], xs.max() + 3)
    sf = signed_distance(fwd[y0:y1, x0:x1] >= 0.5)
    sb = signed_distance(bwd[y0:y1, x0:x1] >= 0.5)
    sd = w * np.clip(sf, -1e3, 1e3) + (1.0 - w) * np.clip(sb, -1e3, 1e3)
    out[y0:y1, x0:x1] = np.clip(sd + 0.5, 0.0, 1.0)
    return out


@dataclass(frozen=True)
class Segment:
    """One run of the plan: frames ``[start, end]`` between keyframes ``k_prev``/``k_next``
    (None where the shot continues without a keyframe)."""

    start: int
    end: int
    k_prev: int | None
    k_next: int | None


def plan(keyframes: Iterable[int], span: Span) -> list[Segment | int]:
    """Split ``span`` into keyframes (ints) and the segments between them, in frame order.

    Raises
    ------
    InputError
        No keyframes, or an inverted span.
    """
    a, b = _check_range(span)
    keys = sorted({int(k) for k in keyframes})
    if not keys:
        raise InputError("no keyframes to propagate from", hint="segment the object on a frame")
    items: list[Segment | int] = []
    bounds = [None, *keys, None]
    for k_prev, k_next in zip(bounds, bounds[1:], strict=False):
        lo = a if k_prev is None else max(a, k_prev + 1)
        hi = b if k_next is None else min(b, k_next - 1)
        if lo <= hi:
            items.append(Segment(lo, hi, k_prev, k_next))
        if k_next is not None and a <= k_next <= b:
            items.append(k_next)
    return items


def propagate_span(
    propagator: Propagator,
    get_frame: Callable[[int], np.ndarray],
    keyframes: dict[int, np.ndarray],
    span: Span,
    *,
    shot_range: Span | None = None,
    progress: ProgressLike | None = None,
    blend: str = "sdf",
) -> Iterator[tuple[int, np.ndarray, PropagationInfo]]:
    """Final per-frame masks over ``span`` from keyframes, in ascending frame order.

    Parameters
    ----------
    propagator
        Any :class:`~.base.Propagator` (e.g. ``propagate.flow``).
    get_frame
        ``get_frame(n)`` returns frame ``n`` (float32 RGB); frames are pulled one at a time.
    keyframes
        ``{frame: mask}`` (float/bool ``(H, W)``, non-empty).
    span
        ``(start, end)`` inclusive, e.g. from :func:`affected_span`.
    shot_range
        ``(first, last)`` of the shot; keyframes and the span must lie inside it.
    progress
        Checked every frame; reports frame counts.
    blend
        ``"sdf"`` or ``"soft"`` (see :func:`blend_masks`).

    Raises
    ------
    InputError
        Bad span, keyframes outside the shot, or bad keyframe masks (naming the frame).
    """
    if blend not in BLEND_MODES:
        raise InputError(f"unknown blend mode '{blend}'", hint=f"use one of {BLEND_MODES}")
    _check_inside(keyframes, span, shot_range)
    items = plan(keyframes, span)
    total = span[1] - span[0] + 1
    done = 0
    for item in items:
        if isinstance(item, int):
            if progress is not None:
                progress.check_aborted()
            shape = np.asarray(get_frame(item)).shape[:2]
            yield item, keyframe_mask(keyframes, item, shape), PropagationInfo(1.0, False)
            done += 1
            continue
        sub = None if progress is None else progress.sub_progress(
            done / total, (done + item.end - item.start + 1) / total)  # fmt: skip
        yield from _segment(propagator, get_frame, keyframes, item, sub, blend)
        done += item.end - item.start + 1


def _segment(
    propagator: Propagator,
    get_frame: Callable[[int], np.ndarray],
    keyframes: dict[int, np.ndarray],
    seg: Segment,
    progress: ProgressLike | None,
    blend: str,
) -> Iterator[tuple[int, np.ndarray, PropagationInfo]]:
    fwd_frames = range(seg.start, seg.end + 1)
    bwd_frames = range(seg.end, seg.start - 1, -1)
    if seg.k_prev is None:  # before the first keyframe: backward only, replayed in order
        p = None if progress is None else progress.sub_progress(0.0, 1.0)
        stored = _store(propagator.propagate(get_frame, keyframes, bwd_frames, progress=p))
        for n in fwd_frames:
            yield n, _unpack(stored[n][0]), stored[n][1]
        return
    if seg.k_next is None:  # after the last keyframe: forward only
        yield from propagator.propagate(get_frame, keyframes, fwd_frames, progress=progress)
        return
    p1 = None if progress is None else progress.sub_progress(0.0, 0.5)
    p2 = None if progress is None else progress.sub_progress(0.5, 1.0)
    stored = _store(propagator.propagate(get_frame, keyframes, bwd_frames, progress=p1))
    for n, mask, info in propagator.propagate(get_frame, keyframes, fwd_frames, progress=p2):
        bmask_png, binfo = stored.pop(n)
        w = blend_weight(n, seg.k_prev, seg.k_next, info.confidence, binfo.confidence)
        out = blend_masks(mask, _unpack(bmask_png), w, blend)
        conf = w * info.confidence + (1 - w) * binfo.confidence
        occluded = (w * info.occluded + (1 - w) * binfo.occluded) >= 0.5
        yield n, out, PropagationInfo(float(conf), bool(occluded))


def _store(results: Iterator[tuple[int, np.ndarray, PropagationInfo]]) -> dict:
    return {n: (_pack(mask), info) for n, mask, info in results}


def _pack(mask: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_PNG_COMPRESSION, 1])  # fmt: skip
    assert ok
    return buf.tobytes()


def _unpack(data: bytes) -> np.ndarray:
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return img.astype(np.float32) / 255.0


def _check_range(rng: Span) -> Span:
    first, last = int(rng[0]), int(rng[1])
    if last < first:
        raise InputError(f"frame range {first}-{last} is inverted", hint="use (first, last)")
    return first, last


def _check_inside(keyframes: dict[int, np.ndarray], span: Span, shot: Span | None) -> None:
    a, b = _check_range(span)
    if shot is None:
        return
    first, last = _check_range(shot)
    if a < first or b > last:
        raise InputError(
            f"propagation span {a}-{b} is outside the shot ({first}-{last})",
            hint="choose frames inside the shot",
        )
    for k in keyframes:
        if not first <= k <= last:
            raise InputError(
                f"keyframe on frame {k} is outside the shot ({first}-{last})",
                hint="delete the keyframe or extend the shot",
            )

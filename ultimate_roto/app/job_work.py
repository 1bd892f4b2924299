"""Qt-free work of the GUI jobs (propagate, refine, warm-up), run on pool threads.

Each function takes immutable inputs captured on the GUI thread (a frame reader, compressed
mask snapshots, settings), calls the core operations the batch steps use
(``run_segment.load_engine``, ``run_propagate.propagate_object``, ``run_refine.refine_object``)
and reports results through ``emit(frame, payload)``; it never touches the document, so a
cancelled job leaves nothing half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project.masks import EncodedMask

Emit = Callable[[int, Any], None]


def decode(enc: EncodedMask | None, shape: tuple[int, int]) -> np.ndarray:
    """A full-frame uint8 mask from a compressed snapshot entry (zeros for None)."""
    out = np.zeros(shape, np.uint8)
    if enc is not None:
        x0, y0, x1, y1 = enc.bbox
        out[y0:y1, x0:x1] = enc.crop()
    return out


def to_uint8(mask: np.ndarray) -> np.ndarray:
    """An engine mask (float in [0, 1]) as the document's uint8 coverage."""
    return np.ascontiguousarray((np.clip(mask, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


@dataclass(frozen=True)
class MaskJobInput:
    """What a propagate/refine job needs, captured on the GUI thread."""

    obj_id: str
    name: str
    masks: Mapping[int, EncodedMask]  # the object's compressed masks (immutable)
    keyframes: tuple[int, ...]
    shape: tuple[int, int]  # (height, width)
    colorspace: str
    engine: str = "auto"
    device: str | None = None  # None: load_engine picks (the "auto" preference)
    options: dict[str, Any] = field(default_factory=dict)

    def frame_fn(self, read: Callable[[int], np.ndarray]) -> Callable[[int], np.ndarray]:
        """``get_frame(n)``: display-referred RGB as the engines take it."""
        from ultimate_roto.core.engines.run_segment import display_rgb

        return lambda n: display_rgb(read(n), self.colorspace)


def propagate(
    job: MaskJobInput,
    read: Callable[[int], np.ndarray],
    frames: tuple[int, int],
    direction: str,
    progress: Progress,
    emit: Emit,
    only: tuple[int, int] | None = None,
) -> str:
    """Propagate the keyframes inside ``frames`` (inclusive) in ``direction``; emits
    ``(frame, (uint8 mask, occluded))`` for every non-keyframe (inside ``only`` when given:
    the affected span of an edited keyframe)."""
    from ultimate_roto.core.engines.run_propagate import TrackReport, propagate_object
    from ultimate_roto.core.engines.run_segment import load_engine

    lo, hi = frames
    keys = {
        k: decode(job.masks.get(k), job.shape)
        for k in job.keyframes
        if k in job.masks and lo <= k <= hi
    }
    if not keys:
        raise InputError(
            f"object '{job.name}' has no keyframe with a mask in frames {lo}-{hi}",
            hint="click prompts on a frame first (that frame becomes a keyframe)",
        )
    _spec, engine = load_engine("propagate", job.engine, device=job.device)
    report = TrackReport()
    count = 0
    for n, mask, info in propagate_object(
        engine,
        job.frame_fn(read),
        keys,
        range(lo, hi + 1),
        direction=direction,
        report=report,
        progress=progress,
    ):
        if n in keys or (only is not None and not only[0] <= n <= only[1]):
            continue
        emit(n, (to_uint8(mask), bool(info.occluded)))
        count += 1
    return f"propagated {job.name} over {count} frames: {report.summary()}"


def mask_ops_settings(obj_mask_ops: Any) -> dict[str, float]:
    """core.engines.maskops settings from an object's MaskOps (grow = dilate - erode)."""
    return {
        "grow": float(obj_mask_ops.dilate_px - obj_mask_ops.erode_px),
        "feather": float(obj_mask_ops.feather_px),
    }


def ops_active(ops: Mapping[str, float]) -> bool:
    """True when the settings change a mask at all."""
    return any(float(v) for v in ops.values())


def refine(
    job: MaskJobInput,
    read: Callable[[int], np.ndarray],
    frames: list[int],
    progress: Progress,
    emit: Emit,
) -> str:
    """Refine the edges of every existing mask in ``frames``; emits ``(frame, uint8 alpha)``.

    The object's grow/feather stay non-destructive: the overlay and the exports apply them.
    """
    from ultimate_roto.core.engines.run_refine import refine_object
    from ultimate_roto.core.engines.run_segment import load_engine

    todo = [f for f in frames if f in job.masks]
    if not todo:
        raise InputError(
            f"object '{job.name}' has no mask in frames {frames[0]}-{frames[-1]}",
            hint="segment or propagate the object first",
        )
    _spec, engine = load_engine("refine", job.engine, device=job.device, options=job.options)
    count = 0
    for n, alpha in refine_object(
        engine,
        job.frame_fn(read),
        lambda n: decode(job.masks.get(n), job.shape),
        todo,
        obj=job.name,
        progress=progress,
    ):
        emit(n, to_uint8(alpha))
        count += 1
    return f"refined {job.name} on {count} frames"


def warm_up(progress: Progress, emit: Emit) -> str:
    """Compile refine.classic's numba kernels once, off the GUI thread (2-3 s the first time)."""
    from ultimate_roto.core.engines import refine_classic

    progress.report(0.1, "compiling the matting kernels")
    refine_classic.warm_up()
    progress.report(1.0, "ready")
    return "refine engine warmed up"

"""Qt-free work of the GUI jobs (propagate, refine, depth, warm-up), run on pool threads.

Each function takes immutable inputs captured on the GUI thread (a frame reader, compressed
mask snapshots, settings), calls the core operations the batch steps use
(``run_segment.load_engine``, ``run_propagate.propagate_object``, ``run_refine.refine_object``,
``run_refine.depth_frames``) and reports results through ``emit(frame, payload)``; it never
touches the document, so a cancelled job leaves nothing half-applied. Masks are compressed here,
on the pool thread (``EncodedMask``: bbox + zlib, as the document stores them), so a long job
holds kilobytes a frame until it applies, not a full-frame array.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ultimate_roto.core.errors import InputError, ProcessingError, RotoError
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project.masks import EncodedMask, decode_mask, encode_mask

Emit = Callable[[int, Any], None]


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

    def keys_in(self, lo: int, hi: int) -> tuple[int, ...]:
        """The keyframes with a mask in frames ``lo``-``hi``: what propagation starts from."""
        return tuple(k for k in self.keyframes if k in self.masks and lo <= k <= hi)

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
    ``(frame, (EncodedMask or None, occluded))`` for every non-keyframe (inside ``only`` when
    given: the affected span of an edited keyframe)."""
    from ultimate_roto.core.engines.run_propagate import TrackReport, propagate_object
    from ultimate_roto.core.engines.run_segment import load_engine

    lo, hi = frames
    keys = {k: decode_mask(job.masks.get(k), job.shape) for k in job.keys_in(lo, hi)}
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
        emit(n, (encode_mask(to_uint8(mask)), bool(info.occluded)))
        count += 1
    return f"propagated {job.name} over {count} frames: {report.summary()}"


def refine(
    job: MaskJobInput,
    read: Callable[[int], np.ndarray],
    frames: list[int],
    progress: Progress,
    emit: Emit,
) -> str:
    """Refine the edges of every existing mask in ``frames``; emits ``(frame, (EncodedMask or
    None, None))`` (no occlusion flag).

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
        lambda n: decode_mask(job.masks.get(n), job.shape),
        todo,
        obj=job.name,
        progress=progress,
    ):
        emit(n, (encode_mask(to_uint8(alpha)), None))
        count += 1
    return f"refined {job.name} on {count} frames"


@dataclass(frozen=True)
class DepthJobInput:
    """What a depth job needs, captured on the GUI thread."""

    shape: tuple[int, int]  # (height, width)
    colorspace: str
    engine: str = "auto"
    device: str | None = None


def depth(
    job: DepthJobInput,
    read: Callable[[int], np.ndarray],
    frames: tuple[int, int],
    progress: Progress,
    emit: Emit,
) -> str:
    """Depth of frames ``frames`` (inclusive) as one layer normalised per shot, as the batch
    ``depth`` step computes it; emits ``(first frame, DepthLayer)`` once, at the end.

    Each frame is compressed as it arrives (float16 + zlib), so memory grows by the
    compressed size, not by float32 maps.

    Raises
    ------
    ProcessingError
        No depth engine (weights) installed: the message says how to install them.
    """
    from ultimate_roto.core.engines.run_refine import depth_frames
    from ultimate_roto.core.engines.run_segment import display_rgb
    from ultimate_roto.core.engines.steps import DEPTH_MODEL
    from ultimate_roto.core.project.depth import DepthLayer, encode_depth

    lo, hi = frames
    progress.report(0.0, "loading the depth engine")
    try:  # consistent: align each frame to the previous one, as the batch step does
        spec, engine = load_depth_engine(job)
    except RotoError as exc:
        raise ProcessingError(
            exc.message,
            hint=f"install the depth weights: Models dock > Pull, or `python main.py models "
            f"pull {DEPTH_MODEL}`; then run Roto > Compute depth again",
        ) from None

    def get(n: int) -> np.ndarray:
        return display_rgb(read(n), job.colorspace)

    encoded = {}
    sub = progress.sub_progress(0.0, 0.97)
    for n, raw in depth_frames(engine, get, range(lo, hi + 1), progress=sub):
        encoded[n] = encode_depth(raw, f"depth of frame {n}")
    progress.check_aborted()
    progress.report(0.98, "normalising per shot")
    layer = DepthLayer.from_encoded(job.shape[1], job.shape[0], encoded, spec.id)
    emit(lo, layer)
    low, high = layer.range
    return (f"depth of frames {lo}-{hi} with {spec.id}: normalised per shot from "
            f"[{low:.4g}, {high:.4g}] to [0, 1], {layer.nbytes / 1024:.0f} KiB")  # fmt: skip


def load_depth_engine(job: DepthJobInput) -> tuple[Any, Any]:
    """``(EngineSpec, engine)`` for a depth job, loaded as the batch ``depth`` step loads it."""
    from ultimate_roto.core.engines.run_segment import load_engine

    options = dict(consistent=True, output="depth")
    return load_engine("depth", job.engine, device=job.device, options=options)


def warm_up(progress: Progress, emit: Emit) -> str:
    """Compile refine.classic's numba kernels once, off the GUI thread (2-3 s the first time)."""
    from ultimate_roto.core.engines import refine_classic

    progress.report(0.1, "compiling the matting kernels")
    refine_classic.warm_up()
    progress.report(1.0, "ready")
    return "refine engine warmed up"

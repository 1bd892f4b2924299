"""Qt-free work of the GUI jobs (propagate, refine, export), run on pool threads.

Each function takes immutable inputs captured on the GUI thread (a frame reader, compressed
mask snapshots, settings) and reports results through ``emit(frame, payload)``; it never
touches the document, so a cancelled job leaves nothing half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ultimate_roto.app.qt_segment import engine_image, to_uint8
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media.types import MediaInfo
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project.masks import EncodedMask

Emit = Callable[[int, Any], None]
DIRECTIONS = ("forward", "backward", "both")


def decode(enc: EncodedMask | None, shape: tuple[int, int]) -> np.ndarray:
    """A full-frame uint8 mask from a compressed snapshot entry (zeros for None)."""
    out = np.zeros(shape, np.uint8)
    if enc is not None:
        x0, y0, x1, y1 = enc.bbox
        out[y0:y1, x0:x1] = enc.crop()
    return out


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
    device: str = "cpu"
    options: dict[str, Any] = field(default_factory=dict)


def propagation_span(current: int, in_out: tuple[int, int], direction: str) -> tuple[int, int]:
    """Frames to (re)compute: current→out, in→current or the whole in/out range."""
    if direction not in DIRECTIONS:
        raise InputError(f"unknown direction '{direction}'", hint=f"use one of {DIRECTIONS}")
    first, last = in_out
    if not first <= current <= last:
        raise InputError(
            f"frame {current} is outside the in/out range {first}-{last}",
            hint="move the playhead inside the range, or widen it with I and O",
        )
    return {"forward": (current, last), "backward": (first, current), "both": (first, last)}[
        direction
    ]


def propagate(
    job: MaskJobInput,
    read: Callable[[int], np.ndarray],
    span: tuple[int, int],
    shot_range: tuple[int, int],
    progress: Progress,
    emit: Emit,
) -> str:
    """Propagate the keyframe masks over ``span``; emits ``(frame, (uint8 mask, occluded))``."""
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.keyframes import propagate_span

    keys = {
        k: decode(job.masks.get(k), job.shape).astype(np.float32) / 255.0
        for k in job.keyframes
        if k in job.masks
    }
    if not keys:
        raise InputError(
            f"object '{job.name}' has no keyframe with a mask",
            hint="click prompts on a frame first (that frame becomes a keyframe)",
        )
    engine = registry.create(registry.resolve("propagate", job.engine), device=job.device)
    count = 0
    for frame, mask, info in propagate_span(
        engine,
        lambda n: engine_image(read(n), job.colorspace),
        keys,
        span,
        shot_range=shot_range,
        progress=progress,
    ):
        emit(frame, (to_uint8(mask), bool(info.occluded)))
        count += 1
    return f"propagated {job.name} over {count} frames ({span[0]}-{span[1]})"


def mask_ops_settings(obj_mask_ops: Any) -> dict[str, float]:
    """core.engines.maskops settings from an object's MaskOps (grow = dilate - erode)."""
    return {
        "grow": float(obj_mask_ops.dilate_px - obj_mask_ops.erode_px),
        "feather": float(obj_mask_ops.feather_px),
    }


def refine(
    job: MaskJobInput,
    read: Callable[[int], np.ndarray],
    frames: list[int],
    ops: dict[str, float],
    progress: Progress,
    emit: Emit,
) -> str:
    """Refine the edges of every existing mask in ``frames``; emits ``(frame, uint8 alpha)``."""
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.maskops import apply_ops

    todo = [f for f in frames if f in job.masks]
    if not todo:
        raise InputError(
            f"object '{job.name}' has no mask in frames {frames[0]}-{frames[-1]}",
            hint="segment or propagate the object first",
        )
    engine = registry.create(
        registry.resolve("refine", job.engine), device=job.device, **job.options
    )
    for i, frame in enumerate(todo):
        progress.check_aborted()
        mask = decode(job.masks[frame], job.shape).astype(np.float32) / 255.0
        alpha = engine.refine(engine_image(read(frame), job.colorspace), mask)
        emit(frame, to_uint8(apply_ops(alpha, ops)))
        progress.report((i + 1) / len(todo), f"refined frame {frame} ({i + 1}/{len(todo)})")
    return f"refined {job.name} on {len(todo)} frames"


class FrameReader:
    """A MediaReader over a thread-safe frame function (the session's cached provider)."""

    def __init__(self, info: MediaInfo, read: Callable[[int], np.ndarray]) -> None:
        self.info = info
        self._read = read

    def read(self, frame: int) -> np.ndarray:
        return self._read(frame)

    def close(self) -> None:
        return None

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MaskReader(FrameReader):
    """Frames of an object's masks as float32 RGB (the matte in every channel)."""

    def __init__(self, info: MediaInfo, masks: Mapping[int, EncodedMask]) -> None:
        shape = (info.height, info.width)
        super().__init__(
            replace(info, channels=3, colorspace_guess="Linear", pixel_type="float"),
            lambda n: np.repeat(
                (decode(masks.get(n), shape).astype(np.float32) / 255.0)[..., None], 3, axis=2
            ),
        )


def register_mask_kind() -> None:
    """Make "mask" a known export kind (a matte: not colour managed)."""
    from ultimate_roto.core.exporters.spec import WHAT_KINDS, WhatKind, register_what

    if "mask" not in WHAT_KINDS:
        register_what(
            WhatKind(
                "mask",
                formats=("exr", "png", "tiff", "dpx"),
                colour_managed=False,
                description="an object's matte",
            )
        )


def export(
    reader: FrameReader,
    spec_dict: dict[str, Any],
    output_dir: str,
    frames: list[int],
    colorspace: str,
    progress: Progress,
    emit: Emit,
    object_name: str | None = None,
) -> str:
    """Write ``frames`` through core convert (plate conversion or matte export)."""
    from ultimate_roto.core.exporters.spec import ExportSpec
    from ultimate_roto.core.pipeline.convert import convert

    register_mask_kind()
    spec = ExportSpec.from_dict(spec_dict, where="export")
    result = convert(
        reader,
        spec,
        output_dir,
        frames,
        src_colorspace=colorspace,
        progress=progress,
        object=object_name,
    )
    what = "mattes of " + object_name if object_name else "plate"
    return f"wrote {len(result.written)} file(s) of the {what} to {output_dir}"

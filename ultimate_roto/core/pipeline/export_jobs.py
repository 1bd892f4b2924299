"""Export routing for jobs: presets expanded, validation against the steps, plan and run.

Image/video exports of a single image per frame go through :func:`convert.convert` (plate,
mask, matte, depth; DPX log sets the DPX transfer/colorimetric header to printing density);
``what: layers`` through :func:`layered.write_sequence`; shape scripts (nuke, ae, fusion)
through :mod:`shape_exports`; Flame writes per-object matte EXRs with convert, then its hook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ultimate_roto.core.errors import InputError

if TYPE_CHECKING:
    from ultimate_roto.core.jobspec import Job
    from ultimate_roto.core.media.types import MediaInfo, MediaReader

LogFn = Callable[[str], None]

#: Which job steps fill each data kind; a step module may add its own names here.
PRODUCERS: dict[str, tuple[str, ...]] = {
    "mask": ("segment",),
    "matte": ("refine",),
    "depth": ("depth",),
}
#: Data each multi-layer AOV needs ("objects" means a mask or matte per object).
AOV_NEEDS = {"objects": "objects", "matte": "objects", "ids": "objects",
             "cryptomatte": "objects", "depth": "depth", "normals": "depth"}  # fmt: skip
#: DPX header values for Cineon log (OIIO names; SMPTE 268M code 1 = printing density).
DPX_LOG_HEADER = {"dpx:Transfer": "Printing density", "dpx:Colorimetric": "Printing density"}


def expand(job: Job) -> list[Any]:
    """The job's exports with preset entries replaced by their exports."""
    return [e for spec in job.exports for e in spec.expand()]


def _has(job: Job, kind: str) -> bool:
    return any(step in job.steps for step in PRODUCERS.get(kind, ()))


def _need_objects(job: Job, source: str, where: str) -> None:
    """InputError unless some step fills the per-object alpha ``source`` (auto/mask/matte)."""
    kinds = {"auto": ("mask", "matte"), "mask": ("mask",), "matte": ("matte",)}[source]
    if not job.objects:
        raise InputError(f"{where}: needs objects, and the job has none",
                         hint='add "objects" with prompts and the "segment" step')  # fmt: skip
    if not any(_has(job, k) for k in kinds):
        step = PRODUCERS[kinds[-1] if source == "matte" else "mask"][0]
        raise InputError(f"{where}: no step makes the object {' or '.join(kinds)}s",
                         hint=f"add {step!r} to steps")  # fmt: skip


def check(job: Job, exports: list[Any]) -> list[str]:
    """Validate every export against the job's steps and objects before any work.

    Returns notes for the log. Raises InputError/JobError naming ``exports[i]`` and the step
    to add.
    """
    from ultimate_roto.core.exporters import layered

    notes: list[str] = []
    for i, export in enumerate(exports):
        where = f"exports[{i}]"
        if export.what == "layers":
            layered.check_export(export, job.object_names, where)
            for aov in export.options["aovs"]:
                need = AOV_NEEDS.get(aov)
                if need == "objects":
                    _need_objects(job, export.options["source"], f"{where}.aovs '{aov}'")
                elif need == "depth" and not _has(job, "depth"):
                    raise InputError(f"{where}.aovs '{aov}': no step makes depth",
                                     hint=f"add {PRODUCERS['depth'][0]!r} to steps")  # fmt: skip
        elif export.is_script:
            _need_objects(job, export.options["source"], f"{where} ({export.format})")
        elif export.what in PRODUCERS and export not in job.exports and not _has(job, export.what):
            # (entries written in the job are checked by the engines' step validation; those
            # a preset brought in are checked here)
            step = PRODUCERS[export.what][0]
            raise InputError(f"{where}.what {export.what!r} needs the {step!r} step",
                             hint=f"add {step!r} to steps")  # fmt: skip
    return notes


# -- planning -----------------------------------------------------------------------------------
def planned_paths(job: Job, export: Any, frames: tuple[int, ...]) -> list[Path]:
    """Every file an export would write (validated, nothing touched)."""
    from ultimate_roto.core.exporters import layered, shape_exports
    from ultimate_roto.core.pipeline.convert import plan

    if export.what == "layers":
        per = layered.plan_paths(export, job.output_dir, frames, job.object_names)
        return [p for f in frames for p in per[f]]
    if export.is_script:
        paths = shape_exports.outputs_of(export, job.output_dir)
        if export.format == "flame":
            spec = shape_exports.flame_matte_spec(export, "mask", job.output_dir)
            for name in job.object_names:
                paths += plan(spec, job.output_dir, frames, object=name)
        return paths
    names = list(job.object_names) if "{object}" in export.path else [None]
    return [p for n in names for p in plan(export, job.output_dir, frames, object=n)]


def describe_plan(job: Job, export: Any, frames: tuple[int, ...], colorspace: str) -> str:
    """One line: path, format, what, frames, colour."""
    shown = export.path if Path(export.path).is_absolute() else str(job.output_dir / export.path)
    if export.is_script:
        return f"{shown}  ({export.format}, {export.what}, {len(frames)} frame(s))"
    managed = export.kind.colour_managed
    out_cs = export.output_colorspace(colorspace) if managed else "data"
    extra = f", aovs {'+'.join(export.options['aovs'])}" if export.what == "layers" else ""
    return (f"{shown}  ({export.format}, {export.what}{extra}, {len(frames)} frame(s),"
            f" {colorspace} -> {out_cs})")  # fmt: skip


# -- running ------------------------------------------------------------------------------------
@dataclass
class Stores:
    """The steps' output: per-object masks (MaskStore or None) and float layers."""

    masks: Any
    layers: Any

    def alpha_fn(self, source: str) -> Callable[[str, int], np.ndarray | None]:
        """``alpha(object, frame)``: the refine matte when ``source`` allows and one exists,
        else the mask (uint8 0..255), else None."""

        def alpha(obj: str, frame: int) -> np.ndarray | None:
            if source in ("auto", "matte") and self.layers is not None:
                found = self.layers.get("matte", frame, obj)
                if found is not None or source == "matte":
                    return found
            if self.masks is not None and self.masks.has(obj, frame):
                return self.masks.get(obj, frame)
            return None

        return alpha

    def depth(self, frame: int) -> np.ndarray | None:
        return None if self.layers is None else self.layers.get("depth", frame)


@dataclass(frozen=True)
class ExportOutcome:
    """Files an export wrote / kept, for the job's output lines."""

    written: tuple[Path, ...]
    skipped: tuple[Path, ...]


def run_export(
    job: Job,
    export: Any,
    reader: MediaReader,
    stores: Stores,
    frames: tuple[int, ...],
    colorspace: str,
    progress: Any,
    resume: bool,
    log: LogFn,
) -> ExportOutcome:
    """Write one export of a job (see the module docstring for the routes)."""
    if export.what == "layers":
        return _run_layers(job, export, reader, stores, frames, colorspace, progress, resume, log)
    if export.is_script:
        return _run_script(job, export, reader, stores, frames, colorspace, progress, resume, log)
    return _run_convert(job, export, reader, stores, frames, colorspace, progress, resume)


def _shot(job: Job) -> str:
    from ultimate_roto.core.exporters.names import sanitize

    stem = Path(job.source).stem if job.source else Path(job.input).name.split(".")[0]
    return sanitize(stem or "shot")[0]


def _run_convert(
    job, export, reader, stores, frames, colorspace, progress, resume, object_names=None
):
    from ultimate_roto.core.pipeline.convert import convert

    names = object_names or (list(job.object_names) if "{object}" in export.path else [None])
    meta = DPX_LOG_HEADER if export.options.get("encoding") == "log" else None
    written, skipped = [], []
    for k, name in enumerate(names):
        sub = progress.sub_progress(k / len(names), (k + 1) / len(names))
        source = (
            reader
            if export.what == "plate"
            else LayerReader(reader.info, stores, export.what, name)
        )
        result = convert(source, export, job.output_dir, frames, src_colorspace=colorspace,
                         progress=sub, resume=resume, object=name, metadata=meta)  # fmt: skip
        written += result.written
        skipped += result.skipped
    return ExportOutcome(tuple(written), tuple(skipped))


def _run_layers(job, export, reader, stores, frames, colorspace, progress, resume, log):
    from ultimate_roto.core.exporters import layered

    src = layered.Sources(reader, job.object_names, stores.alpha_fn(export.options["source"]),
                          stores.depth, _shot(job))  # fmt: skip
    result = layered.write_sequence(export, src, job.output_dir, frames, src_colorspace=colorspace,
                                    progress=progress, resume=resume, log=log)  # fmt: skip
    return ExportOutcome(result.written, result.skipped)


def _run_script(job, export, reader, stores, frames, colorspace, progress, resume, log):
    from ultimate_roto.core.exporters import shape_exports

    source = export.options["source"]
    src = shape_exports.ShapeSources(reader.info, frames, job.object_names,
                                     stores.alpha_fn(source), job.input, _shot(job))  # fmt: skip
    if export.format != "flame":
        files = shape_exports.write(export, src, job.output_dir, progress=progress, log=log)
        return ExportOutcome(tuple(files), ())
    kind = "matte" if source == "matte" or (source == "auto" and _has(job, "matte")) else "mask"
    spec = shape_exports.flame_matte_spec(export, kind, job.output_dir)
    _ensure_kind(kind)
    done = _run_convert(job, spec, reader, stores, frames, colorspace,
                        progress.sub_progress(0.0, 0.95), resume, list(job.object_names))  # fmt: skip
    hook = shape_exports.write_flame_hook(export, src, job.output_dir, spec)
    progress.report(1.0, f"wrote {hook.name}")
    return ExportOutcome((*done.written, hook), done.skipped)


def _ensure_kind(kind: str) -> None:
    from ultimate_roto.core.exporters.spec import WHAT_KINDS, WhatKind, register_what

    if kind not in WHAT_KINDS:
        register_what(WhatKind(kind, ("exr", "png", "tiff", "dpx"), False, f"object {kind}"))


class LayerReader:
    """A MediaReader over a layer made by steps (mask, matte, depth) of one object.

    Frames are float32 (H, W, 1): one channel, written as a greyscale PNG/TIFF/DPX or as the
    EXR channel named for the kind (``A`` for masks and mattes, ``Z`` for depth); frames a
    step left empty read as zeros.
    """

    def __init__(self, info: MediaInfo, stores: Stores, kind: str, obj: str | None) -> None:
        self.info = replace(info, channels=1, colorspace_guess="Linear", pixel_type="float")
        self._masks, self._layers = stores.masks, stores.layers
        self._kind, self._obj = kind, obj

    def read(self, frame: int) -> np.ndarray:
        if self._kind == "mask" and self._masks is not None and self._obj is not None:
            layer = self._masks.get(self._obj, frame).astype(np.float32) / 255.0
        else:
            found = self._layers.get(self._kind, frame, self._obj) if self._layers else None
            shape = (self.info.height, self.info.width)
            layer = np.zeros(shape, np.float32) if found is None else found.astype(np.float32)
        return np.ascontiguousarray(layer[..., None])

    def close(self) -> None:
        return None

    def __enter__(self) -> LayerReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Job-file exports of an open document: the GUI's seam into ``export_jobs`` (Qt-free).

``run_job`` makes its masks with steps; a workstation document already has them. This module
builds the :class:`~ultimate_roto.core.jobspec.Job` an export needs (objects by name, the
validated export entries, presets expanded) and runs each entry through
:func:`export_jobs.run_export` with :class:`export_jobs.Stores` whose masks are the
document's: every route a job file has (convert of plate/mask, multi-layer EXR, nuke, ae,
fusion, flame) works the same, including ``resume``.

The object's mask ops (grow/feather, non-destructive in the document) are applied as the
masks are read, as a batch job applies its objects' ``mask_ops``. The document's depth layer
(when it has one: Roto > Compute depth) feeds ``what: depth`` and the ``depth`` / ``normals``
AOVs, normalised per shot exactly as the batch ``depth`` step's layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto.core.engines.maskops import apply_ops, ops_active
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.masks import decode_mask

LogFn = Callable[[str], None]
#: What a document can feed: it has per-object masks (refine writes into them), no mattes.
DOC_WHATS = ("plate", "mask", "layers")
#: What it feeds only when it has a depth layer, and the AOVs that need one.
DEPTH_WHATS = ("depth",)
DEPTH_AOVS = ("depth", "normals")
_NO_DEPTH_HINT = "compute it first (Roto > Compute depth), or leave depth and normals out"


@dataclass(frozen=True)
class DocObject:
    """One object of the document: its name, its masks and its mask-op settings.

    ``masks`` maps frame → a compressed mask (anything with ``bbox`` and ``crop()``, e.g.
    ``EncodedMask``) or a full-frame uint8 array; ``ops`` is ``maskops.apply_ops`` settings.
    """

    name: str
    masks: Mapping[int, Any]
    ops: Mapping[str, float] = field(default_factory=dict)


class DocLayers:
    """The document's float layers as ``Stores.layers`` reads them: only the whole-frame
    ``depth`` (a :class:`~ultimate_roto.core.project.depth.DepthLayer` or anything with
    ``get(frame)``), normalised per shot; None elsewhere."""

    def __init__(self, depth: Any = None) -> None:
        self._depth = depth

    def get(self, kind: str, frame: int, object: str | None = None) -> np.ndarray | None:
        if kind != "depth" or object is not None or self._depth is None:
            return None
        return self._depth.get(int(frame))


class DocMasks:
    """The document's masks keyed by object name, as ``Stores.masks`` reads them."""

    def __init__(self, objects: Sequence[DocObject], shape: tuple[int, int]) -> None:
        self._objects = {o.name: o for o in objects}
        self._shape = shape

    def has(self, name: str, frame: int) -> bool:
        obj = self._objects.get(name)
        return obj is not None and int(frame) in obj.masks

    def get(self, name: str, frame: int) -> np.ndarray:
        """Full-frame uint8 mask with the object's ops applied (zeros where there is none)."""
        obj = self._objects.get(name)
        found = None if obj is None else obj.masks.get(int(frame))
        if found is None:
            return np.zeros(self._shape, np.uint8)
        if isinstance(found, np.ndarray):
            out = np.zeros(self._shape, np.uint8)
            out[...] = found
        else:
            out = decode_mask(found, self._shape)
        if obj is not None and ops_active(obj.ops):
            out = (np.clip(apply_ops(out, obj.ops), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        return out


def build_job(
    entries: Sequence[Mapping[str, Any]],
    *,
    input_path: str,
    output_dir: str | Path,
    object_names: Sequence[str],
    frames: tuple[int, int],
    colorspace: str = "auto",
    has_depth: bool = False,
) -> Any:
    """A validated Job holding ``entries`` (job-file export entries or presets).

    ``has_depth``: the document has a depth layer (``what: depth`` and the depth/normals
    AOVs are allowed; :func:`export_document` then needs it as ``depth``).

    Raises
    ------
    InputError / JobError
        A bad entry (named ``exports[i]``), a kind the document cannot feed (mattes; depth
        without a depth layer), duplicate object names, or a per-object export without
        ``{object}``.
    """
    from ultimate_roto.core import jobspec
    from ultimate_roto.core.engines import exports as engine_exports  # registers mask kinds
    from ultimate_roto.core.exporters.spec import ExportSpec

    if not entries:
        raise InputError("nothing to export", hint="choose a preset or a format")
    if len(set(object_names)) != len(object_names):
        raise InputError(
            "two objects have the same name; exports name files by object",
            hint="rename one of them in the Inspector",
        )
    specs = tuple(ExportSpec.from_dict(e, where=f"exports[{i}]") for i, e in enumerate(entries))
    out = Path(output_dir).expanduser().absolute()
    job = jobspec.Job(
        version=1,
        input=str(input_path),
        output_dir=out,
        base_dir=out,
        frame_range=(int(frames[0]), int(frames[1])),
        colorspace=colorspace,
        objects=tuple(jobspec.ObjectSpec(str(n)) for n in object_names),
        exports=specs,
    )
    for i, spec in enumerate(_expanded(job)):
        _check_feedable(spec, f"exports[{i}]", job.object_names, has_depth)
    # the per-object path checks of the engines' validator, as if the steps had made the data
    steps = ("segment", "depth") if has_depth else ("segment",)
    engine_exports.check_exports(replace(job, steps=steps))
    return job


def _expanded(job: Any) -> list[Any]:
    from ultimate_roto.core.pipeline.export_jobs import expand

    return expand(job)


def _check_feedable(spec: Any, where: str, names: Sequence[str], has_depth: bool) -> None:
    if spec.what in DEPTH_WHATS and not has_depth:
        raise InputError(f"{where}: the document has no depth to export", hint=_NO_DEPTH_HINT)
    if spec.what not in (*DOC_WHATS, *DEPTH_WHATS) and not spec.is_script:
        raise InputError(
            f"{where}: the document has no {spec.what!r} layer to export",
            hint="export 'mask' (Refine writes its mattes into the masks) or the plate",
        )
    if spec.is_script or spec.what == "layers":
        if not names:
            raise InputError(f"{where}: needs objects, and the document has none",
                             hint="add an object in Layers")  # fmt: skip
        if spec.options.get("source") == "matte":
            raise InputError(f"{where}.source 'matte': the document keeps its mattes as masks",
                             hint='use "source": "auto" or "mask"')  # fmt: skip
    if spec.what == "layers":
        from ultimate_roto.core.exporters import layered

        layered.check_export(spec, tuple(names), where)
        bad = [a for a in spec.options["aovs"] if a in DEPTH_AOVS]
        if bad and not has_depth:
            raise InputError(f"{where}.aovs {bad}: the document has no depth",
                             hint=_NO_DEPTH_HINT)  # fmt: skip


def export_document(
    job: Any,
    reader: Any,
    objects: Sequence[DocObject],
    progress: Any,
    *,
    depth: Any = None,
    resume: bool = False,
    log: LogFn | None = None,
) -> list[str]:
    """Write every export of ``job`` (from :func:`build_job`) from the document's masks.

    Parameters
    ----------
    reader
        A MediaReader of the plate (``info`` and ``read(n)``; thread-safe reads).
    objects
        The document's objects, named as in the job.
    depth
        The document's depth layer (``DepthLayer``, immutable: a snapshot) for exports of
        depth or normals; it must cover the job's frames.
    progress
        Split evenly over the exports; cancelling stops between frames (``Cancelled``).
    resume
        Keep the frames an interrupted export of the same entry already finished.

    Returns
    -------
    One line per export: its path and how many files were written / kept.

    Raises
    ------
    InputError
        Frames outside the shot; depth or normals asked for without depth on every frame.
    """
    from ultimate_roto.core.pipeline import export_jobs

    log = log or (lambda _line: None)
    info = reader.info
    colorspace = _colorspace(job, info)
    first, last = job.frame_range
    if first < info.first_frame or last > info.last_frame or last < first:
        raise InputError(
            f"frames {first}-{last} are outside the shot ({info.first_frame}-{info.last_frame})",
            hint="choose frames inside the shot",
        )
    frames = tuple(range(first, last + 1))
    exports = _expanded(job)
    _check_depth_frames(exports, depth, first, last)
    stores = export_jobs.Stores(DocMasks(objects, (info.height, info.width)), DocLayers(depth))
    lines = []
    for j, export in enumerate(exports):
        sub = progress.sub_progress(j / len(exports), (j + 1) / len(exports))
        result = export_jobs.run_export(
            job, export, reader, stores, frames, colorspace, sub, resume, log
        )
        kept = f", kept {len(result.skipped)}" if result.skipped else ""
        lines.append(f"{export.path}: wrote {len(result.written)} file(s){kept}")
        log(lines[-1])
    progress.report(1.0, "done")
    return lines


def _needs_depth(export: Any) -> bool:
    if export.what == "layers":
        return any(a in DEPTH_AOVS for a in export.options["aovs"])
    return export.what in DEPTH_WHATS


def _check_depth_frames(exports: Sequence[Any], depth: Any, first: int, last: int) -> None:
    """InputError unless ``depth`` has every frame ``first..last`` an export needs it on."""
    if not any(_needs_depth(e) for e in exports):
        return
    if depth is None:
        raise InputError("the export needs depth and the document has none", hint=_NO_DEPTH_HINT)
    missing = [f for f in range(first, last + 1) if not depth.has(f)]
    if missing:
        a, b = depth.span
        raise InputError(
            f"depth covers frames {a}-{b}; the export needs it on frames {first}-{last} "
            f"({len(missing)} frame(s) without depth, first {missing[0]})",
            hint=f"set in/out to {first}-{last} and run Roto > Compute depth, or export "
            f"frames {max(a, first)}-{min(b, last)}",
        )


def _colorspace(job: Any, info: Any) -> str:
    if job.colorspace != "auto":
        return job.colorspace
    from ultimate_roto.core.media import colour

    return colour.resolve("auto", info)


class FunctionReader:
    """A MediaReader over a thread-safe ``read(n)`` (e.g. a GUI session's cached frames)."""

    def __init__(self, info: Any, read: Callable[[int], np.ndarray]) -> None:
        self.info = info
        self._read = read

    def read(self, frame: int) -> np.ndarray:
        return self._read(frame)

    def close(self) -> None:
        return None

    def __enter__(self) -> FunctionReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

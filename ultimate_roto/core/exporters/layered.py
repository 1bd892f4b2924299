"""Job-level multi-layer sequence: plate + AOVs per frame, bounded, parallel, resumable.

One file per frame (single-part EXR, or multi-part with one part per layer group), or one file
per layer and frame when the path has ``{layer}`` (EXR, DPX, PNG, TIFF). It shares the convert
pipeline's pieces — path planning and validation (:func:`convert.plan`), the resume state
(:class:`ResumeState`, recorded per finished frame), the per-frame header values
(:func:`encode.frame_metadata`), the atomic writers and the bounded thread pool (at most
``workers`` frames in flight) — and differs only in the per-frame writer, which assembles many
layers (:func:`exr_layers.build_frame`) instead of one image.

Layer names are sanitised once per sequence (:func:`names.sanitize_names`), the renames are
logged, and the Cryptomatte rank count is the export's ``cryptomatte_ranks`` for every frame.
``motion.X/motion.Y`` are the forward optical flow (frame → frame + 1) in pixels (DIS flow,
:mod:`engines.flow`, computed at ≤ 1024 px and scaled up); the last frame of the media has no
successor and gets zero motion.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto.core.errors import JobError, MediaError
from ultimate_roto.core.exporters.atomic import ensure_writable_dir
from ultimate_roto.core.exporters.names import NameMap, sanitize_names
from ultimate_roto.core.exporters.spec import ExportSpec

#: Layer file name per AOV when the path has ``{layer}`` (objects use their legal names).
LAYER_FILES = {"rgba": "rgba", "matte": "matte", "depth": "depth", "normals": "N",
               "motion": "motion", "ids": "id", "cryptomatte": "CryptoObject"}  # fmt: skip
#: AOVs a one-layer-per-file image format (DPX/PNG/TIFF) can hold.
IMAGE_AOVS = ("rgba", "objects", "matte", "depth")
FLOW_MAX_SIDE = 1024
AlphaFn = Callable[[str, int], "np.ndarray | None"]
DataFn = Callable[[int], "np.ndarray | None"]


@dataclass
class Sources:
    """Where the layers come from.

    Attributes
    ----------
    reader
        The plate (:class:`MediaReader`).
    objects
        Object names, in job order.
    alpha
        ``alpha(object, frame)`` → float32 (H, W) in [0, 1] or None (treated as empty).
    depth
        ``depth(frame)`` → float32 (H, W) or None.
    shot
        Shot name for the header.
    """

    reader: Any
    objects: Sequence[str]
    alpha: AlphaFn
    depth: DataFn = lambda _f: None
    shot: str = ""


@dataclass
class Result:
    """What :func:`write_sequence` did (the fields of ``convert.ConvertResult``)."""

    written: tuple[Path, ...]
    skipped: tuple[Path, ...]
    outputs: tuple[Path, ...] = ()
    seconds: float = 0.0
    names: NameMap | None = None
    warnings: tuple[str, ...] = ()


def layer_names(aovs: Sequence[str], names: NameMap, objects: Sequence[str]) -> list[str]:
    """The ``{layer}`` values, in AOV order (one per object for ``objects``)."""
    out: list[str] = []
    for aov in aovs:
        out += [names[o] for o in objects] if aov == "objects" else [LAYER_FILES[aov]]
    return out


def check_export(export: ExportSpec, objects: Sequence[str], where: str = "exports[0]") -> None:
    """Checks that need the job: premultiply names an object, image formats' AOVs.

    Raises
    ------
    JobError
        Naming the key.
    """
    opts = export.options
    if opts["premultiply"] is not None and opts["premultiply"] not in objects:
        raise JobError(
            f"{where}.premultiply: {opts['premultiply']!r} is not an object of the job",
            hint=f"use one of {', '.join(objects) or '(no objects)'}",
        )
    if export.format != "exr":
        bad = [a for a in opts["aovs"] if a not in IMAGE_AOVS]
        if bad:
            raise JobError(
                f"{where}.aovs: {', '.join(bad)} cannot be written as {export.format}",
                hint=f"{export.format} layers: {', '.join(IMAGE_AOVS)}; use exr for the others",
            )
    if not objects and {"objects", "matte", "ids", "cryptomatte"} & set(opts["aovs"]):
        raise JobError(f"{where}.aovs: object AOVs need objects in the job",
                       hint='add "objects", or drop objects/matte/ids/cryptomatte')  # fmt: skip


def plan_paths(
    export: ExportSpec, output_dir: Path, frames: Sequence[int], objects: Sequence[str]
) -> dict[int, list[Path]]:
    """Source frame → the files it writes (validated; nothing touched)."""
    from ultimate_roto.core.pipeline.convert import plan

    if "{layer}" not in export.path:
        return {f: [p] for f, p in zip(frames, plan(export, output_dir, frames), strict=True)}
    names = sanitize_names(objects)
    per = [plan(export, output_dir, frames, layer=n)
           for n in layer_names(export.options["aovs"], names, objects)]  # fmt: skip
    return {f: [paths[i] for paths in per] for i, f in enumerate(frames)}


@dataclass
class _Run:
    export: ExportSpec
    src: Sources
    names: NameMap
    frames: list[int]
    paths: dict[int, list[Path]]
    numbers: dict[int, int]
    colorspace: str
    src_colorspace: str
    read_lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    local: threading.local = field(default_factory=threading.local)
    empty: dict[str, int] = field(default_factory=dict)


def write_sequence(
    export: ExportSpec,
    sources: Sources,
    output_dir: str | Path,
    frames: Sequence[int],
    *,
    src_colorspace: str,
    progress: Any,
    resume: bool = False,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> Result:
    """Write a ``what: layers`` export for ``frames``.

    Parameters
    ----------
    export
        A validated spec (``what == "layers"``).
    sources
        Plate reader and per-object/per-frame data (:class:`Sources`).
    output_dir
        Folder the path template is relative to.
    frames
        Source frame numbers, in order.
    src_colorspace
        The plate's colour space (the rgba layer is converted to the export's).
    progress
        Reports "frame N/M"; cancel stops between frames (no partial files are left).
    resume
        Skip frames a previous run recorded complete whose files all exist.
    workers
        Frames written in parallel (default: the cores, at most 4).
    log
        Receives the renames and empty-matte warnings.

    Raises
    ------
    JobError
        Bad template/options. OutputError: unwritable folder, full disk (finished frames are
        kept and recorded; ``resume`` then writes only the rest). Cancelled.
    """
    from ultimate_roto.core.pipeline.convert import default_workers, output_numbers
    from ultimate_roto.core.pipeline.state import ResumeState, state_key

    started, log = time.monotonic(), log or (lambda _line: None)
    frame_list = [int(f) for f in frames]
    names = sanitize_names(sources.objects)
    for line in names.report():
        log(f"layers: object renamed {line}")
    paths = plan_paths(export, Path(output_dir), frame_list, sources.objects)
    ensure_writable_dir(output_dir)
    for folder in sorted({p.parent for ps in paths.values() for p in ps}):
        ensure_writable_dir(folder)
    key = state_key(export.fingerprint(), sources.reader.info.path, frame_list, src_colorspace,
                    sorted(names.mapping.items()), "layers")  # fmt: skip
    state = ResumeState(output_dir, key, f"{sources.reader.info.path} -> {export.path}")
    numbers = dict(zip(frame_list, output_numbers(export, frame_list), strict=True))
    run = _Run(export, sources, names, frame_list, paths, numbers,
               export.output_colorspace(src_colorspace), src_colorspace)  # fmt: skip
    todo = state.todo(paths, resume)
    written = _run_pool(run, state, todo, progress, workers or default_workers())
    notes = tuple(f"layers: object {o!r} has an empty matte on {n} frame(s)"
                  for o, n in run.empty.items())  # fmt: skip
    for line in notes:
        log(line)
    everything = [p for f in frame_list for p in paths[f]]
    done = set(written)
    return Result(tuple(written), tuple(p for p in everything if p not in done),
                  tuple(everything), time.monotonic() - started, names, notes)  # fmt: skip


def _run_pool(run: _Run, state: Any, todo: list[int], progress: Any, workers: int) -> list[Path]:
    total, finished = len(run.frames), len(run.frames) - len(todo)
    if not todo:
        progress.report(1.0, f"all {finished} frame(s) already written")
        return []
    written: list[Path] = []
    pending: dict[Future[bool], int] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="layers-write")
    queue = list(todo)
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                progress.check_aborted()
                f = queue.pop(0)
                pending[pool.submit(_write_frame, run, f)] = f
            done, _ = wait(list(pending), timeout=0.2, return_when=FIRST_COMPLETED)
            if not done:
                progress.check_aborted()
            for fut in done:
                f = pending.pop(fut)
                if fut.result():
                    state.mark_done(f)
                    written += run.paths[f]
                    finished += 1
                    progress.report(finished / total, f"frame {finished}/{total}")
    except BaseException:
        run.stop.set()
        for fut in pending:
            fut.cancel()
        for fut, f in pending.items():
            if not fut.cancelled() and fut.exception() is None and fut.result():
                state.mark_done(f)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return written


# -- one frame ---------------------------------------------------------------------------------
def _read(run: _Run, frame: int) -> np.ndarray:
    with run.read_lock:  # readers are not thread-safe; decoding is serial, the rest parallel
        return np.asarray(run.src.reader.read(frame), np.float32)


def _motion(run: _Run, frame: int, plate: np.ndarray) -> np.ndarray:
    """Forward flow ``frame → frame + 1`` in pixels, (H, W, 2)."""
    from ultimate_roto.core.engines import flow as F

    h, w = plate.shape[:2]
    info = run.src.reader.info
    if frame + 1 > info.last_frame:
        return np.zeros((h, w, 2), np.float32)
    try:
        nxt = _read(run, frame + 1)
    except MediaError:
        return np.zeros((h, w, 2), np.float32)
    est = getattr(run.local, "flow", None)
    if est is None:  # an OpenCV DIS instance per thread (they are not thread-safe)
        est = run.local.flow = F.FlowEstimator(run.export.options["motion_preset"])
    size = F.work_size(plate.shape, FLOW_MAX_SIDE)
    fwd = est.flow(F.to_gray(plate, size), F.to_gray(nxt, size))
    return np.ascontiguousarray(F.resize_flow(fwd, (h, w)), np.float32)


def _colour(run: _Run, plate: np.ndarray) -> np.ndarray:
    if run.colorspace == run.src_colorspace:
        return plate
    from ultimate_roto.core.media import colour

    return colour.convert(plate, run.src_colorspace, run.colorspace)


def _mattes(run: _Run, frame: int, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    out = {}
    for obj in run.src.objects:
        a = run.src.alpha(obj, frame)
        a = np.zeros(shape, np.float32) if a is None else np.asarray(a, np.float32)
        if not a.any():
            run.empty[obj] = run.empty.get(obj, 0) + 1
        out[obj] = a
    return out


def _assemble(run: _Run, frame: int) -> Any:
    from ultimate_roto.core.exporters.exr_layers import build_frame
    from ultimate_roto.core.pipeline.encode import frame_metadata

    opts = run.export.options
    aovs = opts["aovs"]
    raw = _read(run, frame)
    plate = _colour(run, raw) if "rgba" in aovs else raw
    shape = plate.shape[:2]
    depth = run.src.depth(frame) if {"depth", "normals"} & set(aovs) else None
    normals = None
    if "normals" in aovs and depth is not None:
        from ultimate_roto.core.engines.normals import normals_from_depth

        normals = normals_from_depth(0.05 + np.asarray(depth, np.float32))  # 0 = near
    motion = _motion(run, frame, raw) if "motion" in aovs else None
    meta = frame_metadata(run.src.reader.info, frame, run.numbers[frame])
    with warnings.catch_warnings():  # empty mattes are counted and reported once
        warnings.simplefilter("ignore", UserWarning)
        return build_frame(
            plate=plate, mattes=_mattes(run, frame, shape), aovs=aovs, depth=depth,
            normals=normals, motion=motion, premultiply_by=opts["premultiply"],
            half=opts.get("pixel_type", "half") == "half", ranks=opts["cryptomatte_ranks"],
            names=run.names, shot=run.src.shot, frame=run.numbers[frame],
            fps=meta.get("fps"), timecode=meta.get("timecode"),
        )  # fmt: skip


def _write_frame(run: _Run, frame: int) -> bool:
    if run.stop.is_set():
        return False
    built = _assemble(run, frame)
    built.header["colorspace"] = run.colorspace
    paths = run.paths[frame]
    if "{layer}" in run.export.path:
        _write_layer_files(run, built, paths)
    elif run.export.options["multipart"]:
        write_multipart(paths[0], built, run.export.options["compression"])
    else:
        from ultimate_roto.core.exporters.exr_layers import write_frame

        write_frame(paths[0], built, run.export.options["compression"])
    return True


# -- layout ------------------------------------------------------------------------------------
def group_channels(channels: Sequence[str]) -> dict[str, list[str]]:
    """Channels by layer: ``R,G,B,A`` → "rgba", ``hero.A`` → "hero", ``CryptoObject00.R`` →
    "CryptoObject" (the rank layers stay together), in first-seen order."""
    groups: dict[str, list[str]] = {}
    for name in channels:
        layer = name.rsplit(".", 1)[0] if "." in name else "rgba"
        if layer.startswith("CryptoObject"):
            layer = "CryptoObject"
        groups.setdefault(layer, []).append(name)
    return groups


def write_multipart(path: Path, built: Any, compression: str) -> Path:
    """One part per layer group (``rgba``, each object, ``matte``, ``depth``, ``N``, ``motion``,
    ``id``, ``CryptoObject``); channel names keep their layer prefix. A lossy compression
    (DWAA/DWAB) applies to the ``rgba`` part only; data parts use ZIP."""
    from ultimate_roto.core.exporters.exr import write_exr_parts

    parts = []
    for layer, chans in group_channels(list(built.channels)).items():
        comp = compression if layer == "rgba" or compression not in ("dwaa", "dwab") else "zip"
        sub = {c: built.channels[c] for c in chans}
        parts.append((layer, sub, {c: built.pixel_types[c] for c in chans}, comp))
    return write_exr_parts(path, parts, header=built.header)


def _write_layer_files(run: _Run, built: Any, paths: list[Path]) -> None:
    groups = group_channels(list(built.channels))
    fmt, opts = run.export.format, run.export.options
    wanted = layer_names(opts["aovs"], run.names, run.src.objects)
    for layer, path in zip(wanted, paths, strict=True):
        chans = groups.get(layer, [])
        if fmt == "exr":
            from ultimate_roto.core.exporters.exr import write_exr

            write_exr(path, {c: built.channels[c] for c in chans}, compression=opts["compression"],
                      pixel_types={c: built.pixel_types[c] for c in chans},
                      header=built.header)  # fmt: skip
            continue
        from ultimate_roto.core.exporters.images import write_image

        img = np.stack([built.channels[c] for c in _image_order(chans)], axis=-1)
        write_image(path, img, fmt, opts.get("bit_depth"), compression=opts.get("compression"),
                    metadata={"ultimateroto/layer": layer})  # fmt: skip


def _image_order(chans: list[str]) -> list[str]:
    order = {"R": 0, "G": 1, "B": 2, "A": 3}
    return sorted(chans, key=lambda c: order.get(c.rsplit(".", 1)[-1], 9))

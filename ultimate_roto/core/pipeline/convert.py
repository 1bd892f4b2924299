"""Bounded, resumable convert: decode → process → encode, image sequences in parallel.

Memory stays bounded: a decode thread feeds a small ``queue.Queue`` and at most ``workers``
frames are being processed/written at once, so the whole shot is never held in memory.

Resume: a state file ``<output_dir>/.ultimate_roto/<key>.json`` (the key hashes the export
spec, the input, the frame list and the colour spaces) records completed frames as they
finish. ``resume=True`` skips recorded frames whose files exist; a killed run therefore
redoes at most the frames that were in flight. Video outputs are re-encoded from the start
on resume: an interrupted encode has no index (moov atom / cues) and the encoder's
rate-control and GOP state cannot be restored, so a partial stream cannot be appended to;
only a video recorded complete whose file exists is skipped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto.core.errors import JobError, MediaError
from ultimate_roto.core.exporters import naming
from ultimate_roto.core.exporters.atomic import discard, ensure_writable_dir, partial_path
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.media.types import MediaReader
from ultimate_roto.core.pipeline.decode import DONE, Decoder
from ultimate_roto.core.pipeline.encode import frame_metadata, make_processor, write_frame
from ultimate_roto.core.pipeline.state import ResumeState, state_key

QUEUE_SIZE = 2
ProcessFn = Callable[[int, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ConvertResult:
    """What a convert did.

    Attributes
    ----------
    written
        Files written by this run (for a video: the one file, once complete).
    skipped
        Files kept from an earlier run (``resume=True``).
    outputs
        Every output path of the export, in frame order.
    seconds
        Wall time.
    """

    written: tuple[Path, ...]
    skipped: tuple[Path, ...]
    outputs: tuple[Path, ...] = ()
    seconds: float = 0.0


def default_workers() -> int:
    """Encoder threads for image sequences: the cores, at most 4 (OIIO/OpenEXR drop the GIL)."""
    return max(1, min(4, os.cpu_count() or 1))


def _frame_list(frames: Iterable[int]) -> list[int]:
    try:
        out = [int(f) for f in frames]
    except (TypeError, ValueError) as exc:
        raise JobError(f"frames: {exc}", hint="give whole frame numbers") from None
    if not out:
        raise JobError("frames: the frame range is empty", hint="check the range of the input")
    if len(set(out)) != len(out):
        raise JobError("frames: the frame list repeats a frame", hint="list each frame once")
    return out


def output_numbers(export: ExportSpec, frames: list[int]) -> list[int]:
    """Output frame numbers: renumbered from ``start_frame`` (e.g. 1001) or the source's."""
    start = export.options.get("start_frame")
    return frames if start is None else [start + i for i in range(len(frames))]


def plan(
    export: ExportSpec,
    output_dir: str | Path,
    frames: Iterable[int],
    *,
    object: str | None = None,  # the template field is called {object}
    layer: str | None = None,
) -> list[Path]:
    """The output paths a convert would write, validated, without touching the disk.

    Raises
    ------
    JobError
        Bad template/frames, or two frames mapping onto one file.
    """
    frame_list = _frame_list(frames)
    naming.validate_template(export.path, sequence=not export.is_video)
    root = Path(output_dir)
    if export.is_video:
        return [root / naming.expand(export.path, object=object, layer=layer)]
    paths = [root / naming.expand(export.path, frame=n, object=object, layer=layer)
             for n in output_numbers(export, frame_list)]  # fmt: skip
    if len(set(paths)) != len(paths):
        raise JobError(
            f"path '{export.path}': several frames map onto the same file",
            hint="pad the frame token enough for the range, e.g. ####",
        )
    return paths


@dataclass
class _Job:
    """Everything one convert run shares between its stages."""

    reader: MediaReader
    export: ExportSpec
    frames: list[int]
    outputs: list[Path]
    state: ResumeState
    progress: Any
    process: Callable[[int, np.ndarray], np.ndarray]
    colorspace: str
    metadata: Mapping[str, Any] | None
    done: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    numbers: dict[int, int] = field(default_factory=dict)  # source frame → output number
    paths: dict[int, Path] = field(default_factory=dict)  # source frame → output file

    def __post_init__(self) -> None:
        self.numbers = dict(zip(self.frames, output_numbers(self.export, self.frames), strict=True))
        if not self.export.is_video:
            self.paths = dict(zip(self.frames, self.outputs, strict=True))

    def report(self) -> None:
        """One more frame finished: report "frame N/M"."""
        self.done += 1
        total = len(self.frames)
        self.progress.report(self.done / total, f"frame {self.done}/{total}")


def convert(
    reader: MediaReader,
    export: ExportSpec,
    output_dir: str | Path,
    frames: Iterable[int],
    *,
    src_colorspace: str,
    progress: Any,
    resume: bool = False,
    workers: int | None = None,
    process: ProcessFn | None = None,
    object: str | None = None,  # the template field is called {object}
    layer: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    fingerprint: str = "",
) -> ConvertResult:
    """Convert ``frames`` of ``reader`` into ``export`` under ``output_dir``.

    Parameters
    ----------
    reader
        Source frames (:class:`MediaReader`).
    export
        What/where/how to write (:class:`ExportSpec`).
    output_dir
        Folder the path template is relative to; created if missing.
    frames
        Source frame numbers, in order.
    src_colorspace
        The input's colour space; pixels are converted when the export's differs.
    progress
        A :class:`Progress` (or sub-progress): reports "frame N/M", honours cancel/pause.
    resume
        Skip frames a previous run recorded complete (see the module docstring).
    workers
        Parallel writers for image sequences (default :func:`default_workers`).
    process
        Optional ``process(frame_no, img) -> img`` applied before colour conversion.
    object, layer
        Values for ``{object}``/``{layer}`` in the template.
    metadata
        Extra header strings (shot, ...) for every file.
    fingerprint
        Text folded into the resume key (e.g. engine settings behind ``process``).

    Returns
    -------
    ConvertResult

    Raises
    ------
    JobError
        Bad template or frames. OutputError: output folder unusable (before any work),
        write failure or full disk (finished frames are kept). Cancelled: the progress was
        aborted; no temp files are left.
    """
    started = time.monotonic()
    frame_list = _frame_list(frames)
    outputs = plan(export, output_dir, frame_list, object=object, layer=layer)
    ensure_writable_dir(output_dir)
    for folder in sorted({p.parent for p in outputs}):
        ensure_writable_dir(folder)
    key = state_key(export.fingerprint(), reader.info.path, frame_list, src_colorspace,
                    object, layer, fingerprint)  # fmt: skip
    state = ResumeState(output_dir, key, f"{reader.info.path} -> {export.path}")
    job = _Job(reader, export, frame_list, outputs, state, progress,
               make_processor(export, src_colorspace, process),
               export.output_colorspace(src_colorspace), metadata)  # fmt: skip
    if export.is_video:
        written = _run_video(job, resume)
    else:
        written = _run_sequence(job, resume, workers or default_workers())
    done = set(written)
    skipped = tuple(p for p in outputs if p not in done)
    return ConvertResult(tuple(written), skipped, tuple(outputs), time.monotonic() - started)


# -- image sequences ----------------------------------------------------------------------------
def _todo(job: _Job, resume: bool) -> dict[int, Path]:
    """Source frame → output path still to write (resume drops recorded, existing ones)."""
    todo = job.state.todo({f: (p,) for f, p in job.paths.items()}, resume)
    return {frame: job.paths[frame] for frame in todo}


def _write_one(job: _Job, frame: int, path: Path, img: np.ndarray) -> bool:
    if job.stop.is_set():
        return False
    out = job.process(frame, img)
    del img
    meta = frame_metadata(job.reader.info, frame, job.numbers[frame], job.metadata)
    write_frame(job.export, path, out, meta, job.colorspace)
    return True


def _run_sequence(job: _Job, resume: bool, workers: int) -> list[Path]:
    todo = _todo(job, resume)
    job.done = len(job.frames) - len(todo)
    if not todo:
        job.progress.report(1.0, f"all {job.done} frame(s) already written")
        return []
    pending: dict[Future[bool], int] = {}
    written: list[Path] = []
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convert-encode")
    try:
        with Decoder(job.reader, list(todo), QUEUE_SIZE) as decoder:
            while True:
                while len(pending) >= workers:
                    written += _collect(job, pending, block=True)
                job.progress.check_aborted()
                item = decoder.get(job.progress.check_aborted)
                if item is DONE:
                    break
                frame, img = item
                pending[pool.submit(_write_one, job, frame, todo[frame], img)] = frame
                del item, img
                written += _collect(job, pending, block=False)
            while pending:
                written += _collect(job, pending, block=True)
    except BaseException as exc:
        # A read error leaves the frames already decoded valid: let them finish. A cancel or
        # a write failure (a full disk fails the next writes too) stops the queued ones.
        keep_going = isinstance(exc, MediaError)
        if not keep_going:
            job.stop.set()
        _drain(job, pending, cancel=not keep_going)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    done = set(written)
    return [p for p in job.outputs if p in done]


def _collect(job: _Job, pending: dict[Future[bool], int], *, block: bool) -> list[Path]:
    """Record finished writes; re-raise the first failure. Returns the files written."""
    if not pending:
        return []
    finished, _ = wait(list(pending), timeout=0.2 if block else 0, return_when=FIRST_COMPLETED)
    paths = []
    for fut in finished:
        frame = pending.pop(fut)
        if fut.result():  # raises the worker's error (OutputError, ProcessingError …)
            job.state.mark_done(frame)
            paths.append(job.paths[frame])
            job.report()
    if block and not finished:
        job.progress.check_aborted()
    return paths


def _drain(job: _Job, pending: dict[Future[bool], int], *, cancel: bool) -> None:
    """After a failure or cancel: let running writes end (``cancel`` drops those not yet
    started), record the ones that succeeded."""
    for fut in list(pending) if cancel else ():
        fut.cancel()
    for fut, frame in pending.items():
        if fut.cancelled():
            continue
        try:
            if fut.result():
                job.state.mark_done(frame)
        except BaseException:  # the first error is the one reported
            pass
    pending.clear()


# -- video --------------------------------------------------------------------------------------
def _run_video(job: _Job, resume: bool) -> list[Path]:
    from ultimate_roto.core.exporters.video import VideoWriter

    target = job.outputs[0]
    if resume and job.state.load() >= set(job.frames) and target.is_file():
        job.progress.report(1.0, f"{target.name} already complete")
        return []
    job.state.reset()
    discard(partial_path(target))
    opts = {k: v for k, v in job.export.options.items() if k not in ("start_frame", "colorspace")}
    info = job.reader.info
    meta = frame_metadata(info, job.frames[0], job.numbers[job.frames[0]], job.metadata)
    writer: VideoWriter | None = None
    try:
        with Decoder(job.reader, job.frames, QUEUE_SIZE) as decoder:
            while (item := decoder.get(job.progress.check_aborted)) is not DONE:
                frame, img = item
                out = job.process(frame, img)
                del item, img
                if writer is None:
                    height, width = out.shape[:2]
                    writer = VideoWriter(target, opts.pop("codec"), info.fps, width, height,
                                         colorspace=job.colorspace, timecode=meta.get("timecode"),
                                         metadata={k: v for k, v in meta.items()
                                                   if k not in ("fps", "timecode", "frame")},
                                         **opts)  # fmt: skip
                writer.write(out)
                job.report()
        if writer is not None:
            writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    job.state.mark_done(*job.frames)
    return [target]

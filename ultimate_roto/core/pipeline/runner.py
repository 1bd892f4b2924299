"""Runs a validated job: probe, checks, registered steps in order, then the exports."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ultimate_roto.core.errors import (
    Cancelled,
    InputError,
    JobError,
    OutputError,
    ProcessingError,
    RotoError,
)
from ultimate_roto.core.jobspec import Job, check_against_media
from ultimate_roto.core.pipeline import export_jobs
from ultimate_roto.core.pipeline.steps import LayerStore, StepContext, StepSpec, get_step

if TYPE_CHECKING:
    from ultimate_roto.core.media.types import MediaInfo, MediaReader
    from ultimate_roto.core.progress import Progress, SubProgress

DEVICES = ("auto", "cpu", "cuda", "mps")
FRAME_CACHE_BYTES = 512 * 1024 * 1024

LogFn = Callable[[str], None]


@dataclass(frozen=True)
class JobResult:
    """What a run produced (or, for a dry run, would produce).

    Attributes
    ----------
    outputs
        One line per export: the resolved path template (and, after a run, how many files).
    frames
        Frame numbers processed, in media numbering.
    timings
        Seconds per step and per export, in run order (empty for a dry run).
    cache_stats
        ``CacheStats.summary()`` of the frame cache when one was used, else None.
    colorspace
        The resolved source colorspace.
    work_units
        Frames × passes (steps + exports): what the progress fraction maps to.
    step_results
        What each step recorded in ``StepContext.results`` (engine used, occluded frames …).
    """

    outputs: tuple[str, ...]
    frames: tuple[int, ...]
    timings: dict[str, float] = field(default_factory=dict)
    cache_stats: str | None = None
    colorspace: str = ""
    work_units: int = 0
    dry_run: bool = False
    info: MediaInfo | None = None
    step_results: dict[str, Any] = field(default_factory=dict)


def run_job(
    job: Job,
    progress: Progress | SubProgress,
    *,
    dry_run: bool = False,
    resume: bool = False,
    device: str = "auto",
    log: LogFn | None = None,
    cache_settings: Mapping[str, Any] | None = None,
    on_plan: Callable[[JobResult], None] | None = None,
) -> JobResult:
    """Run ``job``: open the input, run its steps, then write its exports.

    Parameters
    ----------
    job
        A job from :func:`~ultimate_roto.core.jobspec.load_job` / ``parse_job``.
    progress
        Receives the overall fraction; cancelling it stops the run between frames.
    dry_run
        Validate everything (input, frame range, output folders, exports, steps) and return
        the plan without writing anything.
    resume
        Keep outputs an interrupted run already completed and do the rest.
    device
        "auto", "cpu", "cuda" or "mps"; torch is imported only when a step needs a device.
    log
        Receives human-readable lines (plan, timings); default: discarded.
    cache_settings
        Frame-cache budget as ``TieredCache.from_settings`` takes it (``ram_mb``, ``disk_mb``,
        ``disk_dir``; the user settings file's ``cache``); default: 512 MiB of RAM.
    on_plan
        Called with the validated plan (what a dry run returns, and logged like one) before
        any work starts, e.g. to size a progress bar — so callers need no separate dry run.

    Raises
    ------
    InputError
        Bad job, input or device (nothing written).
    ProcessingError
        A failure after work started; outputs finished so far are kept.
    Cancelled
        ``progress`` was aborted; partial files are removed by the writers.
    """
    log = log or _discard
    if device not in DEVICES:
        raise InputError(f"device {device!r} is not known", hint="use one of " + ", ".join(DEVICES))
    from ultimate_roto.core.media import probe

    info = probe(job.input)
    frames = check_against_media(job, info)
    colorspace = _resolve_colorspace(job, info)
    steps = [get_step(name, f"steps[{i}]") for i, name in enumerate(job.steps)]
    _check_writable(job.output_dir, "output_dir")
    exports = export_jobs.expand(job)
    for note in export_jobs.check(job, exports):
        log(note)
    planned = [
        _plan_export(job, spec, i, info, frames, colorspace) for i, spec in enumerate(exports)
    ]
    units = len(frames) * (len(steps) + len(exports))
    plan = JobResult(tuple(planned), frames, {}, None, colorspace, units, True, info)
    if dry_run or on_plan is not None:
        _log_plan(log, job, info, frames, colorspace, planned)
    if dry_run:
        return plan
    if on_plan is not None:
        on_plan(plan)
    # A step that needs torch gets a resolved device; an explicit --device reaches every step
    # (a segment step may run SAM2 on it) once validated; "auto" leaves classical steps alone.
    wants = any(s.needs_device for s in steps) or (steps and device != "auto")
    resolved = _resolve_device(device) if wants else None
    run = _Run(
        job,
        info,
        frames,
        colorspace,
        steps,
        exports,
        resolved,
        progress,
        resume,
        log,
        dict(cache_settings or {}),
    )
    return _execute(run)


def _discard(_line: str) -> None:
    return None


@dataclass(frozen=True)
class _Run:
    """Everything :func:`_execute` needs (validated)."""

    job: Job
    info: MediaInfo
    frames: tuple[int, ...]
    colorspace: str
    steps: list[StepSpec]
    exports: list[Any]
    device: str | None
    progress: Progress | SubProgress
    resume: bool
    log: LogFn
    cache_settings: dict[str, Any]


def _execute(run: _Run) -> JobResult:
    from ultimate_roto.core.media import open_media

    job, info, frames, steps, progress, log = (
        run.job,
        run.info,
        run.frames,
        run.steps,
        run.progress,
        run.log,
    )
    device, colorspace, resume = run.device, run.colorspace, run.resume
    _make_dir(job.output_dir)
    passes = len(steps) + len(run.exports)
    timings: dict[str, float] = {}
    outputs: list[str] = []
    step_results: dict[str, Any] = {}  # shared: steps key their entries by step name
    with open_media(job.input, missing=job.allow_missing_frames) as reader:
        cache, provider = _frame_cache(reader, run.cache_settings) if steps else (None, None)
        store = (_mask_store(info) if steps else None, LayerStore())
        for i, spec in enumerate(steps):
            sub = progress.sub_progress(i / passes, (i + 1) / passes)
            ctx = StepContext(
                job,
                info,
                reader,
                frames,
                store[0],
                store[1],
                sub,
                device,
                log,
                provider,
                step_results,
            )
            with (
                _timed(timings, f"step {spec.name}", log),
                _failure(f"step {spec.name!r}", outputs),
            ):
                spec.fn(ctx)
        stores = export_jobs.Stores(*store)
        for j, export in enumerate(run.exports):
            k = len(steps) + j
            sub = progress.sub_progress(k / passes, (k + 1) / passes)
            label = f"export {j + 1} ({export.path})"
            with _timed(timings, label, log), _failure(label, outputs):
                result = export_jobs.run_export(
                    job, export, reader, stores, frames, colorspace, sub, resume, log
                )
            outputs.append(_describe_output(job, export, result, len(frames)))
        progress.report(1.0, "done")
    stats = cache.stats().summary() if cache is not None else None
    return JobResult(
        tuple(outputs),
        frames,
        timings,
        stats,
        colorspace,
        len(frames) * passes,
        False,
        info,
        step_results,
    )


class _timed:
    """Context manager adding the block's duration to ``timings[name]`` and logging it."""

    def __init__(self, timings: dict[str, float], name: str, log: LogFn) -> None:
        self.timings, self.name, self.log = timings, name, log

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.start
        self.timings[self.name] = self.timings.get(self.name, 0.0) + elapsed
        if exc[0] is None:
            self.log(f"{self.name}: {elapsed:.2f} s")


class _failure:
    """Context manager turning an unexpected error mid-run into :class:`ProcessingError`."""

    def __init__(self, what: str, finished: list[str]) -> None:
        self.what, self.finished = what, finished

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, (Cancelled, InputError)):
            return False
        kept = "; frames finished before the failure are kept"
        if self.finished:
            kept += " (complete: " + ", ".join(self.finished) + ")"
        if isinstance(exc, ProcessingError):
            exc.message = f"{self.what}: {exc.message}{kept}"
            exc.args = (exc.message,)
            exc.hint = (exc.hint + "; " if exc.hint else "") + "then rerun with --resume"
            return False
        if not isinstance(exc, Exception):
            return False
        raise ProcessingError(
            f"{self.what} failed: {type(exc).__name__}: {exc}{kept}",
            hint="fix the cause, then rerun with --resume to keep the finished outputs",
        ) from exc


def _mask_store(info: MediaInfo) -> Any:
    """The document's compressed per-object mask store, sized to the media."""
    from ultimate_roto.core.project.masks import MaskStore

    return MaskStore(info.width, info.height)


def _frame_cache(reader: MediaReader, settings: Mapping[str, Any]) -> tuple[Any, Any]:
    """A frame cache (budget from ``settings``) and provider for the steps."""
    try:
        from ultimate_roto.core.cache import FrameProvider, TieredCache
    except ImportError:
        return None, None
    cache = TieredCache.from_settings(settings) if settings else TieredCache(FRAME_CACHE_BYTES)
    return cache, FrameProvider(reader, cache)


# -- checks ---------------------------------------------------------------------------------
def _resolve_colorspace(job: Job, info: MediaInfo) -> str:
    from ultimate_roto.core.media import colour

    try:
        return colour.resolve(job.colorspace, info)
    except RotoError:
        raise
    except (KeyError, ValueError) as exc:
        raise JobError(
            f"colorspace: cannot resolve {job.colorspace!r} for {job.input}: {exc}",
            hint='name the colorspace explicitly, e.g. "sRGB" or "ACEScg"',
        ) from None


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _check_writable(folder: Path, where: str) -> None:
    """InputError unless ``folder`` exists writable or can be created (nothing is touched)."""
    parent = _nearest_existing(folder)
    if not parent.is_dir():
        raise InputError(
            f"{where}: cannot create {folder}: {parent} is a file, not a folder",
            hint="choose another output folder, or move that file away",
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(
            f"{where}: {folder} is not writable (no write permission on {parent})",
            hint="choose a folder you can write to, or fix its permissions",
        )


def _resolve_device(name: str) -> str:
    """The torch device to use; imports torch (only called when a step needs a device)."""
    try:
        import torch
    except ImportError:
        raise InputError(
            "this job's steps need PyTorch, which is not installed",
            hint="install the ML extras: pip install 'ultimate-roto[ml]'",
        ) from None
    has_cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps is not None and mps.is_available())
    if name == "auto":
        return "cuda" if has_cuda else "mps" if has_mps else "cpu"
    if name == "cuda" and not has_cuda:
        build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
        raise InputError(
            f"--device cuda: CUDA is not available (torch {torch.__version__}, {build})",
            hint="use --device cpu or auto, or install a CUDA build of torch",
        )
    if name == "mps" and not has_mps:
        raise InputError(
            "--device mps: Apple Metal (MPS) is not available on this machine",
            hint="use --device cpu or auto",
        )
    return name


def _make_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the output folder {folder}: {exc.strerror or exc}",
            hint="choose a folder you can write to",
        ) from None


# -- exports --------------------------------------------------------------------------------
def _plan_export(
    job: Job, export: Any, index: int, info: MediaInfo, frames: tuple[int, ...], colorspace: str
) -> str:
    """Check an export's paths and folders without touching them; one line describing it."""
    paths = export_jobs.planned_paths(job, export, frames)
    for folder in sorted({p.parent for p in paths}):
        _check_writable(folder, f"exports[{index}].path")
    return export_jobs.describe_plan(job, export, frames, colorspace)


def _describe_output(job: Job, export: Any, result: Any, frame_count: int) -> str:
    shown = export.path if Path(export.path).is_absolute() else str(job.output_dir / export.path)
    if export.is_video:  # one file per object: count the frames encoded into it
        files = len(result.written)
        if not files and result.skipped:
            return f"{shown}  (complete from an earlier run, kept)"
        return f"{shown}  ({frame_count} frame(s) encoded into {files} file(s))"
    if export.is_script:
        return f"{shown}  ({len(result.written)} file(s) written)"
    written, skipped = len(result.written), len(result.skipped)
    extra = f", {skipped} kept from an earlier run" if skipped else ""
    unit = "file(s)" if export.what == "layers" and "{layer}" in export.path else "frame(s)"
    return f"{shown}  ({written} {unit} written{extra})"


def _log_plan(
    log: LogFn,
    job: Job,
    info: MediaInfo,
    frames: tuple[int, ...],
    colorspace: str,
    planned: list[str],
) -> None:
    span = f"{frames[0]}-{frames[-1]}" if frames else "none"
    log(
        f"input: {job.input} ({info.kind}, {info.width}x{info.height}, {float(info.fps):g} fps, {info.codec})"
    )
    log(f"frames: {span} ({len(frames)}); colorspace: {colorspace}")
    for name in job.steps:
        log(f"step: {name}" + (f" (engine {job.engines[name]})" if name in job.engines else ""))
    for line in planned:
        log(f"export: {line}")

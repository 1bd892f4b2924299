"""Registry of processing steps a job can name ("segment", "propagate" …) and their context."""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ultimate_roto.core.errors import JobError

if TYPE_CHECKING:
    from ultimate_roto.core.jobspec import Job
    from ultimate_roto.core.media.types import MediaInfo, MediaReader
    from ultimate_roto.core.progress import Progress, SubProgress

#: Modules imported (if present) the first time the registry is consulted; each registers its
#: steps with :func:`register_step` at import time. They must import heavy libraries lazily.
BUILTIN_STEP_MODULES: tuple[str, ...] = ("ultimate_roto.core.engines.steps",)
#: Entry-point group third-party packages use to add steps.
ENTRY_POINT_GROUP = "ultimate_roto.steps"

StepFn = Callable[["StepContext"], None]


@dataclass(frozen=True)
class StepSpec:
    """One registered step.

    Attributes
    ----------
    name
        The name a job lists in ``steps``.
    fn
        Called as ``fn(ctx)`` with a :class:`StepContext`; reports through ``ctx.progress``
        and calls ``ctx.progress.check_aborted()`` between frames.
    requires
        Steps that must appear earlier in the job's ``steps`` list.
    needs_device
        True when the step runs a model: the runner resolves ``ctx.device`` (importing torch)
        only for such steps.
    needs_objects
        True when the step works on the job's objects (the job must declare at least one).
    description
        One line for ``--help`` and error messages.
    """

    name: str
    fn: StepFn
    requires: tuple[str, ...] = ()
    needs_device: bool = False
    needs_objects: bool = False
    description: str = ""


class LayerStore:
    """Float layers produced by steps (soft mattes, depth), keyed by kind, object and frame.

    Binary masks go to ``StepContext.masks`` (the document's compressed ``MaskStore``); this
    holds what does not compress that way. Arrays are kept as given (float32 (H, W) usually);
    ``object`` is None for layers that belong to the whole frame (depth).
    """

    def __init__(self) -> None:
        self._data: dict[tuple[str, str | None, int], np.ndarray] = {}
        self._lock = threading.Lock()

    def put(self, kind: str, frame: int, array: np.ndarray, object: str | None = None) -> None:
        """Store ``array`` as layer ``kind`` of ``object`` at ``frame`` (replacing any)."""
        with self._lock:
            self._data[(kind, object, int(frame))] = array

    def get(self, kind: str, frame: int, object: str | None = None) -> np.ndarray | None:
        """The stored array, or None."""
        with self._lock:
            return self._data.get((kind, object, int(frame)))

    def frames(self, kind: str, object: str | None = None) -> list[int]:
        """Sorted frames that have layer ``kind`` for ``object``."""
        with self._lock:
            return sorted(f for k, o, f in self._data if k == kind and o == object)

    def kinds(self) -> list[str]:
        """Layer kinds present, sorted."""
        with self._lock:
            return sorted({k for k, _, _ in self._data})

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[tuple[str, str | None, int]]:
        with self._lock:
            return iter(sorted(self._data, key=lambda k: (k[0], k[1] or "", k[2])))


@dataclass
class StepContext:
    """What a step receives: the job, the media, the frames to process and shared state.

    Attributes
    ----------
    job
        The validated :class:`~ultimate_roto.core.jobspec.Job`.
    info
        The input's :class:`MediaInfo`.
    reader
        An open reader (honouring ``allow_missing_frames``); prefer ``frame_provider`` when
        set, which caches decoded frames.
    frames
        Frame numbers to process, in order (media numbering).
    masks
        Per-object masks keyed by object name: the document's compressed
        ``core.project.masks.MaskStore`` (``set(name, frame, mask)``, ``get(name, frame)``,
        ``frames(name)``), so a step behaves the same in the workstation and in batch.
    layers
        Soft mattes and depth (:class:`LayerStore`) for later steps and the exports.
    progress
        This step's slice of the job progress.
    device
        The resolved torch device name ("cpu", "cuda", "mps") for steps with
        ``needs_device``, or when the user chose a device explicitly; None otherwise.
    log
        Prints a line for the user (verbose output).
    frame_provider
        A ``core.cache.FrameProvider`` when the cache module is available, else None.
    results
        Free-form results keyed by step name (statistics, model ids …), shared by the run's
        steps and returned as ``JobResult.step_results``.
    """

    job: Job
    info: MediaInfo
    reader: MediaReader
    frames: tuple[int, ...]
    masks: Any
    layers: LayerStore
    progress: Progress | SubProgress
    device: str | None = None
    log: Callable[[str], None] = print
    frame_provider: Any = None
    results: dict[str, Any] = field(default_factory=dict)

    def read(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as float32 (H, W, C), from the cache when there is one."""
        if self.frame_provider is not None:
            return self.frame_provider.get(frame)
        return self.reader.read(frame)


_REGISTRY: dict[str, StepSpec] = {}
_LOADED = False
_LOAD_LOCK = threading.Lock()


def register_step(
    name: str,
    fn: StepFn,
    *,
    requires: tuple[str, ...] | list[str] = (),
    needs_device: bool = False,
    needs_objects: bool = False,
    description: str = "",
    replace: bool = False,
) -> StepSpec:
    """Register a step under ``name`` (see :class:`StepSpec` for the parameters).

    Raises
    ------
    ValueError
        If ``name`` is empty or already registered and ``replace`` is False.
    """
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"step name {name!r} must be a non-empty word (letters, digits, _ -)")
    if name in _REGISTRY and not replace:
        raise ValueError(f"step {name!r} is already registered; pass replace=True to override")
    spec = StepSpec(name, fn, tuple(requires), needs_device, needs_objects, description)
    _REGISTRY[name] = spec
    return spec


def unregister_step(name: str) -> None:
    """Remove a step (tests and plugins unloading); unknown names are ignored."""
    _REGISTRY.pop(name, None)


_JOB_VALIDATORS: list[Callable[[Any], None]] = []


def register_job_validator(fn: Callable[[Any], None]) -> None:
    """Register ``fn(job)``, run on every parsed job with steps or non-plate exports.

    Step modules use it to reject, before any work and in ``--dry-run``, what only they can
    judge: engine ids, engines without weights, exports needing a step the job lacks. ``fn``
    raises :class:`~ultimate_roto.core.errors.InputError` naming the key and how to fix it.
    """
    if fn not in _JOB_VALIDATORS:
        _JOB_VALIDATORS.append(fn)


def validate_job_steps(job: Any) -> None:
    """Run every registered job validator (built-in step modules are loaded first)."""
    _load_builtins()
    for fn in list(_JOB_VALIDATORS):
        fn(job)


def _load_builtins() -> None:
    global _LOADED
    with _LOAD_LOCK:
        if _LOADED:
            return
        _LOADED = True
        for module in BUILTIN_STEP_MODULES:
            try:
                found = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                found = False
            if found:
                importlib.import_module(module)
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            ep.load()


def available_steps() -> dict[str, StepSpec]:
    """Every registered step by name (built-in modules and entry points loaded on first use)."""
    _load_builtins()
    return dict(_REGISTRY)


def get_step(name: str, where: str = "steps") -> StepSpec:
    """The step called ``name``.

    Raises
    ------
    JobError
        If no such step is registered; the message lists those available.
    """
    steps = available_steps()
    if name not in steps:
        names = ", ".join(sorted(steps)) or "none"
        raise JobError(
            f"{where}: {name!r} is not available in this version; available: {names}",
            hint="remove it from steps, or install the engines that provide it",
        )
    return steps[name]

"""Engine registry: typed specs by id, lazy loading, and "auto" resolution that says why.

Every engine is described by an :class:`EngineSpec` (``segment.classic``, ``segment.sam2``,
``propagate.flow`` …). Specs are known without importing any heavy library: the factory and the
availability check are ``"module:attr"`` strings imported only when needed.

Where specs come from
---------------------
1. The builtin table :data:`BUILTIN_MODULES`: engine modules of this package. Each module
   exposes ``ENGINES: tuple[EngineSpec, ...]`` and imports torch/cv2/onnxruntime only inside
   functions, so reading the table stays cheap. A listed module that does not exist (yet) is
   skipped. To add an engine, add its module name to the table and define ``ENGINES`` there.
   Modules of this package named ``<task>_*.py`` (``propagate_flow.py``, ``refine_guided.py``)
   are also found by listing the package, so a new engine module works before it is added to
   the table; the table is still needed for frozen bundles, where listing may find nothing.
2. Entry points in the group ``"ultimate_roto.engines"`` (third-party plugins): each loads to an
   ``EngineSpec``, an iterable of them, or a zero-argument callable returning either.
3. :func:`register` at run time (tests, scripts).

Selection
---------
:func:`resolve` with ``"auto"`` picks the available engine of the task with the highest
``priority`` and logs the reason, e.g.
``segment: auto → segment.classic (segment.sam2 unavailable: no weights for ...)``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ultimate_roto.core.errors import InputError, ProcessingError

TASKS = ("segment", "propagate", "refine", "depth", "upscale", "interpolate")
ENTRY_POINT_GROUP = "ultimate_roto.engines"
_PKG = "ultimate_roto.core.engines"
BUILTIN_MODULES: tuple[str, ...] = (
    f"{_PKG}.segment_classic",
    f"{_PKG}.propagate_flow",
    f"{_PKG}.refine_classic",
    f"{_PKG}.segment_sam2",
    f"{_PKG}.segment_sam3",
    f"{_PKG}.segment_text2box",
    f"{_PKG}.propagate_sam2",
    f"{_PKG}.refine_vitmatte",
    f"{_PKG}.depth_anything",
)

_log = logging.getLogger(__name__)
Availability = tuple[bool, str]


@dataclass(frozen=True)
class EngineSpec:
    """Description of one engine.

    Parameters
    ----------
    id
        Unique id ``"<task>.<name>"``, e.g. ``"segment.classic"``.
    task
        One of :data:`TASKS`.
    name, description
        Human-readable name and one-line description.
    factory
        ``"module:attr"`` (or, for run-time registrations, the callable itself);
        ``factory(device=..., **options)`` returns the engine instance.
    needs_gpu
        True when the engine is unusable on CPU (it is then unavailable without CUDA/MPS).
    weights
        Model ids the engine needs (informational; the check decides availability).
    licence
        Licence of code + weights, e.g. ``"Apache-2.0"``.
    check
        ``"module:attr"`` of (or the) zero-argument function returning ``(ok, reason)``;
        None = always available.
    priority
        Higher wins in "auto" resolution.
    reads_text
        True for segment engines that take text prompts ("person in red"); "auto" skips the
        others when a prompt has only text.
    """

    id: str
    task: str
    name: str
    description: str
    factory: str | Callable[..., Any]
    needs_gpu: bool = False
    weights: tuple[str, ...] = ()
    licence: str = ""
    check: str | Callable[[], Availability] | None = None
    priority: int = 0
    reads_text: bool = False

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise InputError(
                f"engine '{self.id}': unknown task '{self.task}'",
                hint="task is one of " + ", ".join(TASKS),
            )
        if not self.id.startswith(self.task + "."):
            raise InputError(
                f"engine '{self.id}': id must start with '{self.task}.'",
                hint="ids look like 'segment.classic'",
            )
        if isinstance(self.factory, str) and ":" not in self.factory:
            raise InputError(
                f"engine '{self.id}': factory '{self.factory}' is not 'module:attr'",
                hint="e.g. 'ultimate_roto.core.engines.segment_classic:ClassicSegmenter'",
            )

    def availability(self) -> Availability:
        """Return ``(ok, reason)``; never raises (a failing check reports its error)."""
        if self.needs_gpu and not _gpu_available():
            return False, "needs a GPU (no CUDA/MPS device found)"
        if self.check is None:
            return True, "ok"
        try:
            check = _load_attr(self.check) if isinstance(self.check, str) else self.check
            ok, reason = check()
        except Exception as exc:  # a broken check must not break resolution
            return False, f"availability check failed: {exc}"
        return bool(ok), str(reason)

    def load_factory(self) -> Callable[..., Any]:
        """Import and return the factory callable."""
        return _load_attr(self.factory) if isinstance(self.factory, str) else self.factory


_specs: dict[str, EngineSpec] = {}
_discovered = False


def register(spec: EngineSpec, *, replace: bool = False) -> EngineSpec:
    """Add a spec; a duplicate id raises unless ``replace`` is True.

    Raises
    ------
    InputError
        The id is already registered.
    """
    _discover()
    if spec.id in _specs and not replace and _specs[spec.id] != spec:
        raise InputError(
            f"engine '{spec.id}' is already registered", hint="pick another id or replace=True"
        )
    _specs[spec.id] = spec
    return spec


def unregister(engine_id: str) -> None:
    """Remove a spec (used by tests); unknown ids are ignored."""
    _discover()
    _specs.pop(engine_id, None)


def list_engines(task: str | None = None) -> list[EngineSpec]:
    """Registered specs, optionally for one task, best priority first."""
    _discover()
    if task is not None:
        _check_task(task)
    specs = [s for s in _specs.values() if task is None or s.task == task]
    return sorted(specs, key=lambda s: (-s.priority, s.id))


def get_spec(engine_id: str) -> EngineSpec:
    """The spec for an id.

    Raises
    ------
    InputError
        Unknown id; the message lists the valid ids.
    """
    _discover()
    try:
        return _specs[engine_id]
    except KeyError:
        raise InputError(
            f"unknown engine '{engine_id}'",
            hint="valid engines: " + (", ".join(sorted(_specs)) or "none registered"),
        ) from None


def resolve(
    task: str,
    engine: str = "auto",
    *,
    log: Callable[[str], None] | None = None,
    needs_text: bool = False,
) -> EngineSpec:
    """Choose the engine for a task.

    Parameters
    ----------
    task
        One of :data:`TASKS`.
    engine
        An engine id, or ``"auto"`` for the best available one by priority.
    log
        Receives one line explaining the choice (default: this module's logger, INFO).
    needs_text
        A prompt has only text: only engines with ``reads_text`` qualify.

    Raises
    ------
    InputError
        Unknown task or id, an id of another task, or an explicitly chosen engine that is
        unavailable (the message gives the reason).
    ProcessingError
        ``"auto"`` and no engine of the task is available.
    """
    _check_task(task)
    say = log or _log.info
    if engine != "auto":
        spec = get_spec(engine)
        if spec.task != task:
            raise InputError(
                f"engine '{engine}' does a '{spec.task}' task, not '{task}'",
                hint="valid engines: " + ", ".join(s.id for s in list_engines(task)),
            )
        ok, reason = spec.availability()
        if not ok:
            raise InputError(f"engine '{engine}' is unavailable: {reason}", hint=_auto_hint(task))
        if needs_text and not spec.reads_text:
            readers = [s.id for s in list_engines(task) if s.reads_text]
            raise InputError(
                f"engine '{engine}' cannot read text prompts",
                hint="draw a box or click points, or use "
                + (" or ".join(readers) if readers else "an engine that reads text"),
            )
        say(f"{task}: {engine} (chosen)")
        return spec
    skipped: list[str] = []
    for spec in list_engines(task):
        if needs_text and not spec.reads_text:
            skipped.append(f"{spec.id} cannot read text")
            continue
        ok, reason = spec.availability()
        if ok:
            why = f" ({'; '.join(skipped)})" if skipped else " (best available)"
            say(f"{task}: auto → {spec.id}{why}")
            return spec
        skipped.append(f"{spec.id} unavailable: {reason}")
    raise ProcessingError(
        f"no '{task}' engine is available"
        + (": " + "; ".join(skipped) if skipped else " (none registered)"),
        hint="install the engine extras (pip install 'ultimate-roto[engines]')",
    )


def create(spec_or_id: EngineSpec | str, device: str = "cpu", **options: Any) -> Any:
    """Instantiate an engine: ``factory(device=device, **options)``.

    Raises
    ------
    InputError
        Unknown id.
    ProcessingError
        The factory module cannot be imported.
    """
    spec = get_spec(spec_or_id) if isinstance(spec_or_id, str) else spec_or_id
    try:
        factory = spec.load_factory()
    except ImportError as exc:
        raise ProcessingError(
            f"engine '{spec.id}' cannot be loaded: {exc}",
            hint="install the package named above, or choose another engine",
        ) from exc
    return factory(device=device, **options)


def _auto_hint(task: str) -> str:
    return f"use engine 'auto' to fall back to an available '{task}' engine"


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise InputError(f"unknown engine task '{task}'", hint="tasks: " + ", ".join(TASKS))


def _load_attr(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _gpu_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    mps = getattr(torch.backends, "mps", None)
    return bool(torch.cuda.is_available() or (mps is not None and mps.is_available()))


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for module in (*BUILTIN_MODULES, *_package_modules()):
        for spec in _module_specs(module):
            _specs.setdefault(spec.id, spec)
    for spec in _entry_point_specs():
        _specs.setdefault(spec.id, spec)


def _package_modules() -> list[str]:
    import pkgutil

    pkg = importlib.import_module(_PKG)
    names = [m.name for m in pkgutil.iter_modules(getattr(pkg, "__path__", []))]
    return sorted(f"{_PKG}.{n}" for n in names if n.split("_", 1)[0] in TASKS and "_" in n)


def _module_specs(module: str) -> list[EngineSpec]:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:  # listed but not written yet
            return []
        _log.warning("engine module %s cannot be imported: %s", module, exc)
        return []
    return list(getattr(mod, "ENGINES", ()))


def _entry_point_specs() -> list[EngineSpec]:
    from importlib.metadata import entry_points

    out: list[EngineSpec] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            out.extend(_as_specs(ep.load()))
        except Exception as exc:  # a broken plugin must not break the app
            _log.warning("engine plugin %s failed to load: %s", ep.name, exc)
    return out


def _as_specs(obj: Any) -> Iterable[EngineSpec]:
    if isinstance(obj, EngineSpec):
        return [obj]
    if callable(obj):
        return _as_specs(obj())
    specs = list(obj)
    if not all(isinstance(s, EngineSpec) for s in specs):
        raise TypeError("entry point must give EngineSpec objects")
    return specs

"""Job steps "segment", "propagate", "refine" and "depth": engines run over a job's frames.

Every step first checks the whole job (:func:`validate_job`: engine ids and availability, the
objects' prompts, mask/matte/depth exports against the steps), so a job that cannot finish
stops with an ``InputError`` (exit 2) before any frame is processed. Heavy libraries load only
inside the engines; the classical engines never import torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ultimate_roto.core.engines import exports
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.pipeline.steps import register_job_validator, register_step

if TYPE_CHECKING:
    from ultimate_roto.core.jobspec import Job
    from ultimate_roto.core.pipeline.steps import StepContext

#: Job step → engine task.
STEP_TASKS = {"segment": "segment", "propagate": "propagate", "refine": "refine", "depth": "depth"}
#: The model the "auto" depth engine wants (named in the install hint).
DEPTH_MODEL = "depth-anything-v2-small"


# -- validation -------------------------------------------------------------------------------
def validate_job(job: Job) -> dict[str, Any]:
    """Check a job's engine steps before any work; returns ``{step: EngineSpec}`` to use.

    Raises
    ------
    InputError
        An unknown engine id (the valid ones are listed), an unavailable engine (with how to
        install it), an object without prompts, or an export whose step is missing.
    """
    chosen = {}
    for step in job.steps:
        if step in STEP_TASKS:
            text = step == "segment" and _needs_text(job)
            chosen[step] = _check_engine(step, job.engines.get(step, "auto"), text)
    if "segment" in job.steps:
        for i, obj in enumerate(job.objects):
            if not obj.prompts:
                raise InputError(
                    f"objects[{i}] '{obj.name}' has no prompts; 'segment' needs at least one",
                    hint='add "prompts": [{"frame": 0, "box": [x0, y0, x1, y1]}]',
                )
    exports.check_exports(job)
    return chosen


def _check_engine(step: str, engine: str, needs_text: bool = False) -> Any:
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.errors import ProcessingError

    task = STEP_TASKS[step]
    valid = ", ".join(["auto", *(s.id for s in registry.list_engines(task))])
    if engine != "auto" and engine not in {s.id for s in registry.list_engines(task)}:
        raise InputError(
            f"engines.{step}: unknown engine '{engine}'", hint=f"valid {task} engines: {valid}"
        )
    try:
        return registry.resolve(task, engine, log=_quiet, needs_text=needs_text)
    except InputError as exc:  # chosen engine unavailable, or unable to read the prompts
        raise InputError(
            f"engines.{step}: {exc.message}",
            hint=f"{_install_hint(task)}; or use another engine ({valid})",
        ) from None
    except ProcessingError as exc:  # "auto" and nothing fits
        raise InputError(f"steps: '{step}': {exc.message}", hint=_install_hint(task)) from None


def _quiet(_line: str) -> None:
    return None


def _needs_text(job: Job) -> bool:
    """Some prompt has text and nothing else to go by (no box, no points)."""
    return any(p.text and not p.box and not p.points for o in job.objects for p in o.prompts)


def _install_hint(task: str) -> str:
    if task == "depth":
        return (
            f"install the depth weights with `python main.py models pull {DEPTH_MODEL}` "
            "(needs torch and transformers), or remove 'depth' from steps"
        )
    return "install the engine's weights (`python main.py models list` shows them)"


# -- shared helpers ---------------------------------------------------------------------------
def _frame_getter(ctx: StepContext) -> Callable[[int], np.ndarray]:
    """Display-referred RGB frames for the engines, through the step's frame cache."""
    from ultimate_roto.core.engines.run_segment import display_rgb
    from ultimate_roto.core.media import colour

    space = colour.resolve(ctx.job.colorspace, ctx.info)
    return lambda n: display_rgb(ctx.read(n), space)


def _engine(ctx: StepContext, step: str, **options: Any) -> tuple[Any, Any]:
    from ultimate_roto.core.engines.run_segment import load_engine

    engine = ctx.job.engines.get(step, "auto")
    task = STEP_TASKS[step]
    text = step == "segment" and _needs_text(ctx.job)
    return load_engine(
        task, engine, device=ctx.device, log=ctx.log, options=options, needs_text=text
    )


def _per_object(ctx: StepContext) -> list[tuple[Any, Any]]:
    """``(object, progress slice)`` for each of the job's objects."""
    n = len(ctx.job.objects)
    return [
        (o, ctx.progress.sub_progress(i / n, (i + 1) / n)) for i, o in enumerate(ctx.job.objects)
    ]


# -- steps ------------------------------------------------------------------------------------
def segment_step(ctx: StepContext) -> None:
    """Each object's prompts → a mask on each prompted frame (into ``ctx.masks``)."""
    from ultimate_roto.core.engines.run_segment import engine_prompts, segment_object

    spec, engine = _engine(ctx, "segment")
    get = _frame_getter(ctx)
    done = {}
    for obj, sub in _per_object(ctx):
        prompts = engine_prompts(obj.prompts, obj.name)
        masks = segment_object(engine, get, prompts, store=ctx.masks, obj=obj.name, progress=sub)
        done[obj.name] = sorted(masks)
        cover = ", ".join(f"{f}: {float(np.mean(m >= 0.5)):.1%}" for f, m in masks.items())
        ctx.log(f"segment '{obj.name}' with {spec.id}: frame coverage {cover}")
    ctx.results["segment"] = {"engine": spec.id, "frames": done}
    if "propagate" not in ctx.job.steps:  # else propagate applies them to every frame
        apply_mask_ops(ctx)


def propagate_step(ctx: StepContext) -> None:
    """Masks from each object's prompted frames, forward and backward over the job's frames."""
    from ultimate_roto.core.engines.run_propagate import TrackReport, propagate_object

    spec, engine = _engine(ctx, "propagate")
    get = _frame_getter(ctx)
    reports = {}
    for obj, sub in _per_object(ctx):
        keys = {f: ctx.masks.get(obj.name, f) for f in sorted({p.frame for p in obj.prompts})}
        report = TrackReport()
        for n, mask, _ in propagate_object(
            engine, get, keys, ctx.frames, report=report, progress=sub
        ):
            if n not in keys:
                ctx.masks.set(obj.name, n, mask)
        reports[obj.name] = report
        ctx.log(f"propagate '{obj.name}' with {spec.id}: {report.summary()}")
    ctx.results["propagate"] = {"engine": spec.id, "tracks": reports}
    apply_mask_ops(ctx)


def apply_mask_ops(ctx: StepContext) -> None:
    """Each object's ``mask_ops`` on its finished masks (after tracking, before refine and the
    exports, so every consumer sees the same cleaned masks; keyframes were tracked raw)."""
    from ultimate_roto.core.engines.maskops import apply_ops

    for obj in ctx.job.objects:
        if not obj.mask_ops:
            continue
        for n in ctx.masks.frames(obj.name):
            mask = apply_ops(ctx.masks.get(obj.name, n).astype(np.float32) / 255.0, obj.mask_ops)
            ctx.masks.set(obj.name, n, np.rint(mask * 255.0).astype(np.uint8))
        ops = ", ".join(f"{k} {v:g}" for k, v in obj.mask_ops.items())
        ctx.log(f"mask ops on '{obj.name}': {ops}")


def refine_step(ctx: StepContext) -> None:
    """Each object's masks → soft mattes (``ctx.layers`` kind "matte")."""
    from ultimate_roto.core.engines.run_refine import refine_object

    spec, engine = _engine(ctx, "refine")
    get = _frame_getter(ctx)
    for obj, sub in _per_object(ctx):
        name = obj.name
        have = set(ctx.masks.frames(name))

        def mask_of(n: int, name: str = name, have: set[int] = have) -> np.ndarray | None:
            return ctx.masks.get(name, n) if n in have else None

        for n, alpha in refine_object(engine, get, mask_of, ctx.frames, obj=name, progress=sub):
            ctx.layers.put("matte", n, alpha, name)
        ctx.log(f"refine '{name}' with {spec.id}: {len(have)} frame(s) with a mask")
    ctx.results["refine"] = {"engine": spec.id}


def depth_step(ctx: StepContext) -> None:
    """Depth of every frame, normalised per shot to [0, 1], 0 = near (``ctx.layers`` "depth")."""
    from ultimate_roto.core.engines.run_refine import depth_frames, depth_range, normalise_depth

    # consistent: engines that can align each frame to the previous one (scale/shift) do so,
    # so the per-shot normalisation below compares like with like across frames
    spec, engine = _engine(ctx, "depth", consistent=True, output="depth")
    raw = dict(depth_frames(engine, _frame_getter(ctx), ctx.frames, progress=ctx.progress))
    lo, hi = depth_range(list(raw.values()))
    for n in list(raw):
        ctx.layers.put("depth", n, normalise_depth(raw.pop(n), lo, hi))
    ctx.log(f"depth with {spec.id}: normalised per shot from [{lo:.4g}, {hi:.4g}] to [0, 1]")
    ctx.results["depth"] = {"engine": spec.id, "range": (lo, hi)}


register_step(
    "segment",
    segment_step,
    needs_objects=True,
    description="each object's prompts → a mask on its prompted frames",
)
register_step(
    "propagate",
    propagate_step,
    requires=("segment",),
    needs_objects=True,
    description="masks carried from the prompted frames to every frame (both directions)",
)
register_step(
    "refine",
    refine_step,
    requires=("segment",),
    needs_objects=True,
    description="masks → soft mattes (layer 'matte')",
)
register_step(
    "depth",
    depth_step,
    needs_device=True,
    description="relative depth of every frame, normalised per shot (layer 'depth')",
)
register_job_validator(validate_job)

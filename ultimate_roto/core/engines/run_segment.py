"""Qt-free segment operations shared by batch steps and GUI jobs: engine loading, prompts → masks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ultimate_roto.core.engines.base import ProgressLike, Prompt, check_image
from ultimate_roto.core.errors import InputError, ProcessingError

#: Colour spaces whose pixels are already display-referred (engines take them as they are).
DISPLAY_SPACES = ("sRGB", "Rec709")
LogFn = Callable[[str], None]


def engine_uses_torch(spec: Any) -> bool:
    """True for engines that run a torch model (they have weights or need a GPU).

    The classical engines (``segment.classic``, ``propagate.flow``, ``refine.classic``) have
    neither and never import torch, so no device is resolved for them.
    """
    return bool(spec.weights) or bool(spec.needs_gpu)


def engine_device(spec: Any, device: str | None) -> str:
    """The device string to build ``spec`` with: ``device`` when given, "cpu" for classical
    engines, else the best torch device (imports torch only then)."""
    if device:
        return device
    if not engine_uses_torch(spec):
        return "cpu"
    from ultimate_roto.core.engines.devices import resolve_device

    dev, _ = resolve_device("auto")
    return str(dev)


def load_engine(
    task: str,
    engine: str = "auto",
    *,
    device: str | None = None,
    log: LogFn | None = None,
    options: dict[str, Any] | None = None,
    needs_text: bool = False,
) -> tuple[Any, Any]:
    """Resolve and build the engine for ``task``.

    Parameters
    ----------
    task
        ``"segment"``, ``"propagate"``, ``"refine"`` or ``"depth"``.
    engine
        An engine id or ``"auto"`` (the registry logs why it picked one).
    device
        A resolved torch device name, or None (see :func:`engine_device`).
    log
        Receives the registry's one-line explanation of the choice.
    options
        Keyword options offered to the engine's factory; those it does not take are dropped
        (e.g. ``consistent=True`` for depth engines that can align a sequence).
    needs_text
        Some prompt has only text: pick an engine that reads text.

    Returns
    -------
    (EngineSpec, engine instance)

    Raises
    ------
    InputError
        Unknown or unavailable engine id. ProcessingError: no engine of the task available.
    """
    from ultimate_roto.core.engines import registry

    spec = registry.resolve(task, engine, log=log, needs_text=needs_text)
    taken = _accepted(spec.load_factory(), options or {})
    return spec, registry.create(spec, device=engine_device(spec, device), **taken)


def _accepted(factory: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``options`` that ``factory`` takes as keywords."""
    import inspect

    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(options)
    return {k: v for k, v in options.items() if k in params}


def display_rgb(frame: np.ndarray, colorspace: str) -> np.ndarray:
    """A frame as the float32 display-referred RGB in [0, 1] engines expect.

    Parameters
    ----------
    frame
        ``(H, W, C)`` float32 as read by ``core.media`` (source encoding).
    colorspace
        The source colour space (resolved, not "auto"); scene-linear sources go through the
        OCIO display transform.
    """
    rgb = check_image(frame)
    if colorspace not in DISPLAY_SPACES:
        from ultimate_roto.core.media import colour

        rgb = colour.to_display(np.ascontiguousarray(rgb), colorspace)[..., :3]
    return np.clip(rgb, 0.0, 1.0).astype(np.float32, copy=False)


def engine_prompts(prompts: Iterable[Any], name: str | None = None) -> list[Prompt]:
    """Job prompts (``jobspec.Prompt``) or engine prompts → engine :class:`~.base.Prompt` s
    labelled with the object ``name`` for error messages."""
    out = []
    for p in prompts:
        points = tuple((float(x), float(y), int(lab)) for x, y, lab in p.points)
        out.append(Prompt(int(p.frame), points, p.box, p.text, name))
    return out


def by_frame(prompts: Iterable[Prompt]) -> dict[int, list[Prompt]]:
    """Prompts grouped by frame, frames ascending."""
    groups: dict[int, list[Prompt]] = {}
    for p in prompts:
        groups.setdefault(int(p.frame), []).append(p)
    return dict(sorted(groups.items()))


def segment_frame(
    segmenter: Any,
    image: np.ndarray,
    prompts: list[Prompt],
    *,
    store: Any = None,
    obj: str | None = None,
    progress: ProgressLike | None = None,
) -> np.ndarray:
    """Segment one object on one frame and (optionally) store the mask.

    Parameters
    ----------
    segmenter
        A ``Segmenter`` engine instance.
    image
        Display-referred float32 RGB of the frame the prompts are on.
    prompts
        That frame's prompts (all with the same ``frame``).
    store
        A ``MaskStore``-like object (``set(obj, frame, mask)``) or None.
    obj
        Object name (for the store and for messages).
    progress
        Checked for cancellation.

    Returns
    -------
    float32 ``(H, W)`` mask in [0, 1].

    Raises
    ------
    InputError
        No prompts, prompts on different frames, or a prompt outside the image.
    ProcessingError
        The engine returned a mask of the wrong size or an empty mask.
    """
    if not prompts:
        raise InputError(f"object '{obj}': no prompts to segment", hint="add a click or a box")
    frames = {p.frame for p in prompts}
    if len(frames) != 1:
        raise InputError(
            f"object '{obj}': segment_frame got prompts of frames {sorted(frames)}",
            hint="segment one frame at a time (group prompts with by_frame)",
        )
    frame = prompts[0].frame
    h, w = image.shape[:2]
    for p in prompts:
        p.validate(w, h)
    if progress is not None:
        progress.check_aborted()
    mask = np.asarray(segmenter.segment(image, prompts, progress=progress), np.float32)
    if mask.shape != (h, w):
        raise ProcessingError(
            f"object '{obj}' frame {frame}: the engine returned a {mask.shape} mask for a "
            f"{w}x{h} image",
            hint="this is an engine bug; choose another segment engine",
        )
    if not (mask >= 0.5).any():
        raise ProcessingError(
            f"object '{obj}' frame {frame}: the segment engine found nothing at the prompts",
            hint="add foreground clicks on the object, or draw a box around it",
        )
    if store is not None:
        store.set(obj, frame, mask)
    return mask


def segment_object(
    segmenter: Any,
    get_frame: Callable[[int], np.ndarray],
    prompts: Iterable[Prompt],
    *,
    store: Any = None,
    obj: str | None = None,
    progress: ProgressLike | None = None,
) -> dict[int, np.ndarray]:
    """Segment an object on every frame it has prompts on.

    ``get_frame(n)`` returns display-referred RGB. Returns ``{frame: mask}``; see
    :func:`segment_frame` for the errors.
    """
    groups = by_frame(prompts)
    out: dict[int, np.ndarray] = {}
    for i, (frame, group) in enumerate(groups.items()):
        sub = None if progress is None else progress.sub_progress(
            i / len(groups), (i + 1) / len(groups))  # fmt: skip
        image = get_frame(frame)
        out[frame] = segment_frame(segmenter, image, group, store=store, obj=obj, progress=sub)
        if sub is not None:
            sub.report(1.0, f"segmented '{obj}' on frame {frame}")
    return out

"""Job file format v1 (JSON or YAML): loading and validation into frozen dataclasses."""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ultimate_roto.core.errors import InputError, JobError
from ultimate_roto.core.job_help import JOB_FORMAT_HELP as JOB_FORMAT_HELP  # re-exported

if TYPE_CHECKING:
    from ultimate_roto.core.media.types import MediaInfo

SUPPORTED_VERSIONS = (1,)
COLORSPACE_CHOICES = ("auto", "sRGB", "Rec709", "ACEScg", "ACES2065-1", "Linear")
MISSING_CHOICES = ("error", "hold", "black")


_TOP_KEYS = (
    "version",
    "input",
    "frame_range",
    "output_dir",
    "colorspace",
    "allow_missing_frames",
    "objects",
    "steps",
    "engines",
    "exports",
)
_OBJECT_KEYS = ("name", "prompts", "mask_ops")
_PROMPT_KEYS = ("frame", "points", "box", "text")


@dataclass(frozen=True)
class Prompt:
    """One prompt on one frame: include/exclude points, a box and/or a text description."""

    frame: int
    points: tuple[tuple[float, float, int], ...] = ()
    box: tuple[float, float, float, float] | None = None
    text: str | None = None


@dataclass(frozen=True)
class ObjectSpec:
    """A named object to roto and the prompts that define it."""

    name: str
    prompts: tuple[Prompt, ...] = ()
    #: Per-object mask clean-up (core.engines.maskops: fill_holes, remove_islands, grow,
    #: feather), applied to the tracked masks before refine and the exports.
    mask_ops: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Job:
    """A validated job (paths absolute). ``exports`` holds ``ExportSpec`` objects."""

    version: int
    input: str
    output_dir: Path
    base_dir: Path
    frame_range: tuple[int, int] | None = None
    colorspace: str = "auto"
    allow_missing_frames: str = "error"
    objects: tuple[ObjectSpec, ...] = ()
    steps: tuple[str, ...] = ()
    engines: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    exports: tuple[Any, ...] = ()
    source: Path | None = None

    @property
    def object_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objects)


# -- small checkers -------------------------------------------------------------------------
def _type_name(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _fail(where: str, message: str, hint: str) -> JobError:
    return JobError(f"{where}: {message}", hint=hint)


def _want(value: Any, kind: type | tuple[type, ...], where: str, what: str, example: str) -> Any:
    ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _tuple(kind))
    if not ok:
        raise _fail(where, f"expected {what}, got {_type_name(value)} {value!r}", f"e.g. {example}")
    return value


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _number(value: Any, where: str, example: str) -> float:
    _want(value, (int, float), where, "a number", example)
    if not math.isfinite(value):
        raise _fail(where, f"{value!r} is not a finite number", f"e.g. {example}")
    return float(value)


def _check_keys(data: Mapping[str, Any], valid: tuple[str, ...], where: str) -> None:
    for key in data:
        if key in valid:
            continue
        close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
        label = f"{where}.{key}" if where else str(key)
        hint = f"did you mean {close[0]!r}?" if close else "valid keys: " + ", ".join(valid)
        raise _fail(label, "unknown key", hint)


def _resolve(base_dir: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


# -- loading --------------------------------------------------------------------------------
def load_job(path: str | Path) -> Job:
    """Read and validate a job file (JSON, or YAML for .yaml/.yml or non-JSON text).

    Raises
    ------
    JobError
        If the file is missing, does not parse (line and column given) or does not validate.
    """
    path = Path(path).expanduser().absolute()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JobError(
            f"job file {path} does not exist", hint="check the path and the current folder"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JobError(
            f"cannot read job file {path}: {exc}", hint="save it as UTF-8 text"
        ) from None
    data = _parse_text(text, path)
    return parse_job(data, path.parent, source=path)


def _parse_text(text: str, path: Path) -> Any:
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    if not is_yaml:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
                raise JobError(
                    f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg})",
                    hint="fix the JSON syntax there (a missing comma or quote, a trailing comma)",
                ) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise JobError(
            f"{path}: {at}invalid YAML ({problem})",
            hint="fix the YAML syntax there (indentation, a missing colon or quote)",
        ) from None


def parse_job(data: Any, base_dir: str | Path, *, source: Path | None = None) -> Job:
    """Validate a decoded job (dict) and return a :class:`Job` with absolute paths.

    Checks that need the media (frame range bounds, prompts inside the image) are done by
    :func:`check_against_media` once the input has been probed.

    Raises
    ------
    JobError
        Naming the key path (``objects[0].prompts[1].frame``) and how to fix it.
    """
    base_dir = Path(base_dir).expanduser().absolute()
    _want(data, dict, "job", "an object {...} at the top level", '{"version": 1, ...}')
    _check_keys(data, _TOP_KEYS, "")
    version = _version(data)
    if "input" not in data:
        raise _fail("input", "missing", 'add "input": "shot.mov" (a video, sequence or folder)')
    inp = _want(data["input"], str, "input", "a path string", '"shot.mov"')
    if not inp.strip():
        raise _fail("input", "is empty", 'give a path, e.g. "plate.####.exr"')
    out = _want(data.get("output_dir", "."), str, "output_dir", "a folder path", '"out"')
    objects = _objects(data.get("objects", []))
    steps = _steps(data.get("steps", []), objects)
    exports = _exports(data.get("exports", []), objects)
    if not steps and not exports:
        raise _fail("exports", "the job has no steps and no exports", "add an export entry")
    job = Job(
        version=version,
        input=str(_resolve(base_dir, inp)),
        output_dir=_resolve(base_dir, out or "."),
        base_dir=base_dir,
        frame_range=_frame_range(data.get("frame_range")),
        colorspace=_colorspace(data.get("colorspace", "auto")),
        allow_missing_frames=_missing(data.get("allow_missing_frames", False)),
        objects=objects,
        steps=steps,
        engines=MappingProxyType(_engines(data.get("engines", {}), steps)),
        exports=exports,
        source=source,
    )
    if steps or any(e.what != "plate" for e in exports):
        from ultimate_roto.core.pipeline.steps import validate_job_steps

        validate_job_steps(job)  # engine ids and availability, exports needing a step
    return job


def _version(data: Mapping[str, Any]) -> int:
    if "version" not in data:
        raise _fail("version", "missing", 'add "version": 1 at the top of the job')
    version = _want(data["version"], int, "version", "a whole number", '"version": 1')
    if version not in SUPPORTED_VERSIONS:
        newest = max(SUPPORTED_VERSIONS)
        hint = (
            "this job was written for a newer Ultimate Roto: upgrade it"
            if version > newest
            else f'use "version": {newest}'
        )
        raise _fail("version", f"{version} is not supported (this version reads {newest})", hint)
    return version


def _frame_range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    where, example = "frame_range", "[1001, 1100]"
    _want(value, list, where, "a list [first, last]", example)
    if len(value) != 2:
        raise _fail(where, f"expected 2 numbers [first, last], got {len(value)}", f"e.g. {example}")
    first = _want(value[0], int, f"{where}[0]", "a whole frame number", example)
    last = _want(value[1], int, f"{where}[1]", "a whole frame number", example)
    if first < 0 or last < 0:
        raise _fail(where, f"{value} has a negative frame", "frame numbers start at 0")
    if first > last:
        raise _fail(where, f"{value} is reversed (first > last)", f"write [{last}, {first}]")
    return first, last


def _colorspace(value: Any) -> str:
    _want(value, str, "colorspace", "a string", '"auto"')
    for name in COLORSPACE_CHOICES:
        if name.lower() == value.lower():
            return name
    raise _fail("colorspace", f"{value!r} is not known", "one of " + ", ".join(COLORSPACE_CHOICES))


def _missing(value: Any) -> str:
    if value is False or value is None:
        return "error"
    if isinstance(value, str) and value.lower() in MISSING_CHOICES:
        return value.lower()
    raise _fail(
        "allow_missing_frames",
        f"{value!r} is not allowed",
        'use false (stop on a gap), "hold" (repeat the previous frame) or "black"',
    )


def _mask_ops(value: Any, where: str) -> Mapping[str, float]:
    if value is None:
        return MappingProxyType({})
    _want(value, dict, where, "an object of mask settings", '{"grow": 2, "feather": 1.5}')
    from ultimate_roto.core.engines.maskops import validate_settings

    try:
        validate_settings(value)
    except JobError:
        raise
    except InputError as exc:
        raise _fail(where, exc.message, exc.hint or "see --help") from None
    return MappingProxyType({k: float(v) for k, v in value.items()})


def _objects(value: Any) -> tuple[ObjectSpec, ...]:
    _want(value, list, "objects", "a list of objects", '[{"name": "hero", "prompts": [...]}]')
    seen: set[str] = set()
    result = []
    for i, obj in enumerate(value):
        where = f"objects[{i}]"
        _want(obj, dict, where, "an object", '{"name": "hero"}')
        _check_keys(obj, _OBJECT_KEYS, where)
        name = _want(obj.get("name"), str, f"{where}.name", "a name string", '"hero"').strip()
        if not name:
            raise _fail(f"{where}.name", "is empty", 'give each object a name, e.g. "hero"')
        if any(c in name for c in '/\\:*?"<>|') or not name.isprintable():
            raise _fail(
                f"{where}.name",
                f"{name!r} has characters not allowed in file names",
                "use letters, digits, - and _",
            )
        if name in seen:
            raise _fail(f"{where}.name", f"{name!r} is used twice", "object names must be unique")
        seen.add(name)
        prompts = _want(obj.get("prompts", []), list, f"{where}.prompts", "a list", "[]")
        result.append(
            ObjectSpec(
                name,
                tuple(_prompt(p, f"{where}.prompts[{j}]") for j, p in enumerate(prompts)),
                _mask_ops(obj.get("mask_ops"), f"{where}.mask_ops"),
            )
        )
    return tuple(result)


def _prompt(value: Any, where: str) -> Prompt:
    _want(value, dict, where, "an object", '{"frame": 12, "points": [[640, 360, 1]]}')
    _check_keys(value, _PROMPT_KEYS, where)
    if "frame" not in value:
        raise _fail(f"{where}.frame", "missing", "say on which frame the prompt is, e.g. 12")
    frame = _want(value["frame"], int, f"{where}.frame", "a whole frame number", "12")
    if frame < 0:
        raise _fail(f"{where}.frame", f"{frame} is negative", "frame numbers start at 0")
    points = _want(value.get("points", []), list, f"{where}.points", "a list", "[[640, 360, 1]]")
    pts = tuple(_point(p, f"{where}.points[{k}]") for k, p in enumerate(points))
    box = _box(value["box"], f"{where}.box") if value.get("box") is not None else None
    text = value.get("text")
    if text is not None:
        text = _want(text, str, f"{where}.text", "a string", '"person in red"').strip() or None
    if not pts and box is None and text is None:
        raise _fail(where, "has no points, box or text", "give at least one of them")
    return Prompt(frame, pts, box, text)


def _point(value: Any, where: str) -> tuple[float, float, int]:
    example = "[640, 360, 1] (x, y, 1 = include / 0 = exclude)"
    _want(value, list, where, "a list [x, y, label]", example)
    if len(value) not in (2, 3):
        raise _fail(where, f"expected [x, y, label], got {len(value)} values", f"e.g. {example}")
    x = _number(value[0], f"{where}[0]", example)
    y = _number(value[1], f"{where}[1]", example)
    label = value[2] if len(value) == 3 else 1
    if label not in (0, 1) or isinstance(label, bool | float):
        raise _fail(f"{where}[2]", f"label {label!r} must be 1 or 0", "1 = include, 0 = exclude")
    return x, y, int(label)


def _box(value: Any, where: str) -> tuple[float, float, float, float]:
    example = "[x0, y0, x1, y1], e.g. [500, 200, 780, 700]"
    _want(value, list, where, "a list [x0, y0, x1, y1]", example)
    if len(value) != 4:
        raise _fail(where, f"expected 4 numbers, got {len(value)}", f"e.g. {example}")
    x0, y0, x1, y1 = (_number(v, f"{where}[{i}]", example) for i, v in enumerate(value))
    if x1 <= x0 or y1 <= y0:
        raise _fail(where, f"{value} is empty or reversed", "x0 < x1 and y0 < y1 (y grows down)")
    return x0, y0, x1, y1


def _steps(value: Any, objects: tuple[ObjectSpec, ...]) -> tuple[str, ...]:
    from ultimate_roto.core.pipeline.steps import get_step

    _want(value, list, "steps", "a list of step names", '["segment", "propagate"]')
    names: list[str] = []
    for i, name in enumerate(value):
        where = f"steps[{i}]"
        _want(name, str, where, "a step name", '"segment"')
        if name in names:
            raise _fail(where, f"{name!r} is listed twice", "list each step once")
        spec = get_step(name, where)
        for needed in spec.requires:
            if needed not in names:
                raise _fail(
                    where,
                    f"{name!r} needs {needed!r} before it",
                    f"add {needed!r} earlier in steps",
                )
        if spec.needs_objects and not objects:
            raise _fail(where, f"{name!r} needs at least one object", 'add "objects" with prompts')
        names.append(name)
    return tuple(names)


def _engines(value: Any, steps: tuple[str, ...]) -> dict[str, str]:
    _want(value, dict, "engines", "an object {step: engine}", '{"segment": "auto"}')
    for step, engine in value.items():
        _want(engine, str, f"engines.{step}", "an engine name", '"auto"')
        if step not in steps:
            raise _fail(
                f"engines.{step}",
                f"step {step!r} is not in steps",
                "add the step to steps, or remove this entry",
            )
    return dict(value)


def _exports(value: Any, objects: tuple[ObjectSpec, ...]) -> tuple[Any, ...]:
    from ultimate_roto.core.exporters.spec import ExportSpec

    example = '[{"format": "exr", "what": "plate", "path": "plates/shot.####.exr"}]'
    _want(value, list, "exports", "a list of exports", example)
    if any(isinstance(e, dict) and e.get("what", "plate") != "plate" for e in value):
        # export kinds other than "plate" are registered by the step modules: load them first
        from ultimate_roto.core.pipeline.steps import available_steps

        available_steps()
    specs = []
    for i, entry in enumerate(value):
        where = f"exports[{i}]"
        _want(entry, dict, where, "an object", example[1:-1])
        path = entry.get("path")
        if isinstance(path, str) and "{object}" in path and not objects:
            raise _fail(
                f"{where}.path",
                "uses {object} but the job has no objects",
                'add "objects", or remove {object} from the path',
            )
        specs.append(ExportSpec.from_dict(entry, where))
    return tuple(specs)


# -- checks against the probed media --------------------------------------------------------
def check_against_media(job: Job, info: MediaInfo) -> tuple[int, ...]:
    """Check the job against the probed input and return the frames to process, in order.

    Raises
    ------
    JobError
        If ``frame_range`` lies outside the media, frames in range are missing while
        ``allow_missing_frames`` is false, or a prompt is off its frame range or off the image.
    """
    first, last = info.first_frame, info.last_frame
    lo, hi = job.frame_range if job.frame_range is not None else (first, last)
    if lo < first or hi > last:
        raise _fail(
            "frame_range",
            f"[{lo}, {hi}] is outside the frames of {job.input} ({first}-{last})",
            f"use a range inside {first}-{last}, or remove frame_range to take every frame",
        )
    missing = [f for f in info.missing_frames if lo <= f <= hi]
    if missing and job.allow_missing_frames == "error":
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        raise _fail(
            "input",
            f"{len(missing)} frame(s) missing from {job.input}: {shown}",
            'set "allow_missing_frames": "hold" or "black", or narrow frame_range',
        )
    for i, obj in enumerate(job.objects):
        for j, prompt in enumerate(obj.prompts):
            _check_prompt(prompt, f"objects[{i}].prompts[{j}]", (lo, hi), info)
    return tuple(range(lo, hi + 1))


def _check_prompt(prompt: Prompt, where: str, span: tuple[int, int], info: MediaInfo) -> None:
    if not span[0] <= prompt.frame <= span[1]:
        raise _fail(
            f"{where}.frame",
            f"{prompt.frame} is outside the frames processed ({span[0]}-{span[1]})",
            "move the prompt to a frame in range, or widen frame_range",
        )
    w, h = info.width, info.height
    for k, (x, y, _) in enumerate(prompt.points):
        if not (0 <= x <= w and 0 <= y <= h):
            raise _fail(
                f"{where}.points[{k}]",
                f"({x:g}, {y:g}) is outside the {w}x{h} image",
                "use source pixels: 0 <= x <= width, 0 <= y <= height",
            )
    if prompt.box is not None:
        x0, y0, x1, y1 = prompt.box
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            raise _fail(
                f"{where}.box",
                f"{list(prompt.box)} goes outside the {w}x{h} image",
                "clip the box to the image (source pixels)",
            )

"""Turn a (current-schema) project dict back into a Document, with errors naming each field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.depth import DEPTH_FORMAT
from ultimate_roto.core.project.document import Document
from ultimate_roto.core.project.model import (
    FramePrompts,
    MaskOps,
    RotoObject,
    Shot,
    is_valid_object_id,
)
from ultimate_roto.core.project.schema import parse_fps

_HINT = "fix that field in the project file, or recover from its autosave / a backup"


def _need(d: Any, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if not isinstance(d, dict):
        raise InputError(f"{where} must be an object", hint=_HINT)
    if key not in d:
        if default is not ...:
            return default
        raise InputError(f"{where}: missing field '{key}'", hint=_HINT)
    value = d[key]
    bad_bool = isinstance(value, bool) and bool not in (
        kind if isinstance(kind, tuple) else (kind,)
    )
    if not isinstance(value, kind) or bad_bool:
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise InputError(f"{where}.{key} must be {names}, got {value!r}", hint=_HINT)
    return value


def shot_from_dict(d: dict[str, Any], source: str, media_path: str) -> Shot:
    """Build the :class:`Shot`; ``media_path`` is already resolved by the caller."""
    where = f"{source}: shot"
    return Shot(
        media_path=media_path,
        in_frame=_need(d, "in_frame", int, where),
        out_frame=_need(d, "out_frame", int, where),
        fps=parse_fps(_need(d, "fps", (str, int), where), where),
        width=_need(d, "width", int, where),
        height=_need(d, "height", int, where),
        colorspace=_need(d, "colorspace", str, where, "sRGB"),
    )


def _frame_key(key: str, where: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise InputError(f"{where}: frame key {key!r} is not an integer", hint=_HINT) from None


def _prompts_from_dict(d: Any, where: str) -> dict[int, FramePrompts]:
    out: dict[int, FramePrompts] = {}
    if not isinstance(d, dict):
        raise InputError(f"{where} must be an object keyed by frame", hint=_HINT)
    for key, fp in d.items():
        w = f"{where}[{key}]"
        points = []
        for p in _need(fp, "points", list, w, []):
            if not (isinstance(p, list) and len(p) == 3 and p[2] in (0, 1)):
                raise InputError(f"{w}.points: bad point {p!r}", hint="points are [x, y, 0|1]")
            points.append((float(p[0]), float(p[1]), int(p[2])))
        boxes = []
        for b in _need(fp, "boxes", list, w, []):
            if not (isinstance(b, list) and len(b) == 4):
                raise InputError(f"{w}.boxes: bad box {b!r}", hint="boxes are [x0, y0, x1, y1]")
            boxes.append(tuple(float(v) for v in b))
        prompts = FramePrompts(points, boxes, _need(fp, "text", str, w, ""))
        if not prompts.is_empty():
            out[_frame_key(key, where)] = prompts
    return out


def object_from_dict(d: Any, where: str) -> RotoObject:
    """Build one :class:`RotoObject` from its JSON form."""
    color = _need(d, "color", list, where)
    if len(color) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in color):
        raise InputError(f"{where}.color must be 3 ints in 0..255, got {color!r}", hint=_HINT)
    ops = _need(d, "mask_ops", dict, where, {})
    w_ops = f"{where}.mask_ops"
    flags = _need(d, "flags", dict, where, {})
    obj_id = _need(d, "id", str, where)
    if not is_valid_object_id(obj_id):
        raise InputError(f"{where}.id {obj_id!r} is not a valid object id", hint=_HINT)
    return RotoObject(
        id=obj_id,
        name=_need(d, "name", str, where),
        color=(color[0], color[1], color[2]),
        visible=_need(d, "visible", bool, where, True),
        locked=_need(d, "locked", bool, where, False),
        engines={str(k): str(v) for k, v in _need(d, "engines", dict, where, {}).items()},
        mask_ops=MaskOps(
            dilate_px=_need(ops, "dilate_px", int, w_ops, 0),
            erode_px=_need(ops, "erode_px", int, w_ops, 0),
            feather_px=float(_need(ops, "feather_px", (int, float), w_ops, 0.0)),
            refine=dict(_need(ops, "refine", dict, w_ops, {})),
        ),
        prompts=_prompts_from_dict(_need(d, "prompts", dict, where, {}), f"{where}.prompts"),
        keyframes={int(f) for f in _need(d, "keyframes", list, where, [])},
        flags={_frame_key(k, where): set(v) for k, v in flags.items() if v},
    )


def document_from_dict(data: dict[str, Any], source: str, media_path: str) -> Document:
    """A :class:`Document` (without masks) from a current-schema project dict."""
    shot = shot_from_dict(_need(data, "shot", dict, source), source, media_path)
    doc = Document(shot)
    seen: set[str] = set()
    with doc.events.blocked():
        for i, od in enumerate(_need(data, "objects", list, source)):
            obj = object_from_dict(od, f"{source}: objects[{i}]")
            if obj.id in seen:
                raise InputError(f"{source}: objects[{i}] repeats id '{obj.id}'", hint=_HINT)
            seen.add(obj.id)
            doc.add_object(obj)
        for key, value in _need(data, "settings", dict, source, {}).items():
            doc.set_setting(key, value)
    return doc


@dataclass(frozen=True)
class DepthMeta:
    """The JSON ``depth`` section: map size, per-shot range, engine and chunk files."""

    width: int
    height: int
    depth_range: tuple[float, float]
    engine: str
    chunk_frames: int
    files: dict[int, str]


def depth_meta_from_dict(d: Any, source: str) -> DepthMeta | None:
    """Parse the ``depth`` section (None or absent: the project has no depth)."""
    if d is None:
        return None
    where = f"{source}: depth"
    fmt = _need(d, "format", str, where)
    if fmt != DEPTH_FORMAT:
        raise InputError(f"{where}.format {fmt!r} is unknown (expected {DEPTH_FORMAT!r})",
                         hint="open the project with a newer Ultimate Roto")  # fmt: skip
    span = _need(d, "range", list, where)
    if len(span) != 2 or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in span
    ):
        raise InputError(f"{where}.range must be two finite numbers, got {span!r}", hint=_HINT)
    files: dict[int, str] = {}
    for key, name in _need(d, "files", dict, where).items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(name, str)):
            raise InputError(f"{where}.files: bad entry {key!r}: {name!r}", hint=_HINT)
        files[int(key)] = name
    if not files:
        raise InputError(f"{where}.files is empty", hint=_HINT)
    return DepthMeta(
        width=_need(d, "width", int, where),
        height=_need(d, "height", int, where),
        depth_range=(float(span[0]), float(span[1])),
        engine=_need(d, "engine", str, where),
        chunk_frames=_need(d, "chunk_frames", int, where),
        files=files,
    )

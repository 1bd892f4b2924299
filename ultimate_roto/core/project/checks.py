"""Checks and normalisation of the values a Document's mutators take (shot fields, object
fields, prompts), with errors that name the field and say what to write instead."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.model import OBJECT_FIELDS, MaskOps

SHOT_FIELDS = ("media_path", "in_frame", "out_frame", "fps", "width", "height", "colorspace")


def normalise_shot(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if "fps" in out:
        fps = Fraction(out["fps"])
        if fps <= 0:
            raise InputError(f"shot fps must be positive, got {out['fps']}", hint="e.g. 24000/1001")
        out["fps"] = fps
    for key in ("in_frame", "out_frame", "width", "height"):
        if key in out:
            out[key] = int(out[key])
    for key in ("width", "height"):
        if key in out and out[key] < 0:
            raise InputError(f"shot {key} must be >= 0, got {out[key]}", hint="use the plate size")
    if "media_path" in out:
        out["media_path"] = str(out["media_path"])
    return out


def check_object_field(obj_id: str, field: str, value: Any) -> Any:
    where = f"object '{obj_id}' field '{field}'"
    if field not in OBJECT_FIELDS:
        raise InputError(f"unknown {where}", hint="fields are " + ", ".join(OBJECT_FIELDS))
    if field == "name":
        if not str(value).strip():
            raise InputError(f"{where} must not be empty", hint="give the object a name")
        return str(value)
    if field == "color":
        rgb = tuple(int(v) for v in value)
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise InputError(
                f"{where} must be 3 ints in 0..255, got {value}", hint="e.g. [255, 0, 0]"
            )
        return rgb
    if field in ("visible", "locked"):
        return bool(value)
    if field == "engines":
        return {str(k): str(v) for k, v in dict(value).items()}
    if not isinstance(value, MaskOps):
        raise InputError(
            f"{where} must be a MaskOps, got {type(value).__name__}", hint="MaskOps(...)"
        )
    return copy.deepcopy(value)


def check_prompt(kind: str, value: Any) -> tuple:
    try:
        nums = [float(v) for v in value]
    except (TypeError, ValueError):
        nums = []
    if kind == "point" and len(nums) == 3 and nums[2] in (0.0, 1.0):
        return (nums[0], nums[1], int(nums[2]))
    if kind == "box" and len(nums) == 4:
        x0, x1 = sorted((nums[0], nums[2]))
        y0, y1 = sorted((nums[1], nums[3]))
        return (x0, y0, x1, y1)
    shape = "[x, y, label] with label 1 (fg) or 0 (bg)" if kind == "point" else "[x0, y0, x1, y1]"
    raise InputError(f"bad {kind} prompt {value!r}", hint=f"a {kind} prompt is {shape}")

"""Plain data of a project: the shot, objects (layers), mask-op settings and prompts."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Literal

Point = tuple[float, float, int]  # x, y, label (1 foreground, 0 background)
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
PromptKind = Literal["point", "box", "text"]
RGB = tuple[int, int, int]

PROMPT_KINDS: tuple[str, ...] = ("point", "box", "text")
OBJECT_FIELDS: tuple[str, ...] = ("name", "color", "visible", "locked", "engines", "mask_ops")
DEFAULT_COLOURS: tuple[RGB, ...] = (
    (255, 80, 80),
    (80, 200, 255),
    (120, 230, 90),
    (255, 200, 60),
    (200, 120, 255),
    (255, 140, 200),
)


@dataclass
class Shot:
    """The plate the project works on.

    ``media_path`` is absolute in memory (or ``""`` for none); it is stored relative to the
    project file on save when possible. ``in_frame``/``out_frame`` are inclusive, in media
    numbering.
    """

    media_path: str = ""
    in_frame: int = 0
    out_frame: int = 0
    fps: Fraction = Fraction(24, 1)
    width: int = 0
    height: int = 0
    colorspace: str = "sRGB"

    def copy(self) -> Shot:
        return replace(self)


@dataclass(frozen=True)
class MaskOps:
    """Post-processing applied to an object's masks: grow/shrink, feather, refine settings."""

    dilate_px: int = 0
    erode_px: int = 0
    feather_px: float = 0.0
    refine: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dilate_px": self.dilate_px,
            "erode_px": self.erode_px,
            "feather_px": self.feather_px,
            "refine": copy.deepcopy(self.refine),
        }


@dataclass
class FramePrompts:
    """The prompts of one object on one frame."""

    points: list[Point] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    text: str = ""

    def is_empty(self) -> bool:
        return not self.points and not self.boxes and not self.text

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [list(p) for p in self.points],
            "boxes": [list(b) for b in self.boxes],
            "text": self.text,
        }


@dataclass
class RotoObject:
    """One object (layer): identity, display, engine choices, mask ops, prompts, keyframes.

    Masks live in the document's :class:`~ultimate_roto.core.project.masks.MaskStore`, not
    here, so an object stays cheap to copy.
    """

    id: str
    name: str
    color: RGB = (255, 80, 80)
    visible: bool = True
    locked: bool = False
    engines: dict[str, str] = field(default_factory=dict)
    mask_ops: MaskOps = field(default_factory=MaskOps)
    prompts: dict[int, FramePrompts] = field(default_factory=dict)
    keyframes: set[int] = field(default_factory=set)
    flags: dict[int, set[str]] = field(default_factory=dict)

    def copy(self) -> RotoObject:
        return copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (frames as string keys, sorted)."""
        return {
            "id": self.id,
            "name": self.name,
            "color": list(self.color),
            "visible": self.visible,
            "locked": self.locked,
            "engines": dict(sorted(self.engines.items())),
            "mask_ops": self.mask_ops.to_dict(),
            "keyframes": sorted(self.keyframes),
            "prompts": {str(f): self.prompts[f].to_dict() for f in sorted(self.prompts)},
            "flags": {str(f): sorted(self.flags[f]) for f in sorted(self.flags)},
        }


_OBJECT_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")


def is_valid_object_id(obj_id: object) -> bool:
    """Ids name sidecar folders: 1-64 of ``A-Z a-z 0-9 _ - .``, not starting with a dot."""
    return isinstance(obj_id, str) and _OBJECT_ID.fullmatch(obj_id) is not None


def new_object_id() -> str:
    """A fresh, stable object id (``obj_`` + 10 hex digits)."""
    return "obj_" + uuid.uuid4().hex[:10]


def fps_to_string(fps: Fraction) -> str:
    """``Fraction(24000, 1001)`` → ``"24000/1001"``; ``Fraction(25)`` → ``"25/1"``."""
    return f"{fps.numerator}/{fps.denominator}"

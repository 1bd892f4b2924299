"""The undoable edits of a document, each storing absolute before/after values or bbox deltas."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ultimate_roto.core.commands.stack import Command
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.document import Document, RemovedObject
from ultimate_roto.core.project.masks import (
    BBox,
    EncodedMask,
    as_uint8_mask,
    encode_mask,
)
from ultimate_roto.core.project.model import DEFAULT_COLOURS, RotoObject, new_object_id

# -- objects -----------------------------------------------------------------------------------


class AddObjectCommand(Command):
    """Add an object (a new one named ``name``, or ``obj``) at ``index``."""

    def __init__(
        self,
        doc: Document,
        name: str | None = None,
        *,
        obj: RotoObject | None = None,
        index: int | None = None,
    ) -> None:
        super().__init__("Add Object")
        self.doc = doc
        self.index = index
        if obj is None:
            n = len(doc.objects)
            obj = RotoObject(
                id=new_object_id(),
                name=name or f"Object {n + 1}",
                color=DEFAULT_COLOURS[n % len(DEFAULT_COLOURS)],
            )
        self.obj = obj
        self._removed: RemovedObject | None = None

    @property
    def obj_id(self) -> str:
        return self.obj.id

    def redo(self) -> None:
        if self._removed is None:
            self.doc.add_object(self.obj, index=self.index)
        else:
            self.doc.restore_object(self._removed)

    def undo(self) -> None:
        self._removed = self.doc.remove_object(self.obj.id)


class DeleteObjectCommand(Command):
    """Delete an object with its prompts, keyframes and masks (all restored on undo)."""

    def __init__(self, doc: Document, obj_id: str) -> None:
        super().__init__(f"Delete {doc.object(obj_id).name}")
        self.doc = doc
        self.obj_id = obj_id
        self._removed: RemovedObject | None = None

    def redo(self) -> None:
        self._removed = self.doc.remove_object(self.obj_id)

    def undo(self) -> None:
        assert self._removed is not None
        self.doc.restore_object(self._removed)


class SetObjectPropertyCommand(Command):
    """Set one object field (``name, color, visible, locked, engines, mask_ops``).

    Commands with the same ``merge_id`` on the same object and field merge (slider drags).
    """

    def __init__(
        self, doc: Document, obj_id: str, field: str, value: Any, merge_id: object = None
    ) -> None:
        super().__init__(f"Set {field.replace('_', ' ').title()}")
        self.doc = doc
        self.obj_id = obj_id
        self.field = field
        self.before = copy.deepcopy(getattr(doc.object(obj_id), field, None))
        self.after = copy.deepcopy(value)
        self.merge_id = merge_id

    def redo(self) -> None:
        self.doc.set_object_field(self.obj_id, self.field, self.after)

    def undo(self) -> None:
        self.doc.set_object_field(self.obj_id, self.field, self.before)

    def merge_with(self, other: Command) -> bool:
        if not (
            isinstance(other, SetObjectPropertyCommand)
            and (other.obj_id, other.field) == (self.obj_id, self.field)
        ):
            return False
        self.after = other.after
        self.obsolete = self.after == self.before
        return True


class RenameObjectCommand(SetObjectPropertyCommand):
    """Rename an object."""

    def __init__(self, doc: Document, obj_id: str, name: str) -> None:
        super().__init__(doc, obj_id, "name", name)
        self.text = "Rename Object"


# -- prompts -----------------------------------------------------------------------------------


class AddPromptCommand(Command):
    """Add a point ``(x, y, label)`` or box ``(x0, y0, x1, y1)``, or set the text prompt."""

    def __init__(self, doc: Document, obj_id: str, frame: int, kind: str, value: Any) -> None:
        labels = {"point": "Add Point", "box": "Add Box", "text": "Set Text Prompt"}
        if kind not in labels:
            raise InputError(f"unknown prompt kind '{kind}'", hint="use point, box or text")
        super().__init__(labels[kind])
        doc.object(obj_id)
        self.doc, self.obj_id, self.frame, self.kind = doc, obj_id, int(frame), kind
        self.value = value
        self.index: int | None = None
        self._old_text = ""

    def redo(self) -> None:
        if self.kind == "text":
            self._old_text = self.doc.set_prompt_text(self.obj_id, self.frame, str(self.value))
        else:
            self.index = self.doc.add_prompt(
                self.obj_id, self.frame, self.kind, self.value, self.index
            )

    def undo(self) -> None:
        if self.kind == "text":
            self.doc.set_prompt_text(self.obj_id, self.frame, self._old_text)
        else:
            assert self.index is not None
            self.doc.remove_prompt(self.obj_id, self.frame, self.kind, self.index)


def _prompt_at(doc: Document, obj_id: str, frame: int, kind: str, index: int) -> tuple:
    fp = doc.prompts(obj_id, frame)
    items = fp.points if kind == "point" else fp.boxes
    if kind not in ("point", "box") or not 0 <= index < len(items):
        raise InputError(
            f"object '{obj_id}' has no {kind} prompt #{index} on frame {frame}",
            hint="pick an existing point or box",
        )
    return items[index]


class MovePromptCommand(Command):
    """Move (replace) a point or box; consecutive moves with one ``merge_id`` merge."""

    def __init__(
        self,
        doc: Document,
        obj_id: str,
        frame: int,
        kind: str,
        index: int,
        value: Any,
        merge_id: object = None,
    ) -> None:
        super().__init__("Move Point" if kind == "point" else "Move Box")
        self.doc, self.obj_id, self.frame, self.kind, self.index = doc, obj_id, frame, kind, index
        self.before = _prompt_at(doc, obj_id, frame, kind, index)
        self.after = tuple(value)
        self.merge_id = merge_id

    def redo(self) -> None:
        self.doc.set_prompt(self.obj_id, self.frame, self.kind, self.index, self.after)
        self.after = _prompt_at(self.doc, self.obj_id, self.frame, self.kind, self.index)

    def undo(self) -> None:
        self.doc.set_prompt(self.obj_id, self.frame, self.kind, self.index, self.before)

    def merge_with(self, other: Command) -> bool:
        if not isinstance(other, MovePromptCommand):
            return False
        if (other.obj_id, other.frame, other.kind, other.index) != (
            self.obj_id,
            self.frame,
            self.kind,
            self.index,
        ):
            return False
        self.after = other.after
        self.obsolete = self.after == self.before
        return True


class DeletePromptCommand(Command):
    """Delete the point or box at ``index`` (re-inserted at the same index on undo)."""

    def __init__(self, doc: Document, obj_id: str, frame: int, kind: str, index: int) -> None:
        super().__init__("Delete Point" if kind == "point" else "Delete Box")
        self.doc, self.obj_id, self.frame, self.kind, self.index = doc, obj_id, frame, kind, index
        self.value = _prompt_at(doc, obj_id, frame, kind, index)

    def redo(self) -> None:
        self.value = self.doc.remove_prompt(self.obj_id, self.frame, self.kind, self.index)

    def undo(self) -> None:
        self.doc.add_prompt(self.obj_id, self.frame, self.kind, self.value, self.index)


# -- keyframes, flags, frame range -------------------------------------------------------------


class SetKeyframeCommand(Command):
    """Add a keyframe on ``frame``."""

    _on = True

    def __init__(self, doc: Document, obj_id: str, frame: int) -> None:
        super().__init__("Set Keyframe" if self._on else "Remove Keyframe")
        doc.object(obj_id)
        self.doc, self.obj_id, self.frame = doc, obj_id, int(frame)
        self._was = False

    def redo(self) -> None:
        self._was = self.doc.set_keyframe(self.obj_id, self.frame, self._on)

    def undo(self) -> None:
        self.doc.set_keyframe(self.obj_id, self.frame, self._was)


class RemoveKeyframeCommand(SetKeyframeCommand):
    """Remove the keyframe on ``frame``."""

    _on = False


class SetFrameFlagCommand(Command):
    """Set or clear a per-frame flag (``"occluded"``) of an object."""

    def __init__(self, doc: Document, obj_id: str, frame: int, flag: str, on: bool = True) -> None:
        super().__init__(f"{'Set' if on else 'Clear'} {flag.title()}")
        doc.object(obj_id)
        self.doc, self.obj_id, self.frame, self.flag, self.on = doc, obj_id, int(frame), flag, on
        self._was = False

    def redo(self) -> None:
        self._was = self.doc.set_frame_flag(self.obj_id, self.frame, self.flag, self.on)

    def undo(self) -> None:
        self.doc.set_frame_flag(self.obj_id, self.frame, self.flag, self._was)


class SetFrameRangeCommand(Command):
    """Change the shot's in/out frames (inclusive)."""

    def __init__(self, doc: Document, in_frame: int, out_frame: int) -> None:
        super().__init__("Set Frame Range")
        if int(out_frame) < int(in_frame):
            raise InputError(
                f"frame range {in_frame}-{out_frame}: the out frame is before the in frame",
                hint="choose an out frame at or after the in frame",
            )
        shot = doc.shot
        self.doc = doc
        self.before = (shot.in_frame, shot.out_frame)
        self.after = (int(in_frame), int(out_frame))

    def redo(self) -> None:
        self.doc.set_frame_range(*self.after)

    def undo(self) -> None:
        self.doc.set_frame_range(*self.before)


# -- masks -------------------------------------------------------------------------------------


class PaintMaskCommand(Command):
    """A brush/eraser stroke: only its bbox with the before/after pixels of that bbox.

    Parameters
    ----------
    before
        The pixels of ``bbox`` before the stroke; read from the document when omitted (pass
        it when the stroke was already drawn live into the document).
    """

    def __init__(
        self,
        doc: Document,
        obj_id: str,
        frame: int,
        bbox: BBox,
        after: np.ndarray,
        before: np.ndarray | None = None,
        text: str = "Paint Mask",
    ) -> None:
        super().__init__(text)
        self.doc, self.obj_id, self.frame = doc, obj_id, int(frame)
        self.bbox: BBox = tuple(int(v) for v in bbox)  # type: ignore[assignment]
        if before is None:
            before = doc.mask_region(obj_id, frame, self.bbox)
        x0, y0, x1, y1 = self.bbox
        for name, arr in (("before", before), ("after", after)):
            if arr.shape != (y1 - y0, x1 - x0) or arr.dtype != np.uint8:
                raise InputError(
                    f"{text}: {name} pixels are {arr.dtype}{arr.shape}, bbox needs "
                    f"uint8{(y1 - y0, x1 - x0)}",
                    hint="pass uint8 crops of exactly the bbox",
                )
        self.before = np.array(before, dtype=np.uint8, copy=True)
        self.after = np.array(after, dtype=np.uint8, copy=True)

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes

    def redo(self) -> None:
        self.doc.set_mask_region(self.obj_id, self.frame, self.bbox, self.after)

    def undo(self) -> None:
        self.doc.set_mask_region(self.obj_id, self.frame, self.bbox, self.before)


class SetEncodedMaskCommand(Command):
    """Make one frame's mask an already-compressed entry (a mask job's result).

    Keeps the old and new entries themselves (immutable, shared with the document and the job,
    never copied): redo and undo swap them with :meth:`Document.set_mask_encoded`, with no
    decoding or compressing. Consecutive commands with one ``merge_id`` on the same frame merge.

    Parameters
    ----------
    entry
        The new mask as :func:`~ultimate_roto.core.project.masks.encode_mask` makes it (tight
        bbox); None clears the frame.
    """

    def __init__(
        self,
        doc: Document,
        obj_id: str,
        frame: int,
        entry: EncodedMask | None,
        text: str = "Set Mask",
        merge_id: object = None,
    ) -> None:
        super().__init__(text)
        doc.object(obj_id)
        self.doc, self.obj_id, self.frame = doc, obj_id, int(frame)
        self.before = doc.masks.encoded(obj_id, self.frame)
        self.after = None if entry is None else doc.masks.check_encoded(entry)
        self.merge_id = merge_id
        self.obsolete = self.before == self.after

    @property
    def nbytes(self) -> int:
        """The compressed sizes of both entries (the undo history's byte budget)."""
        return sum(e.nbytes for e in (self.before, self.after) if e is not None)

    def redo(self) -> None:
        self.doc.set_mask_encoded(self.obj_id, self.frame, self.after)

    def undo(self) -> None:
        self.doc.set_mask_encoded(self.obj_id, self.frame, self.before)

    def merge_with(self, other: Command) -> bool:
        if not (
            isinstance(other, SetEncodedMaskCommand)
            and (other.obj_id, other.frame) == (self.obj_id, self.frame)
        ):
            return False
        self.after = other.after
        self.obsolete = self.after == self.before
        return True


class SetMaskCommand(SetEncodedMaskCommand):
    """An engine result for one frame (a full-frame mask), kept compressed: the undo history
    holds the old and new entries (bbox + zlib), not raw crops of the changed pixels. A mask
    equal to the stored one, pixel for pixel, is obsolete (no undo step)."""

    def __init__(self, doc: Document, obj_id: str, frame: int, mask: np.ndarray) -> None:
        current = doc.mask(obj_id, frame)
        new = as_uint8_mask(mask, current.shape)
        super().__init__(doc, obj_id, frame, encode_mask(new), text="Set Mask")
        self.obsolete = np.array_equal(current, new)

    def redo(self) -> None:
        if not self.obsolete:
            super().redo()

    def undo(self) -> None:
        if not self.obsolete:
            super().undo()

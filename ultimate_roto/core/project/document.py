"""The project document: shot, objects, prompts, keyframes, flags, masks, depth, settings, events."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.events import DocumentEvents, Signal
from ultimate_roto.core.project.checks import (
    SHOT_FIELDS,
    check_object_field,
    check_prompt,
    normalise_shot,
)
from ultimate_roto.core.project.depth import DepthLayer
from ultimate_roto.core.project.masks import BBox, EncodedMask, MaskStore, clip_bbox, union_bbox
from ultimate_roto.core.project.model import (
    DEFAULT_COLOURS,
    FramePrompts,
    RotoObject,
    Shot,
    fps_to_string,
    is_valid_object_id,
    new_object_id,
)


@dataclass(frozen=True)
class RemovedObject:
    """Everything :meth:`Document.remove_object` took out, for an exact restore."""

    obj: RotoObject
    index: int
    masks: dict[int, EncodedMask]


@dataclass(frozen=True)
class DocumentSnapshot:
    """A consistent copy of the document for saving or exporting on another thread."""

    state: dict[str, Any]
    masks: dict[str, dict[int, EncodedMask]]
    versions: dict[tuple[str, int], int]
    revision: int
    depth: DepthLayer | None = None  # immutable, shared with the document


class ProjectEvents(DocumentEvents):
    """:class:`~ultimate_roto.core.events.DocumentEvents` plus ``depth_changed()``: the depth
    layer was replaced or cleared (read :attr:`Document.depth` again)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth_changed = Signal(name="depth_changed")


class Document:
    """The single source of truth a GUI and a batch run edit.

    Every mutator changes the model, bumps :attr:`revision`, marks the document modified and
    then emits the matching signal of :attr:`events`. Views subscribe and never hold the truth.
    User edits should go through :mod:`ultimate_roto.core.commands` so they can be undone;
    the mutators here are the primitives those commands call.

    Mutators are thread-safe against :meth:`snapshot` (autosave runs on a worker thread), but
    the document is meant to be edited from one thread.

    Parameters
    ----------
    shot
        The plate; its width/height fix the mask size.
    """

    def __init__(self, shot: Shot | None = None) -> None:
        self.events = ProjectEvents()
        self._lock = threading.RLock()
        self._shot = shot.copy() if shot is not None else Shot()
        self._objects: list[RotoObject] = []
        self._settings: dict[str, Any] = {}
        self.masks = MaskStore(self._shot.width, self._shot.height)
        self._depth: DepthLayer | None = None
        self.revision = 0
        self._modified = False

    # -- state -----------------------------------------------------------------------------
    @property
    def shot(self) -> Shot:
        """A copy of the shot (change it with :meth:`set_shot`)."""
        return self._shot.copy()

    @property
    def modified(self) -> bool:
        """True when the document differs from the last save (drives ``dirty_changed``)."""
        return self._modified

    def set_modified(self, modified: bool) -> None:
        """Set the modified flag; emits ``dirty_changed`` when it flips."""
        if modified != self._modified:
            self._modified = modified
            self.events.dirty_changed.emit(modified)

    def mark_saved(self, revision: int) -> None:
        """Mark clean if nothing changed since ``revision`` was snapshotted for a save."""
        if revision == self.revision:
            self.set_modified(False)

    @property
    def objects(self) -> tuple[RotoObject, ...]:
        """The objects in layer order (live objects: read them, never mutate them)."""
        return tuple(self._objects)

    @property
    def settings(self) -> dict[str, Any]:
        """A copy of the document-level settings (engine defaults and the like)."""
        return copy.deepcopy(self._settings)

    def object(self, obj_id: str) -> RotoObject:
        """The object with id ``obj_id``; raises InputError naming it when unknown."""
        for obj in self._objects:
            if obj.id == obj_id:
                return obj
        raise InputError(
            f"no object with id '{obj_id}' in the project",
            hint=("pick one of: " + ", ".join(o.id for o in self._objects))
            if self._objects
            else "add an object first",
        )

    def has_object(self, obj_id: str) -> bool:
        return any(o.id == obj_id for o in self._objects)

    def index_of(self, obj_id: str) -> int:
        return self._objects.index(self.object(obj_id))

    def _changed(self) -> None:
        self.revision += 1

    def _after(self) -> None:
        self.set_modified(True)

    # -- shot and settings -----------------------------------------------------------------
    def set_shot(self, **changes: Any) -> dict[str, Any]:
        """Change shot fields; returns their previous values (for undo).

        Changing width/height is refused while masks or depth exist (they would no longer fit).
        """
        unknown = set(changes) - set(SHOT_FIELDS)
        if unknown:
            raise InputError(
                f"unknown shot field(s): {', '.join(sorted(unknown))}",
                hint="shot fields are " + ", ".join(SHOT_FIELDS),
            )
        changes = normalise_shot(changes)
        with self._lock:
            old = {k: getattr(self._shot, k) for k in changes}
            resized = any(changes.get(k, old.get(k)) != old.get(k) for k in ("width", "height"))
            if resized and self.masks.objects():
                raise InputError(
                    "cannot change the shot size while objects have masks",
                    hint="clear the masks first, or start a new project for the new plate",
                )
            if resized and self._depth is not None:
                raise InputError(
                    "cannot change the shot size while the document has depth",
                    hint="clear the depth first (Roto > Clear depth)",
                )
            self._shot = replace(self._shot, **changes)
            if resized:
                self.masks = MaskStore(self._shot.width, self._shot.height)
            self._changed()
        self.events.shot_changed.emit()
        self._after()
        return old

    def set_frame_range(self, in_frame: int, out_frame: int) -> tuple[int, int]:
        """Set the in/out frames (inclusive); returns the previous pair."""
        old = self.set_shot(in_frame=in_frame, out_frame=out_frame)
        return (old["in_frame"], old["out_frame"])

    def set_setting(self, key: str, value: Any) -> Any:
        """Set a document-level setting (``None`` removes it); returns the previous value."""
        with self._lock:
            old = self._settings.get(key)
            if value is None:
                self._settings.pop(key, None)
            else:
                self._settings[key] = copy.deepcopy(value)
            self._changed()
        self.events.settings_changed.emit(key)
        self._after()
        return old

    # -- objects ---------------------------------------------------------------------------
    def add_object(
        self, obj: RotoObject | None = None, *, name: str | None = None, index: int | None = None
    ) -> RotoObject:
        """Add ``obj`` (or a new object named ``name``) at ``index`` (default: on top/end)."""
        if obj is None:
            n = len(self._objects)
            obj = RotoObject(
                id=new_object_id(),
                name=name or f"Object {n + 1}",
                color=DEFAULT_COLOURS[n % len(DEFAULT_COLOURS)],
            )
        if not is_valid_object_id(obj.id):
            raise InputError(
                f"object id {obj.id!r} is not valid",
                hint="use 1-64 letters, digits, '_', '-' or '.', not starting with '.'",
            )
        if self.has_object(obj.id):
            raise InputError(
                f"an object with id '{obj.id}' already exists", hint="use a fresh object id"
            )
        with self._lock:
            pos = len(self._objects) if index is None else max(0, min(index, len(self._objects)))
            self._objects.insert(pos, obj)
            self._changed()
        self.events.object_added.emit(obj.id)
        self._after()
        return obj

    def remove_object(self, obj_id: str) -> RemovedObject:
        """Remove an object with its masks; returns what :meth:`restore_object` needs."""
        obj = self.object(obj_id)
        with self._lock:
            index = self._objects.index(obj)
            del self._objects[index]
            masks = self.masks.pop_object(obj_id)
            self._changed()
        self.events.object_removed.emit(obj_id)
        self._after()
        return RemovedObject(obj, index, masks)

    def restore_object(self, removed: RemovedObject) -> None:
        """Undo :meth:`remove_object` exactly (same position, prompts, masks)."""
        if self.has_object(removed.obj.id):
            raise InputError(
                f"cannot restore object '{removed.obj.id}': it already exists",
                hint="remove the existing object first",
            )
        with self._lock:
            self._objects.insert(min(removed.index, len(self._objects)), removed.obj)
            self.masks.put_object(removed.obj.id, removed.masks)
            self._changed()
        self.events.object_added.emit(removed.obj.id)
        self._after()

    def set_object_field(self, obj_id: str, field: str, value: Any) -> Any:
        """Set one of ``name, color, visible, locked, engines, mask_ops``; returns the old value."""
        obj = self.object(obj_id)
        value = check_object_field(obj_id, field, value)
        with self._lock:
            old = getattr(obj, field)
            setattr(obj, field, value)
            self._changed()
        self.events.object_changed.emit(obj_id, field)
        self._after()
        return copy.deepcopy(old)

    # -- prompts ---------------------------------------------------------------------------
    def prompts(self, obj_id: str, frame: int) -> FramePrompts:
        """A copy of the prompts of ``obj_id`` on ``frame`` (empty when none)."""
        fp = self.object(obj_id).prompts.get(int(frame))
        return copy.deepcopy(fp) if fp is not None else FramePrompts()

    def prompt_frames(self, obj_id: str) -> list[int]:
        return sorted(self.object(obj_id).prompts)

    def add_prompt(
        self, obj_id: str, frame: int, kind: str, value: Any, index: int | None = None
    ) -> int:
        """Insert a point ``(x, y, label)`` or box ``(x0, y0, x1, y1)``; returns its index."""
        items = self._prompt_list(obj_id, frame, kind, create=True)
        value = check_prompt(kind, value)
        with self._lock:
            pos = len(items) if index is None else index
            items.insert(pos, value)
            self._changed()
        self._prompts_done(obj_id, frame)
        return pos

    def remove_prompt(self, obj_id: str, frame: int, kind: str, index: int) -> Any:
        """Remove the point/box at ``index``; returns it."""
        items = self._prompt_list(obj_id, frame, kind)
        self._check_index(obj_id, frame, kind, index, items)
        with self._lock:
            value = items.pop(index)
            self._changed()
        self._prompts_done(obj_id, frame)
        return value

    def set_prompt(self, obj_id: str, frame: int, kind: str, index: int, value: Any) -> Any:
        """Replace the point/box at ``index``; returns the previous value."""
        items = self._prompt_list(obj_id, frame, kind)
        self._check_index(obj_id, frame, kind, index, items)
        value = check_prompt(kind, value)
        with self._lock:
            old = items[index]
            items[index] = value
            self._changed()
        self._prompts_done(obj_id, frame)
        return old

    def set_prompt_text(self, obj_id: str, frame: int, text: str) -> str:
        """Set the text prompt of a frame; returns the previous text."""
        obj = self.object(obj_id)
        with self._lock:
            fp = obj.prompts.setdefault(int(frame), FramePrompts())
            old, fp.text = fp.text, str(text)
            self._changed()
        self._prompts_done(obj_id, frame)
        return old

    def _prompt_list(self, obj_id: str, frame: int, kind: str, create: bool = False) -> list:
        if kind not in ("point", "box"):
            raise InputError(
                f"prompt kind '{kind}' has no list (object '{obj_id}', frame {frame})",
                hint="use 'point' or 'box'; text prompts go through set_prompt_text",
            )
        obj = self.object(obj_id)
        if create:
            fp = obj.prompts.setdefault(int(frame), FramePrompts())
        else:
            fp = obj.prompts.get(int(frame), FramePrompts())
        return fp.points if kind == "point" else fp.boxes

    @staticmethod
    def _check_index(obj_id: str, frame: int, kind: str, index: int, items: list) -> None:
        if not 0 <= index < len(items):
            raise InputError(
                f"object '{obj_id}' has no {kind} prompt #{index} on frame {frame}",
                hint=f"that frame has {len(items)} {kind} prompt(s)",
            )

    def _prompts_done(self, obj_id: str, frame: int) -> None:
        obj = self.object(obj_id)
        fp = obj.prompts.get(int(frame))
        if fp is not None and fp.is_empty():
            del obj.prompts[int(frame)]
        self.events.prompts_changed.emit(obj_id, int(frame))
        self._after()

    # -- keyframes and flags ---------------------------------------------------------------
    def set_keyframe(self, obj_id: str, frame: int, on: bool = True) -> bool:
        """Add (``on``) or remove a keyframe; returns whether it was set before."""
        obj = self.object(obj_id)
        frame = int(frame)
        with self._lock:
            was = frame in obj.keyframes
            if on:
                obj.keyframes.add(frame)
            else:
                obj.keyframes.discard(frame)
            self._changed()
        self.events.keyframes_changed.emit(obj_id)
        self._after()
        return was

    def frame_flags(self, obj_id: str, frame: int) -> frozenset[str]:
        return frozenset(self.object(obj_id).flags.get(int(frame), ()))

    def set_frame_flag(self, obj_id: str, frame: int, flag: str, on: bool = True) -> bool:
        """Set/clear a per-frame flag such as ``"occluded"``; returns the previous state."""
        obj = self.object(obj_id)
        frame = int(frame)
        with self._lock:
            flags = obj.flags.setdefault(frame, set())
            was = flag in flags
            if on:
                flags.add(flag)
            else:
                flags.discard(flag)
            if not flags:
                del obj.flags[frame]
            self._changed()
        self.events.flags_changed.emit(obj_id, frame)
        self._after()
        return was

    # -- masks -----------------------------------------------------------------------------
    def mask(self, obj_id: str, frame: int) -> np.ndarray:
        """The full-frame uint8 mask of ``obj_id`` on ``frame`` (zeros when none)."""
        self.object(obj_id)
        return self.masks.get(obj_id, frame)

    def mask_region(self, obj_id: str, frame: int, bbox: BBox) -> np.ndarray:
        self.object(obj_id)
        return self.masks.get_region(obj_id, frame, bbox)

    def set_mask(self, obj_id: str, frame: int, mask: np.ndarray) -> None:
        """Replace a whole frame's mask (announced with the full-frame bbox)."""
        self.object(obj_id)
        with self._lock:
            self.masks.set(obj_id, frame, mask)
            self._changed()
        self._mask_done(obj_id, frame, (0, 0, self._shot.width, self._shot.height))

    def set_mask_region(self, obj_id: str, frame: int, bbox: BBox, pixels: np.ndarray) -> None:
        """Replace the pixels inside ``bbox`` of one frame's mask."""
        self.object(obj_id)
        with self._lock:
            self.masks.set_region(obj_id, frame, bbox, pixels)
            self._changed()
        self._mask_done(obj_id, frame, tuple(int(v) for v in bbox))

    def set_mask_encoded(
        self, obj_id: str, frame: int, entry: EncodedMask | None
    ) -> EncodedMask | None:
        """Make one frame's mask an already-compressed entry (None clears it), kept as is.

        Nothing is decoded or compressed again: the immutable entry is shared with the caller
        (a job's result, an undo step). Announced with the union of the old and new bboxes,
        which holds every pixel that can have changed; nothing happens when ``entry`` equals
        the stored one. Returns the previous entry.

        Raises InputError for an unknown object or an entry that does not fit the frame.
        """
        self.object(obj_id)
        if entry is not None:
            self.masks.check_encoded(entry)
        with self._lock:
            old = self.masks.encoded(obj_id, frame)
            if old == entry:
                return old
            self.masks.set_encoded(obj_id, frame, entry)
            self._changed()
        bbox = union_bbox(old.bbox if old else None, entry.bbox if entry else None)
        self._mask_done(obj_id, frame, bbox)
        return old

    def _mask_done(self, obj_id: str, frame: int, bbox: tuple) -> None:
        self.events.mask_changed.emit(obj_id, int(frame), bbox)
        self._after()

    def clip_to_frame(self, bbox: BBox) -> BBox | None:
        return clip_bbox(bbox, self._shot.width, self._shot.height)

    # -- depth -----------------------------------------------------------------------------
    @property
    def depth(self) -> DepthLayer | None:
        """The depth layer (immutable; replace it with :meth:`set_depth`), or None."""
        return self._depth

    def set_depth(self, layer: DepthLayer | None) -> DepthLayer | None:
        """Replace the whole depth layer (None clears it); returns the previous layer.

        Raises
        ------
        InputError
            The layer's maps are not the shot's size.
        """
        if layer is not None and (layer.width, layer.height) != (
            self._shot.width,
            self._shot.height,
        ):
            raise InputError(
                f"depth maps are {layer.width}x{layer.height}, the shot is "
                f"{self._shot.width}x{self._shot.height}",
                hint="compute depth on this shot's frames (Roto > Compute depth)",
            )
        with self._lock:
            old, self._depth = self._depth, layer
            self._changed()
        self.events.depth_changed.emit()
        self._after()
        return old

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state without masks (media path absolute, fps as ``"num/den"``)."""
        with self._lock:
            s = self._shot
            return {
                "shot": {
                    "media_path": s.media_path,
                    "in_frame": s.in_frame,
                    "out_frame": s.out_frame,
                    "fps": fps_to_string(s.fps),
                    "width": s.width,
                    "height": s.height,
                    "colorspace": s.colorspace,
                },
                "objects": [o.to_dict() for o in self._objects],
                "settings": copy.deepcopy(self._settings),
            }

    def snapshot(self) -> DocumentSnapshot:
        """A consistent copy of state, (immutable, shared) compressed masks and depth."""
        with self._lock:
            return DocumentSnapshot(
                self.to_dict(),
                self.masks.snapshot(),
                self.masks.versions(),
                self.revision,
                self._depth,
            )

"""Qt bridge to the core Document and CommandStack: edits go through commands, events re-emit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ultimate_roto.core.commands import (
    AddObjectCommand,
    CommandStack,
    DeleteObjectCommand,
    RenameObjectCommand,
    SetObjectPropertyCommand,
)
from ultimate_roto.core.media.types import MediaInfo
from ultimate_roto.core.project import Document, Shot, load_project, save_project
from ultimate_roto.core.project.persist import PROJECT_SUFFIX


class QtProject(QObject):
    """One document and its undo stack; the GUI edits only through these methods."""

    objects_changed = Signal()
    keyframes_changed = Signal(str)
    mask_changed = Signal(str, int, object)  # object id, frame, bbox (x0, y0, x1, y1)
    prompts_changed = Signal(str, int)
    flags_changed = Signal(str, int)
    stack_changed = Signal()
    dirty_changed = Signal(bool)

    def __init__(
        self, doc: Document | None = None, path: str | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.doc = doc if doc is not None else Document()
        self.path = path
        self.stack = CommandStack(document=self.doc)
        ev = self.doc.events
        for signal in (ev.object_added, ev.object_removed):
            signal.connect(self._objects)
        ev.object_changed.connect(self._object_changed)
        ev.keyframes_changed.connect(self._keys)
        ev.mask_changed.connect(self._mask)
        ev.prompts_changed.connect(self._prompts)
        ev.flags_changed.connect(self._flags)
        ev.dirty_changed.connect(self._dirty)
        self.stack.index_changed.connect(self._stack)
        self.stack.clean_changed.connect(self._stack)

    # core events -> Qt signals (core emits synchronously on the GUI thread)
    def _objects(self, _obj_id: str) -> None:
        self.objects_changed.emit()

    def _object_changed(self, _obj_id: str, _field: str) -> None:
        self.objects_changed.emit()

    def _keys(self, obj_id: str) -> None:
        self.keyframes_changed.emit(obj_id)

    def _mask(self, obj_id: str, frame: int, bbox: tuple) -> None:
        self.mask_changed.emit(obj_id, frame, tuple(bbox))

    def _prompts(self, obj_id: str, frame: int) -> None:
        self.prompts_changed.emit(obj_id, frame)

    def _flags(self, obj_id: str, frame: int) -> None:
        self.flags_changed.emit(obj_id, frame)

    def _dirty(self, dirty: bool) -> None:
        self.dirty_changed.emit(dirty)

    def _stack(self, *_args: object) -> None:
        self.stack_changed.emit()

    @classmethod
    def for_media(cls, info: MediaInfo, parent: QObject | None = None) -> QtProject:
        shot = Shot(
            media_path=str(Path(str(info.path)).resolve()) if info.kind else str(info.path),
            in_frame=info.first_frame,
            out_frame=info.last_frame,
            fps=info.fps,
            width=info.width,
            height=info.height,
            colorspace=info.colorspace_guess,
        )
        return cls(Document(shot), None, parent)

    @classmethod
    def load(cls, path: str | Path, parent: QObject | None = None) -> QtProject:
        return cls(load_project(path), str(path), parent)

    # -- edits (undoable) ------------------------------------------------------------------
    def add_object(self, name: str | None = None) -> str:
        cmd = AddObjectCommand(self.doc, name)
        cmd.text = f"Add {cmd.obj.name}"
        self.stack.push(cmd)
        return cmd.obj_id

    def remove_object(self, obj_id: str) -> None:
        self.stack.push(DeleteObjectCommand(self.doc, obj_id))

    def set_visible(self, obj_id: str, visible: bool) -> None:
        if self.doc.object(obj_id).visible != visible:
            name = self.doc.object(obj_id).name
            cmd = SetObjectPropertyCommand(self.doc, obj_id, "visible", visible)
            cmd.text = f"{'Show' if visible else 'Hide'} {name}"
            self.stack.push(cmd)

    def rename(self, obj_id: str, name: str) -> None:
        old = self.doc.object(obj_id).name
        if name and old != name:
            cmd = RenameObjectCommand(self.doc, obj_id, name)
            cmd.text = f"Rename {old} → {name}"
            self.stack.push(cmd)

    def set_property(
        self,
        obj_id: str,
        field: str,
        value: object,
        merge: object | None = None,
        label: str | None = None,
    ) -> None:
        """Set an object field through a command (``merge``: one undo step per spin/drag;
        ``label``: the History's name for it, "Set <object> <Field>" when not given)."""
        obj = self.doc.object(obj_id)
        if getattr(obj, field) == value:
            return
        merge_id = None if merge is None else (obj_id, merge)
        cmd = SetObjectPropertyCommand(self.doc, obj_id, field, value, merge_id=merge_id)
        if label is None:
            names = {"color": "Colour", "engines": "Engines", "mask_ops": "Mask Settings"}
            label = f"Set {obj.name} {names.get(field, field.replace('_', ' ').title())}"
        cmd.text = label
        self.stack.push(cmd)

    def undo(self) -> None:
        self.stack.undo()

    def redo(self) -> None:
        self.stack.redo()

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path | None = None) -> str:
        target = Path(path or self.path or "")
        if not str(target) or str(target) == ".":
            raise ValueError("the project has no file name yet: use Save As")
        if target.suffix != PROJECT_SUFFIX:
            target = target.with_suffix(PROJECT_SUFFIX)
        save_project(self.doc, target)
        self.path = str(target)
        self.stack.set_clean()
        return self.path


def is_project_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() == PROJECT_SUFFIX

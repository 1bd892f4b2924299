"""Viewport tools: Qt mouse signals → core ToolEvents → the current tool's ToolDriver."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from ultimate_roto.core.commands import CommandStack
from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.project import Document
from ultimate_roto.core.tools import (
    BoxPromptTool,
    BrushTool,
    EraserTool,
    MoveTool,
    PointPromptTool,
    RotateTool,
    ScaleTool,
    Tool,
    ToolContext,
    ToolDriver,
    ToolEvent,
    pick_object,
)

PROMPT_TOOLS = ("point", "box", "move")
# how near (screen pixels) a press grabs a prompt point, corner or edge
PICK_RADIUS_PX = MoveTool.default_pick_radius
TRANSFORM_TOOLS = (RotateTool, ScaleTool)
_BUTTONS = {
    Qt.MouseButton.LeftButton.value: "left",
    Qt.MouseButton.MiddleButton.value: "middle",
    Qt.MouseButton.RightButton.value: "right",
}
_MODIFIERS = {
    Qt.KeyboardModifier.AltModifier.value: "alt",
    Qt.KeyboardModifier.ShiftModifier.value: "shift",
    Qt.KeyboardModifier.ControlModifier.value: "ctrl",
}


def tool_event(kind: str, x: float, y: float, buttons: int, modifiers: int) -> ToolEvent:
    """A core ToolEvent from the viewport's (image x, y, Qt buttons, Qt modifiers)."""
    pressed = frozenset(n for bit, n in _BUTTONS.items() if buttons & bit)
    mods = frozenset(n for bit, n in _MODIFIERS.items() if modifiers & bit)
    return ToolEvent(kind, float(x), float(y), pressed, mods)  # type: ignore[arg-type]


class QtToolController(QObject):
    """Owns the ToolContext and the tools; the window feeds it viewport events.

    Signals: ``prompts_edited(obj_id, frame)`` once a drag that changed prompts has ended
    (the window then re-segments: never mid-drag), ``mask_corrected(obj_id, frame)`` after a
    brush/eraser/transform/mask-move edit, ``drag_finished()`` last of all when a drag ends,
    ``object_picked(obj_id)`` from the select tool, ``preview_changed()`` while a box is
    dragged, ``message(text)`` for the status bar.
    """

    prompts_edited = Signal(str, int)
    mask_corrected = Signal(str, int)  # a brush/eraser/transform edit finished (obj, frame)
    drag_finished = Signal()  # a drag ended (released or cancelled): deferred work may run
    object_picked = Signal(str)
    preview_changed = Signal()
    message = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx: ToolContext | None = None
        self.name = "select"
        self.brush_size = 24.0
        self._index_at_press = -2  # stack index when the current stroke began
        self.brush_hardness = 0.8
        self.driver: ToolDriver | None = None
        self.view_zoom = 1.0  # viewport zoom (screen px per image px) for the pick radius
        self._edited: set[tuple[str, int]] = set()
        self._doc: Document | None = None

    # -- state -----------------------------------------------------------------------------
    def set_document(self, doc: Document | None, stack: CommandStack | None) -> None:
        self.cancel()
        if self._doc is not None:
            self._doc.events.prompts_changed.disconnect(self._prompts_changed)
        self._doc = doc
        self.ctx = ToolContext(doc, stack) if doc is not None and stack is not None else None
        self.set_view_zoom(self.view_zoom)
        if doc is not None:
            doc.events.prompts_changed.connect(self._prompts_changed)
        self.driver = None

    def set_object(self, obj_id: str | None) -> None:
        if self.ctx is not None:
            self.cancel()
            self.ctx.obj_id = obj_id or None

    def set_frame(self, frame: int) -> None:
        if self.ctx is not None and self.ctx.frame != frame:
            self.cancel()
            self.ctx.frame = frame

    def set_view_zoom(self, zoom: float) -> None:
        """The viewport zoom: the move tool grabs within :data:`PICK_RADIUS_PX` on screen."""
        self.view_zoom = max(float(zoom), 1e-6)
        if self.ctx is not None:
            self.ctx.options["pick_radius"] = PICK_RADIUS_PX / self.view_zoom

    def set_tool(self, name: str) -> None:
        self.cancel()
        self.name = name
        self.driver = None

    def set_brush(self, size: float | None = None, hardness: float | None = None) -> None:
        """Brush diameter (px) and hardness (0..1), used by the next stroke."""
        if size is not None:
            if size <= 0:
                raise ValueError(f"brush size must be positive, got {size}")
            self.brush_size = float(size)
        if hardness is not None:
            if not 0.0 <= hardness <= 1.0:
                raise ValueError(f"brush hardness must be within 0..1, got {hardness}")
            self.brush_hardness = float(hardness)
        # a stroke in progress keeps its settings (re-creating the tool mid-stroke would leave
        # its live pixels in the document with no command); the next press takes the new ones

    def box_preview(self) -> tuple[float, float, float, float] | None:
        tool = self.driver.tool if self.driver is not None else None
        return tool.preview if isinstance(tool, BoxPromptTool) else None

    @property
    def dragging(self) -> bool:
        """True while a tool drag is in progress (between press and release)."""
        return self.driver is not None and self.driver.active

    def cancel(self) -> bool:
        """Abort the drag in progress (the core tool puts back what it changed); True if one
        was."""
        if self.driver is not None and self.driver.active:
            self.driver.cancel()
            self._edited.clear()  # whatever moved live was put back: nothing to re-segment
            self.preview_changed.emit()
            self.drag_finished.emit()
            return True
        return False

    def cancel_drag(self) -> None:
        """Escape: abort the drag in progress and say so (nothing lands on the undo stack)."""
        if self.cancel():
            self.message.emit(f"{self.name} cancelled")

    # -- events ----------------------------------------------------------------------------
    def pressed(self, x: float, y: float, buttons: int, modifiers: int) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        if self.name == "select":
            self._pick(x, y)
            return
        if not ctx.inside(x, y):
            shot = ctx.doc.shot
            self.message.emit(
                f"ignored: ({x:.0f}, {y:.0f}) is outside the {shot.width}×{shot.height} image"
            )
            return
        obj = ctx.editable_object()
        if obj is None:
            why = "is locked" if ctx.obj_id and ctx.doc.has_object(ctx.obj_id) else "is selected"
            self.message.emit(f"no editable object {why}: add or select an object in Layers first")
            return
        if self.driver is None:
            self.driver = ToolDriver(self._make_tool(ctx))
        tool = self.driver.tool
        if isinstance(tool, BrushTool):  # (the eraser too) the settings as they are now
            tool.size, tool.hardness = self.brush_size, self.brush_hardness
        self._handle(tool_event("press", x, y, buttons, modifiers))

    def dragged(self, x: float, y: float, buttons: int, modifiers: int) -> None:
        if self.driver is not None and self.driver.active:
            self._handle(tool_event("move", x, y, buttons, modifiers))

    def released(self, x: float, y: float, buttons: int, modifiers: int) -> None:
        if self.driver is not None and self.driver.active:
            self._handle(tool_event("release", x, y, buttons, modifiers))

    def _handle(self, event: ToolEvent) -> None:
        assert self.driver is not None
        ctx = self.ctx
        if event.type == "press":
            self._edited.clear()
            self._index_at_press = ctx.stack.index if ctx is not None else -2
        try:
            self.driver.handle(event)
        except RotoError as exc:  # a rejected edit: say why, keep the session
            self.driver.cancel()
            self._edited.clear()
            self.message.emit(str(exc))
        tool = self.driver.tool
        if isinstance(tool, BoxPromptTool):
            self.preview_changed.emit()
        mask_edit = _edits_mask(tool)
        if event.type == "press" and mask_edit and getattr(tool, "message", ""):
            self.message.emit(tool.message)  # empty mask: nothing to transform
        if self.driver.active:
            return  # mid-drag: segmentation and keyframing wait for the release
        edited, self._edited = sorted(self._edited), set()
        if not mask_edit:  # (a mask edit moved the prompts with the mask: keep its mask)
            for obj_id, frame in edited:
                self.prompts_edited.emit(obj_id, frame)
        if (
            mask_edit
            and ctx is not None
            and ctx.obj_id
            and ctx.stack.index == self._index_at_press + 1
        ):
            self.mask_corrected.emit(ctx.obj_id, ctx.frame)  # exactly one edit was pushed
        self.drag_finished.emit()

    def _prompts_changed(self, obj_id: str, frame: int) -> None:
        if self.driver is not None and self.driver.active:
            self._edited.add((obj_id, frame))

    def _make_tool(self, ctx: ToolContext) -> Tool:
        if self.name == "brush":
            return BrushTool(ctx, self.brush_size, self.brush_hardness)
        if self.name == "eraser":
            return EraserTool(ctx, self.brush_size, self.brush_hardness)
        tools: dict[str, type[Tool]] = {
            "point": PointPromptTool,
            "box": BoxPromptTool,
            "move": MoveTool,
            "rotate": RotateTool,
            "scale": ScaleTool,
        }
        if self.name not in tools:
            raise ValueError(f"unknown tool '{self.name}'")
        return tools[self.name](ctx)

    def _pick(self, x: float, y: float) -> None:
        """Select tool: the top-most visible object covering the pixel as the overlay shows it
        (grow/shrink and feather applied) becomes current."""
        ctx = self.ctx
        assert ctx is not None
        if not ctx.inside(x, y):
            return
        obj_id = pick_object(ctx.doc, ctx.frame, x, y)
        if obj_id is not None:
            self.object_picked.emit(obj_id)
        else:
            self.message.emit(f"no object under ({x:.0f}, {y:.0f}) on frame {ctx.frame}")


def _edits_mask(tool: Tool) -> bool:
    """True for the tools whose drag edits the mask (brush, eraser, rotate, scale and the
    move tool when it moved the mask, not a prompt)."""
    if isinstance(tool, MoveTool):
        return tool.mode == "mask"
    return isinstance(tool, (BrushTool, *TRANSFORM_TOOLS))

"""Prompt tools: click a point (Alt = background), drag a box, move points, boxes and masks."""

from __future__ import annotations

import math

from ultimate_roto.core.commands.edits import AddPromptCommand, MovePromptCommand
from ultimate_roto.core.project.model import Box
from ultimate_roto.core.tools.base import (
    Tool,
    ToolContext,
    ToolEvent,
    ToolGenerator,
    live_drag,
    wait_for_release,
)
from ultimate_roto.core.tools.transform import MoveMaskTool


class PointPromptTool(Tool):
    """Click adds a foreground point; Alt-click adds a background point."""

    name = "point"

    def drag(self, event: ToolEvent) -> ToolGenerator:
        obj = self.ctx.editable_object()
        if obj is not None and "left" in event.buttons and self.ctx.inside(event.x, event.y):
            label = 0 if event.alt else 1
            self.ctx.stack.push(
                AddPromptCommand(
                    self.ctx.doc, obj.id, self.ctx.frame, "point", (event.x, event.y, label)
                )
            )
        yield from wait_for_release()


class BoxPromptTool(Tool):
    """Drag a rectangle; on release it becomes a box prompt (if at least ``min_size`` px).

    While dragging, :attr:`preview` holds the rectangle for the view to draw.
    """

    name = "box"
    min_size = 2.0

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self.preview: Box | None = None

    def drag(self, event: ToolEvent) -> ToolGenerator:
        obj = self.ctx.editable_object()
        if obj is None or "left" not in event.buttons:
            return
        x0, y0 = self._clamp(event.x, event.y)
        try:
            while True:
                event = yield
                x1, y1 = self._clamp(event.x, event.y)
                self.preview = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
                if event.type == "release":
                    break
            box = self.preview
            if box[2] - box[0] >= self.min_size and box[3] - box[1] >= self.min_size:
                self.ctx.stack.push(
                    AddPromptCommand(self.ctx.doc, obj.id, self.ctx.frame, "box", box)
                )
        finally:
            self.preview = None

    def _clamp(self, x: float, y: float) -> tuple[float, float]:
        shot = self.ctx.doc.shot
        return (min(max(x, 0.0), float(shot.width)), min(max(y, 0.0), float(shot.height)))


class MoveTool(Tool):
    """W: drag what is under the cursor on the current object and frame.

    In order of preference:

    * a point prompt within :attr:`pick_radius`: the point follows the cursor;
    * a box prompt's corner: resizes the box (the opposite corner stays);
    * a box prompt's edge or its centre handle: moves the whole box (kept inside the image);
    * anywhere else: translates the object's mask (:class:`MoveMaskTool`; its prompts follow).

    The document follows the drag live; the release records ONE undo step and Escape
    (cancelling the drag) puts everything back. :attr:`mode` says what the last press picked
    (``"point"``, ``"box"``, ``"corner"``, ``"mask"`` or None).
    """

    name = "move"
    default_pick_radius = 8.0

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self.mode: str | None = None
        self.mask_tool = MoveMaskTool(ctx)

    @property
    def pick_radius(self) -> float:
        """How near (image pixels) a press must be to grab a point, corner, edge or handle:
        ``ctx.options["pick_radius"]`` (the GUI sets a fixed size on screen, so it follows
        the zoom), else :attr:`default_pick_radius`."""
        return float(self.ctx.options.get("pick_radius", self.default_pick_radius))

    @property
    def message(self) -> str:
        """Why the last press did nothing (for the status bar), else ""."""
        return self.mask_tool.message if self.mode == "mask" else ""

    def pick(self, x: float, y: float) -> int | None:
        """Index of the nearest point within :attr:`pick_radius`, or None."""
        obj = self.ctx.editable_object()
        if obj is None:
            return None
        best, best_d = None, self.pick_radius
        for i, (px, py, _label) in enumerate(self.ctx.doc.prompts(obj.id, self.ctx.frame).points):
            d = math.hypot(px - x, py - y)
            if d <= best_d:
                best, best_d = i, d
        return best

    def pick_box(self, x: float, y: float) -> tuple[int, str] | None:
        """``(index, handle)`` of the box under (x, y): handle ``"corner:<i>"`` (i = 0 top
        left, 1 top right, 2 bottom left, 3 bottom right) or ``"move"`` (an edge or the centre
        handle); None when no box is within :attr:`pick_radius`. Corners win over edges."""
        obj = self.ctx.editable_object()
        if obj is None:
            return None
        r = self.pick_radius
        boxes = self.ctx.doc.prompts(obj.id, self.ctx.frame).boxes
        for i, (x0, y0, x1, y1) in reversed(list(enumerate(boxes))):  # the top-most first
            for corner, (cx, cy) in enumerate(((x0, y0), (x1, y0), (x0, y1), (x1, y1))):
                if math.hypot(cx - x, cy - y) <= r:
                    return i, f"corner:{corner}"
        for i, (x0, y0, x1, y1) in reversed(list(enumerate(boxes))):
            within_x, within_y = x0 - r <= x <= x1 + r, y0 - r <= y <= y1 + r
            on_edge = (within_x and min(abs(y - y0), abs(y - y1)) <= r) or (
                within_y and min(abs(x - x0), abs(x - x1)) <= r
            )
            centre = math.hypot((x0 + x1) / 2 - x, (y0 + y1) / 2 - y) <= r
            if on_edge or centre:
                return i, "move"
        return None

    def drag(self, event: ToolEvent) -> ToolGenerator:
        self.mode = None
        if self.ctx.editable_object() is None or "left" not in event.buttons:
            yield from wait_for_release()
            return
        index = self.pick(event.x, event.y)
        if index is not None:
            self.mode = "point"
            yield from self._drag_prompt("point", index, event)
            return
        picked = self.pick_box(event.x, event.y)
        if picked is not None:
            self.mode = "box" if picked[1] == "move" else "corner"
            yield from self._drag_prompt("box", picked[0], event, picked[1])
            return
        self.mode = "mask"
        yield from self.mask_tool.drag(event)

    def _drag_prompt(
        self, kind: str, index: int, event: ToolEvent, handle: str = ""
    ) -> ToolGenerator:
        """Live edit of one prompt; the release pushes one :class:`MovePromptCommand`."""
        ctx = self.ctx
        doc, obj_id, frame = ctx.doc, ctx.obj_id, ctx.frame
        assert obj_id is not None
        original = _prompt_value(doc, obj_id, frame, kind, index)
        start, value = (event.x, event.y), original

        def show(event: ToolEvent) -> bool:
            nonlocal value
            new = self._moved(kind, original, start, (event.x, event.y), handle)
            if new is None or new == value:
                return False
            value = new
            doc.set_prompt(obj_id, frame, kind, index, value)
            return True

        def record() -> None:
            if value != original:
                ctx.stack.push(MovePromptCommand(doc, obj_id, frame, kind, index, value))

        yield from live_drag(
            doc, show, lambda: doc.set_prompt(obj_id, frame, kind, index, original), record
        )

    def _moved(
        self,
        kind: str,
        original: tuple,
        start: tuple[float, float],
        cur: tuple[float, float],
        handle: str,
    ) -> tuple | None:
        """The prompt's value for the cursor at ``cur`` (None: leave it where it is)."""
        if kind == "point":
            if not self.ctx.inside(*cur):
                return None
            return (float(cur[0]), float(cur[1]), original[2])
        w, h = float(self.ctx.doc.shot.width), float(self.ctx.doc.shot.height)
        x0, y0, x1, y1 = original
        if handle == "move":  # translate, clamped so the whole box stays inside the image
            dx = min(max(cur[0] - start[0], -x0), w - x1)
            dy = min(max(cur[1] - start[1], -y0), h - y1)
            return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
        corner = int(handle.split(":")[1])
        x, y = min(max(cur[0], 0.0), w), min(max(cur[1], 0.0), h)
        box = [x0, y0, x1, y1]
        box[0 if corner in (0, 2) else 2] = x
        box[1 if corner in (0, 1) else 3] = y
        bx0, bx1 = sorted((box[0], box[2]))
        by0, by1 = sorted((box[1], box[3]))
        return (bx0, by0, bx1, by1)


def _prompt_value(doc, obj_id: str, frame: int, kind: str, index: int) -> tuple:
    fp = doc.prompts(obj_id, frame)
    return tuple((fp.points if kind == "point" else fp.boxes)[index])

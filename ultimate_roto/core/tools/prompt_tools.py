"""Prompt tools: click a point (Alt = background), drag a box, move existing points."""

from __future__ import annotations

import math

from ultimate_roto.core.commands.edits import AddPromptCommand, MovePromptCommand
from ultimate_roto.core.project.model import Box
from ultimate_roto.core.tools.base import (
    Tool,
    ToolContext,
    ToolEvent,
    ToolGenerator,
    wait_for_release,
)


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
    """Drag an existing point prompt of the current object and frame.

    Every move pushes a :class:`MovePromptCommand` with one merge id per drag, so the whole
    drag is a single undo step.
    """

    name = "move"
    pick_radius = 8.0

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self._drags = 0

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

    def drag(self, event: ToolEvent) -> ToolGenerator:
        index = self.pick(event.x, event.y)
        if index is None or "left" not in event.buttons:
            yield from wait_for_release()
            return
        ctx = self.ctx
        obj_id, frame = ctx.obj_id, ctx.frame
        assert obj_id is not None
        label = ctx.doc.prompts(obj_id, frame).points[index][2]
        self._drags += 1
        merge_id = ("move-point", id(self), self._drags)
        while True:
            event = yield
            if event.type == "release" and not ctx.inside(event.x, event.y):
                return
            if ctx.inside(event.x, event.y):
                value = (event.x, event.y, label)
                ctx.stack.push(
                    MovePromptCommand(ctx.doc, obj_id, frame, "point", index, value, merge_id)
                )
            if event.type == "release":
                return

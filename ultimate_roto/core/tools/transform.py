"""Rotate (R), scale (S) and move (W) the current object's mask on the current frame.

Press anywhere and drag: the rotate tool turns the mask around its centroid by the angle
from the press point to the cursor (seen from the centroid); the scale tool scales it
uniformly by the ratio of the cursor's to the press point's distance from the centroid; the
move tool translates it by the drag in whole pixels.
The document mask follows the drag live; the release records ONE undo step (a macro of a
:class:`SetMaskCommand` and :class:`MovePromptCommand` s so the frame's prompts follow).
Cancelling the drag restores the pixels.
"""

from __future__ import annotations

import math

import numpy as np

from ultimate_roto.core.commands.edits import MovePromptCommand, SetMaskCommand
from ultimate_roto.core.project.masks import BBox, nonzero_bbox, union_bbox
from ultimate_roto.core.tools.base import Tool, ToolContext, ToolEvent, ToolGenerator

Matrix = tuple[float, float, float, float, float, float]  # a, b, tx, c, d, ty
_MIN_RADIUS = 1.0


def mask_centroid(mask: np.ndarray) -> tuple[float, float] | None:
    """Weighted centroid in image pixels (pixel centres at +0.5), None for an empty mask."""
    weights = mask.astype(np.float64)
    total = weights.sum()
    if total <= 0:
        return None
    ys, xs = np.indices(mask.shape, dtype=np.float64)
    return (
        float((weights * xs).sum() / total) + 0.5,
        float((weights * ys).sum() / total) + 0.5,
    )


def affine_about(centre: tuple[float, float], angle: float = 0.0, scale: float = 1.0) -> Matrix:
    """Forward matrix (image pixels) rotating by ``angle`` radians (y down: positive turns
    clockwise on screen) and scaling by ``scale`` around ``centre``."""
    cx, cy = centre
    a, b = scale * math.cos(angle), -scale * math.sin(angle)
    c, d = scale * math.sin(angle), scale * math.cos(angle)
    return (a, b, cx - a * cx - b * cy, c, d, cy - c * cx - d * cy)


def translation(dx: float, dy: float) -> Matrix:
    """Forward matrix moving by ``(dx, dy)`` image pixels."""
    return (1.0, 0.0, float(dx), 0.0, 1.0, float(dy))


def apply_matrix(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])


def warp_mask(mask: np.ndarray, m: Matrix) -> np.ndarray:
    """The uint8 mask moved by ``m`` (bilinear, zeros outside)."""
    import cv2

    a, b, tx, c, d, ty = m
    # image pixels have centres at +0.5, cv2's pixel indices at 0: shift into index space
    ix, iy = apply_matrix(m, 0.5, 0.5)
    matrix = np.array([[a, b, ix - 0.5], [c, d, iy - 0.5]], dtype=np.float64)
    h, w = mask.shape
    return cv2.warpAffine(
        mask, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


class _MaskTransformTool(Tool):
    """Shared drag logic; subclasses turn (centre, press, cursor) into a matrix."""

    label = "Transform Mask"

    def __init__(self, ctx: ToolContext) -> None:
        super().__init__(ctx)
        self.message = ""  # why the last press did nothing (for the status bar)
        self.modifiers: frozenset[str] = frozenset()  # of the event being handled

    def matrix(
        self, centre: tuple[float, float], start: tuple[float, float], cur: tuple[float, float]
    ) -> Matrix:
        raise NotImplementedError

    def drag(self, event: ToolEvent) -> ToolGenerator:
        self.message = ""
        obj = self.ctx.editable_object()
        if obj is None or "left" not in event.buttons:
            self.message = f"{self.name}: no editable object"
            return
        doc, frame = self.ctx.doc, self.ctx.frame
        before = doc.mask(obj.id, frame)
        centre = mask_centroid(before)
        if centre is None:
            self.message = f"{self.name}: the mask of {obj.name} on frame {frame} is empty"
            return
        was_modified = doc.modified
        start = (event.x, event.y)
        src_box = nonzero_bbox(before)
        touched: BBox | None = None
        m: Matrix | None = None
        done = False
        try:
            while True:
                event = yield
                self.modifiers = event.modifiers
                m = self.matrix(centre, start, (event.x, event.y))
                warped = warp_mask(before, m)
                box = union_bbox(src_box, nonzero_bbox(warped))
                touched = union_bbox(touched, box)
                if touched is not None:
                    x0, y0, x1, y1 = touched
                    doc.set_mask_region(obj.id, frame, touched, warped[y0:y1, x0:x1])
                if event.type == "release":
                    break
            done = True
        finally:
            if touched is not None:  # put the original back; the commands redo the edit
                x0, y0, x1, y1 = touched
                doc.set_mask_region(obj.id, frame, touched, before[y0:y1, x0:x1])
                doc.set_modified(was_modified)
            if done and m is not None:
                self._commit(obj.id, frame, before, m)

    def _commit(self, obj_id: str, frame: int, before: np.ndarray, m: Matrix) -> None:
        doc, stack = self.ctx.doc, self.ctx.stack
        after = warp_mask(before, m)
        if np.array_equal(after, before):
            return
        prompts = doc.prompts(obj_id, frame)
        w, h = float(doc.shot.width), float(doc.shot.height)

        def clamp(x: float, y: float) -> tuple[float, float]:
            return (min(max(x, 0.0), w), min(max(y, 0.0), h))

        with stack.macro(self.label):
            stack.push(SetMaskCommand(doc, obj_id, frame, after))
            for i, (px, py, lab) in enumerate(prompts.points):
                x, y = clamp(*apply_matrix(m, px, py))
                stack.push(MovePromptCommand(doc, obj_id, frame, "point", i, (x, y, lab)))
            for i, (x0, y0, x1, y1) in enumerate(prompts.boxes):
                corners = [apply_matrix(m, x, y) for x in (x0, x1) for y in (y0, y1)]
                lo = clamp(min(c[0] for c in corners), min(c[1] for c in corners))
                hi = clamp(max(c[0] for c in corners), max(c[1] for c in corners))
                stack.push(MovePromptCommand(doc, obj_id, frame, "box", i, (*lo, *hi)))


class RotateTool(_MaskTransformTool):
    """R: rotate the mask around its centroid by the press→cursor angle."""

    name = "rotate"
    label = "Rotate Mask"

    def matrix(self, centre, start, cur):  # type: ignore[no-untyped-def]
        cx, cy = centre
        if (
            math.hypot(start[0] - cx, start[1] - cy) < _MIN_RADIUS
            or math.hypot(cur[0] - cx, cur[1] - cy) < _MIN_RADIUS
        ):
            return affine_about(centre)
        angle = math.atan2(cur[1] - cy, cur[0] - cx) - math.atan2(start[1] - cy, start[0] - cx)
        return affine_about(centre, angle=angle)


class ScaleTool(_MaskTransformTool):
    """S: scale the mask uniformly about its centroid (cursor / press distance)."""

    name = "scale"
    label = "Scale Mask"
    min_scale = 0.01

    def matrix(self, centre, start, cur):  # type: ignore[no-untyped-def]
        cx, cy = centre
        r0 = math.hypot(start[0] - cx, start[1] - cy)
        if r0 < _MIN_RADIUS:
            return affine_about(centre)
        ratio = max(math.hypot(cur[0] - cx, cur[1] - cy) / r0, self.min_scale)
        return affine_about(centre, scale=ratio)


class MoveMaskTool(_MaskTransformTool):
    """W (away from a prompt): translate the mask by the drag, rounded to whole pixels so
    the edges stay exactly as they were (no resampling blur); Shift keeps to the axis the
    drag is mostly along."""

    name = "move"
    label = "Move Mask"

    def matrix(self, centre, start, cur):  # type: ignore[no-untyped-def]
        dx, dy = cur[0] - start[0], cur[1] - start[1]
        if "shift" in self.modifiers:
            dx, dy = (dx, 0.0) if abs(dx) >= abs(dy) else (0.0, dy)
        return translation(round(dx), round(dy))

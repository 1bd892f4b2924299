"""Brush and eraser: soft disc stamps along the pointer path, one undo step per stroke."""

from __future__ import annotations

import math

import numpy as np

from ultimate_roto.core.commands.edits import PaintMaskCommand
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.masks import BBox, union_bbox
from ultimate_roto.core.tools.base import Tool, ToolContext, ToolEvent, ToolGenerator


def stamp_disc(
    canvas: np.ndarray, cx: float, cy: float, radius: float, hardness: float, erase: bool = False
) -> BBox | None:
    """Stamp a soft disc into a uint8 canvas in place; returns the bbox it touched.

    The disc is fully opaque up to ``radius * hardness`` and falls off linearly to 0 at
    ``radius`` (at least 1 px of falloff, for anti-aliasing). Painting keeps the maximum of
    canvas and stamp, erasing the minimum with the inverted stamp, so overlapping dabs of one
    stroke never build up.
    """
    h, w = canvas.shape
    x0, y0 = max(0, math.floor(cx - radius)), max(0, math.floor(cy - radius))
    x1, y1 = min(w, math.ceil(cx + radius)), min(h, math.ceil(cy + radius))
    if x1 <= x0 or y1 <= y0:
        return None
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    dist = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
    falloff = max(radius * (1.0 - hardness), 1.0)
    alpha = np.clip((radius - dist) / falloff, 0.0, 1.0)
    dab = (alpha * 255.0 + 0.5).astype(np.uint8)
    region = canvas[y0:y1, x0:x1]
    if erase:
        np.minimum(region, 255 - dab, out=region)
    else:
        np.maximum(region, dab, out=region)
    return (x0, y0, x1, y1)


def stamp_segment(
    canvas: np.ndarray,
    p0: tuple[float, float],
    p1: tuple[float, float],
    radius: float,
    hardness: float,
    erase: bool = False,
) -> BBox | None:
    """Stamp discs from ``p0`` (exclusive) to ``p1`` (inclusive), spaced by a quarter radius."""
    spacing = max(1.0, radius * 0.25)
    n = max(1, math.ceil(math.hypot(p1[0] - p0[0], p1[1] - p0[1]) / spacing))
    bbox: BBox | None = None
    for k in range(1, n + 1):
        t = k / n
        x, y = p0[0] + (p1[0] - p0[0]) * t, p0[1] + (p1[1] - p0[1]) * t
        bbox = union_bbox(bbox, stamp_disc(canvas, x, y, radius, hardness, erase))
    return bbox


class BrushTool(Tool):
    """Paint the current object's mask on the current frame.

    The stroke shows live (the document is updated dab by dab so views redraw); on release a
    single :class:`PaintMaskCommand` holding only the stroke's bbox is pushed. Cancelling a
    drag restores the pixels.

    Parameters
    ----------
    size
        Brush diameter in image pixels.
    hardness
        0 (soft edge over the whole radius) .. 1 (hard edge).
    """

    name = "brush"
    erase = False

    def __init__(self, ctx: ToolContext, size: float = 20.0, hardness: float = 0.8) -> None:
        super().__init__(ctx)
        if size <= 0 or not 0.0 <= hardness <= 1.0:
            raise InputError(
                f"{self.name}: size {size} / hardness {hardness} out of range",
                hint="size must be > 0 px and hardness within 0..1",
            )
        self.size = float(size)
        self.hardness = float(hardness)
        self._was_modified = False

    def drag(self, event: ToolEvent) -> ToolGenerator:
        obj = self.ctx.editable_object()
        if obj is None or "left" not in event.buttons:
            return
        doc, frame = self.ctx.doc, self.ctx.frame
        before = doc.mask(obj.id, frame)
        self._was_modified = doc.modified
        canvas = before.copy()
        radius = self.size / 2.0
        last = (event.x, event.y)
        stroke = self._apply(
            obj.id, canvas, stamp_disc(canvas, *last, radius, self.hardness, self.erase)
        )
        done = False
        try:
            while True:
                event = yield
                point = (event.x, event.y)
                dabs = stamp_segment(canvas, last, point, radius, self.hardness, self.erase)
                stroke = union_bbox(stroke, self._apply(obj.id, canvas, dabs))
                last = point
                if event.type == "release":
                    break
            done = True
        finally:
            self._finish(obj.id, stroke, before, canvas, done)

    def _apply(self, obj_id: str, canvas: np.ndarray, bbox: BBox | None) -> BBox | None:
        if bbox is not None:
            x0, y0, x1, y1 = bbox
            self.ctx.doc.set_mask_region(obj_id, self.ctx.frame, bbox, canvas[y0:y1, x0:x1])
        return bbox

    def _finish(
        self, obj_id: str, bbox: BBox | None, before: np.ndarray, canvas: np.ndarray, done: bool
    ) -> None:
        if bbox is None:
            return
        x0, y0, x1, y1 = bbox
        old, new = before[y0:y1, x0:x1], canvas[y0:y1, x0:x1]
        if not done:  # cancelled: put the pixels back, record nothing
            self.ctx.doc.set_mask_region(obj_id, self.ctx.frame, bbox, old)
            self.ctx.doc.set_modified(self._was_modified)
            return
        if np.array_equal(old, new):
            return
        label = "Erase Mask" if self.erase else "Paint Mask"
        self.ctx.stack.push(
            PaintMaskCommand(self.ctx.doc, obj_id, self.ctx.frame, bbox, new, old, text=label)
        )


class EraserTool(BrushTool):
    """The brush, taking pixels away."""

    name = "eraser"
    erase = True

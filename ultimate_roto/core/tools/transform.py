"""Rotate (R), scale (S) and move (W) the current object's mask on the current frame.

Press anywhere and drag: the rotate tool turns the mask around its centroid by the angle
from the press point to the cursor (seen from the centroid); the scale tool scales it
uniformly by the ratio of the cursor's to the press point's distance from the centroid; the
move tool translates it by the drag in whole pixels.
The document mask and the frame's prompts follow the drag live; the release records ONE undo
step (a macro of a :class:`SetEncodedMaskCommand` and :class:`MovePromptCommand` s) holding
the last preview's entry as it is. Cancelling the drag restores the pixels and the prompts.

A preview costs the mask's bbox, not the frame (:class:`MaskWarp`): a whole-pixel move reuses
the stored compressed crop (only a move across the frame edge crops and compresses again), a
rotation or scale warps into the moved bbox only; both give the pixels of the full-frame warp
(:func:`warp_mask`). ``benchmarks/bench_tools.py`` measures it.
"""

from __future__ import annotations

import math

import numpy as np

from ultimate_roto.core.commands.edits import MovePromptCommand, SetEncodedMaskCommand
from ultimate_roto.core.project.masks import (
    BBox,
    EncodedMask,
    clip_bbox,
    decode_mask,
    encode_mask,
)
from ultimate_roto.core.tools.base import Tool, ToolContext, ToolEvent, ToolGenerator, live_drag

Matrix = tuple[float, float, float, float, float, float]  # a, b, tx, c, d, ty
_MIN_RADIUS = 1.0


def mask_centroid(mask: np.ndarray) -> tuple[float, float] | None:
    """Weighted centroid in image pixels (pixel centres at +0.5), None for an empty mask."""
    cols = mask.sum(axis=0, dtype=np.int64)  # (integer sums: exact)
    rows = mask.sum(axis=1, dtype=np.int64)
    total = int(cols.sum())
    if total <= 0:
        return None
    return (
        int(cols @ np.arange(cols.size)) / total + 0.5,
        int(rows @ np.arange(rows.size)) / total + 0.5,
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


def index_matrix(m: Matrix) -> np.ndarray:
    """``m`` as cv2's 2x3 matrix: image pixels have centres at +0.5, cv2's indices at 0."""
    a, b, _tx, c, d, _ty = m
    ix, iy = apply_matrix(m, 0.5, 0.5)
    return np.array([[a, b, ix - 0.5], [c, d, iy - 0.5]], dtype=np.float64)


def warp_mask(mask: np.ndarray, m: Matrix) -> np.ndarray:
    """The full-frame uint8 mask moved by ``m`` (bilinear, zeros outside): the reference
    :class:`MaskWarp` matches at the cost of the mask's bbox."""
    h, w = mask.shape
    return _warp_affine(mask, index_matrix(m), w, h)


def _warp_affine(src: np.ndarray, matrix: np.ndarray, width: int, height: int) -> np.ndarray:
    import cv2

    return cv2.warpAffine(
        src, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )


def warp_reach(bbox: BBox, m: Matrix, width: int, height: int) -> BBox | None:
    """The pixels a bilinear warp by ``m`` can make non-zero from a mask inside ``bbox``
    (with a pixel to spare), clipped to the frame; None when all of it leaves the frame."""
    x0, y0, x1, y1 = bbox
    mi = index_matrix(m)
    # a sample sees a non-zero pixel when it falls in the open box (x0 - 1, x1) x (y0 - 1, y1)
    corners = np.array([[x, y, 1.0] for x in (x0 - 1, x1) for y in (y0 - 1, y1)])
    dst = corners @ mi.T
    lo, hi = np.floor(dst.min(axis=0)) - 1, np.ceil(dst.max(axis=0)) + 2
    return clip_bbox((lo[0], lo[1], hi[0], hi[1]), width, height)


def whole_shift(m: Matrix) -> tuple[int, int] | None:
    """``(dx, dy)`` when ``m`` moves by whole pixels only, else None."""
    a, b, tx, c, d, ty = m
    if (a, b, c, d) != (1.0, 0.0, 0.0, 1.0) or tx != round(tx) or ty != round(ty):
        return None
    return int(tx), int(ty)


def encode_at(pixels: np.ndarray, x: int, y: int) -> EncodedMask | None:
    """The entry of a frame whose only non-zero pixels are ``pixels`` placed at ``(x, y)``."""
    enc = encode_mask(pixels)
    if enc is None:
        return None
    bx0, by0, bx1, by1 = enc.bbox
    return EncodedMask((bx0 + x, by0 + y, bx1 + x, by1 + y), enc.data)


class MaskWarp:
    """One stored mask, moved again and again during a drag at the cost of its bbox.

    ``warp(m)`` is the entry of ``warp_mask(full_mask, m)``. A whole-pixel move shifts the
    stored crop (the same compressed bytes while it stays inside the frame): exact. Anything
    else warps into :func:`warp_reach` only, from the full frame, decoded once at the first
    such warp and held for the drag (8 MiB at 4K). cv2 rounds sample positions in float32, and
    a source in the frame's own coordinates keeps them as the full-frame warp has them: bit for
    bit on the Intel IPP path of the x86 wheels; without IPP a few edge pixels may differ by 1
    level. (A crop-relative source warps about twice as fast at 4K, 3 against 7 ms for a
    600x800 mask, but is 1 level off in a few edge pixels on either path.)

    Parameters
    ----------
    entry
        The stored (non-empty) mask.
    width, height
        The frame size.
    """

    def __init__(self, entry: EncodedMask, width: int, height: int) -> None:
        self.entry = entry
        self.width, self.height = int(width), int(height)
        self._crop: np.ndarray | None = None
        self._full: np.ndarray | None = None

    def crop(self) -> np.ndarray:
        """The entry's decoded crop (decoded once)."""
        if self._crop is None:
            self._crop = self.entry.crop()
        return self._crop

    def centroid(self) -> tuple[float, float] | None:
        """:func:`mask_centroid` of the frame, computed on the crop."""
        c = mask_centroid(self.crop())
        x0, y0 = self.entry.bbox[:2]
        return None if c is None else (c[0] + x0, c[1] + y0)

    def warp(self, m: Matrix) -> EncodedMask | None:
        """The entry moved by ``m`` (None when nothing is left inside the frame)."""
        shift = whole_shift(m)
        return self._shifted(*shift) if shift is not None else self._warped(m)

    def _shifted(self, dx: int, dy: int) -> EncodedMask | None:
        if dx == dy == 0:
            return self.entry
        x0, y0, x1, y1 = self.entry.bbox
        moved = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
        inside = clip_bbox(moved, self.width, self.height)
        if inside is None:
            return None
        if inside == moved:  # the same pixels elsewhere: the same compressed bytes
            return EncodedMask(moved, self.entry.data)
        ix0, iy0, ix1, iy1 = inside
        part = self.crop()[iy0 - moved[1] : iy1 - moved[1], ix0 - moved[0] : ix1 - moved[0]]
        return encode_at(part, ix0, iy0)

    def _warped(self, m: Matrix) -> EncodedMask | None:
        box = warp_reach(self.entry.bbox, m, self.width, self.height)
        if box is None:
            return None
        if self._full is None:
            self._full = decode_mask(self.entry, (self.height, self.width))
        x0, y0, x1, y1 = box
        mi = index_matrix(m)
        mi[:, 2] -= (x0, y0)  # into the box's own indices
        return encode_at(_warp_affine(self._full, mi, x1 - x0, y1 - y0), x0, y0)


def moved_prompts(
    points: list, boxes: list, m: Matrix, width: int, height: int
) -> tuple[list[tuple], list[tuple]]:
    """The prompts carried by ``m``, clamped to the frame: points as they move, boxes as the
    bounding box of their moved corners."""
    w, h = float(width), float(height)

    def clamp(x: float, y: float) -> tuple[float, float]:
        return (min(max(x, 0.0), w), min(max(y, 0.0), h))

    moved_points = [(*clamp(*apply_matrix(m, px, py)), lab) for px, py, lab in points]
    moved_boxes = []
    for x0, y0, x1, y1 in boxes:
        corners = [apply_matrix(m, x, y) for x in (x0, x1) for y in (y0, y1)]
        lo = clamp(min(c[0] for c in corners), min(c[1] for c in corners))
        hi = clamp(max(c[0] for c in corners), max(c[1] for c in corners))
        moved_boxes.append((*lo, *hi))
    return moved_points, moved_boxes


def same_pixels(a: EncodedMask | None, b: EncodedMask | None) -> bool:
    """True when two entries hold the same mask (the bytes may differ: zlib settings)."""
    if a is None or b is None or a == b:
        return a == b
    return a.bbox == b.bbox and np.array_equal(a.crop(), b.crop())


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
        original = doc.masks.encoded(obj.id, frame)
        if original is None:
            self.message = f"{self.name}: the mask of {obj.name} on frame {frame} is empty"
            return
        warp = MaskWarp(original, doc.shot.width, doc.shot.height)
        centre, start = warp.centroid(), (event.x, event.y)
        assert centre is not None  # a stored entry is never all zero
        prompts = doc.prompts(obj.id, frame)
        at_press = (list(prompts.points), list(prompts.boxes))
        m: Matrix | None = None
        preview: EncodedMask | None = original

        def place(points: list, boxes: list) -> None:  # the frame's prompts, live (no command)
            now = doc.prompts(obj.id, frame)
            for kind, items, have in (("point", points, now.points), ("box", boxes, now.boxes)):
                for i, value in enumerate(items[: len(have)]):  # (none removed under the drag)
                    doc.set_prompt(obj.id, frame, kind, i, value)

        def show(event: ToolEvent) -> bool:
            nonlocal m, preview
            self.modifiers = event.modifiers
            new = self.matrix(centre, start, (event.x, event.y))
            if new == m:  # (the release where the last move was: nothing to warp again)
                return False
            m, preview = new, warp.warp(new)
            doc.set_mask_encoded(obj.id, frame, preview)
            place(*moved_prompts(*at_press, m, doc.shot.width, doc.shot.height))
            return True

        def put_back() -> None:
            doc.set_mask_encoded(obj.id, frame, original)
            place(*at_press)

        def record() -> None:  # the last preview's matrix and entry, as they are
            self._commit(obj.id, frame, original, preview, m)

        yield from live_drag(doc, show, put_back, record)

    def _commit(
        self,
        obj_id: str,
        frame: int,
        before: EncodedMask,
        after: EncodedMask | None,
        m: Matrix | None,
    ) -> None:
        """Push the drag's result (the last preview's entry) and its prompts, one step."""
        doc, stack = self.ctx.doc, self.ctx.stack
        if m is None or same_pixels(after, before):
            return
        prompts = doc.prompts(obj_id, frame)
        points, boxes = moved_prompts(
            prompts.points, prompts.boxes, m, doc.shot.width, doc.shot.height
        )
        with stack.macro(self.label):
            stack.push(SetEncodedMaskCommand(doc, obj_id, frame, after, text=self.label))
            for kind, items in (("point", points), ("box", boxes)):
                for i, value in enumerate(items):
                    stack.push(MovePromptCommand(doc, obj_id, frame, kind, i, value))


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

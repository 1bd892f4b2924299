"""Rotate (R) and scale (S) tools on the current object's mask, driven by fake events."""

from __future__ import annotations

import numpy as np

from ultimate_roto.core.commands import CommandStack
from ultimate_roto.core.project import Document, Shot
from ultimate_roto.core.tools import (
    RotateTool,
    ScaleTool,
    ToolContext,
    ToolDriver,
    move,
    press,
    release,
    run_tool,
)
from ultimate_roto.core.tools.transform import mask_centroid

W, H = 160, 150


def make_ctx() -> ToolContext:
    doc = Document(Shot(width=W, height=H, out_frame=10))
    oid = doc.add_object(name="hero").id
    return ToolContext(doc, CommandStack(document=doc), oid, frame=4)


def l_mask() -> np.ndarray:
    """An L whose centroid sits exactly on the pixel corner (62, 78)."""
    m = np.zeros((H, W), np.uint8)
    m[40:100, 40:60] = 255  # vertical bar, area 1200, centroid (50, 70)
    m[80:100, 60:100] = 255  # foot, area 800, centroid (80, 90)
    return m


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 127, b > 127
    return float((a & b).sum() / (a | b).sum())


def test_rotate_90_matches_rot90_about_the_centroid() -> None:
    ctx = make_ctx()
    mask = l_mask()
    ctx.doc.set_mask(ctx.obj_id, 4, mask)
    cx, cy = mask_centroid(mask)
    assert (cx, cy) == (62.0, 78.0)
    # drag from right of the centre to above it: a quarter turn counter-clockwise on screen
    run_tool(RotateTool(ctx), [press(cx + 50, cy), move(cx + 40, cy - 30), release(cx, cy - 50)])
    expected = np.zeros_like(mask)
    r = 60
    crop = mask[78 - r : 78 + r, 62 - r : 62 + r]
    expected[78 - r : 78 + r, 62 - r : 62 + r] = np.rot90(crop)
    got = ctx.doc.mask(ctx.obj_id, 4)
    assert iou(got, expected) >= 0.97
    gx, gy = mask_centroid(got)
    assert abs(gx - cx) < 1 and abs(gy - cy) < 1
    assert len(ctx.stack) == 1 and ctx.stack.undo_text == "Rotate Mask"


def test_scale_doubles_area_and_keeps_centroid() -> None:
    ctx = make_ctx()
    mask = l_mask()
    ctx.doc.set_mask(ctx.obj_id, 4, mask)
    cx, cy = mask_centroid(mask)
    area = (mask > 127).sum()
    # linear 2x → area x4; linear sqrt(2) → area x2
    run_tool(ScaleTool(ctx), [press(cx + 20, cy), release(cx + 20 * 2**0.5, cy)])
    got = ctx.doc.mask(ctx.obj_id, 4)
    assert abs((got > 127).sum() / area - 2.0) < 0.1
    ctx.stack.undo()
    run_tool(ScaleTool(ctx), [press(cx + 10, cy), move(cx + 15, cy), release(cx, cy + 20)])
    got = ctx.doc.mask(ctx.obj_id, 4)
    assert abs((got > 127).sum() / area - 4.0) < 0.2
    gx, gy = mask_centroid(got)
    assert abs(gx - cx) < 1 and abs(gy - cy) < 1


def test_one_undo_step_restores_exact_pixels_and_prompts() -> None:
    ctx = make_ctx()
    doc, oid = ctx.doc, ctx.obj_id
    mask = l_mask()
    mask[60, 50] = 128  # a soft pixel
    doc.set_mask(oid, 4, mask)
    doc.add_prompt(oid, 4, "point", (50.5, 70.5, 1))
    doc.add_prompt(oid, 4, "box", (38.0, 38.0, 102.0, 102.0))
    run_tool(RotateTool(ctx), [press(112, 78), move(100, 60), release(62, 28)])
    assert len(ctx.stack) == 1
    moved = doc.prompts(oid, 4)
    px, py, label = moved.points[0]
    # (50.5, 70.5) is (-11.5, -7.5) from the centroid → a quarter turn CCW gives (-7.5, +11.5)
    assert label == 1 and abs(px - 54.5) < 0.05 and abs(py - 89.5) < 0.05
    assert moved.boxes[0] != (38.0, 38.0, 102.0, 102.0)
    transformed = doc.mask(oid, 4)
    assert not np.array_equal(transformed, mask)
    ctx.stack.undo()
    assert np.array_equal(doc.mask(oid, 4), mask)
    back = doc.prompts(oid, 4)
    assert back.points == [(50.5, 70.5, 1)] and back.boxes == [(38.0, 38.0, 102.0, 102.0)]
    ctx.stack.redo()
    assert np.array_equal(doc.mask(oid, 4), transformed)


def test_live_preview_and_cancel_restore() -> None:
    ctx = make_ctx()
    mask = l_mask()
    ctx.doc.set_mask(ctx.obj_id, 4, mask)
    driver = ToolDriver(ScaleTool(ctx))
    driver.handle(press(82, 78))
    driver.handle(move(102, 78))
    assert not np.array_equal(ctx.doc.mask(ctx.obj_id, 4), mask)  # the drag shows live
    driver.cancel()  # Escape
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), mask)
    assert len(ctx.stack) == 0


def test_empty_mask_locked_object_or_no_motion_record_nothing() -> None:
    ctx = make_ctx()
    tool = RotateTool(ctx)
    run_tool(tool, [press(50, 50), move(60, 70), release(60, 80)])
    assert len(ctx.stack) == 0 and "empty" in tool.message
    ctx.doc.set_mask(ctx.obj_id, 4, l_mask())
    run_tool(tool, [press(90, 78), release(90, 78)])  # no motion: no undo step
    assert len(ctx.stack) == 0
    ctx.doc.set_object_field(ctx.obj_id, "locked", True)
    run_tool(ScaleTool(ctx), [press(90, 78), release(120, 78)])
    assert len(ctx.stack) == 0
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), l_mask())
    ctx.obj_id = None
    run_tool(tool, [press(90, 78), release(120, 78)])
    assert len(ctx.stack) == 0

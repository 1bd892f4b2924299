"""W moves point prompts, box prompts (edge: move, corner: resize) and the mask; the select
tool picks what the overlay shows (grow/shrink and feather applied)."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.commands import CommandStack
from ultimate_roto.core.engines.maskops import apply_ops
from ultimate_roto.core.project import Document, Shot
from ultimate_roto.core.project.model import MaskOps
from ultimate_roto.core.tools import (
    MoveTool,
    ToolContext,
    ToolDriver,
    move,
    pick_object,
    press,
    release,
    run_tool,
    shown_coverage,
)

W, H = 120, 90


def make_ctx() -> ToolContext:
    doc = Document(Shot(width=W, height=H, out_frame=10))
    oid = doc.add_object(name="hero").id
    return ToolContext(doc, CommandStack(document=doc), oid, frame=4)


def square(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 255
    return m


def test_dragging_a_point_is_live_one_undo_step_and_escape_puts_it_back() -> None:
    ctx = make_ctx()
    doc, oid = ctx.doc, ctx.obj_id
    doc.add_prompt(oid, 4, "point", (50, 50, 1))
    ctx.stack.set_clean()
    tool = MoveTool(ctx)
    driver = ToolDriver(tool)
    driver.handle(press(52, 49))
    driver.handle(move(60, 52))
    assert tool.mode == "point" and doc.prompts(oid, 4).points == [(60.0, 52.0, 1)]  # live
    assert len(ctx.stack) == 0  # nothing recorded until the release
    driver.handle(move(70, 55))
    driver.handle(release(71, 56))
    assert doc.prompts(oid, 4).points == [(71.0, 56.0, 1)]
    assert len(ctx.stack) == 1 and ctx.stack.undo_text == "Move Point"
    ctx.stack.undo()
    assert doc.prompts(oid, 4).points == [(50.0, 50.0, 1)] and not doc.modified

    driver.handle(press(50, 50))
    driver.handle(move(30, 30))
    driver.cancel()  # Escape
    assert doc.prompts(oid, 4).points == [(50.0, 50.0, 1)]
    assert ctx.stack.index == 0 and not doc.modified


def test_a_box_edge_moves_the_box_and_a_corner_resizes_it() -> None:
    ctx = make_ctx()
    doc, oid = ctx.doc, ctx.obj_id
    doc.add_prompt(oid, 4, "box", (20, 20, 60, 50))
    tool = MoveTool(ctx)
    assert tool.pick_box(40, 21) == (0, "move")  # top edge
    assert tool.pick_box(40, 35) == (0, "move")  # the centre handle
    assert tool.pick_box(59, 49) == (0, "corner:3")
    assert tool.pick_box(30, 30) is None  # inside, away from edges and the handle: the mask
    run_tool(tool, [press(40, 20), move(45, 25), release(50, 30)])
    assert tool.mode == "box" and doc.prompts(oid, 4).boxes == [(30.0, 30.0, 70.0, 60.0)]
    assert ctx.stack.undo_text == "Move Box" and len(ctx.stack) == 1
    run_tool(tool, [press(70, 60), move(100, 80), release(110, 85)])  # bottom right corner
    assert tool.mode == "corner" and doc.prompts(oid, 4).boxes == [(30.0, 30.0, 110.0, 85.0)]
    run_tool(tool, [press(70, 57), release(-500, -500)])  # the centre handle: clamped move
    assert doc.prompts(oid, 4).boxes == [(0.0, 0.0, 80.0, 55.0)]
    run_tool(tool, [press(1, 1), release(200, 200)])  # top left past the bottom right
    assert doc.prompts(oid, 4).boxes == [(80.0, 55.0, 120.0, 90.0)]  # normalised, clamped
    assert len(ctx.stack) == 4
    for _ in range(4):
        ctx.stack.undo()
    assert doc.prompts(oid, 4).boxes == [(20.0, 20.0, 60.0, 50.0)]


def test_pressing_away_from_prompts_moves_the_mask_and_its_prompts_in_one_step() -> None:
    ctx = make_ctx()
    doc, oid = ctx.doc, ctx.obj_id
    mask = square(20, 30, 50, 60)
    mask[40, 25] = 90  # a soft pixel: whole-pixel moves keep it exactly
    doc.set_mask(oid, 4, mask)
    doc.add_prompt(oid, 4, "point", (30, 40, 1))
    doc.add_prompt(oid, 4, "box", (15, 25, 55, 65))
    ctx.stack.set_clean()
    tool = MoveTool(ctx)
    driver = ToolDriver(tool)
    driver.handle(press(42, 52))  # inside the box, away from its edges, handle and the point
    driver.handle(move(52.4, 47.2))
    assert tool.mode == "mask"
    assert np.array_equal(doc.mask(oid, 4), np.roll(mask, (-5, 10), axis=(0, 1)))  # live
    assert len(ctx.stack) == 0
    driver.handle(release(62.2, 44.9))  # (+20, -7) after rounding
    expected = np.roll(mask, (-7, 20), axis=(0, 1))
    assert np.array_equal(doc.mask(oid, 4), expected)
    fp = doc.prompts(oid, 4)
    assert fp.points == [(50.0, 33.0, 1)] and fp.boxes == [(35.0, 18.0, 75.0, 58.0)]
    assert len(ctx.stack) == 1 and ctx.stack.undo_text == "Move Mask"
    ctx.stack.undo()
    assert np.array_equal(doc.mask(oid, 4), mask) and doc.prompts(oid, 4).points == [
        (30.0, 40.0, 1)
    ]
    assert not doc.modified

    driver.handle(press(42, 52))
    driver.handle(move(60, 60))
    driver.cancel()  # Escape: the live preview goes, nothing recorded
    assert np.array_equal(doc.mask(oid, 4), mask) and ctx.stack.index == 0
    assert not doc.modified


def test_the_pick_radius_comes_from_the_context_options() -> None:
    ctx = make_ctx()
    ctx.doc.add_prompt(ctx.obj_id, 4, "point", (50, 50, 1))
    tool = MoveTool(ctx)
    assert tool.pick(55, 50) == 0  # 5 px: within the default 8
    ctx.options["pick_radius"] = 2.0  # zoomed in 4x: 8 screen px are 2 image px
    assert tool.pick(55, 50) is None and tool.pick(51.5, 50) == 0


def test_shift_keeps_a_mask_move_to_one_axis() -> None:
    ctx = make_ctx()
    mask = square(20, 30, 50, 60)
    ctx.doc.set_mask(ctx.obj_id, 4, mask)
    run_tool(MoveTool(ctx), [press(30, 40), move(45, 44, "shift"), release(52, 46, "shift")])
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), np.roll(mask, 22, axis=1))
    run_tool(MoveTool(ctx), [press(55, 45), release(57, 35, "shift")])
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), np.roll(mask, (-10, 22), axis=(0, 1)))


def test_moving_an_empty_mask_says_so_and_records_nothing() -> None:
    ctx = make_ctx()
    tool = MoveTool(ctx)
    run_tool(tool, [press(30, 30), move(40, 40), release(40, 40)])
    assert tool.mode == "mask" and "empty" in tool.message
    assert len(ctx.stack) == 0


@pytest.mark.parametrize(
    "ops", [MaskOps(), MaskOps(dilate_px=6), MaskOps(erode_px=5), MaskOps(3, 0, 4.0)]
)
def test_shown_coverage_is_the_overlay_value(ops: MaskOps) -> None:
    ctx = make_ctx()
    doc, oid = ctx.doc, ctx.obj_id
    mask = square(30, 20, 70, 60)
    doc.set_mask(oid, 4, mask)
    doc.set_object_field(oid, "mask_ops", ops)
    grow = ops.dilate_px - ops.erode_px
    full = apply_ops(mask, {"grow": grow, "feather": ops.feather_px})
    for x, y in [(29, 40), (26, 40), (31, 21), (35, 25), (50, 40), (75, 64), (0, 0), (119, 89)]:
        assert shown_coverage(doc, oid, 4, x + 0.5, y + 0.5) == pytest.approx(
            float(full[y, x]), abs=1e-5
        )


def test_pick_object_uses_the_shown_mask_top_most_first() -> None:
    ctx = make_ctx()
    doc = ctx.doc
    below, top = ctx.obj_id, doc.add_object(name="top").id
    doc.set_mask(below, 4, square(10, 10, 50, 50))
    doc.set_mask(top, 4, square(40, 40, 80, 80))
    assert pick_object(doc, 4, 45, 45) == top  # both cover it: the top-most
    assert pick_object(doc, 4, 20, 20) == below
    assert pick_object(doc, 4, 54, 20) is None  # outside the raw mask …
    doc.set_object_field(below, "mask_ops", MaskOps(dilate_px=6))
    assert pick_object(doc, 4, 54, 20) == below  # … but inside the grown one on screen
    doc.set_object_field(top, "mask_ops", MaskOps(erode_px=8))
    assert pick_object(doc, 4, 44, 75) is None  # eroded away on screen
    doc.set_object_field(top, "visible", False)
    assert pick_object(doc, 4, 60, 60) is None

"""Qt-free tools driven by fake pointer events."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.commands import CommandStack
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project import Document, Shot
from ultimate_roto.core.tools import (
    BoxPromptTool,
    BrushTool,
    EraserTool,
    MoveTool,
    PointPromptTool,
    ToolContext,
    ToolDriver,
    move,
    press,
    release,
    run_tool,
    stamp_disc,
)

W, H = 80, 60


def make_ctx() -> ToolContext:
    doc = Document(Shot(width=W, height=H, out_frame=10))
    oid = doc.add_object(name="hero").id
    return ToolContext(doc, CommandStack(document=doc), oid, frame=4)


def test_point_tool_click_and_alt_click() -> None:
    ctx = make_ctx()
    tool = PointPromptTool(ctx)
    run_tool(tool, [press(10, 12), move(11, 12), release(11, 12)])
    run_tool(tool, [press(30, 5, "alt"), release(30, 5, "alt")])
    run_tool(tool, [press(500, 5), release(500, 5)])  # outside the image: ignored
    run_tool(tool, [press(3, 3, button="right"), release(3, 3, button="right")])
    assert ctx.doc.prompts(ctx.obj_id, 4).points == [(10.0, 12.0, 1), (30.0, 5.0, 0)]
    assert ctx.stack.undo_text == "Add Point"
    ctx.stack.undo()
    assert len(ctx.doc.prompts(ctx.obj_id, 4).points) == 1


def test_locked_or_missing_object_is_not_edited() -> None:
    ctx = make_ctx()
    ctx.doc.set_object_field(ctx.obj_id, "locked", True)
    run_tool(PointPromptTool(ctx), [press(10, 12), release(10, 12)])
    run_tool(BrushTool(ctx), [press(10, 12), move(20, 12), release(20, 12)])
    ctx.obj_id = "gone"
    run_tool(BoxPromptTool(ctx), [press(1, 1), move(20, 20), release(20, 20)])
    assert len(ctx.stack) == 0


def test_box_tool_drag_with_preview_and_clamp() -> None:
    ctx = make_ctx()
    tool = BoxPromptTool(ctx)
    driver = ToolDriver(tool)
    driver.handle(press(40, 30))
    driver.handle(move(20, 10))
    assert tool.preview == (20.0, 10.0, 40.0, 30.0)
    driver.handle(release(-5, 200))
    assert not driver.active and tool.preview is None
    assert ctx.doc.prompts(ctx.obj_id, 4).boxes == [(0.0, 30.0, 40.0, 60.0)]
    run_tool(tool, [press(5, 5), release(6, 6)])  # too small: no box
    assert len(ctx.stack) == 1


def test_move_tool_drag_is_one_undo_step() -> None:
    ctx = make_ctx()
    ctx.doc.add_prompt(ctx.obj_id, 4, "point", (10, 10, 0))
    ctx.doc.add_prompt(ctx.obj_id, 4, "point", (50, 50, 1))
    ctx.stack.set_clean()
    tool = MoveTool(ctx)
    run_tool(tool, [press(51, 49), move(55, 50), move(60, 52), release(62, 53)])
    assert ctx.doc.prompts(ctx.obj_id, 4).points[1] == (62.0, 53.0, 1)  # label kept
    assert len(ctx.stack) == 1 and ctx.stack.undo_text == "Move Point"
    run_tool(tool, [press(10, 10), move(12, 12), release(14, 14)])
    assert len(ctx.stack) == 2  # a second drag is a second step
    ctx.stack.undo()
    ctx.stack.undo()
    assert ctx.doc.prompts(ctx.obj_id, 4).points == [(10.0, 10.0, 0), (50.0, 50.0, 1)]
    assert ctx.stack.is_clean and not ctx.doc.modified
    run_tool(tool, [press(30, 30), move(35, 35), release(35, 35)])  # nothing picked
    assert len(ctx.stack) == 2


def test_stamp_disc_profile() -> None:
    canvas = np.zeros((21, 21), np.uint8)
    bbox = stamp_disc(canvas, 10.5, 10.5, 8.0, 1.0)
    assert bbox == (2, 2, 19, 19)
    assert canvas[10, 10] == 255 and canvas[10, 0] == 0
    soft = np.zeros((21, 21), np.uint8)
    stamp_disc(soft, 10.5, 10.5, 8.0, 0.0)
    assert 0 < soft[10, 6] < 255  # soft brushes fall off gradually
    assert stamp_disc(canvas, -50, -50, 4, 1.0) is None


def test_brush_stroke_is_one_command_and_undo_is_exact() -> None:
    ctx = make_ctx()
    rng = np.random.default_rng(5)
    initial = rng.integers(0, 200, (H, W), dtype=np.uint8)
    ctx.doc.set_mask(ctx.obj_id, 4, initial)
    seen: list[tuple] = []
    ctx.doc.events.mask_changed.connect(lambda o, f, b: seen.append(b))
    tool = BrushTool(ctx, size=10, hardness=1.0)
    run_tool(tool, [press(10, 10), move(30, 10), move(50, 20), release(50, 20)])
    painted = ctx.doc.mask(ctx.obj_id, 4)
    assert len(seen) >= 3  # the stroke shows live
    assert painted[10, 20] == 255 and painted[15, 40] == 255
    assert np.array_equal(painted[50:, :], initial[50:, :])  # outside the stroke: untouched
    assert len(ctx.stack) == 1 and ctx.stack.undo_text == "Paint Mask"
    cmd = ctx.stack.command(0)
    assert cmd.nbytes < initial.nbytes  # bbox only
    ctx.stack.undo()
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), initial)
    ctx.stack.redo()
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), painted)


def test_eraser_and_cancelled_stroke() -> None:
    ctx = make_ctx()
    full = np.full((H, W), 255, np.uint8)
    ctx.doc.set_mask(ctx.obj_id, 4, full)
    ctx.doc.mark_saved(ctx.doc.revision)
    driver = ToolDriver(EraserTool(ctx, size=8, hardness=1.0))
    driver.handle(press(40, 30))
    driver.handle(move(60, 30))
    assert ctx.doc.mask(ctx.obj_id, 4)[30, 50] == 0
    driver.cancel()  # e.g. Esc mid-stroke
    assert np.array_equal(ctx.doc.mask(ctx.obj_id, 4), full)
    assert len(ctx.stack) == 0 and not ctx.doc.modified
    run_tool(EraserTool(ctx, size=8, hardness=1.0), [press(40, 30), release(60, 30)])
    assert ctx.doc.mask(ctx.obj_id, 4)[30, 50] == 0 and ctx.stack.undo_text == "Erase Mask"


def test_brush_rejects_bad_settings() -> None:
    ctx = make_ctx()
    with pytest.raises(InputError, match="hardness"):
        BrushTool(ctx, size=10, hardness=2.0)
    with pytest.raises(InputError, match="size must be > 0"):
        EraserTool(ctx, size=0)

"""The mask transform tools work at the cost of the mask's bbox: each preview matches the
full-frame warp (translate, rotate, scale; at the frame edge and pushed out of it), and the
release records the last preview as it is, without warping again."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ultimate_roto.core.commands import CommandStack
from ultimate_roto.core.project import Document, Shot
from ultimate_roto.core.project.masks import EncodedMask, decode_mask, encode_mask
from ultimate_roto.core.tools import (
    MoveMaskTool,
    RotateTool,
    ScaleTool,
    ToolContext,
    ToolDriver,
    move,
    press,
    release,
)
from ultimate_roto.core.tools.transform import (
    MaskWarp,
    Matrix,
    affine_about,
    mask_centroid,
    translation,
    warp_mask,
    whole_shift,
)

W, H = 200, 150


def blob(cx: float, cy: float, rx: float, ry: float, angle: float = 0.3) -> np.ndarray:
    """A soft-edged rotated ellipse (every edge pixel a different grey), uint8."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64) + 0.5
    ca, sa = math.cos(angle), math.sin(angle)
    u = ((xx - cx) * ca + (yy - cy) * sa) / rx
    v = (-(xx - cx) * sa + (yy - cy) * ca) / ry
    r = np.sqrt(u * u + v * v)
    return (np.clip((1.0 - r) * 6.0, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def assert_matches_full_warp(entry: EncodedMask | None, mask: np.ndarray, m: Matrix) -> None:
    """The entry decodes to the full-frame cv2 warp of ``mask``: exactly for whole-pixel
    moves, and for rotate/scale too where cv2 takes its IPP path (x86 wheels; cv2 rounds
    sample positions in float32, elsewhere an edge pixel may round 1 level the other way)."""
    import cv2

    expected = warp_mask(mask, m)
    got = decode_mask(entry, mask.shape)
    if whole_shift(m) is not None or cv2.ipp.useIPP():
        assert np.array_equal(got, expected)
    diff = np.abs(got.astype(np.int16) - expected)
    assert diff.max(initial=0) <= 1 and (diff > 0).sum() <= max(3, (expected > 0).sum() // 500)
    assert (entry is None) == (not expected.any())


def rectangle(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """Hard-edged: full 255 on its bbox's border, so a sample barely inside counts."""
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 255
    return m


CASES = {
    "middle": blob(90, 70, 40, 25),
    "hard rectangle": rectangle(60, 40, 131, 97),
    "hard at the right edge": rectangle(150, 30, W, 80),
    "top-left edge": blob(15, 10, 40, 25),  # cut by the left and top borders
    "bottom-right edge": blob(W - 10, H - 8, 35, 30, angle=1.1),
}
MATRICES = {
    "whole shift": lambda c: translation(23, -11),
    "whole shift out": lambda c: translation(-150, 95),  # partly out of the frame
    "all out": lambda c: translation(W + 5, 0),
    "sub-pixel shift": lambda c: translation(7.25, -3.5),
    "rotate": lambda c: affine_about(c, angle=0.7),
    "rotate 90": lambda c: affine_about(c, angle=-math.pi / 2),
    "scale up": lambda c: affine_about(c, scale=1.83),  # grows past the frame edge
    "scale down": lambda c: affine_about(c, scale=0.37),
    "rotate and scale off-centre": lambda c: affine_about((c[0] + 60, c[1] - 40), 2.4, 1.3),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("how", MATRICES)
def test_the_bbox_warp_matches_the_full_frame_warp(case: str, how: str) -> None:
    mask = CASES[case]
    warp = MaskWarp(encode_mask(mask), W, H)
    centre = warp.centroid()
    assert centre == pytest.approx(mask_centroid(mask), abs=1e-9)
    assert_matches_full_warp(warp.warp(MATRICES[how](centre)), mask, MATRICES[how](centre))


def test_a_whole_pixel_move_inside_the_frame_keeps_the_compressed_bytes() -> None:
    entry = encode_mask(CASES["middle"])
    warp = MaskWarp(entry, W, H)
    moved = warp.warp(translation(30, 20))
    assert moved.data is entry.data and moved.bbox == tuple(
        v + d for v, d in zip(entry.bbox, (30, 20, 30, 20), strict=True)
    )
    assert warp.warp(translation(0, 0)) == entry
    assert warp._full is None  # no full frame decoded for whole-pixel moves


def make_ctx(mask: np.ndarray) -> ToolContext:
    doc = Document(Shot(width=W, height=H, out_frame=10))
    oid = doc.add_object(name="hero").id
    doc.set_mask(oid, 4, mask)
    return ToolContext(doc, CommandStack(document=doc), oid, frame=4)


class CountingWarp(MaskWarp):
    calls: list[Matrix] = []

    def warp(self, m: Matrix) -> EncodedMask | None:
        CountingWarp.calls.append(m)
        return super().warp(m)


@pytest.mark.parametrize(
    "tool_class, path",
    [
        (MoveMaskTool, [(80, 70), (95.4, 61.2), (150, 120), (171.7, 134.2)]),  # ends partly out
        (RotateTool, [(120, 70), (118, 90), (100, 110), (90, 112)]),
        (ScaleTool, [(110, 70), (130, 70), (150, 75), (180, 80)]),
    ],
)
def test_each_preview_matches_the_full_warp_and_the_release_records_the_last_one(
    monkeypatch: pytest.MonkeyPatch, tool_class, path
) -> None:
    mask = CASES["middle"]
    ctx = make_ctx(mask)
    doc, oid = ctx.doc, ctx.obj_id
    original = doc.masks.encoded(oid, 4)
    monkeypatch.setattr("ultimate_roto.core.tools.transform.MaskWarp", CountingWarp)
    CountingWarp.calls = []
    tool = tool_class(ctx)
    driver = ToolDriver(tool)
    driver.handle(press(*path[0]))
    for x, y in path[1:]:
        driver.handle(move(x, y))
        assert_matches_full_warp(doc.masks.encoded(oid, 4), mask, CountingWarp.calls[-1])
    shown = doc.masks.encoded(oid, 4)
    driver.handle(release(*path[-1]))  # where the last move was: no warp again
    assert len(CountingWarp.calls) == len(path) - 1
    assert doc.masks.encoded(oid, 4) is shown  # the preview's entry itself is recorded
    assert len(ctx.stack) == 1 and ctx.stack.undo_text == tool.label
    ctx.stack.undo()
    assert doc.masks.encoded(oid, 4) is original and not doc.modified
    ctx.stack.redo()
    assert doc.masks.encoded(oid, 4) is shown


def test_a_release_elsewhere_warps_once_for_its_own_position(monkeypatch) -> None:
    mask = CASES["bottom-right edge"]
    ctx = make_ctx(mask)
    monkeypatch.setattr("ultimate_roto.core.tools.transform.MaskWarp", CountingWarp)
    CountingWarp.calls = []
    driver = ToolDriver(ScaleTool(ctx))
    driver.handle(press(150, 100))
    driver.handle(move(140, 95))
    driver.handle(release(120, 90))
    assert len(CountingWarp.calls) == 2
    assert_matches_full_warp(ctx.doc.masks.encoded(ctx.obj_id, 4), mask, CountingWarp.calls[-1])
    assert len(ctx.stack) == 1


def test_a_mask_moved_out_of_the_frame_is_cleared_in_one_step_and_undo_brings_it_back() -> None:
    mask = CASES["middle"]
    ctx = make_ctx(mask)
    doc, oid = ctx.doc, ctx.obj_id
    doc.add_prompt(oid, 4, "point", (90.5, 70.5, 1))
    driver = ToolDriver(MoveMaskTool(ctx))
    driver.handle(press(90, 70))
    driver.handle(move(90, 20))  # partly out at the top
    assert_matches_full_warp(doc.masks.encoded(oid, 4), mask, translation(0, -50))
    driver.handle(release(90, -200))  # all of it out
    assert not doc.masks.has(oid, 4)
    assert doc.prompts(oid, 4).points == [(90.5, 0.0, 1)]  # clamped to the frame
    ctx.stack.undo()
    assert np.array_equal(doc.mask(oid, 4), mask)
    assert doc.prompts(oid, 4).points == [(90.5, 70.5, 1)]


def test_moving_back_to_the_start_records_nothing_and_keeps_the_document_clean() -> None:
    ctx = make_ctx(CASES["middle"])
    ctx.doc.set_modified(False)  # (as saved)
    original = ctx.doc.masks.encoded(ctx.obj_id, 4)
    driver = ToolDriver(MoveMaskTool(ctx))
    driver.handle(press(90, 70))
    driver.handle(move(120, 80))
    assert ctx.doc.modified
    driver.handle(release(90.3, 69.8))  # rounds to no move at all
    assert len(ctx.stack) == 0 and not ctx.doc.modified
    assert ctx.doc.masks.encoded(ctx.obj_id, 4) is original


def test_the_prompts_follow_the_mask_live_and_a_cancel_puts_them_back() -> None:
    mask = CASES["middle"]
    ctx = make_ctx(mask)
    doc, oid = ctx.doc, ctx.obj_id
    doc.add_prompt(oid, 4, "point", (90.5, 70.5, 1))
    doc.add_prompt(oid, 4, "box", (60.0, 50.0, 120.0, 90.0))
    seen: list[tuple] = []
    doc.events.prompts_changed.connect(lambda o, f: seen.append(doc.prompts(o, f).points[0]))
    driver = ToolDriver(MoveMaskTool(ctx))
    driver.handle(press(90, 70))
    driver.handle(move(100, 75))
    assert doc.prompts(oid, 4).points == [(100.5, 75.5, 1)]  # on screen with the mask
    assert doc.prompts(oid, 4).boxes == [(70.0, 55.0, 130.0, 95.0)]
    assert seen and seen[-1] == (100.5, 75.5, 1)  # (the viewport redraws them on this event)
    driver.cancel()
    assert doc.prompts(oid, 4).points == [(90.5, 70.5, 1)]
    assert doc.prompts(oid, 4).boxes == [(60.0, 50.0, 120.0, 90.0)]
    assert np.array_equal(doc.mask(oid, 4), mask) and len(ctx.stack) == 0
    driver.handle(press(90, 70))  # a full drag: one step, undo puts both back
    driver.handle(move(80, 60))
    driver.handle(release(80, 60))
    assert doc.prompts(oid, 4).points == [(80.5, 60.5, 1)] and len(ctx.stack) == 1
    ctx.stack.undo()
    assert doc.prompts(oid, 4).points == [(90.5, 70.5, 1)]
    assert doc.prompts(oid, 4).boxes == [(60.0, 50.0, 120.0, 90.0)]


def test_a_drag_whose_preview_fails_half_way_is_put_back(monkeypatch) -> None:
    """The mask preview is stored, then moving the prompts raises: the drag's end still puts
    the mask (and the modified flag) back, so no preview is left without an undo step."""
    from ultimate_roto.core.errors import RotoError

    mask = CASES["middle"]
    ctx = make_ctx(mask)
    doc, oid = ctx.doc, ctx.obj_id
    doc.add_prompt(oid, 4, "point", (90.5, 70.5, 1))
    doc.set_modified(False)
    original = doc.masks.encoded(oid, 4)

    real, calls = doc.set_prompt, []

    def fails_once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RotoError("no point prompt #0")
        return real(*args, **kwargs)

    driver = ToolDriver(MoveMaskTool(ctx))
    driver.handle(press(90, 70))
    monkeypatch.setattr(doc, "set_prompt", fails_once)
    with pytest.raises(RotoError):
        driver.handle(move(110, 80))  # the mask preview was stored before the raise
    driver.cancel()  # (what the GUI's tool controller does on a RotoError)
    assert doc.masks.encoded(oid, 4) is original and not doc.modified
    assert doc.prompts(oid, 4).points == [(90.5, 70.5, 1)] and len(ctx.stack) == 0


def test_prompts_removed_under_a_drag_are_not_asked_for() -> None:
    ctx = make_ctx(CASES["middle"])
    doc, oid = ctx.doc, ctx.obj_id
    doc.add_prompt(oid, 4, "point", (90.5, 70.5, 1))
    driver = ToolDriver(MoveMaskTool(ctx))
    driver.handle(press(90, 70))
    doc.remove_prompt(oid, 4, "point", 0)  # e.g. an undo of the click that added it
    driver.handle(move(100, 75))  # no "no point prompt #0"
    driver.cancel()
    assert doc.prompts(oid, 4).points == [] and len(ctx.stack) == 0

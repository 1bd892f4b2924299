"""Every edit command: redo/undo round trips restore the document exactly."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from ultimate_roto.core.commands import (
    AddObjectCommand,
    AddPromptCommand,
    Command,
    CommandStack,
    DeleteObjectCommand,
    DeletePromptCommand,
    MovePromptCommand,
    PaintMaskCommand,
    RemoveKeyframeCommand,
    RenameObjectCommand,
    SetFrameFlagCommand,
    SetFrameRangeCommand,
    SetKeyframeCommand,
    SetMaskCommand,
    SetObjectPropertyCommand,
)
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project import Document, MaskOps, Shot

W, H = 48, 32


def serialised(doc: Document) -> str:
    """The whole document, masks included, as one comparable string."""
    state = doc.to_dict()
    state["masks"] = {
        o: {str(f): [e.bbox, e.data.hex()] for f, e in sorted(per.items())}
        for o, per in sorted(doc.masks.snapshot().items())
    }
    return json.dumps(state, sort_keys=True)


def make_doc() -> tuple[Document, str, str]:
    rng = np.random.default_rng(3)
    doc = Document(Shot(width=W, height=H, in_frame=0, out_frame=20))
    a = doc.add_object(name="hero").id
    b = doc.add_object(name="car").id
    doc.add_prompt(a, 2, "point", (5, 6, 1))
    doc.add_prompt(a, 2, "point", (9, 9, 0))
    doc.add_prompt(a, 2, "box", (1, 1, 20, 20))
    doc.set_keyframe(a, 2)
    for f in (1, 2, 3):
        doc.set_mask(a, f, rng.integers(0, 256, (H, W), dtype=np.uint8))
    doc.set_mask(b, 2, (rng.random((H, W)) > 0.7).astype(np.uint8) * 255)
    return doc, a, b


def _commands(doc: Document, a: str, b: str) -> list[Callable[[], Command]]:
    stroke = np.full((6, 10), 255, np.uint8)
    new_mask = np.zeros((H, W), np.uint8)
    new_mask[10:20, 5:15] = 128
    return [
        lambda: AddObjectCommand(doc, "new"),
        lambda: DeleteObjectCommand(doc, a),
        lambda: RenameObjectCommand(doc, a, "villain"),
        lambda: SetObjectPropertyCommand(doc, a, "color", (0, 0, 255)),
        lambda: SetObjectPropertyCommand(doc, b, "locked", True),
        lambda: SetObjectPropertyCommand(doc, a, "mask_ops", MaskOps(3, 0, 2.0)),
        lambda: SetObjectPropertyCommand(doc, a, "engines", {"segment": "segment.sam2"}),
        lambda: AddPromptCommand(doc, a, 2, "point", (7, 7, 0)),
        lambda: AddPromptCommand(doc, b, 5, "box", (3, 3, 9, 9)),
        lambda: AddPromptCommand(doc, a, 2, "text", "a person"),
        lambda: MovePromptCommand(doc, a, 2, "point", 0, (20, 21, 1)),
        lambda: MovePromptCommand(doc, a, 2, "box", 0, (2, 2, 30, 30)),
        lambda: DeletePromptCommand(doc, a, 2, "point", 0),
        lambda: DeletePromptCommand(doc, a, 2, "box", 0),
        lambda: SetKeyframeCommand(doc, a, 7),
        lambda: RemoveKeyframeCommand(doc, a, 2),
        lambda: SetFrameFlagCommand(doc, a, 3, "occluded"),
        lambda: SetFrameRangeCommand(doc, 4, 12),
        lambda: PaintMaskCommand(doc, a, 2, (3, 4, 13, 10), stroke),
        lambda: SetMaskCommand(doc, a, 1, new_mask),
        lambda: SetMaskCommand(doc, b, 9, new_mask),
    ]


@pytest.mark.parametrize("i", range(21))
def test_redo_undo_round_trip(i: int) -> None:
    doc, a, b = make_doc()
    original = serialised(doc)
    stack = CommandStack()
    cmd = _commands(doc, a, b)[i]()
    stack.push(cmd)
    changed = serialised(doc)
    assert changed != original, f"{cmd.text} changed nothing"
    stack.undo()
    assert serialised(doc) == original, f"undo of {cmd.text} is not exact"
    stack.redo()
    assert serialised(doc) == changed, f"redo of {cmd.text} differs"
    stack.undo()
    assert serialised(doc) == original


def test_whole_session_undoes_to_the_start() -> None:
    doc, a, b = make_doc()
    original = serialised(doc)
    stack = CommandStack()
    for make in _commands(doc, a, b)[2:]:  # everything but add/delete, in order
        stack.push(make())
    stack.push(DeleteObjectCommand(doc, a))
    while stack.undo():
        pass
    assert serialised(doc) == original


def test_paint_undo_restores_exact_pixels_and_stores_only_the_bbox() -> None:
    rng = np.random.default_rng(11)
    doc = Document(Shot(width=640, height=360))
    oid = doc.add_object().id
    initial = rng.integers(0, 256, (360, 640), dtype=np.uint8)
    doc.set_mask(oid, 0, initial)
    bbox = (100, 50, 140, 80)
    stack = CommandStack()
    cmd = PaintMaskCommand(doc, oid, 0, bbox, np.full((30, 40), 255, np.uint8))
    stack.push(cmd)
    assert cmd.nbytes == 2 * 30 * 40  # the stroke's bbox, not the frame
    assert (doc.mask(oid, 0)[50:80, 100:140] == 255).all()
    stack.undo()
    assert np.array_equal(doc.mask(oid, 0), initial)
    with pytest.raises(InputError, match="bbox needs uint8"):
        PaintMaskCommand(doc, oid, 0, bbox, np.zeros((3, 3), np.uint8))


def test_set_mask_keeps_the_entries_compressed() -> None:
    doc, a, _b = make_doc()
    new = doc.mask(a, 1)
    new[4:6, 7:9] = 0
    new[4:6, 7:9] += 1
    before = doc.masks.encoded(a, 1)
    cmd = SetMaskCommand(doc, a, 1, new)
    assert cmd.before is before  # the document's entry itself, not a copy of its pixels
    stack = CommandStack()
    stack.push(cmd)
    assert np.array_equal(doc.mask(a, 1), new) and doc.masks.encoded(a, 1) is cmd.after
    stack.undo()
    assert doc.masks.encoded(a, 1) is before
    # an engine's full-HD result: the undo step holds kilobytes, not the changed crops' MiB
    hd = Document(Shot(width=1920, height=1080))
    oid = hd.add_object(name="hero").id
    blob = np.zeros((1080, 1920), np.uint8)
    blob[100:1000, 200:1700] = 255
    big = SetMaskCommand(hd, oid, 0, blob)
    assert big.nbytes < blob[100:1000, 200:1700].nbytes // 50
    same = SetMaskCommand(doc, a, 1, doc.mask(a, 1))
    stack = CommandStack()
    stack.push(same)
    assert same.obsolete and len(stack) == 0


def test_property_drags_merge_and_bad_values_fail() -> None:
    doc, a, _b = make_doc()
    stack = CommandStack()
    for px in (1.0, 2.0, 3.0):
        stack.push(SetObjectPropertyCommand(doc, a, "mask_ops", MaskOps(feather_px=px), "fx"))
    assert len(stack) == 1
    stack.undo()
    assert doc.object(a).mask_ops == MaskOps()
    with pytest.raises(InputError, match="out frame is before the in frame"):
        SetFrameRangeCommand(doc, 10, 2)
    with pytest.raises(InputError, match="no point prompt #5"):
        MovePromptCommand(doc, a, 2, "point", 5, (1, 1, 1))
    with pytest.raises(InputError, match="unknown prompt kind"):
        AddPromptCommand(doc, a, 2, "lasso", ())


def test_stack_bound_to_document_tracks_dirty_flag() -> None:
    doc, a, _b = make_doc()
    doc.mark_saved(doc.revision)
    stack = CommandStack(document=doc)
    dirty: list[bool] = []
    doc.events.dirty_changed.connect(dirty.append)
    stack.push(SetKeyframeCommand(doc, a, 9))
    stack.push(RenameObjectCommand(doc, a, "x"))
    assert doc.modified and not stack.is_clean
    stack.undo()
    stack.undo()
    assert not doc.modified and stack.is_clean  # back at the save point
    stack.redo()
    assert doc.modified
    doc.mark_saved(doc.revision)  # what save_project does
    assert stack.is_clean
    stack.undo()
    assert doc.modified
    assert dirty == [True, False, True, False, True]

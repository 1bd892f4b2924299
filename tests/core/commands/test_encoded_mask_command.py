"""SetEncodedMaskCommand: undo/redo swap the compressed entries, exact against decoding, with
the compressed sizes counted against the history's byte budget."""

from __future__ import annotations

import numpy as np
import pytest

from tests.shapes import soft_disc
from ultimate_roto.core.commands import (
    CommandStack,
    PaintMaskCommand,
    SetEncodedMaskCommand,
    SetMaskCommand,
)
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project import Document, Shot
from ultimate_roto.core.project.masks import EncodedMask, decode_mask, encode_mask, union_bbox

W, H = 320, 240


def disc(cx: int, cy: int = 120, r: int = 60) -> np.ndarray:
    return soft_disc(W, H, cx, cy, r, edge=4.0)


def decode(enc: EncodedMask | None) -> np.ndarray:
    return decode_mask(enc, (H, W))


@pytest.fixture
def doc_stack() -> tuple[Document, CommandStack, str]:
    doc = Document(Shot(width=W, height=H, in_frame=0, out_frame=50))
    obj = doc.add_object(name="hero").id
    return doc, CommandStack(document=doc), obj


@pytest.mark.parametrize(
    "old, new",
    [(None, disc(100)), (disc(100), disc(130)), (disc(100), disc(100, r=30)), (disc(100), None)],
)
def test_undo_redo_swap_the_entries_exactly(doc_stack, old, new) -> None:
    doc, stack, obj = doc_stack
    if old is not None:
        doc.set_mask(obj, 7, old)
    before = doc.masks.encoded(obj, 7)
    entry = None if new is None else encode_mask(new)
    events: list[tuple] = []
    doc.events.mask_changed.connect(lambda *a: events.append(a))
    cmd = SetEncodedMaskCommand(doc, obj, 7, entry)
    stack.push(cmd)
    box = union_bbox(before and before.bbox, entry and entry.bbox)
    for _ in range(2):
        assert doc.masks.encoded(obj, 7) is entry
        assert np.array_equal(doc.mask(obj, 7), decode(entry))
        stack.undo()
        assert doc.masks.encoded(obj, 7) is before
        assert np.array_equal(doc.mask(obj, 7), decode(before))
        stack.redo()
    assert events == [(obj, 7, box)] * 5
    assert stack.undo_text == "Set Mask"


def test_it_matches_set_mask_command_pixel_for_pixel(doc_stack) -> None:
    doc, stack, obj = doc_stack
    doc.set_mask(obj, 3, disc(90))
    doc.set_mask(obj, 4, disc(90))
    stack.push(SetMaskCommand(doc, obj, 3, disc(140)))
    stack.push(SetEncodedMaskCommand(doc, obj, 4, encode_mask(disc(140))))
    assert np.array_equal(doc.mask(obj, 3), doc.mask(obj, 4))
    assert doc.masks.encoded(obj, 3) == doc.masks.encoded(obj, 4)
    stack.undo()
    stack.undo()
    assert np.array_equal(doc.mask(obj, 3), doc.mask(obj, 4))


def test_nbytes_is_the_compressed_size(doc_stack) -> None:
    doc, _stack, obj = doc_stack
    doc.set_mask(obj, 2, disc(100))
    old = doc.masks.encoded(obj, 2)
    entry = encode_mask(disc(150))
    cmd = SetEncodedMaskCommand(doc, obj, 2, entry)
    assert cmd.nbytes == old.nbytes + entry.nbytes
    assert SetEncodedMaskCommand(doc, obj, 9, entry).nbytes == entry.nbytes
    x0, y0, x1, y1 = box = union_bbox(old.bbox, entry.bbox)
    raw = PaintMaskCommand(doc, obj, 2, box, decode(entry)[y0:y1, x0:x1])  # the old way
    assert cmd.nbytes * 8 < raw.nbytes


def test_the_byte_budget_counts_compressed_entries(doc_stack) -> None:
    doc, _stack, obj = doc_stack
    entries = [encode_mask(disc(60 + 10 * n)) for n in range(6)]
    size = SetEncodedMaskCommand(doc, obj, 1, entries[0]).nbytes
    stack = CommandStack(document=doc, byte_limit=int(3.5 * size) * 2)
    for enc in entries:  # each step: ~2 entries (before + after)
        stack.push(SetEncodedMaskCommand(doc, obj, 1, enc))
    assert 2 <= len(stack) <= 4  # trimmed by compressed sizes, newest kept
    assert doc.masks.encoded(obj, 1) is entries[-1]
    while stack.undo():
        pass
    assert doc.masks.encoded(obj, 1) is entries[-1 - len(stack)]


def test_merge_id_merges_and_a_return_to_the_start_is_dropped(doc_stack) -> None:
    doc, stack, obj = doc_stack
    doc.set_mask(obj, 5, disc(100))
    start = doc.masks.encoded(obj, 5)
    for cx in (110, 120, 130):
        stack.push(SetEncodedMaskCommand(doc, obj, 5, encode_mask(disc(cx)), merge_id="drag"))
    assert len(stack) == 1
    stack.undo()
    assert doc.masks.encoded(obj, 5) is start
    stack.redo()
    assert np.array_equal(doc.mask(obj, 5), disc(130))
    stack.push(SetEncodedMaskCommand(doc, obj, 6, encode_mask(disc(20)), merge_id="drag"))
    assert len(stack) == 2  # another frame: not merged
    stack.undo()
    stack.push(SetEncodedMaskCommand(doc, obj, 5, start, merge_id="drag"))
    assert len(stack) == 0 and doc.masks.encoded(obj, 5) is start  # back to the start


def test_equal_entry_is_obsolete_and_bad_entries_are_refused(doc_stack) -> None:
    doc, stack, obj = doc_stack
    doc.set_mask(obj, 5, disc(100))
    same = SetEncodedMaskCommand(doc, obj, 5, encode_mask(disc(100)))
    assert same.obsolete
    stack.push(same)
    assert len(stack) == 0
    with pytest.raises(InputError, match="outside"):
        SetEncodedMaskCommand(doc, obj, 5, EncodedMask((0, 0, W + 1, 1), b""))
    with pytest.raises(InputError, match="no object"):
        SetEncodedMaskCommand(doc, "nobody", 5, None)

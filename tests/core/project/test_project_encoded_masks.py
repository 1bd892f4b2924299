"""Storing already-compressed masks as they are: Document.set_mask_encoded and the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.shapes import soft_disc
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project import Document, Shot, load_project, save_project
from ultimate_roto.core.project.masks import (
    EncodedMask,
    decode_mask,
    encode_mask,
    nonzero_bbox,
    union_bbox,
)

W, H = 64, 48


def disc(cx: int, cy: int = 24, r: int = 9) -> np.ndarray:
    return soft_disc(W, H, cx, cy, r)


def decode(enc: EncodedMask | None) -> np.ndarray:
    return decode_mask(enc, (H, W))


@pytest.fixture
def doc_obj() -> tuple[Document, str, list[tuple]]:
    doc = Document(Shot(width=W, height=H, in_frame=0, out_frame=200))
    obj = doc.add_object(name="hero").id
    events: list[tuple] = []
    doc.events.mask_changed.connect(lambda *a: events.append(a))
    return doc, obj, events


def test_union_bbox() -> None:
    assert union_bbox(None, None) is None
    assert union_bbox((1, 2, 3, 4), None) == (1, 2, 3, 4)
    assert union_bbox(None, (1, 2, 3, 4)) == (1, 2, 3, 4)
    assert union_bbox((1, 2, 3, 4), (0, 3, 2, 9)) == (0, 2, 3, 9)


@pytest.mark.parametrize(
    "old, new",
    [(None, disc(20)), (disc(20), disc(26)), (disc(20), None), (disc(12), disc(52, cy=10))],
)
def test_the_entry_is_stored_as_is_and_announced_with_the_union_bbox(doc_obj, old, new):
    doc, obj, events = doc_obj
    if old is not None:
        doc.set_mask(obj, 5, old)
    old_enc = doc.masks.encoded(obj, 5)
    new_enc = encode_mask(new) if new is not None else None
    events.clear()
    revision = doc.revision
    doc.set_modified(False)
    assert doc.set_mask_encoded(obj, 5, new_enc) is old_enc
    assert doc.masks.encoded(obj, 5) is new_enc  # shared, not copied
    assert np.array_equal(doc.mask(obj, 5), decode(new_enc))
    assert doc.revision == revision + 1 and doc.modified
    want = union_bbox(old_enc and old_enc.bbox, new_enc and new_enc.bbox)
    assert events == [(obj, 5, want)]
    changed = nonzero_bbox(decode(old_enc) != decode(new_enc))
    x0, y0, x1, y1 = want
    assert x0 <= changed[0] and y0 <= changed[1] and changed[2] <= x1 and changed[3] <= y1


def test_an_equal_entry_changes_nothing(doc_obj) -> None:
    doc, obj, events = doc_obj
    doc.set_mask(obj, 5, disc(20))
    events.clear()
    revision, version = doc.revision, doc.masks.versions()
    doc.set_mask_encoded(obj, 5, encode_mask(disc(20)))  # equal, another object
    doc.set_mask_encoded(obj, 6, None)  # nothing there
    assert events == [] and doc.revision == revision and doc.masks.versions() == version


@pytest.mark.parametrize(
    "entry, match",
    [
        (EncodedMask((0, 0, W + 1, 4), b"x"), "outside"),
        (EncodedMask((5, 5, 5, 9), b"x"), "outside"),
        (EncodedMask((0, 0, 2, 2), bytearray(b"x")), "bytes data"),  # type: ignore[arg-type]
        ("not a mask", "EncodedMask"),
    ],
)
def test_entries_that_do_not_fit_are_refused(doc_obj, entry, match) -> None:
    doc, obj, events = doc_obj
    with pytest.raises(InputError, match=match):
        doc.set_mask_encoded(obj, 5, entry)
    with pytest.raises(InputError, match="no object"):
        doc.set_mask_encoded("nobody", 5, encode_mask(disc(20)))
    assert not doc.masks.has(obj, 5) and events == []


def test_saved_after_encoded_edits_loads_the_same_masks(doc_obj, tmp_path: Path) -> None:
    doc, obj, _events = doc_obj
    path = tmp_path / "shot.roto"
    for f in range(0, 200, 2):
        doc.set_mask(obj, f, disc(10 + f % 40))
    first = save_project(doc, path)
    entries = {f: encode_mask(disc(50 - f % 30)) for f in range(100, 140)}  # chunks 1 and 2
    for f, enc in entries.items():
        doc.set_mask_encoded(obj, f, enc)
    doc.set_mask_encoded(obj, 2, None)  # chunk 0
    second = save_project(doc, path)
    assert (first.chunks_written, second.chunks_written, second.chunks_reused) == (4, 3, 1)
    loaded = load_project(path)
    assert loaded.masks.snapshot() == doc.masks.snapshot()
    for f in (0, 2, 100, 101, 139, 150):
        assert np.array_equal(loaded.mask(obj, f), doc.mask(obj, f))
    assert np.array_equal(loaded.mask(obj, 101), disc(50 - 101 % 30))

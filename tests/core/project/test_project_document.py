"""Document model: objects, prompts, keyframes, flags, compressed masks and their memory."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project import Document, EncodedMask, MaskOps, MaskStore, RotoObject, Shot
from ultimate_roto.core.project.masks import encode_mask, nonzero_bbox, pack_chunk, unpack_chunk


def _doc(w: int = 64, h: int = 48) -> Document:
    return Document(Shot(width=w, height=h, out_frame=99, fps=Fraction(24000, 1001)))


def test_mask_round_trip_is_exact_and_sparse() -> None:
    rng = np.random.default_rng(1)
    store = MaskStore(40, 30)
    mask = np.zeros((30, 40), np.uint8)
    mask[5:12, 7:20] = rng.integers(1, 256, (7, 13), dtype=np.uint8)
    store.set("a", 3, mask)
    assert store.bbox("a", 3) == (7, 5, 20, 12)
    assert np.array_equal(store.get("a", 3), mask)
    assert np.array_equal(store.get_region("a", 3, (0, 0, 10, 10)), mask[0:10, 0:10])
    store.set("a", 3, np.zeros((30, 40), np.uint8))  # empty == absent
    assert not store.has("a", 3) and store.frames("a") == []


def test_float_and_bool_masks_are_scaled_and_bad_shapes_refused() -> None:
    store = MaskStore(4, 2)
    store.set("a", 0, np.array([[0.0, 0.5, 1.0, 2.0], [0, 0, 0, 0]], np.float32))
    assert store.get("a", 0)[0].tolist() == [0, 128, 255, 255]
    store.set("a", 1, np.ones((2, 4), bool))
    assert store.get("a", 1).min() == 255
    with pytest.raises(InputError, match=r"shape \(3, 4\), expected \(2, 4\)"):
        store.set("a", 0, np.zeros((3, 4), np.uint8))
    with pytest.raises(InputError, match="outside the 4x2 frame"):
        store.set_region("a", 0, (0, 0, 5, 2), np.zeros((2, 5), np.uint8))


_regions = st.tuples(
    st.integers(0, 11),
    st.integers(0, 8),
    st.integers(1, 12),
    st.integers(1, 9),
    st.integers(0, 255),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_regions, min_size=1, max_size=6))
def test_region_edits_match_a_dense_reference(edits: list[tuple[int, ...]]) -> None:
    store = MaskStore(12, 9)
    dense = np.zeros((9, 12), np.uint8)
    for x, y, w, h, value in edits:
        bbox = (x, y, min(12, x + w), min(9, y + h))
        if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
            continue
        pixels = np.full((bbox[3] - bbox[1], bbox[2] - bbox[0]), value, np.uint8)
        store.set_region("o", 0, bbox, pixels)
        dense[bbox[1] : bbox[3], bbox[0] : bbox[2]] = value
        assert np.array_equal(store.get("o", 0), dense)
        assert store.bbox("o", 0) == nonzero_bbox(dense)


def test_nonzero_bbox() -> None:
    m = np.zeros((5, 6), np.uint8)
    assert nonzero_bbox(m) is None
    m[4, 5] = 1
    m[1, 2] = 1
    assert nonzero_bbox(m) == (2, 1, 6, 5)


def test_chunk_pack_unpack_and_corruption() -> None:
    m = np.zeros((8, 8), np.uint8)
    m[2:4, 3:7] = 200
    enc = encode_mask(m)
    assert isinstance(enc, EncodedMask)
    blob = pack_chunk({5: enc, 2: enc})
    assert [f for f, _ in unpack_chunk(blob, "x.bin")] == [2, 5]
    broken = blob[:-5] + bytes([blob[-5] ^ 0xFF]) + blob[-4:]
    with pytest.raises(InputError, match="x.bin is truncated or corrupt"):
        list(unpack_chunk(broken, "x.bin"))
    with pytest.raises(InputError, match="truncated"):
        list(unpack_chunk(blob[:10], "x.bin"))


def test_500_hd_frames_with_a_moving_blob_stay_small() -> None:
    doc = Document(Shot(width=1920, height=1080, out_frame=499))
    oid = doc.add_object(name="blob").id
    r = 90
    yy, xx = np.mgrid[-r:r, -r:r]
    blob = np.clip((r - np.hypot(xx, yy)) * 64, 0, 255).astype(np.uint8)  # soft edge
    for f in range(500):
        cx, cy = 200 + 3 * f, 300 + (f % 50) * 4
        doc.set_mask_region(oid, f, (cx - r, cy - r, cx + r, cy + r), blob)
    raw = 500 * 1920 * 1080
    assert doc.masks.nbytes() < 50 * 1024 * 1024
    assert doc.masks.nbytes() < raw / 100  # well over 100x smaller than raw frames
    f = 123
    cx, cy = 200 + 3 * f, 300 + (f % 50) * 4
    assert np.array_equal(doc.mask_region(oid, f, (cx - r, cy - r, cx + r, cy + r)), blob)
    assert doc.masks.bbox(oid, f) is not None


def test_objects_fields_and_validation() -> None:
    doc = _doc()
    a = doc.add_object(name="a")
    b = doc.add_object(name="b", index=0)
    assert [o.name for o in doc.objects] == ["b", "a"]
    doc.set_object_field(a.id, "color", [1, 2, 3])
    doc.set_object_field(a.id, "engines", {"segment": "segment.sam2"})
    doc.set_object_field(a.id, "mask_ops", MaskOps(dilate_px=2, refine={"mode": "guided"}))
    assert doc.object(a.id).color == (1, 2, 3)
    assert doc.object(a.id).mask_ops.refine == {"mode": "guided"}
    with pytest.raises(InputError, match="field 'colour'"):
        doc.set_object_field(a.id, "colour", (1, 2, 3))
    with pytest.raises(InputError, match="3 ints in 0..255"):
        doc.set_object_field(a.id, "color", (1, 2, 300))
    with pytest.raises(InputError, match="must not be empty"):
        doc.set_object_field(b.id, "name", "  ")
    with pytest.raises(InputError, match="no object with id 'nope'") as err:
        doc.object("nope")
    assert a.id in (err.value.hint or "")
    with pytest.raises(InputError, match="already exists"):
        doc.add_object(doc.object(a.id))
    with pytest.raises(InputError, match="not valid"):
        doc.add_object(RotoObject(id="../x", name="bad"))


def test_prompts_keyframes_flags() -> None:
    doc = _doc()
    oid = doc.add_object().id
    assert doc.add_prompt(oid, 7, "point", (1.5, 2, 1)) == 0
    assert doc.add_prompt(oid, 7, "point", (4, 4, 0), index=0) == 0
    doc.add_prompt(oid, 7, "box", (10, 12, 2, 3))  # corners normalised
    doc.set_prompt_text(oid, 7, "the red car")
    fp = doc.prompts(oid, 7)
    assert fp.points == [(4.0, 4.0, 0), (1.5, 2.0, 1)]
    assert fp.boxes == [(2.0, 3.0, 10.0, 12.0)]
    assert fp.text == "the red car"
    with pytest.raises(InputError, match="bad point prompt"):
        doc.add_prompt(oid, 7, "point", (1, 2, 5))
    with pytest.raises(InputError, match="no point prompt #9 on frame 7"):
        doc.remove_prompt(oid, 7, "point", 9)
    doc.remove_prompt(oid, 7, "point", 0)
    doc.remove_prompt(oid, 7, "point", 0)
    doc.remove_prompt(oid, 7, "box", 0)
    doc.set_prompt_text(oid, 7, "")
    assert doc.prompt_frames(oid) == []  # empty frames are dropped
    assert doc.set_keyframe(oid, 3) is False and doc.set_keyframe(oid, 3) is True
    doc.set_frame_flag(oid, 4, "occluded")
    assert doc.frame_flags(oid, 4) == {"occluded"}
    doc.set_frame_flag(oid, 4, "occluded", False)
    assert doc.object(oid).flags == {}


def test_shot_changes_and_resize_refused_with_masks() -> None:
    doc = _doc(8, 8)
    oid = doc.add_object().id
    old = doc.set_shot(fps="30000/1001", colorspace="ACEScg")
    assert old["fps"] == Fraction(24000, 1001)
    assert doc.shot.fps == Fraction(30000, 1001)
    doc.set_shot(width=16, height=10)
    assert doc.mask(oid, 0).shape == (10, 16)
    doc.set_mask(oid, 0, np.ones((10, 16), np.uint8))
    with pytest.raises(InputError, match="cannot change the shot size"):
        doc.set_shot(width=20)
    with pytest.raises(InputError, match="unknown shot field"):
        doc.set_shot(fsp=3)
    with pytest.raises(InputError, match="fps must be positive"):
        doc.set_shot(fps=0)


def test_modified_flag_and_revision() -> None:
    doc = _doc()
    assert not doc.modified
    rev = doc.revision
    oid = doc.add_object().id
    assert doc.modified and doc.revision > rev
    doc.mark_saved(doc.revision - 1)  # stale snapshot: stays modified
    assert doc.modified
    doc.mark_saved(doc.revision)
    assert not doc.modified
    doc.set_keyframe(oid, 1)
    assert doc.modified

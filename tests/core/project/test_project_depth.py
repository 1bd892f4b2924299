"""The document's depth layer: batch maths, events, undo, snapshots, save/load and upgrades."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto.core.commands import ClearDepthCommand, CommandStack, SetDepthCommand
from ultimate_roto.core.engines.run_refine import depth_range, normalise_depth
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project import (
    SCHEMA_VERSION,
    DepthLayer,
    Document,
    Shot,
    load_project,
    save_project,
    sidecar_dir,
)
from ultimate_roto.core.project.depth import EncodedDepth, encode_depth

W, H = 40, 30
F16 = 2.0**-10  # float16 relative precision (10-bit mantissa)


def raw_maps(frames=range(3, 9), seed: int = 1, scale: float = 1.0) -> dict[int, np.ndarray]:
    """Smooth raw depth (larger = farther) that changes per frame, like an engine's output."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    out = {}
    for f in frames:
        d = 0.2 + 0.6 * yy / H + 0.05 * np.sin(xx / 4 + f) + 0.01 * rng.random((H, W))
        out[f] = (scale * d).astype(np.float32)
    return out


def make_doc(tmp_path: Path) -> Document:
    media = tmp_path / "plate.mov"
    media.write_bytes(b"")
    doc = Document(Shot(str(media), 0, 99, Fraction(24), W, H, "sRGB"))
    obj = doc.add_object(name="hero")
    doc.set_mask(obj.id, 4, np.full((H, W), 200, np.uint8))
    return doc


# -- the layer -------------------------------------------------------------------------------
def test_layer_reads_back_the_batch_steps_normalised_depth():
    maps = raw_maps()
    layer = DepthLayer.from_maps(maps, "depth.test")
    lo, hi = depth_range(list(maps.values()))  # what the batch depth step computes
    assert layer.range == pytest.approx((lo, hi), abs=F16)
    for f, raw in maps.items():
        got = layer.get(f)
        assert got.dtype == np.float32 and got.shape == (H, W)
        assert got.min() >= 0.0 and got.max() <= 1.0
        np.testing.assert_allclose(got, normalise_depth(raw, lo, hi), atol=4 * F16 / (hi - lo))
    assert layer.get(2) is None and layer.raw(99) is None
    assert layer.frames == list(range(3, 9)) and layer.span == (3, 8)
    assert layer.describe() == "frames 3-8" and layer.engine == "depth.test"
    near = layer.get(5)
    assert near[0].mean() < near[-1].mean()  # top rows (small raw depth) are near: 0


def test_frame_by_frame_layer_equals_the_whole_maps_layer():
    maps = raw_maps()
    whole = DepthLayer.from_maps(maps, "e")
    streamed = DepthLayer.from_encoded(W, H, {f: encode_depth(m) for f, m in maps.items()}, "e")
    assert streamed.range == whole.range
    assert all(streamed.encoded(f) == whole.encoded(f) for f in maps)


def test_compression_and_bad_maps():
    maps = raw_maps(range(1), scale=1.0)
    enc = encode_depth(maps[0])
    assert len(enc.data) < maps[0].size * 2  # smaller than raw float16
    np.testing.assert_allclose(enc.decode((H, W)), maps[0], rtol=F16)
    with pytest.raises(InputError, match="NaN/inf"):
        encode_depth(np.full((4, 4), np.nan, np.float32))
    with pytest.raises(InputError, match="beyond float16"):
        encode_depth(np.full((4, 4), 1e6, np.float32))
    with pytest.raises(InputError, match="2-D"):
        encode_depth(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(InputError, match="does not decode to a 40x30 map"):
        EncodedDepth(b"garbage").decode((H, W), "frame 7")
    with pytest.raises(InputError, match="different sizes"):
        DepthLayer.from_maps({0: np.zeros((4, 4)), 1: np.zeros((5, 4))}, "e")
    with pytest.raises(InputError, match="no depth maps"):
        DepthLayer.from_maps({}, "e")


def test_flat_depth_reads_as_zeros_like_the_batch():
    layer = DepthLayer.from_maps({0: np.full((H, W), 0.5, np.float32)}, "e")
    assert not layer.get(0).any()


# -- document, events, snapshot, commands ------------------------------------------------------
def test_document_depth_event_snapshot_and_size_checks(tmp_path):
    doc = make_doc(tmp_path)
    seen = []
    doc.events.depth_changed.connect(lambda: seen.append(doc.depth))
    layer = DepthLayer.from_maps(raw_maps(), "e")
    rev = doc.revision
    assert doc.set_depth(layer) is None
    assert seen == [layer] and doc.revision > rev and doc.modified
    snap = doc.snapshot()
    assert snap.depth is layer
    doc.set_depth(None)
    assert snap.depth is layer and doc.depth is None and seen == [layer, None]
    with pytest.raises(InputError, match="depth maps are 8x6, the shot is 40x30"):
        doc.set_depth(DepthLayer.from_maps({0: np.zeros((6, 8), np.float32)}, "e"))
    bare = Document(Shot(width=W, height=H))  # no masks: only the depth stops a resize
    bare.set_depth(layer)
    with pytest.raises(InputError, match="shot size while the document has depth"):
        bare.set_shot(width=80)


def test_one_undoable_command_per_layer_with_readable_labels(tmp_path):
    doc = make_doc(tmp_path)
    stack = CommandStack(document=doc)
    first = DepthLayer.from_maps(raw_maps(range(3, 9)), "e")
    second = DepthLayer.from_maps(raw_maps(range(0, 2), seed=2), "e")
    stack.push(SetDepthCommand(doc, first))
    assert stack.undo_text == "Compute depth (frames 3-8)" and doc.depth is first
    stack.push(SetDepthCommand(doc, second))
    assert doc.depth is second and len(stack) == 2
    stack.undo()
    assert doc.depth is first
    stack.redo()
    stack.push(ClearDepthCommand(doc))
    assert doc.depth is None and stack.undo_text == "Clear depth"
    stack.undo()
    assert doc.depth is second
    stack.undo()
    stack.undo()
    assert doc.depth is None and not stack.can_undo
    stack.push(ClearDepthCommand(doc))  # nothing to clear: no undo step
    assert not stack.can_undo
    one = DepthLayer.from_maps(raw_maps(range(5, 6)), "e")
    assert SetDepthCommand(doc, one).text == "Compute depth (frame 5)"


def test_replaced_layers_count_against_the_undo_byte_budget(tmp_path):
    doc = make_doc(tmp_path)
    layers = [DepthLayer.from_maps(raw_maps(range(0, 4), seed=k), "e") for k in range(4)]
    size = max(layer.nbytes for layer in layers)
    stack = CommandStack(document=doc, byte_limit=int(2.5 * size))  # room for two old layers
    for layer in layers:
        stack.push(SetDepthCommand(doc, layer))
    assert stack.command(len(stack) - 1).nbytes == layers[2].nbytes  # the layer it replaced
    assert len(stack) == 2  # the two oldest steps went: layers[0] is no longer kept
    assert stack.undo() and stack.undo() and doc.depth is layers[1]
    assert not stack.can_undo


# -- persistence ---------------------------------------------------------------------------------
def depth_files(path: Path) -> dict[str, float]:
    folder = sidecar_dir(path) / "depth"
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*.bin"))}


def test_save_load_round_trip_keeps_the_depth(tmp_path):
    doc = make_doc(tmp_path)
    maps = raw_maps(range(60, 70))  # spans two 64-frame chunks
    layer = DepthLayer.from_maps(maps, "depth.depth_anything_v2")
    doc.set_depth(layer)
    path = tmp_path / "p" / "shot.roto"
    report = save_project(doc, path)
    assert report.depth_chunks_written == 2 and len(depth_files(path)) == 2
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION == 3
    assert data["depth"]["engine"] == "depth.depth_anything_v2"
    assert data["depth"]["range"] == list(layer.range)
    loaded = load_project(path)
    assert not loaded.modified
    got = loaded.depth
    assert got is not None and got.range == layer.range and got.frames == layer.frames
    for f, raw in maps.items():
        np.testing.assert_array_equal(got.get(f), layer.get(f))
        np.testing.assert_allclose(got.raw(f), raw, rtol=F16)
    assert got.engine == "depth.depth_anything_v2"


def test_incremental_save_reuses_depth_and_gc_keeps_it(tmp_path):
    doc = make_doc(tmp_path)
    doc.set_depth(DepthLayer.from_maps(raw_maps(range(0, 70)), "e"))
    path = tmp_path / "shot.roto"
    save_project(doc, path)
    before = depth_files(path)
    oid = doc.objects[0].id
    doc.set_mask(oid, 5, np.full((H, W), 9, np.uint8))  # a mask edit only
    report = save_project(doc, path)
    assert (report.depth_chunks_written, report.depth_chunks_reused) == (0, 2)
    assert depth_files(path) == before  # not rewritten, not garbage-collected
    loaded = load_project(path)  # a loaded layer remembers its files too
    assert save_project(loaded, path).depth_chunks_reused == 2
    stack = CommandStack(document=doc)
    stack.push(SetDepthCommand(doc, DepthLayer.from_maps(raw_maps(range(0, 3), seed=9), "e")))
    report = save_project(doc, path)
    assert report.depth_chunks_written == 1
    after = depth_files(path)
    assert len(after) == 1 and not set(after) & set(before)  # the old layer's files are gone
    stack.push(ClearDepthCommand(doc))
    save_project(doc, path)
    assert json.loads(path.read_text())["depth"] is None and depth_files(path) == {}
    assert load_project(path).depth is None


def test_damaged_or_missing_depth_files_are_named(tmp_path):
    doc = make_doc(tmp_path)
    doc.set_depth(DepthLayer.from_maps(raw_maps(), "e"))
    path = tmp_path / "shot.roto"
    save_project(doc, path)
    (chunk,) = (sidecar_dir(path) / "depth").glob("*.bin")
    blob = bytearray(chunk.read_bytes())
    blob[40] ^= 0xFF
    chunk.write_bytes(bytes(blob))
    with pytest.raises(InputError, match=f"depth data file .*{chunk.name} is truncated or corrupt"):
        load_project(path)
    chunk.unlink()
    with pytest.raises(InputError, match=f"depth data file .*{chunk.name} .* is missing") as err:
        load_project(path)
    assert "shot.roto_data" in err.value.hint
    data = json.loads(path.read_text())
    data["depth"]["files"] = {"0": "../../outside.bin"}
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="leaves the sidecar"):
        load_project(path)
    data["depth"]["range"] = [0.1]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"depth.range must be two finite numbers"):
        load_project(path)


def test_depth_of_another_frame_size_is_refused(tmp_path):
    doc = make_doc(tmp_path)
    doc.set_depth(DepthLayer.from_maps(raw_maps(), "e"))
    path = tmp_path / "shot.roto"
    save_project(doc, path)
    data = json.loads(path.read_text())
    data["depth"]["width"] = 80
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="depth maps are 80x30, the shot is 40x30"):
        load_project(path)


def test_v2_project_without_depth_loads_and_saves_as_v3(tmp_path):
    doc = make_doc(tmp_path)
    path = tmp_path / "old.roto"
    save_project(doc, path)
    data = json.loads(path.read_text())
    data["schema_version"] = 2
    del data["depth"]
    path.write_text(json.dumps(data))
    loaded = load_project(path)
    assert loaded.depth is None and loaded.objects[0].name == "hero"
    oid = loaded.objects[0].id
    assert loaded.mask(oid, 4)[0, 0] == 200
    loaded.set_depth(DepthLayer.from_maps(raw_maps(), "e"))
    save_project(loaded, path)
    assert json.loads(path.read_text())["schema_version"] == 3
    assert load_project(path).depth.frames == list(range(3, 9))


def test_autosave_style_save_from_a_snapshot_keeps_the_layer_it_saw(tmp_path):
    """A save reads one snapshot: replacing the layer meanwhile does not mix two layers."""
    doc = make_doc(tmp_path)
    first = DepthLayer.from_maps(raw_maps(), "e")
    doc.set_depth(first)
    path = tmp_path / "shot.roto"
    save_project(doc, path, mark_clean=False)
    doc.set_depth(DepthLayer.from_maps(raw_maps(seed=5), "e"))
    assert load_project(path).depth.range == first.range
    assert os.path.isdir(sidecar_dir(path) / "depth")

"""Saving and loading projects: equality, atomicity, incremental sidecars, errors, upgrades."""

from __future__ import annotations

import errno
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto import SOFTWARE_NAME
from ultimate_roto.core.errors import InputError, OutputError
from ultimate_roto.core.project import (
    SCHEMA_VERSION,
    Document,
    MaskOps,
    Shot,
    load_project,
    persist,
    save_project,
    sidecar_dir,
)
from ultimate_roto.core.project.schema import fps_from_float, upgrade_to_current


def state(doc: Document) -> dict:
    """Everything the document holds, masks included, in comparable form."""
    out = doc.to_dict()
    out["masks"] = {
        o: {f: (e.bbox, e.data) for f, e in per.items()} for o, per in doc.masks.snapshot().items()
    }
    return out


def make_doc(tmp_path: Path, frames: int = 150) -> Document:
    media = tmp_path / "plates" / "shot.mov"
    media.parent.mkdir()
    media.write_bytes(b"")
    doc = Document(Shot(str(media), 10, 10 + frames - 1, Fraction(24000, 1001), 40, 30, "Rec709"))
    rng = np.random.default_rng(7)
    a = doc.add_object(name="hero")
    b = doc.add_object(name="car")
    doc.set_object_field(b.id, "mask_ops", MaskOps(2, 1, 1.5, {"mode": "vitmatte"}))
    doc.set_object_field(b.id, "engines", {"segment": "segment.classic"})
    doc.add_prompt(a.id, 12, "point", (3.5, 4, 1))
    doc.add_prompt(a.id, 12, "box", (1, 2, 30, 20))
    doc.set_prompt_text(b.id, 40, "red car")
    doc.set_keyframe(a.id, 12)
    doc.set_frame_flag(a.id, 13, "occluded")
    doc.set_setting("propagate", {"engine": "propagate.flow", "window": 8})
    for f in range(10, 10 + frames, 3):
        m = np.zeros((30, 40), np.uint8)
        m[5 : 5 + f % 20, 2:30] = rng.integers(0, 256, (f % 20, 28), dtype=np.uint8)
        doc.set_mask(a.id, f, m)
    return doc


def test_save_load_round_trip_with_masks(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    path = tmp_path / "proj" / "shot.roto"
    save_project(doc, path)
    assert not doc.modified
    loaded = load_project(path)
    assert state(loaded) == state(doc)
    assert loaded.shot.fps == Fraction(24000, 1001)
    assert not loaded.modified
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION == 3
    assert data["software"]["name"] == SOFTWARE_NAME
    assert data["shot"]["fps"] == "24000/1001"
    assert data["shot"]["media_path"] == "../plates/shot.mov"  # relative to the project
    oid = doc.objects[0].id
    assert np.array_equal(loaded.mask(oid, 13), doc.mask(oid, 13))


def test_moved_project_finds_media_relative(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, frames=4)
    save_project(doc, tmp_path / "a.roto")
    moved = tmp_path / "moved"
    (tmp_path / "plates").rename(moved)  # move media, keep the same relative layout
    (tmp_path / "a.roto").rename(moved / "a.roto")
    (tmp_path / "a.roto_data").rename(moved / "a.roto_data")
    (moved / "plates").mkdir()
    (moved / "shot.mov").rename(moved / "plates" / "shot.mov")
    loaded = load_project(moved / "a.roto")
    assert loaded.shot.media_path == str(moved / "plates" / "shot.mov")


def test_incremental_save_rewrites_only_changed_chunks(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, frames=200)  # 4 chunks of 64 frames
    path = tmp_path / "shot.roto"
    first = save_project(doc, path)
    assert first.chunks_written == 4
    again = save_project(doc, path)
    assert (again.chunks_written, again.chunks_reused) == (0, 4)
    oid = doc.objects[0].id
    doc.set_mask_region(oid, 100, (0, 0, 4, 4), np.full((4, 4), 77, np.uint8))
    third = save_project(doc, path)
    assert (third.chunks_written, third.chunks_reused) == (1, 3)
    files = sorted((sidecar_dir(path) / "masks").rglob("*.bin"))
    assert len(files) == 4  # the replaced chunk file was garbage-collected
    assert state(load_project(path)) == state(doc)
    reloaded = load_project(path)
    assert save_project(reloaded, path).chunks_written == 0  # loading remembers the files


def test_failed_save_keeps_previous_project(tmp_path: Path, monkeypatch) -> None:
    doc = make_doc(tmp_path, frames=200)
    path = tmp_path / "shot.roto"
    save_project(doc, path)
    before = state(load_project(path))
    oid = doc.objects[0].id
    for f in (10, 80, 150):  # dirty three chunks
        doc.set_mask_region(oid, f, (0, 0, 8, 8), np.full((8, 8), 5, np.uint8))
    real = persist._write_all
    calls = {"n": 0}

    def disk_full(f, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # second chunk: write half, then the disk is full
            f.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device", str(f.name))
        real(f, data)

    monkeypatch.setattr(persist, "_write_all", disk_full)
    with pytest.raises(OutputError, match="No space left") as err:
        save_project(doc, path)
    assert "free some disk space" in (err.value.hint or "")
    assert doc.modified  # the failed save did not mark the document clean
    assert state(load_project(path)) == before
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    monkeypatch.setattr(persist, "_write_all", real)
    save_project(doc, path)
    assert state(load_project(path)) == state(doc)


def test_corrupt_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.roto"
    path.write_text('{"schema_version": 2, "shot": ')
    with pytest.raises(InputError, match=r"bad.roto is not valid JSON \(line 1") as err:
        load_project(path)
    assert "autosave" in (err.value.hint or "")
    path.write_text("[1, 2]")
    with pytest.raises(InputError, match="does not hold a JSON object"):
        load_project(path)
    with pytest.raises(InputError, match="does not exist"):
        load_project(tmp_path / "missing.roto")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.roto"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(InputError, match=f"schema v{SCHEMA_VERSION + 1}") as err:
        load_project(path)
    assert "newer" in (err.value.hint or "")
    path.write_text(json.dumps({"shot": {}}))
    with pytest.raises(InputError, match="'schema_version' is missing"):
        load_project(path)


def test_missing_sidecar_and_bad_fields(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, frames=10)
    path = tmp_path / "shot.roto"
    save_project(doc, path)
    data = json.loads(path.read_text())
    chunk = next((sidecar_dir(path) / "masks").rglob("*.bin"))
    chunk.unlink()
    with pytest.raises(InputError, match="mask data file .* is missing") as err:
        load_project(path)
    assert "shot.roto_data" in (err.value.hint or "")
    data["objects"][0]["color"] = [1, 2]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"objects\[0\].color"):
        load_project(path)
    data["objects"][0]["color"] = [1, 2, 3]
    good_id, data["objects"][0]["id"] = data["objects"][0]["id"], "../../escape"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"objects\[0\].id '../../escape' is not a valid"):
        load_project(path)
    data["objects"][0]["id"] = good_id
    data["shot"]["fps"] = "24/0"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="fps '24/0' is not an exact rational"):
        load_project(path)


V1_PROJECT = {
    "schema_version": 1,
    "software": {"name": "Ultimate Roto", "version": "0.0.9"},
    "shot": {
        "media_path": "plate.mov",
        "in_frame": 0,
        "out_frame": 47,
        "fps": 23.976,
        "width": 16,
        "height": 8,
        "colorspace": "sRGB",
    },
    "objects": [
        {
            "id": "obj_0000000001",
            "name": "hero",
            "color": [255, 80, 80],
            "visible": True,
            "locked": False,
            "engines": {},
            "mask_ops": {"dilate_px": 0, "erode_px": 0, "feather_px": 0, "refine": {}},
            "keyframes": [0, 12],
            "prompts": {"0": {"points": [[4, 4, 1], [10, 2, 0]], "boxes": [], "text": ""}},
        }
    ],
    "settings": {},
    "masks": {"format": "urmk1", "chunk_frames": 64, "files": {}},
}


def test_hand_written_v1_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.roto"
    path.write_text(json.dumps(V1_PROJECT))
    doc = load_project(path)
    assert doc.shot.fps == Fraction(24000, 1001)
    assert doc.shot.media_path == str(tmp_path / "plate.mov")
    obj = doc.object("obj_0000000001")
    assert obj.keyframes == {0, 12}
    assert doc.prompts(obj.id, 0).points == [(4.0, 4.0, 1), (10.0, 2.0, 0)]
    save_project(doc, path)  # saving writes the current schema
    assert json.loads(path.read_text())["shot"]["fps"] == "24000/1001"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (23.976, Fraction(24000, 1001)),
        (29.97, Fraction(30000, 1001)),
        (59.94, Fraction(60000, 1001)),
        (119.88, Fraction(120000, 1001)),
        (25.0, Fraction(25)),
        (24, Fraction(24)),
        (12.5, Fraction(25, 2)),
    ],
)
def test_fps_float_mapping(value: float, expected: Fraction) -> None:
    assert fps_from_float(value) == expected


def test_v1_upgrade_rejects_bad_fps() -> None:
    bad = json.loads(json.dumps(V1_PROJECT))
    bad["shot"]["fps"] = "fast"
    with pytest.raises(InputError, match="shot.fps is not a frame rate"):
        upgrade_to_current(bad, "old.roto")
    with pytest.raises(ValueError):
        fps_from_float(-1)

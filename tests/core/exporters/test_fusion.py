"""Fusion .setting: write → parse back → rasterise (IoU ≥ 0.98 per key), golden, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.core.exporters.test_after_effects import H, W, ring_masks, tracks
from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters import fusion
from ultimate_roto.core.exporters import shapes as S

DATA = Path(__file__).resolve().parents[2] / "data"


def test_coordinates_centre_origin_y_up():
    pts = np.array([[[3.0, 4.0], [W / 2, H / 2], [-6.0, 8.0]], [[0, 0], [0, 0], [0, 0]]])
    f = fusion.to_fusion(pts, W, H)
    assert np.allclose(f[0, 1], [0, 0]) and np.allclose(f[1, 1], [-0.5, 0.5])
    assert np.allclose(f[0, 0], [3 / W, -4 / H]) and np.allclose(f[0, 2], [-6 / W, -8 / H])
    assert np.allclose(fusion.from_fusion(f, W, H), pts)


def test_write_parse_rasterise(tmp_path):
    masks = ring_masks()
    path = fusion.write_setting(tmp_path / "roto.setting", width=W, height=H, objects=tracks())
    tools = fusion.read_setting(path)
    assert len(tools) == 2 and sum(t["hole"] for t in tools.values()) == 1
    assert all(t["size"] == (W, H) for t in tools.values())
    frames = set.intersection(*(set(t["keys"]) for t in tools.values()))
    assert frames
    for f in frames:
        shapes = [S.BezierShape(t["keys"][f], t["hole"]) for t in tools.values()]
        assert S.iou(S.rasterise_shapes(shapes, W, H), masks[f] > 127) >= 0.98


def test_layout_follows_fusion(tmp_path):
    text = fusion.write_to_string(width=W, height=H, objects=tracks())
    for piece in ("Tools = ordered() {", "= PolylineMask {", "= BezierSpline {", "KeyFrames = {",
                  "Flags = { Linear = true, LockedY = true }", "Closed = true",
                  'PaintMode = Input { Value = FuID { "Subtract" }, },', 'Source = "Mask"'):  # fmt: skip
        assert piece in text


def test_golden_file():
    text = fusion.write_to_string(width=W, height=H, objects=tracks())
    golden = (DATA / "fusion_roto_golden.setting").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == golden.splitlines()[1:]


def test_bad_input(tmp_path):
    with pytest.raises(InputError):
        fusion.write_to_string(width=W, height=-1, objects={})
    with pytest.raises(MediaError, match="no PolylineMask"):
        fusion.read_setting("{\n\tTools = ordered() {\n\t}\n}\n")

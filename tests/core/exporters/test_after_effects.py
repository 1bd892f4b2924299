"""After Effects .jsx: write → read back → rasterise (IoU ≥ 0.98 per key), golden file, bad input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters import after_effects as ae
from ultimate_roto.core.exporters import shapes as S
from ultimate_roto.core.exporters.shapes_anim import fit_objects

DATA = Path(__file__).resolve().parents[2] / "data"
W, H = 96, 64


def ring_masks(frames=range(1, 7)) -> dict[int, np.ndarray]:
    """A disk with a hole, moving right 3 px a frame (uint8 0/255)."""
    y, x = np.mgrid[0:H, 0:W]
    out = {}
    for f in frames:
        r = np.hypot(x - (30 + 3 * f), y - 32)
        out[f] = np.where((r < 20) & (r > 7), 255, 0).astype(np.uint8)
    return out


def tracks():
    return fit_objects({"my car": ring_masks()}, tolerance=0.5)


def kwargs(objects):
    return dict(width=W, height=H, fps=Fraction(24000, 1001), first=1, last=6,
                objects=objects, plate="/shots/a/plate.0001.exr", comp="shot")  # fmt: skip


def test_write_read_rasterise_matches_masks(tmp_path):
    masks = ring_masks()
    path = ae.write_jsx(tmp_path / "roto.jsx", **kwargs(tracks()))
    data = ae.read_jsx(path)
    assert data["objects"][0]["name"] == "my_car"  # sanitised like the other writers
    shapes = data["objects"][0]["shapes"]
    assert sorted(s["hole"] for s in shapes) == [False, True]
    for f, mask in masks.items():
        drawn = []
        for s in shapes:
            keys = s["keys"]
            if f in keys:
                drawn.append(S.BezierShape(keys[f], s["hole"]))
        if len(drawn) == len(shapes):
            assert S.iou(S.rasterise_shapes(drawn, W, H), mask > 127) >= 0.98


def test_script_uses_the_documented_api(tmp_path):
    text = ae.write_to_string(**kwargs(tracks()))
    for call in ('"ADBE Mask Parade"', '"ADBE Mask Atom"', '"ADBE Mask Shape"', "setValueAtTime",
                 "inTangents", "outTangents", "MaskMode.SUBTRACT", "io.sequence"):  # fmt: skip
        assert call in text


def test_golden_file():
    text = ae.write_to_string(**kwargs(tracks()))
    golden = (DATA / "ae_roto_golden.jsx").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == golden.splitlines()[1:]  # line 0 names the version


def test_bad_input(tmp_path):
    with pytest.raises(InputError, match="bad size"):
        ae.write_to_string(**{**kwargs({}), "width": 0})
    (tmp_path / "x.jsx").write_text("alert(1);\nvar x = 2;\n")
    with pytest.raises(MediaError, match="DATA"):
        ae.read_jsx(tmp_path / "x.jsx")


def test_empty_object_writes_a_valid_script(tmp_path):
    path = ae.write_jsx(tmp_path / "e.jsx", **kwargs({"ghost": []}))
    assert ae.read_jsx(path)["objects"][0]["shapes"] == []

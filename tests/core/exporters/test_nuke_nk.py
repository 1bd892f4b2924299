"""Nuke .nk writer: write → parse → compare shapes, script structure, golden file, bad input."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.core.exporters.nk_parser import NkSyntaxError, parse_curves, parse_script, tokenize
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters import shapes as S
from ultimate_roto.core.exporters.nuke_nk import nk_float, write_nk, write_to_string
from ultimate_roto.core.exporters.shapes_anim import ShapeTrack, fit_animated

GOLDEN = Path(__file__).parents[2] / "data" / "nuke_roto_golden.nk"
W, H = 120, 90


def _masks():
    out = {}
    for k, f in enumerate(range(1001, 1006)):
        m = np.zeros((H, W), np.uint8)
        cv2.ellipse(m, (45 + 3 * k, 45), (32, 22 + 2 * k), 0, 0, 360, 1, -1)
        cv2.circle(m, (45 + 3 * k, 45), 10, 0, -1)
        out[f] = m
    return out


def _nodes(text):
    return {
        n["class"] + ":" + n["knobs"].get("name", ""): n for n in parse_script(text) if "class" in n
    }


def _write(tmp_path, objects, **kw):
    path = tmp_path / "shot.nk"
    args = dict(
        plate_path="/plates/shot.####.exr",
        width=W,
        height=H,
        fps=Fraction(24000, 1001),
        first=1001,
        last=1005,
        objects=objects,
        write_path="/out/shot.####.exr",
    )
    args.update(kw)
    write_nk(path, **args)
    return path.read_text()


def test_parse_of_write_gives_back_the_shapes(tmp_path):
    masks = _masks()
    tracks = fit_animated(masks, name="hero")
    text = _write(tmp_path, {"hero": tracks})
    roto = _nodes(text)["Roto:Roto_hero"]
    parsed = parse_curves(roto["knobs"]["curves"], H)
    assert [p["name"] for p in parsed] == [t.name for t in tracks]
    for p, t in zip(parsed, tracks, strict=True):
        assert p["hole"] == t.hole and (p["first"], p["last"], p["ltt"]) == (t.first, t.last, 4)
        assert sorted(p["keys"]) == sorted(t.keys)
        for f in t.keys:
            np.testing.assert_allclose(p["keys"][f], t.keys[f], atol=2e-3)
            np.testing.assert_allclose(
                p["feather"][f][:, 1], S.outward_normals(t.keys[f]) * t.feather, atol=1e-3
            )
    for f in sorted(tracks[0].keys):  # rasterised parsed shapes match the mattes at each key
        shapes = [S.BezierShape(p["keys"][f], p["hole"]) for p in parsed if f in p["keys"]]
        assert S.iou(S.rasterise_shapes(shapes, W, H), masks[f]) >= 0.98


def test_script_structure(tmp_path):
    text = _write(tmp_path, {"hero": fit_animated(_masks(), name="hero")})
    items = parse_script(text)
    nodes = _nodes(text)
    root = nodes["Root:"]["knobs"]
    assert (root["first_frame"], root["last_frame"]) == ("1001", "1005")
    assert float(root["fps"]) == pytest.approx(24000 / 1001)
    assert root["format"].split()[:2] == [str(W), str(H)]
    read = nodes["Read:Read_plate"]["knobs"]
    assert read["file"] == "/plates/shot.####.exr" and "frame_mode" not in read
    assert (read["first"], read["last"], read["origset"]) == ("1001", "1005", "true")
    with pytest.warns(UserWarning, match="no shapes"):  # (no objects: said, not silent)
        movie = _nodes(_write(tmp_path, {}, plate_path="/p.mov", movie=(120, 1001)))
    read = movie["Read:Read_plate"]["knobs"]  # Nuke numbers movie frames 1..120
    assert (read["first"], read["last"], read["origfirst"], read["origlast"]) == (
        "1", "120", "1", "120")  # fmt: skip
    assert (read["frame_mode"], read["frame"]) == ("start at", "1001")
    copy = nodes["Copy:Copy_hero"]["knobs"]
    assert (copy["from0"], copy["to0"]) == ("rgba.alpha", "hero.alpha")
    assert nodes["Write:Write_exr"]["knobs"]["file_type"] == "exr"
    assert {"command": "add_layer", "args": ["hero", "hero.alpha"]} in items
    order = [n.get("class") or n["command"] for n in items]
    assert order.index("Read") < order.index("Roto") < order.index("Copy") < order.index("Write")


def test_y_is_flipped_to_nuke_space():
    pts = np.zeros((3, 3, 2))
    pts[:, 1] = [(10, 5), (20, 5), (15, 20)]
    pts[0, 2] = (3, 4)
    track = ShapeTrack("t", False, {7: pts}, 0.0, 7, 7)
    text = write_to_string(
        plate_path="p",
        width=40,
        height=30,
        fps=24,
        first=7,
        last=7,
        objects={"o": [track]},
        write_path="w",
    )
    assert "{" + nk_float(10) + " " + nk_float(25) + "}" in text  # y 5 → 30 - 5
    assert "{" + nk_float(3) + " " + nk_float(-4) + "}" in text  # relative tangent: y negated


def test_golden_file():
    pts = np.array(
        [
            [[0, -5], [10, 10], [5, 0]],
            [[-5, 0], [30, 12], [0, 5]],
            [[0, 5], [28, 30], [-5, 0]],
            [[5, 0], [12, 28], [0, -5]],
        ],
        float,
    )
    hole = np.array(
        [[[0, 0], [18, 18], [0, 0]], [[0, 0], [22, 18], [0, 0]], [[0, 0], [20, 22], [0, 0]]], float
    )
    objects = {
        "hero": [
            ShapeTrack("hero1", False, {1: pts, 9: pts + [4, 1]}, 2.0, 1, 12),
            ShapeTrack("hero_hole1", True, {3: hole}, 0.0, 3, 9),
        ]
    }
    text = write_to_string(
        plate_path="/p/plate.####.exr",
        width=40,
        height=40,
        fps=25,
        first=1,
        last=12,
        objects=objects,
        write_path="/o/out.####.exr",
    )
    assert text == GOLDEN.read_text()


def test_illegal_names_and_empty_mattes_still_give_a_valid_script(tmp_path):
    empty = {1001: np.zeros((H, W), np.uint8)}
    with pytest.warns(UserWarning, match="empty"):
        tracks = fit_animated(empty, name="x")
    with pytest.warns(UserWarning) as rec:
        text = _write(tmp_path, {"my car #2": tracks})
    messages = " ".join(str(w.message) for w in rec)
    assert "renamed" in messages and "no shapes" in messages
    nodes = _nodes(text)
    assert parse_curves(nodes["Roto:Roto_my_car_2"]["knobs"]["curves"], H) == []


def test_bad_format_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="range"):
        _write(tmp_path, {}, first=10, last=5)


def test_parser_rejects_broken_text():
    with pytest.raises(NkSyntaxError):
        tokenize("Roto { curves {{")
    with pytest.raises(NkSyntaxError):
        tokenize("Roto { } }")

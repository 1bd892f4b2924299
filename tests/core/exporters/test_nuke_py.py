"""Nuke-Python companion: run the generated script against a recording stand-in for Nuke."""

import sys
import types

import cv2
import numpy as np
import pytest

from ultimate_roto.core.exporters import shapes as S
from ultimate_roto.core.exporters.nuke_py import write_nuke_py, write_to_string
from ultimate_roto.core.exporters.shapes_anim import fit_animated

W, H = 100, 80


class _Anim:
    def __init__(self):
        self.keys = {}

    def addPositionKey(self, frame, vec):  # noqa: N802 - Nuke's API name
        self.keys[frame] = (vec.x, vec.y)


class _Point:
    SLOTS = (
        "center",
        "leftTangent",
        "rightTangent",
        "featherCenter",
        "featherLeftTangent",
        "featherRightTangent",
    )

    def __init__(self):
        for s in self.SLOTS:
            setattr(self, s, _Anim())


class _Attrs(dict):
    def set(self, key, value):
        self[key] = value


class _Shape(list):
    def __init__(self, curves):
        super().__init__()
        self.curves, self.name, self.attrs = curves, None, _Attrs()

    def getAttributes(self):  # noqa: N802
        return self.attrs


class _Curves:
    def __init__(self):
        self.rootLayer = []  # noqa: N815
        self.changes = 0

    def changed(self):
        self.changes += 1


@pytest.fixture
def fake_nuke(monkeypatch):
    nodes = {}

    class _Node(dict):
        pass

    def roto(name, output):
        node = _Node(curves=_Curves())
        nodes[name] = node
        return node

    nuke = types.ModuleType("nuke")
    nuke.toNode = nodes.get
    nuke.nodes = types.SimpleNamespace(Roto=roto)
    rp = types.ModuleType("nuke.rotopaint")
    rp.Shape, rp.ShapeControlPoint = _Shape, _Point
    nuke.rotopaint = rp
    curvelib = types.ModuleType("_curvelib")
    curvelib.CVec2 = lambda x, y: types.SimpleNamespace(x=x, y=y)
    for name, mod in (("nuke", nuke), ("nuke.rotopaint", rp), ("_curvelib", curvelib)):
        monkeypatch.setitem(sys.modules, name, mod)
    return nodes


def _masks():
    out = {}
    for k, f in enumerate((11, 12, 13, 14)):
        m = np.zeros((H, W), np.uint8)
        cv2.circle(m, (40 + 4 * k, 40), 20 + 2 * k, 1, -1)
        out[f] = m
    return out


def test_script_builds_the_same_keys_in_nuke_space(fake_nuke, tmp_path):
    tracks = fit_animated(_masks(), name="hero")
    path = write_nuke_py(tmp_path / "shapes.py", width=W, height=H, objects={"my hero": tracks})
    exec(compile(path.read_text(), str(path), "exec"), {"__name__": "__main__"})
    curves = fake_nuke["Roto_my_hero"]["curves"]
    assert curves.changes == 1
    (shape,) = curves.rootLayer
    (track,) = tracks
    assert shape.name == track.name and len(shape) == len(track.keys[min(track.keys)])
    assert shape.attrs == {"ltt": 4, "ltn": track.first, "ltm": track.last}
    for f, pts in track.keys.items():
        for i, p in enumerate(shape):
            cx, cy = p.center.keys[f]
            assert (cx, cy) == pytest.approx((pts[i, 1, 0], H - pts[i, 1, 1]), abs=1e-3)
            rx, ry = p.rightTangent.keys[f]
            assert (rx, ry) == pytest.approx((pts[i, 2, 0], -pts[i, 2, 1]), abs=1e-3)
            lx, ly = p.leftTangent.keys[f]
            assert (lx, ly) == pytest.approx((pts[i, 0, 0], -pts[i, 0, 1]), abs=1e-3)
    # the keys rebuilt from the recorded calls rasterise back onto the mattes
    for f in track.keys:
        pts = np.array(
            [[p.leftTangent.keys[f], p.center.keys[f], p.rightTangent.keys[f]] for p in shape]
        )
        pts[:, 1, 1] = H - pts[:, 1, 1]
        pts[:, [0, 2], 1] *= -1
        got = S.rasterise_shapes([S.BezierShape(pts)], W, H)
        assert S.iou(got, _masks()[f]) >= 0.98


def test_holes_are_subtracted_and_empty_objects_give_a_runnable_script(fake_nuke):
    m = np.zeros((H, W), np.uint8)
    cv2.circle(m, (50, 40), 30, 1, -1)
    cv2.circle(m, (50, 40), 12, 0, -1)
    with pytest.warns(UserWarning, match="empty"):
        empty = fit_animated({1: np.zeros((H, W), np.uint8)}, name="ghost")
    text = write_to_string(
        width=W, height=H, objects={"ring": fit_animated({1: m}, name="ring"), "ghost": empty}
    )
    exec(compile(text, "companion.py", "exec"), {"__name__": "__main__"})
    shapes = fake_nuke["Roto_ring"]["curves"].rootLayer
    assert [s.attrs.get("bm") for s in shapes] == [None, 12]
    assert fake_nuke["Roto_ghost"]["curves"].rootLayer == []

"""Nuke-Python companion script: rebuilds the animated Roto shapes with ``nuke.rotopaint``.

The generated script uses only the documented API (Nuke Python reference, "Roto and
RotoPaint"): ``rp.Shape(curvesKnob)``, ``rp.ShapeControlPoint()``, the point's ``center``,
``leftTangent``, ``rightTangent``, ``featherCenter``, ``featherLeftTangent`` and
``featherRightTangent`` with ``addPositionKey(frame, CVec2(x, y))``, the shape's attributes
``ltt``/``ltn``/``ltm`` (lifetime) and ``bm`` (12 = subtract, for holes), and
``curvesKnob.rootLayer.append(shape)``. Values are written in Nuke's y-up space.
"""

from __future__ import annotations

import pprint
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.exporters.atomic import write_bytes
from ultimate_roto.core.exporters.names import sanitize_names
from ultimate_roto.core.exporters.nuke_nk import (
    BLEND_SUBTRACT,
    LIFETIME_RANGE,
    _feather,
    _to_nuke,
)
from ultimate_roto.core.exporters.shapes_anim import ShapeTrack

_BUILDER = """
import nuke
import nuke.rotopaint as rp
from _curvelib import CVec2

SLOTS = ("leftTangent", "center", "rightTangent")
FEATHER_SLOTS = ("featherLeftTangent", "featherCenter", "featherRightTangent")


def roto_node(name, width, height):
    node = nuke.toNode(name)
    if node is None:
        node = nuke.nodes.Roto(name=name, output="alpha")
    return node


def build_shape(curves, spec):
    shape = rp.Shape(curves)
    shape.name = spec["name"]
    n_points = len(spec["keys"][0][1])
    for i in range(n_points):
        point = rp.ShapeControlPoint()
        for frame, points, feather in spec["keys"]:
            for slot, value in zip(SLOTS, points[i]):
                getattr(point, slot).addPositionKey(frame, CVec2(value[0], value[1]))
            for slot, value in zip(FEATHER_SLOTS, feather[i]):
                getattr(point, slot).addPositionKey(frame, CVec2(value[0], value[1]))
        shape.append(point)
    attrs = shape.getAttributes()
    attrs.set("ltt", LIFETIME_RANGE)
    attrs.set("ltn", spec["first"])
    attrs.set("ltm", spec["last"])
    if spec["hole"]:
        attrs.set("bm", BLEND_SUBTRACT)
    curves.rootLayer.append(shape)
    return shape


def build():
    for node_name, shapes in NODES.items():
        curves = roto_node(node_name, WIDTH, HEIGHT)["curves"]
        for spec in shapes:
            build_shape(curves, spec)
        curves.changed()


build()
"""


def _spec(track: ShapeTrack, height: int) -> dict:
    keys = []
    for f in sorted(track.keys):
        pts = _to_nuke(track.keys[f], height)
        fea = _feather(track.keys[f], track.feather, height)
        keys.append([int(f), np.round(pts, 4).tolist(), np.round(fea, 4).tolist()])
    return {
        "name": track.name,
        "hole": bool(track.hole),
        "first": int(track.first),
        "last": int(track.last),
        "keys": keys,
    }


def write_to_string(*, width: int, height: int, objects: Mapping[str, list[ShapeTrack]]) -> str:
    """The companion script's text (see :func:`write_nuke_py`)."""
    names = sanitize_names(objects)
    nodes = {
        f"Roto_{names[o]}": [_spec(t, height) for t in tracks] for o, tracks in objects.items()
    }
    data = pprint.pformat(nodes, width=100, compact=True, sort_dicts=False)
    head = (
        f'"""Rebuilds the Roto shapes exported by {SOFTWARE_NAME} {__version__}; run it in '
        f'Nuke\'s Script Editor."""\n\nWIDTH = {int(width)}\nHEIGHT = {int(height)}\n'
        f"LIFETIME_RANGE = {LIFETIME_RANGE}\nBLEND_SUBTRACT = {BLEND_SUBTRACT}\n"
        f"NODES = {data}\n"
    )
    return head + _BUILDER


def write_nuke_py(
    path: str | Path, *, width: int, height: int, objects: Mapping[str, list[ShapeTrack]]
) -> Path:
    """Write the companion ``.py`` (atomically) that builds one Roto per object in Nuke.

    Parameters
    ----------
    path
        Output ``.py``.
    width, height
        Plate format (coordinates are written y-up: ``y_nuke = height - y_image``).
    objects
        ``{object name: [ShapeTrack, …]}``; the nodes are named ``Roto_<legal name>`` like
        the ``.nk`` writer's, so running the script on that ``.nk`` fills its Roto nodes.
    """
    write_bytes(path, write_to_string(width=width, height=height, objects=objects).encode())
    return Path(path)

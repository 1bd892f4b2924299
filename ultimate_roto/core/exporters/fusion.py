"""Fusion / DaVinci Resolve ``.setting`` with animated PolylineMask tools (Lua-table text).

Layout, as Fusion saves it (followed from a comp saved by Fusion and embedded in a public Lua
script found through the code search, and from Arttu Rautio's "AR_MasksToFusionPolygons"
After Effects → Fusion script): ``{ Tools = ordered() { NAME = PolylineMask { DrawMode =
"InsertAndModify", DrawMode2 = "InsertAndModify", Inputs = { OutputSize, MaskWidth,
MaskHeight, PixelAspect, ClippingMode, Polyline = Input { SourceOp = "NAMEPolyline", Source =
"Value", }, Polyline2 = Input { Value = Polyline { }, Disabled = true, }, }, ViewInfo =
OperatorInfo { Pos = { x, y } }, }, NAMEPolyline = BezierSpline { SplineColor = {...},
NameSet = true, KeyFrames = { [frame] = { 0, Flags = { Linear = true, LockedY = true },
Value = Polyline { Closed = true, Points = { { X =, Y =, LX =, LY =, RX =, RY = }, … } } },
… } } } }``.

Coordinates: normalised per axis with the origin at the image centre and y up —
``X = x / W − 0.5``, ``Y = 0.5 − y / H`` — and ``LX/LY``, ``RX/RY`` the left/right handles
relative to their point, in the same units (``LX = lx / W``, ``LY = −ly / H``); the saved
sample's straight segments have handles at exactly ±1/3 of the chord in these units.
Holes are further PolylineMask tools with ``PaintMode = Input { Value = FuID { "Subtract" } }``;
every tool of an object takes the previous one as its ``EffectMask``, so the last tool is the
object's matte. Feather: ``SoftEdge`` is normalised to the width (feather px / W, approximate).
Fusion masks have no lifetime: a shape holds its first/last key outside its frames.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters.atomic import write_bytes
from ultimate_roto.core.exporters.names import sanitize_names
from ultimate_roto.core.exporters.shapes_anim import ShapeTrack

_NUM = r"(-?[\d.]+(?:e[-+]?\d+)?)"
_POINT = re.compile(
    r"\{ X = %s, Y = %s, LX = %s, LY = %s, RX = %s, RY = %s \}" % ((_NUM,) * 6)  # noqa: UP031
)
_KEY = re.compile(r"\[(-?\d+)\] = \{ 0, Flags = \{[^}]*\}, Value = Polyline \{(.*?)\} \}", re.S)
_TOOL = re.compile(r"^\t\t(\w+) = (PolylineMask|BezierSpline) \{$", re.M)


def _g(v: float) -> str:
    return f"{float(v):.9g}"


def to_fusion(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 3, 2) image space (left rel, centre, right rel) → Fusion units, same layout."""
    p = np.array(points, np.float64)
    scale = np.array([1.0 / width, -1.0 / height])
    out = p * scale
    out[:, 1] += np.array([-0.5, 0.5])
    return out


def from_fusion(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Inverse of :func:`to_fusion`."""
    p = np.array(points, np.float64)
    p[:, 1] -= np.array([-0.5, 0.5])
    return p / np.array([1.0 / width, -1.0 / height])


def _key_text(frame: int, pts: np.ndarray) -> str:
    rows = [
        f"\t\t\t\t\t\t{{ X = {_g(c[0])}, Y = {_g(c[1])}, LX = {_g(lt[0])}, LY = {_g(lt[1])}, "
        f"RX = {_g(rt[0])}, RY = {_g(rt[1])} }},"
        for lt, c, rt in pts
    ]
    return (
        f"\t\t\t\t[{int(frame)}] = {{ 0, Flags = {{ Linear = true, LockedY = true }}, "
        "Value = Polyline {\n\t\t\t\t\tClosed = true,\n\t\t\t\t\tPoints = {\n"
        + "\n".join(rows)
        + "\n\t\t\t\t\t}\n\t\t\t\t} },"
    )


def _tool(name: str, track: ShapeTrack, prev: str | None, w: int, h: int, pos: tuple) -> str:
    inputs = [
        'OutputSize = Input { Value = FuID { "Custom" }, },',
        f"MaskWidth = Input {{ Value = {w}, }},",
        f"MaskHeight = Input {{ Value = {h}, }},",
        "PixelAspect = Input { Value = { 1, 1 }, },",
        'ClippingMode = Input { Value = FuID { "None" }, },',
    ]
    if track.feather > 0:
        inputs.append(f"SoftEdge = Input {{ Value = {_g(track.feather / w)}, }},")
    if track.hole:
        inputs.append('PaintMode = Input { Value = FuID { "Subtract" }, },')
    inputs += [
        f'Polyline = Input {{\n\t\t\t\t\tSourceOp = "{name}Polyline",\n'
        '\t\t\t\t\tSource = "Value",\n\t\t\t\t},',
        "Polyline2 = Input {\n\t\t\t\t\tValue = Polyline {\n\t\t\t\t\t},\n"
        "\t\t\t\t\tDisabled = true,\n\t\t\t\t},",
    ]
    if prev:
        inputs.append(
            f'EffectMask = Input {{\n\t\t\t\t\tSourceOp = "{prev}",\n'
            '\t\t\t\t\tSource = "Mask",\n\t\t\t\t},'
        )
    body = "\n".join("\t\t\t\t" + i for i in inputs)
    keys = "\n".join(_key_text(f, to_fusion(track.keys[f], w, h)) for f in sorted(track.keys))
    return (
        f'\t\t{name} = PolylineMask {{\n\t\t\tDrawMode = "InsertAndModify",\n'
        f'\t\t\tDrawMode2 = "InsertAndModify",\n\t\t\tInputs = {{\n{body}\n\t\t\t}},\n'
        f"\t\t\tViewInfo = OperatorInfo {{ Pos = {{ {pos[0]}, {pos[1]} }} }},\n\t\t}},\n"
        f"\t\t{name}Polyline = BezierSpline {{\n"
        "\t\t\tSplineColor = { Red = 173, Green = 255, Blue = 47 },\n"
        f"\t\t\tNameSet = true,\n\t\t\tKeyFrames = {{\n{keys}\n\t\t\t}}\n\t\t}},"
    )


def write_to_string(*, width: int, height: int, objects: Mapping[str, list[ShapeTrack]]) -> str:
    """The ``.setting`` text (see :func:`write_setting`)."""
    if width <= 0 or height <= 0:
        raise InputError(f"Fusion setting: bad size {width}x{height}",
                         hint="width and height must be positive")  # fmt: skip
    names = sanitize_names(objects)
    tools = []
    for row, (obj, tracks) in enumerate(objects.items()):
        prev = None
        for col, track in enumerate(tracks):
            tool = f"{names[obj]}_{re.sub(r'[^A-Za-z0-9_]', '_', track.name)}"
            tool = tool if tool.startswith(names[obj] + "_") else names[obj] + "_" + tool
            tools.append(_tool(tool, track, prev, width, height, (110 * col, 66 * row)))
            prev = tool
    head = f"-- Fusion setting written by {SOFTWARE_NAME} {__version__}; paste into a comp.\n"
    return head + "{\n\tTools = ordered() {\n" + "\n".join(tools) + "\n\t}\n}\n"


def write_setting(
    path: str | Path, *, width: int, height: int, objects: Mapping[str, list[ShapeTrack]]
) -> Path:
    """Write the ``.setting`` atomically: one PolylineMask (+ BezierSpline) per shape.

    Parameters
    ----------
    path
        Output file.
    width, height
        Plate size in pixels (``MaskWidth``/``MaskHeight``; the normalisation).
    objects
        ``{object: [ShapeTrack]}`` with frames in output numbering.
    """
    write_bytes(path, write_to_string(width=width, height=height, objects=objects).encode())
    return Path(path)


def read_setting(path_or_text: str | Path) -> dict[str, dict[str, Any]]:
    """Tools of a setting written by :func:`write_setting`: ``{tool: {"hole", "size",
    "keys": {frame: (N, 3, 2) image-space points}}}``.

    Raises
    ------
    MediaError
        No PolylineMask found, or a mask whose spline is missing.
    """
    text = str(path_or_text)
    if "\n" not in text:
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise MediaError(f"cannot read {path_or_text}: {exc}", hint="check the path") from None
    starts = [(m.start(), m.group(1), m.group(2)) for m in _TOOL.finditer(text)]
    blocks = {name: (kind, text[a : (starts[i + 1][0] if i + 1 < len(starts) else len(text))])
              for i, (a, name, kind) in enumerate(starts)}  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for name, (kind, block) in blocks.items():
        if kind != "PolylineMask":
            continue
        size = [int(re.search(rf"{k} = Input {{ Value = (\d+)", block).group(1))  # type: ignore[union-attr]
                for k in ("MaskWidth", "MaskHeight")]  # fmt: skip
        spline = blocks.get(name + "Polyline")
        if spline is None:
            raise MediaError(f"Fusion setting: {name} has no {name}Polyline spline",
                             hint="was the file edited?")  # fmt: skip
        keys = {}
        for m in _KEY.finditer(spline[1]):
            pts = np.array([[float(v) for v in p] for p in _POINT.findall(m.group(2))])
            fus = np.stack([pts[:, 2:4], pts[:, 0:2], pts[:, 4:6]], axis=1)
            keys[int(m.group(1))] = from_fusion(fus, *size)
        out[name] = {"hole": "PaintMode" in block, "size": tuple(size), "keys": keys}
    if not out:
        raise MediaError("no PolylineMask tools in the setting", hint="check the file")
    return out

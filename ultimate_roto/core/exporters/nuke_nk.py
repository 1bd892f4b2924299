"""Nuke ``.nk`` writer: Root, plate Read, one Roto per object with animated Bézier shapes.

Layout of the Roto ``curves`` knob, as real Nuke scripts show it (sources, read not copied):
``{{{v x3f99999a} {f 0} {n {layer Root {f 512} {t cx cy} {a} {curvegroup NAME 512 bezier
{{cc {f 8192} {px KEY <per point: {left} {centre} {right}>}} {cc {f 8192} {px KEY <feather>}}}
{tx KEY px py} {a … ltn FIRST ltm LAST ltt 4}} …}}}}`` — static shapes saved by Nuke in
github.com/arcadeperfect/nuke_harding_nodes (groups/fancygrad.nk, Roto36/Roto37) and in the
tests of github.com/Ahuge/stunning-barnacle. Per point: left tangent (relative), centre
(absolute), right tangent (relative); floats as ``x`` + the float32's 8 hex digits; ``{f 8192}``
is the relative-tangent flag (flag list in github.com/magnoborgo/NukeFXSExporter); feather
centres are offsets from the shape's centres. Lifetime: ``ltn``/``ltm`` with ``ltt`` (2 =
single frame in saved clone strokes; 4 = frame range, the menu order all/start-to/single/
to-end/range). Holes use blend mode ``bm 12`` (subtract, NukeFXSExporter's mode table).

Several keys: Nuke does not document it. We follow the grammar of Ahuge/stunning-barnacle
``stunning/roto.bnf``: the ``px`` header and each coordinate may be a braced list, i.e. ``{px
{K1 K2 …}`` with each coordinate ``{v1 v2 …}`` per key. This is the one part not verified
against a file saved by Nuke; the Nuke-Python companion (:mod:`nuke_py`) builds the same
shapes through the documented API and is the safe route.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.exporters import shapes as S
from ultimate_roto.core.exporters.atomic import write_bytes
from ultimate_roto.core.exporters.names import NameMap, sanitize_names
from ultimate_roto.core.exporters.shapes_anim import ShapeTrack

CURVES_VERSION = "x3f99999a"  # 1.2, the curves-knob version every Nuke 7–15 script shows
LIFETIME_RANGE = 4
BLEND_SUBTRACT = 12


def nk_float(value: float) -> str:
    """A number as Nuke writes it: ``0`` or ``x`` + the float32 bits in hex."""
    f = np.float32(value)
    if f == 0 or not np.isfinite(f):
        return "0"
    return "x" + format(int(np.array([f], np.float32).view(np.uint32)[0]), "08x")


def _coord(values: np.ndarray) -> str:
    vals = [nk_float(v) for v in values]
    return vals[0] if len(set(vals)) == 1 and len(vals) == 1 else "{" + " ".join(vals) + "}"


def _to_nuke(points: np.ndarray, height: int) -> np.ndarray:
    """(N, 3, 2) image space → Nuke y-up (centres flipped, relative tangents negated in y)."""
    out = np.array(points, np.float64)
    out[:, 1, 1] = height - out[:, 1, 1]
    out[:, 0, 1] *= -1
    out[:, 2, 1] *= -1
    return out


def _feather(points: np.ndarray, distance: float, height: int) -> np.ndarray:
    """Feather curve in Nuke space: tangents as the shape's, centres as offsets along the
    outward normals (``distance`` px), all relative, so only y is negated."""
    out = np.array(points, np.float64)
    out[:, 1] = S.outward_normals(points) * distance if distance else 0.0
    out[..., 1] *= -1
    return out


def _px_block(keys: list[np.ndarray], frames: list[int], indent: str) -> str:
    stack = np.stack(keys)  # (K, N, 3, 2)
    header = (
        nk_float(frames[0])
        if len(frames) == 1
        else "{" + " ".join(nk_float(f) for f in frames) + "}"
    )
    lines = [f"{indent}{{px {header}"]
    for i in range(stack.shape[1]):
        for j in range(3):
            xs, ys = stack[:, i, j, 0], stack[:, i, j, 1]
            lines.append(f"{indent} {{{_coord(xs)} {_coord(ys)}}}")
    return "\n".join(lines) + "}"


def curvegroup(track: ShapeTrack, name: str, width: int, height: int) -> str:
    """The ``{curvegroup …}`` text of one animated shape."""
    frames = sorted(track.keys)
    main = [_to_nuke(track.keys[f], height) for f in frames]
    feather = [_feather(track.keys[f], track.feather, height) for f in frames]
    pivot = main[0][:, 1].mean(axis=0)
    attrs = (
        f"osw x41200000 osf 0 str 1 spx {nk_float(width / 2)} spy {nk_float(height / 2)} "
        f"sb 1 ltn {nk_float(track.first)} ltm {nk_float(track.last)} "
        f"ltt {nk_float(LIFETIME_RANGE)}"
        + (f" bm {nk_float(BLEND_SUBTRACT)}" if track.hole else "")
        + " tt x40800000"
    )
    return (
        f"    {{curvegroup {name} 512 bezier\n"
        f"     {{{{cc\n       {{f 8192}}\n{_px_block(main, frames, '       ')}}}\n"
        f"      {{cc\n       {{f 8192}}\n{_px_block(feather, frames, '       ')}}}}}\n"
        f"     {{tx {nk_float(frames[0])} {nk_float(pivot[0])} {nk_float(pivot[1])}}}\n"
        f"     {{a {attrs}}}}}"
    )


def curves_knob(tracks: list[ShapeTrack], width: int, height: int) -> str:
    """The value of a Roto node's ``curves`` knob holding ``tracks``."""
    groups = "\n".join(curvegroup(t, t.name, width, height) for t in tracks)
    body = f"\n{groups}" if groups else ""
    return (
        f"{{{{{{v {CURVES_VERSION}}}\n  {{f 0}}\n  {{n\n   {{layer Root\n    {{f 512}}\n"
        f"    {{t {nk_float(width / 2)} {nk_float(height / 2)}}}\n    {{a}}{body}}}}}}}}}"
    )


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "/").replace('"', '\\"') + '"'


def _fps_text(fps: Fraction | float) -> str:
    return f"{float(Fraction(fps)):.10g}"


def write_to_string(
    *,
    plate_path: str,
    width: int,
    height: int,
    fps: Fraction | float,
    first: int,
    last: int,
    objects: Mapping[str, list[ShapeTrack]],
    write_path: str,
    names: NameMap | None = None,
    movie: tuple[int, int] | None = None,
) -> str:
    """The whole ``.nk`` script as text: the plate, one animated Roto per object, an EXR Write.

    Parameters
    ----------
    plate_path
        Plate sequence template as Nuke reads it (``/shots/a/plate.####.exr``).
    width, height
        Format; shapes are stored y-up (``y_nuke = height - y_image``).
    fps
        Frame rate (``Fraction(24000, 1001)``).
    first, last
        Frame range of the Root, Read and Write.
    objects
        ``{object name: [ShapeTrack, …]}`` from :func:`shapes_anim.fit_objects`.
    write_path
        EXR output template of the Write node; each object's alpha is copied into the layer
        ``<object>.alpha``.
    names
        Legal node/layer names of the objects (default: :func:`names.sanitize_names`).
    movie
        ``(frames, start)`` when the plate is a movie file: Nuke numbers a movie's frames
        1..frames, so the Read says ``frame_mode "start at"`` / ``frame start`` to put the
        movie's first frame at our frame number ``start`` (as a script saved by Nuke does).
    """
    if width <= 0 or height <= 0 or last < first or (movie is not None and movie[0] < 1):
        raise InputError(
            f"Nuke script: bad format {width}x{height} or range {first}-{last}",
            hint="width/height must be positive and last ≥ first",
        )
    names = names or sanitize_names(objects)
    fmt = _q(f"{width} {height} 0 0 {width} {height} 1 UltimateRoto_{width}x{height}")
    out = [
        "# Nuke script written by Ultimate Roto",
        *(f"add_layer {{{names[o]} {names[o]}.alpha}}" for o in objects),
    ]
    out.append(
        f"Root {{\n inputs 0\n frame {first}\n first_frame {first}\n last_frame {last}\n"
        f" fps {_fps_text(fps)}\n format {fmt}\n}}"
    )
    if movie is None:
        frames = f" first {first}\n last {last}\n origfirst {first}\n origlast {last}\n"
    else:
        count, start = movie
        frames = (f" first 1\n last {count}\n origfirst 1\n origlast {count}\n"
                  f' frame_mode "start at"\n frame {start}\n')  # fmt: skip
    out.append(
        f"Read {{\n inputs 0\n file {_q(plate_path)}\n format {fmt}\n{frames}"
        f" origset true\n name Read_plate\n xpos 0\n ypos -300\n}}\nset Nmain [stack 0]"
    )
    for k, (obj, tracks) in enumerate(objects.items()):
        layer = names[obj]
        out.append(
            f"Roto {{\n inputs 0\n output alpha\n format {fmt}\n"
            f" curves {curves_knob(tracks, width, height)}\n name Roto_{layer}\n"
            f" xpos {200 + 150 * k}\n ypos {-200 + 100 * k}\n}}"
        )
        out.append(
            f"push $Nmain\nCopy {{\n inputs 2\n from0 rgba.alpha\n to0 {layer}.alpha\n"
            f" name Copy_{layer}\n xpos 0\n ypos {-150 + 100 * k}\n}}\n"
            f"set Nmain [stack 0]"
        )
    out.append(
        f"Write {{\n channels all\n file {_q(write_path)}\n file_type exr\n"
        f' compression "Zip (1 scanline)"\n first {first}\n last {last}\n'
        f" use_limit true\n name Write_exr\n xpos 0\n ypos {100 * len(objects)}\n}}"
    )
    return "\n".join(out) + "\n"


def write_nk(
    path: str | Path, *, objects: Mapping[str, list[ShapeTrack]], **kwargs: Any
) -> NameMap:
    """Write a Nuke script atomically (keyword arguments as :func:`write_to_string`).

    Parameters
    ----------
    path
        The ``.nk`` to write.
    objects
        ``{object name: [ShapeTrack, …]}``; empty tracks give empty Roto nodes (and a warning).
    **kwargs
        ``plate_path``, ``width``, ``height``, ``fps``, ``first``, ``last``, ``write_path``,
        ``movie``.

    Returns
    -------
    NameMap
        The legal node/layer name of each object (renamed objects give a ``UserWarning``).
    """
    names = sanitize_names(objects)
    text = write_to_string(objects=objects, names=names, **kwargs)
    for line in names.report():
        warnings.warn(f"Nuke script {path}: object renamed {line}", UserWarning, stacklevel=2)
    if not any(objects.values()):
        warnings.warn(
            f"Nuke script {path}: no shapes (every matte is empty); the Roto nodes "
            "are written empty",
            UserWarning,
            stacklevel=2,
        )
    write_bytes(path, text.encode("utf-8"))
    return names

"""After Effects ExtendScript (.jsx): a comp with the plate and keyframed mask paths per object.

The script uses only the documented scripting API: ``app.project.items.addComp``,
``app.project.importFile(ImportOptions)`` (``sequence = true`` for image sequences),
``comp.layers.addSolid``, a mask per shape from ``property("ADBE Mask Parade")
.addProperty("ADBE Mask Atom")``, and ``property("ADBE Mask Shape").setValueAtTime(t, shape)``
with a ``Shape`` whose ``vertices``, ``inTangents`` and ``outTangents`` are set. AE layer space
is y-down pixels like ours, and AE tangents are relative to their vertex like our left/right
tangents, so points go across unchanged. Holes use ``MaskMode.SUBTRACT``. Keys are linear
(``KeyframeInterpolationType.LINEAR``), as our tracks interpolate. A shape's lifetime is its
mask opacity: 0 outside ``first..last`` with hold keys. Feather: AE's mask feather is the full
width of the blur, so it is written as twice our feather distance (an approximation).

The shape data is one JSON literal (``var DATA = {...};``), which :func:`read_jsx` reads back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ultimate_roto import SOFTWARE_NAME, __version__
from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.exporters.atomic import write_bytes
from ultimate_roto.core.exporters.names import sanitize_names
from ultimate_roto.core.exporters.shapes_anim import ShapeTrack

_DATA = re.compile(r"^var DATA = (\{.*\});$", re.M)

_BODY = """
(function () {
    var d = DATA;
    app.beginUndoGroup("Ultimate Roto import");
    var comp = app.project.items.addComp(d.comp, d.width, d.height, 1.0,
                                         (d.last - d.first + 1) / d.fps, d.fps);
    try { comp.displayStartFrame = d.first; } catch (e) {}
    if (d.plate) {
        var io = new ImportOptions(new File(d.plate));
        io.sequence = d.plate_is_sequence;
        var footage = app.project.importFile(io);
        if (d.plate_is_sequence) { footage.mainSource.conformFrameRate = d.fps; }
        comp.layers.add(footage);
    }
    function t(frame) { return (frame - d.first) / d.fps; }
    for (var i = 0; i < d.objects.length; i++) {
        var obj = d.objects[i];
        var solid = comp.layers.addSolid([1, 1, 1], obj.name, d.width, d.height, 1.0);
        for (var j = 0; j < obj.shapes.length; j++) {
            var shp = obj.shapes[j];
            var mask = solid.property("ADBE Mask Parade").addProperty("ADBE Mask Atom");
            mask.name = shp.name;
            mask.maskMode = shp.hole ? MaskMode.SUBTRACT : MaskMode.ADD;
            mask.property("ADBE Mask Feather").setValue([shp.feather, shp.feather]);
            var path = mask.property("ADBE Mask Shape");
            for (var k = 0; k < shp.keys.length; k++) {
                var key = shp.keys[k];
                var s = new Shape();
                s.vertices = key[1];
                s.inTangents = key[2];
                s.outTangents = key[3];
                s.closed = true;
                path.setValueAtTime(t(key[0]), s);
            }
            for (var n = 1; n <= path.numKeys; n++) {
                path.setInterpolationTypeAtKey(n, KeyframeInterpolationType.LINEAR);
            }
            var op = mask.property("ADBE Mask Opacity");
            if (shp.first > d.first) {
                op.setValueAtTime(t(shp.first - 1), 0);
                op.setValueAtTime(t(shp.first), 100);
            }
            if (shp.last < d.last) {
                op.setValueAtTime(t(shp.last), 100);
                op.setValueAtTime(t(shp.last + 1), 0);
            }
            for (var m = 1; m <= op.numKeys; m++) {
                op.setInterpolationTypeAtKey(m, KeyframeInterpolationType.HOLD);
            }
        }
    }
    app.endUndoGroup();
})();
"""


def _r(a: np.ndarray) -> list:
    return np.round(np.asarray(a, np.float64), 4).tolist()


def _shape(track: ShapeTrack) -> dict[str, Any]:
    keys = [[int(f), _r(track.keys[f][:, 1]), _r(track.keys[f][:, 0]), _r(track.keys[f][:, 2])]
            for f in sorted(track.keys)]  # fmt: skip
    return {"name": track.name, "hole": bool(track.hole), "feather": round(2 * track.feather, 3),
            "first": int(track.first), "last": int(track.last), "keys": keys}  # fmt: skip


def write_to_string(
    *,
    width: int,
    height: int,
    fps: Fraction | float,
    first: int,
    last: int,
    objects: Mapping[str, list[ShapeTrack]],
    plate: str | None = None,
    plate_is_sequence: bool = True,
    comp: str = "roto",
) -> str:
    """The ``.jsx`` text (see :func:`write_jsx`)."""
    if width <= 0 or height <= 0 or last < first:
        raise InputError(f"After Effects script: bad size {width}x{height} or range {first}-{last}",
                         hint="width/height must be positive and last ≥ first")  # fmt: skip
    names = sanitize_names(objects)
    data = {
        "comp": comp, "width": int(width), "height": int(height), "fps": float(Fraction(fps)),
        "first": int(first), "last": int(last), "plate": plate,
        "plate_is_sequence": bool(plate_is_sequence),
        "objects": [{"name": names[o], "shapes": [_shape(t) for t in tracks]}
                    for o, tracks in objects.items()],
    }  # fmt: skip
    head = (f"// After Effects script written by {SOFTWARE_NAME} {__version__}.\n"
            "// Run it with File > Scripts > Run Script File...\n")  # fmt: skip
    return head + "var DATA = " + json.dumps(data, separators=(",", ":")) + ";\n" + _BODY


def write_jsx(path: str | Path, **kwargs: Any) -> Path:
    """Write the script atomically (keyword arguments as :func:`write_to_string`).

    Parameters
    ----------
    path
        The ``.jsx`` file.
    **kwargs
        ``width``, ``height``, ``fps``, ``first``, ``last``, ``objects`` (``{name: [ShapeTrack]}``
        with frames in output numbering), ``plate`` (first file of the sequence, or a movie),
        ``plate_is_sequence``, ``comp``.
    """
    write_bytes(path, write_to_string(**kwargs).encode("utf-8"))
    return Path(path)


def read_jsx(path_or_text: str | Path) -> dict[str, Any]:
    """The data a script carries: comp settings and, per object, its shapes with keys as
    ``{frame: (N, 3, 2)}`` arrays (left tangent, vertex, right tangent), feather as written.

    Raises
    ------
    MediaError
        Not a script written by :func:`write_jsx`.
    """
    text = str(path_or_text)
    if "\n" not in text:
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise MediaError(f"cannot read {path_or_text}: {exc}", hint="check the path") from None
    m = _DATA.search(text)
    if m is None:
        raise MediaError("no 'var DATA = {...};' line in the script",
                         hint="only scripts written by Ultimate Roto can be read back")  # fmt: skip
    data = json.loads(m.group(1))
    for obj in data["objects"]:
        for shp in obj["shapes"]:
            shp["keys"] = {int(k[0]): np.stack([np.array(k[2]), np.array(k[1]), np.array(k[3])],
                                               axis=1) for k in shp["keys"]}  # fmt: skip
    return data

"""doc_exports with the document's depth layer: depth/normals AOVs and depth images."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import OpenEXR
import pytest

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media.types import MediaInfo
from ultimate_roto.core.pipeline.doc_exports import (
    DocObject,
    FunctionReader,
    build_job,
    export_document,
)
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project.depth import DepthLayer
from ultimate_roto.core.project.masks import encode_mask

W, H, FIRST, LAST = 48, 32, 1001, 1004
LAYERS = {"format": "exr", "what": "layers", "path": "comp.####.exr",
          "aovs": ["rgba", "objects", "depth", "normals"]}  # fmt: skip


def reader():
    info = MediaInfo("plate.####.png", "sequence", W, H, Fraction(24), FIRST, LAST,
                     LAST - FIRST + 1, "png", 8, 3, "sRGB")  # fmt: skip
    return FunctionReader(info, lambda n: np.full((H, W, 3), (n - FIRST) / 10, np.float32))


def objects():
    mask = np.zeros((H, W), np.uint8)
    mask[8:20, 10:30] = 255
    return [DocObject("Disc", {f: encode_mask(mask) for f in range(FIRST, LAST + 1)})]


def depth_layer(frames=range(FIRST, LAST + 1)) -> DepthLayer:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    return DepthLayer.from_maps(
        {f: 0.3 + 0.5 * yy / H + 0.02 * (f - FIRST) + 0.05 * np.sin(xx / 5) for f in frames},
        "depth.test",
    )


def job(tmp_path, entries, has_depth=True, frames=(FIRST, LAST)):
    return build_job(entries, input_path="plate.####.png", output_dir=tmp_path,
                     object_names=["Disc"], frames=frames, has_depth=has_depth)  # fmt: skip


def test_multilayer_exr_carries_the_documents_depth_and_normals(tmp_path):
    layer = depth_layer()
    export_document(job(tmp_path, [LAYERS]), reader(), objects(), Progress(), depth=layer)
    for f in (FIRST, LAST):
        with OpenEXR.File(str(tmp_path / f"comp.{f}.exr"), separate_channels=True) as exr:
            channels = exr.channels()
            z = channels["depth.Z"].pixels
            assert z.dtype == np.float32  # depth is always full float in the EXR
            np.testing.assert_array_equal(z, layer.get(f))
            assert {"N.X", "N.Y", "N.Z"} <= set(channels)
            n = np.stack([channels[f"N.{c}"].pixels for c in "XYZ"], -1).astype(np.float32)
            np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=2e-3)
    first = np.asarray(
        OpenEXR.File(str(tmp_path / f"comp.{FIRST}.exr")).channels()["depth.Z"].pixels
    )
    assert not np.array_equal(first, layer.get(LAST))  # each frame its own map


def test_depth_image_export_from_the_document(tmp_path):
    import cv2

    layer = depth_layer()
    entry = {"format": "png", "what": "depth", "path": "depth/d.####.png", "bit_depth": 16}
    lines = export_document(job(tmp_path, [entry]), reader(), objects(), Progress(), depth=layer)
    assert "wrote 4 file(s)" in lines[0]
    png = cv2.imread(str(tmp_path / f"depth/d.{FIRST + 1}.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16
    np.testing.assert_allclose(png / 65535.0, layer.get(FIRST + 1), atol=1 / 65535 + 1e-6)


@pytest.mark.parametrize(
    "entry",
    [LAYERS, {"format": "exr", "what": "layers", "path": "c.####.exr", "aovs": ["normals"]},
     {"format": "exr", "what": "depth", "path": "d.####.exr"}],
)  # fmt: skip
def test_no_depth_layer_is_refused_with_the_menu_to_use(tmp_path, entry):
    with pytest.raises(InputError, match="the document has no depth") as err:
        job(tmp_path / "out", [entry], has_depth=False)
    assert "Roto > Compute depth" in err.value.hint
    assert not (tmp_path / "out").exists()


def test_depth_must_cover_the_exported_frames(tmp_path):
    j = job(tmp_path, [LAYERS])
    with pytest.raises(InputError, match="needs depth and the document has none"):
        export_document(j, reader(), objects(), Progress(), depth=None)
    short = depth_layer(range(FIRST, FIRST + 2))
    with pytest.raises(InputError, match=r"depth covers frames 1001-1002; .* frames 1001-1004"):
        export_document(j, reader(), objects(), Progress(), depth=short)
    assert not list(tmp_path.glob("comp.*.exr"))
    plain = job(tmp_path, [{"preset": "PNG mattes"}])  # no depth needed: none asked for
    export_document(plain, reader(), objects(), Progress(), depth=None)

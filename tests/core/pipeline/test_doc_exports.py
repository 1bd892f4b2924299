"""doc_exports: a document's masks through the job-file export routes (no steps, no Qt)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto.core.errors import Cancelled, InputError, JobError
from ultimate_roto.core.media.types import MediaInfo
from ultimate_roto.core.pipeline.doc_exports import (
    DocMasks,
    DocObject,
    FunctionReader,
    build_job,
    export_document,
)
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project.masks import encode_mask

W, H, FIRST, LAST = 48, 32, 1001, 1004


def reader():
    info = MediaInfo("plate.####.png", "sequence", W, H, Fraction(24), FIRST, LAST,
                     LAST - FIRST + 1, "png", 8, 3, "sRGB")  # fmt: skip
    return FunctionReader(info, lambda n: np.full((H, W, 3), (n - FIRST) / 10, np.float32))


def disc(n: int) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return (((xx - 15 - n) ** 2 + (yy - 16) ** 2) < 64).astype(np.uint8) * 255


def objects(ops=None):
    masks = {f: encode_mask(disc(f - FIRST)) for f in range(FIRST, LAST + 1)}
    return [DocObject("Disc", masks, ops or {}), DocObject("Empty", {})]


def job(tmp_path, entries, frames=(FIRST, LAST)):
    return build_job(entries, input_path="plate.####.png", output_dir=tmp_path,
                     object_names=["Disc", "Empty"], frames=frames)  # fmt: skip


def test_png_mattes_preset_writes_the_documents_masks(tmp_path):
    import cv2

    j = job(tmp_path, [{"preset": "PNG mattes"}])
    lines = export_document(j, reader(), objects(), Progress())
    files = sorted((tmp_path / "mattes" / "Disc").glob("*.png"))
    assert len(files) == 4 and "wrote 8 file(s)" in lines[0]  # both objects
    matte = cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED)
    assert matte.dtype == np.uint16 and matte[16, 15] == 65535 and matte[0, 0] == 0
    empty = cv2.imread(str(sorted((tmp_path / "mattes" / "Empty").glob("*.png"))[0]), -1)
    assert not empty.any()


def test_multilayer_exr_and_nuke_script(tmp_path):
    from ultimate_roto.core.exporters.exr import read_exr_channels

    j = job(tmp_path, [{"format": "exr", "what": "layers", "path": "comp.####.exr",
                        "aovs": ["rgba", "objects", "ids"]},
                       {"format": "nuke", "path": "roto.nk"}])  # fmt: skip
    export_document(j, reader(), objects(), Progress())
    channels, _header = read_exr_channels(tmp_path / f"comp.{FIRST}.exr")
    alpha = next(v for k, v in channels.items() if k.startswith("Disc") or ".Disc" in k)
    assert alpha[16, 15] == pytest.approx(1.0) and alpha[0, 0] == 0.0
    assert "Roto" in (tmp_path / "roto.nk").read_text()


def test_mask_ops_apply_on_read_and_resume_keeps_finished_frames(tmp_path):
    grown = DocMasks(objects({"grow": 3.0}), (H, W)).get("Disc", FIRST)
    plain = DocMasks(objects(), (H, W)).get("Disc", FIRST)
    assert (grown > 127).sum() > (plain > 127).sum()
    entry = [{"format": "png", "what": "mask", "path": "m/{object}.####.png"}]
    progress = Progress()
    seen = []

    def stop_after_two(fraction, message):
        seen.append(fraction)
        if len(seen) == 2:
            progress.abort()

    progress = Progress(stop_after_two)
    with pytest.raises(Cancelled):
        export_document(job(tmp_path, entry), reader(), objects()[:1], progress)
    done = export_document(job(tmp_path, entry), reader(), objects(), Progress(), resume=True)
    assert "kept" in done[0]
    assert len(list((tmp_path / "m").glob("Disc.*.png"))) == 4


@pytest.mark.parametrize(
    ("entries", "error", "text"),
    [([], InputError, "nothing to export"),
     ([{"format": "png", "what": "matte", "path": "{object}.####.png"}], InputError,
      "no 'matte' layer"),
     ([{"format": "exr", "what": "layers", "path": "c.####.exr", "aovs": ["rgba", "depth"]}],
      InputError, "no depth"),
     ([{"format": "png", "what": "mask", "path": "all.####.png"}], InputError, "{object}"),
     ([{"format": "tga", "path": "x.####.tga"}], JobError, "format")],
)  # fmt: skip
def test_bad_entries_are_refused_before_any_write(tmp_path, entries, error, text):
    with pytest.raises(error, match=None) as exc:
        job(tmp_path / "out", entries)
    assert text in str(exc.value) + str(getattr(exc.value, "hint", ""))
    assert not (tmp_path / "out").exists()


def test_frames_outside_the_shot_and_duplicate_names(tmp_path):
    j = job(tmp_path, [{"preset": "PNG mattes"}], frames=(FIRST, LAST + 5))
    with pytest.raises(InputError, match="outside the shot"):
        export_document(j, reader(), objects(), Progress())
    with pytest.raises(InputError, match="same name"):
        build_job([{"preset": "PNG mattes"}], input_path="p", output_dir=tmp_path,
                  object_names=["A", "A"], frames=(FIRST, LAST))  # fmt: skip

"""convert() failures: full disk mid-sequence, unwritable folder, writer errors."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from ultimate_roto.core.errors import OutputError
from ultimate_roto.core.exporters import exr, images
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.pipeline.convert import convert
from ultimate_roto.core.progress import Progress


@pytest.mark.parametrize("workers", [1, 3])
def test_disk_full_at_frame_k(tmp_path: Path, make_reader, monkeypatch, workers: int) -> None:
    real = exr._write_file

    def filling(tmp: Path, hdr: dict, planes: dict) -> None:
        if ".0005." in tmp.name:
            tmp.write_bytes(b"the first bytes of frame 5")
            raise OSError(errno.ENOSPC, "No space left on device")
        real(tmp, hdr, planes)

    monkeypatch.setattr(exr, "_write_file", filling)
    spec = ExportSpec.from_dict({"path": "p.####.exr"})
    with pytest.raises(OutputError) as err:
        convert(make_reader(n=8), spec, tmp_path, range(1, 9), src_colorspace="Linear",
                progress=Progress(), workers=workers)  # fmt: skip
    assert err.value.message == f"disk full while writing {tmp_path / 'p.0005.exr'}"
    assert err.value.hint
    names = {p.name for p in tmp_path.iterdir() if p.is_file()}
    assert {f"p.000{k}.exr" for k in range(1, 5)} <= names  # frames before K kept
    assert "p.0005.exr" not in names
    assert not [n for n in names if "partial" in n]  # no half-written frame K


def test_unwritable_output_folder_fails_before_any_work(tmp_path: Path, make_reader) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("in the way")  # a file as a parent fails even for root
    reader = make_reader(n=3)
    spec = ExportSpec.from_dict({"path": "p.####.png"})
    with pytest.raises(OutputError) as err:
        convert(reader, spec, blocker / "sub", [1, 2, 3], src_colorspace="Linear",
                progress=Progress())  # fmt: skip
    assert str(blocker / "sub") in err.value.message and err.value.hint
    assert reader.reads == 0


def test_image_writer_error_names_the_frame_file(tmp_path, make_reader, monkeypatch) -> None:
    def broken(tmp: Path, spec: object, pixels: object) -> None:
        raise OSError("OpenImageIO: cannot encode")

    monkeypatch.setattr(images, "_write_file", broken)
    spec = ExportSpec.from_dict({"path": "q.####.dpx"})
    with pytest.raises(OutputError, match=r"cannot write .*q\.0001\.dpx: OpenImageIO"):
        convert(make_reader(n=2), spec, tmp_path, [1, 2], src_colorspace="Linear",
                progress=Progress(), workers=1)  # fmt: skip
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".dpx" or "partial" in p.name]

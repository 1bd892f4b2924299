"""convert(): every format end to end, renumbering, colour, hooks, bounded memory, plan()."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ultimate_roto.core.errors import JobError, MediaError, ProcessingError
from ultimate_roto.core.exporters.exr import read_exr_channels
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.pipeline import convert as convert_mod
from ultimate_roto.core.pipeline.convert import QUEUE_SIZE, convert, plan
from ultimate_roto.core.progress import Progress


def _read(path: Path) -> np.ndarray:
    if path.suffix == ".exr":
        chans, _ = read_exr_channels(path)
        return np.stack([chans[c] for c in "RGB"], axis=-1).astype(np.float32)
    inp = oiio.ImageInput.open(str(path))
    pixels = inp.read_image(oiio.FLOAT)
    inp.close()
    return pixels


@pytest.mark.parametrize(
    ("entry", "tol"),
    [
        ({"path": "exr/p.####.exr"}, 1e-3),
        ({"path": "exr/p.####.exr", "pixel_type": "float", "compression": "zstd"}, 0.0),
        ({"path": "dpx/p.####.dpx"}, 0.5 / 1023 * 1.05),
        ({"path": "dpx/p.####.dpx", "bit_depth": 16}, 0.5 / 65535 * 1.05),
        ({"path": "png/p.####.png", "bit_depth": 16}, 0.5 / 65535 * 1.05),
        ({"path": "png/p.####.png"}, 0.5 / 255 * 1.05),
        ({"path": "tif/p.%04d.tif", "bit_depth": 32}, 0.0),
        ({"path": "jpg/p.{frame:04d}.jpg", "quality": 100}, 3 / 255),
    ],
)
def test_every_image_format(tmp_path: Path, make_reader, entry: dict, tol: float) -> None:
    reader = make_reader(n=4, first=5)
    spec = ExportSpec.from_dict({**entry, "colorspace": "Linear"})
    result = convert(reader, spec, tmp_path, [5, 6, 7, 8], src_colorspace="Linear",
                     progress=Progress(), workers=2)  # fmt: skip
    assert [p.name[-8:-4] for p in result.written] == ["0005", "0006", "0007", "0008"]
    assert result.skipped == () and result.outputs == result.written
    for frame, path in zip([5, 6, 7, 8], result.written, strict=True):
        assert np.abs(_read(path) - reader.expected(frame)).max() <= tol, path
    leftovers = [p for p in tmp_path.rglob("*") if ".partial" in p.name]
    assert leftovers == []


def test_start_frame_renumbers_and_headers_follow(tmp_path: Path, make_reader) -> None:
    reader = make_reader(n=3, first=1, timecode="01:00:00:00")
    spec = ExportSpec.from_dict({"path": "p.####.exr", "start_frame": 1001})
    result = convert(reader, spec, tmp_path, [1, 2, 3], src_colorspace="Linear",
                     progress=Progress(), metadata={"shot": "sh010"})  # fmt: skip
    assert [p.name for p in result.outputs] == ["p.1001.exr", "p.1002.exr", "p.1003.exr"]
    chans, header = read_exr_channels(tmp_path / "p.1003.exr")
    np.testing.assert_allclose(chans["R"], reader.expected(3)[..., 0], atol=1e-3)
    assert header["frame"] == "1003" and header["shot"] == "sh010"
    assert header["timeCode"] == "01:00:00:02" and header["colorspace"] == "Linear"
    assert header["framesPerSecond"] == reader.info.fps


def test_colour_conversion_when_spaces_differ(tmp_path: Path, make_reader) -> None:
    reader = make_reader(n=1, colorspace="sRGB")
    spec = ExportSpec.from_dict({"path": "lin.####.exr", "pixel_type": "float"})
    convert(reader, spec, tmp_path, [1], src_colorspace="sRGB", progress=Progress())
    chans, _ = read_exr_channels(tmp_path / "lin.0001.exr")
    src = float(reader.expected(1)[0, 0, 0])
    linear = ((src + 0.055) / 1.055) ** 2.4 if src > 0.04045 else src / 12.92
    assert chans["R"][0, 0] == pytest.approx(linear, abs=2e-3)


def test_process_hook_runs_before_writing(tmp_path: Path, make_reader) -> None:
    reader = make_reader(n=2)
    seen = []

    def invert(frame: int, img: np.ndarray) -> np.ndarray:
        seen.append(frame)
        return 1.0 - img

    spec = ExportSpec.from_dict({"path": "i.####.tif", "bit_depth": 32})
    convert(reader, spec, tmp_path, [1, 2], src_colorspace="Linear", progress=Progress(),
            process=invert)  # fmt: skip
    assert sorted(seen) == [1, 2]
    np.testing.assert_allclose(_read(tmp_path / "i.0002.tif"), 1.0 - reader.expected(2))


def test_progress_reports_each_frame(tmp_path: Path, make_reader) -> None:
    reports: list[tuple[float, str]] = []
    spec = ExportSpec.from_dict({"path": "p.####.png"})
    convert(make_reader(n=3), spec, tmp_path, [1, 2, 3], src_colorspace="Linear",
            progress=Progress(lambda f, m: reports.append((f, m))))  # fmt: skip
    assert [m for _, m in reports] == ["frame 1/3", "frame 2/3", "frame 3/3"]
    assert reports[-1][0] == 1.0


def test_video_export(tmp_path: Path, make_reader) -> None:
    import av

    reader = make_reader(n=5)
    spec = ExportSpec.from_dict({"path": "movie/{object}.mov", "codec": "prores",
                                 "profile": "lt"})  # fmt: skip
    result = convert(reader, spec, tmp_path, range(1, 6), src_colorspace="Rec709",
                     progress=Progress(), object="hero")  # fmt: skip
    assert result.written == (tmp_path / "movie" / "hero.mov",)
    with av.open(str(result.written[0])) as c:
        stream = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(stream)]
        assert stream.codec_context.profile == "LT" and stream.average_rate == reader.info.fps
    assert len(frames) == 5
    assert abs(frames[2].mean() / 255 - reader.expected(3).mean()) < 0.02


def test_memory_stays_bounded(tmp_path: Path, make_reader, monkeypatch) -> None:
    real = convert_mod.write_frame

    def slow_write(*args, **kwargs) -> None:
        time.sleep(0.01)  # a slow encoder: the decoder must wait, not pile frames up
        real(*args, **kwargs)

    monkeypatch.setattr(convert_mod, "write_frame", slow_write)
    reader = make_reader(n=16)
    spec = ExportSpec.from_dict({"path": "b.####.png"})
    convert(reader, spec, tmp_path, range(1, 17), src_colorspace="Linear",
            progress=Progress(), workers=2)  # fmt: skip
    assert reader.reads == 16
    assert reader.max_alive <= QUEUE_SIZE + 2 + 2
    assert reader.alive == 0


def test_video_memory_stays_bounded(tmp_path: Path, make_reader) -> None:
    reader = make_reader(n=12)
    spec = ExportSpec.from_dict({"path": "b.mp4"})
    convert(reader, spec, tmp_path, range(1, 13), src_colorspace="Rec709", progress=Progress())
    assert reader.max_alive <= QUEUE_SIZE + 2 and reader.alive == 0


def test_plan_touches_nothing(tmp_path: Path) -> None:
    spec = ExportSpec.from_dict({"path": "{object}/m.####.exr", "start_frame": 1001})
    target = tmp_path / "not_yet"
    paths = plan(spec, target, [10, 11], object="car")
    assert paths == [target / "car/m.1001.exr", target / "car/m.1002.exr"]
    assert not target.exists()
    video = ExportSpec.from_dict({"path": "v.mov"})
    assert plan(video, target, [1, 2, 3]) == [target / "v.mov"]


@pytest.mark.parametrize("frames", [[], [1, 1], ["a"], None])
def test_bad_frames(tmp_path: Path, make_reader, frames) -> None:
    spec = ExportSpec.from_dict({"path": "p.####.exr"})
    with pytest.raises(JobError, match="frames"):
        convert(make_reader(), spec, tmp_path, frames, src_colorspace="Linear",
                progress=Progress())  # fmt: skip


def test_too_little_padding_for_renumbered_range(tmp_path: Path) -> None:
    spec = ExportSpec(format="exr", what="plate", path="p.{object}.exr", options={})
    with pytest.raises(JobError, match="no frame number"):
        plan(spec, tmp_path, [1, 2], object="a")


def test_read_error_stops_cleanly(tmp_path: Path, make_reader) -> None:
    reader = make_reader(n=6, fail_at=4)
    spec = ExportSpec.from_dict({"path": "p.####.exr"})
    with pytest.raises(MediaError, match="frame 4"):
        convert(reader, spec, tmp_path, range(1, 7), src_colorspace="Linear",
                progress=Progress(), workers=2)  # fmt: skip
    names = sorted(p.name for p in tmp_path.glob("*.exr"))
    assert names == ["p.0001.exr", "p.0002.exr", "p.0003.exr"]
    assert not list(tmp_path.glob(".*partial*"))


def test_bad_process_result(tmp_path: Path, make_reader) -> None:
    spec = ExportSpec.from_dict({"path": "p.####.exr"})
    with pytest.raises(ProcessingError, match="frame 1: the process step returned NoneType"):
        convert(make_reader(n=1), spec, tmp_path, [1], src_colorspace="Linear",
                progress=Progress(), process=lambda f, img: None)  # fmt: skip

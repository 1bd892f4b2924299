"""Video reader: frame-exact random access, sequential decode, rates, metadata, bad files."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media_helpers import decode_number, write_numbered_video

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media import open_media, probe
from ultimate_roto.core.media.types import MediaReader
from ultimate_roto.core.media.video import VideoReader, exact_rate


def test_random_order_reads_are_frame_exact(h264_clip: Path) -> None:
    with open_media(h264_clip) as reader:
        assert isinstance(reader, MediaReader)
        order = list(range(reader.info.frame_count))
        random.Random(7).shuffle(order)
        got = {n: decode_number(reader.read(n)) for n in order}
    assert got == {n: n for n in order}


def test_sequential_reads_do_not_seek(h264_clip: Path) -> None:
    with VideoReader(h264_clip) as reader:
        reader.read(0)
        seeks = reader.seek_count
        for n in range(1, 60):
            assert decode_number(reader.read(n)) == n
        assert reader.seek_count == seeks
        reader.read(40)  # backwards: must seek
        assert reader.seek_count > seeks


def test_frame_array_contract(h264_clip: Path) -> None:
    with open_media(h264_clip) as reader:
        img = reader.read(5)
    assert img.dtype == np.float32 and img.flags.c_contiguous
    assert img.shape == (64, 64, 3)
    assert img.min() >= 0.0 and img.max() <= 1.0


def test_info_of_h264_clip(h264_clip: Path) -> None:
    info = probe(h264_clip)
    assert (info.kind, info.width, info.height, info.codec) == ("video", 64, 64, "h264")
    assert info.fps == Fraction(24) and isinstance(info.fps, Fraction)
    assert (info.first_frame, info.last_frame, info.frame_count) == (0, 59, 60)
    assert info.duration_s == pytest.approx(2.5)
    assert (info.bit_depth, info.channels, info.colorspace_guess) == (8, 3, "Rec709")
    assert not info.vfr


def test_23976_mkv_with_timecode(tmp_path: Path) -> None:
    path = write_numbered_video(
        tmp_path / "ntsc.mkv",
        30,
        fps=Fraction(24000, 1001),
        options={"g": "12", "preset": "ultrafast", "crf": "12"},
        metadata={"timecode": "01:00:10:05"},
    )
    with open_media(path) as reader:
        info = reader.info
        assert info.fps == Fraction(24000, 1001)
        assert info.frame_count == 30 and not info.vfr
        assert info.timecode == "01:00:10:05"
        for n in (29, 3, 17, 0, 28):
            assert decode_number(reader.read(n)) == n


def test_10bit_prores_4444_alpha_reads_rgba_float(tmp_path: Path) -> None:
    import av

    path = tmp_path / "alpha.mov"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("prores_ks", rate=24)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuva444p10le"
        stream.options = {"profile": "4444"}
        for n in range(3):
            rgba = np.zeros((64, 64, 4), np.uint16)
            rgba[..., :3] = (n + 1) * 12000
            rgba[:, :32, 3] = 65535  # left half opaque, right half transparent
            frame = av.VideoFrame.from_ndarray(rgba, format="rgba64le")
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    with open_media(path) as reader:
        assert reader.info.channels == 4 and reader.info.bit_depth >= 10
        img = reader.read(2)
    assert img.shape == (64, 64, 4)
    assert img[:, :32, 3].min() > 0.99 and img[:, 32:, 3].max() < 0.01
    # 10-bit precision survives (8-bit output would quantise to multiples of 1/255)
    assert img[10, 10, 0] == pytest.approx(36000 / 65535, abs=3e-3)


def test_avi_mpeg4_reads_exact(tmp_path: Path) -> None:
    path = write_numbered_video(
        tmp_path / "clip.avi", 20, codec="mpeg4", options={"g": "5", "qscale": "2"}
    )
    with open_media(path) as reader:
        assert reader.info.frame_count == 20
        for n in (19, 4, 11, 0):
            assert decode_number(reader.read(n)) == n


def test_vfr_detected(tmp_path: Path) -> None:
    import av

    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"preset": "ultrafast"}
        t = 0
        for n in range(20):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += 33 if n % 2 else 100
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    assert probe(path).vfr


def test_exact_rate_snaps_to_standard_rates() -> None:
    assert exact_rate(23.976) == Fraction(24000, 1001)
    assert exact_rate(Fraction(2997, 100)) == Fraction(30000, 1001)
    assert exact_rate(25.0) == 25
    assert exact_rate(Fraction(18, 1)) == 18  # non-standard kept
    assert exact_rate(None) == 0


def test_out_of_range_frame_names_frame(h264_clip: Path) -> None:
    with open_media(h264_clip) as reader, pytest.raises(MediaError, match="frame 60"):
        reader.read(60)


def test_missing_video_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not found") as exc:
        open_media(tmp_path / "nope.mov")
    assert exc.value.hint and "nope.mov" in str(exc.value)


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(MediaError, match="unsupported") as exc:
        open_media(path)
    assert ".mp4" in exc.value.hint


def test_text_renamed_mp4_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.mp4"
    path.write_bytes(b"this is a shopping list, not a movie\n" * 40)
    with pytest.raises(MediaError, match="fake.mp4") as exc:
        open_media(path)
    assert exc.value.hint


def _packet_pos(path: Path, index: int) -> int:
    import av

    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    return sorted(p.pos for p in packets)[index]


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_truncated_video(tmp_path: Path, suffix: str) -> None:
    opts = {"g": "12", "preset": "ultrafast", "crf": "12"}
    cont = {"movflags": "faststart"} if suffix == ".mp4" else None
    full = write_numbered_video(
        tmp_path / f"full{suffix}", 48, options=opts, container_options=cont
    )
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(full.read_bytes()[: _packet_pos(full, 24)])  # cut the frame data in half
    try:
        reader = open_media(cut)
    except MediaError as err:  # failing at open is fine if it is clear
        assert "cut" in str(err) and err.hint
        return
    with reader:
        assert decode_number(reader.read(2)) == 2  # before the damage: still fine
        with pytest.raises(MediaError, match=r"frame 47") as exc:
            reader.read(47)
        assert exc.value.hint


def test_closed_reader_raises(h264_clip: Path) -> None:
    reader = open_media(h264_clip)
    reader.close()
    reader.close()  # idempotent
    with pytest.raises(MediaError, match="closed"):
        reader.read(0)


@pytest.mark.parametrize(("tag", "size"), [(None, 64), ("bt709", 64), (None, 720)])
def test_solid_colour_survives_yuv_round_trip(tmp_path: Path, tag: str | None, size: int) -> None:
    """RGB order, matrix (601/709) and limited range all decode back to the encoded colour."""
    import av

    rgb = np.array([200, 60, 30], np.uint8)
    path = tmp_path / "solid.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "0"}
        frame = av.VideoFrame.from_ndarray(np.tile(rgb, (size, size, 1)), format="rgb24")
        if tag:
            stream.codec_context.colorspace = 1  # tags the stream BT.709
            frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709")
            frame.colorspace = 1
        else:
            cs = "ITU709" if size >= 720 else "ITU601"  # what an untagged decoder assumes
            frame = frame.reformat(format="yuv420p", dst_colorspace=cs)
        for pkt in [*stream.encode(frame), *stream.encode()]:
            out.mux(pkt)
    with open_media(path) as reader:
        got = reader.read(0)[size // 2, size // 2]
    np.testing.assert_allclose(got, rgb / 255.0, atol=2.5 / 255)

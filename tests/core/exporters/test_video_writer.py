"""VideoWriter: encode then probe with PyAV (codec, profile, frames, exact fps, size)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from ultimate_roto.core.errors import OutputError
from ultimate_roto.core.exporters.video import VideoWriter


def _frames(n: int, h: int, w: int) -> list[np.ndarray]:
    return [np.full((h, w, 3), (i + 1) / (n + 1), np.float32) for i in range(n)]


def _probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return {"codec": s.codec_context.name, "profile": s.codec_context.profile,
                "rate": s.average_rate, "count": len(frames), "size": (s.width, s.height),
                "pix_fmt": s.format.name, "first": frames[0]}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "codec", "opts", "size", "expect_codec", "expect_fmt", "profile"),
    [
        ("a.mp4", "h264", {}, (64, 48), "h264", "yuv420p", "High"),
        ("a.mp4", "h265", {"bit_depth": 10}, (64, 48), "hevc", "yuv420p10le", "Main 10"),
        ("a.mov", "prores", {"profile": "hq"}, (64, 48), "prores", "yuv422p10le", "HQ"),
        ("b.mov", "prores", {"profile": "4444"}, (64, 48), "prores", None, "4444"),
        ("a.mkv", "prores", {"profile": "proxy"}, (64, 48), "prores", "yuv422p10le", "Proxy"),
        ("c.mov", "dnxhr", {"profile": "sq"}, (256, 120), "dnxhd", "yuv422p", "DNXHR SQ"),
        ("d.mov", "dnxhr", {"profile": "hqx"}, (256, 120), "dnxhd", "yuv422p10le", "DNXHR HQX"),
    ],
)
def test_encode_and_probe(tmp_path: Path, name, codec, opts, size, expect_codec, expect_fmt,
                          profile) -> None:  # fmt: skip
    w, h = size
    fps = Fraction(24000, 1001)
    with VideoWriter(tmp_path / name, codec, fps, w, h, **opts) as vw:
        for f in _frames(3, h, w):
            vw.write(f)
    info = _probe(tmp_path / name)
    assert info["codec"] == expect_codec and info["profile"] == profile
    assert info["rate"] == fps and info["count"] == 3 and info["size"] == (w, h)
    if expect_fmt:
        assert info["pix_fmt"] == expect_fmt
    assert abs(int(info["first"].mean()) - 64) <= 3  # 0.25 grey survives the Rec.709 matrix
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_odd_size_is_padded_or_refused(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "odd.mp4", "h264", 25, 63, 47) as vw:
        assert vw.encoded_size == (64, 48)
        vw.write(_frames(1, 47, 63)[0])
    assert _probe(tmp_path / "odd.mp4")["size"] == (64, 48)
    with pytest.raises(OutputError, match="odd side"):
        VideoWriter(tmp_path / "odd2.mp4", "h264", 25, 63, 47, pad_odd=False)


def test_failed_encode_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), VideoWriter(tmp_path / "k.mov", "prores", 24, 64, 48) as vw:
        vw.write(_frames(1, 48, 64)[0])
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_file_appears_only_on_close(tmp_path: Path) -> None:
    vw = VideoWriter(tmp_path / "late.mp4", "h264", 24, 64, 48)
    vw.write(_frames(1, 48, 64)[0])
    assert not (tmp_path / "late.mp4").exists()
    assert vw.close() == tmp_path / "late.mp4"
    assert (tmp_path / "late.mp4").is_file()
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("name", "codec", "size", "opts", "match"),
    [
        ("a.mp4", "prores", (64, 48), {}, "does not go in a .mp4"),
        ("a.avi", "h264", (64, 48), {}, "does not go in a .avi"),
        ("a.mov", "dnxhr", (64, 48), {}, "at least 256x120"),
        ("a.mov", "prores", (64, 48), {"profile": "xq"}, "not a prores profile"),
        ("a.mp4", "h264", (0, 48), {}, "size 0x48"),
    ],
)
def test_bad_settings(tmp_path: Path, name, codec, size, opts, match) -> None:
    with pytest.raises(OutputError, match=match):
        VideoWriter(tmp_path / name, codec, 24, *size, **opts)
    assert list(tmp_path.iterdir()) == []


def test_wrong_frame_size_and_empty_video(tmp_path: Path) -> None:
    vw = VideoWriter(tmp_path / "w.mp4", "h264", 24, 64, 48)
    with pytest.raises(OutputError, match="expected \\(48, 64, 3\\)"):
        vw.write(np.zeros((48, 32, 3), np.float32))
    with pytest.raises(OutputError, match="no frames"):
        vw.close()
    assert list(tmp_path.iterdir()) == []

"""write_exr / read_exr_channels: layers, pixel types, compressions, header, atomicity."""

from __future__ import annotations

import errno
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto.core.errors import MediaError, OutputError
from ultimate_roto.core.exporters import exr
from ultimate_roto.core.exporters.spec import EXR_COMPRESSIONS

LOSSY = {"dwaa", "dwab", "b44", "b44a"}


def _ramp(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 4), dtype=np.float32)


def test_layers_types_and_header_round_trip(tmp_path: Path) -> None:
    img = _ramp()
    depth = np.linspace(0, 1000, 48 * 64, dtype=np.float32).reshape(48, 64)
    chans = {**exr.rgba_channels(img), "hero.A": img[:, :, 3], "depth.Z": depth}
    header = {"timeCode": "01:02:03:04", "framesPerSecond": Fraction(24000, 1001),
              "shot": "sh010", "frame": "1001", "software": "Ultimate Roto"}  # fmt: skip
    out = exr.write_exr(tmp_path / "a.exr", chans, compression="piz",
                        pixel_types={"depth.Z": "float"}, header=header)  # fmt: skip
    back, hdr = exr.read_exr_channels(out)
    assert set(back) == {"R", "G", "B", "A", "hero.A", "depth.Z"}
    assert back["R"].dtype == np.float16 and back["depth.Z"].dtype == np.float32
    np.testing.assert_array_equal(back["depth.Z"], depth)
    np.testing.assert_array_equal(back["G"], img[:, :, 1].astype(np.float16))
    np.testing.assert_array_equal(back["hero.A"], back["A"])
    assert hdr["timeCode"] == "01:02:03:04"
    assert hdr["framesPerSecond"] == Fraction(24000, 1001)
    assert (hdr["shot"], hdr["frame"]) == ("sh010", "1001")
    assert [p.name for p in tmp_path.iterdir()] == ["a.exr"]  # no temp left behind


def test_strided_views_are_written_correctly(tmp_path: Path) -> None:
    img = _ramp(seed=1)
    view = img[:, :, 2]  # not C-contiguous
    assert not view.flags.c_contiguous
    exr.write_exr(tmp_path / "v.exr", {"Y": view}, pixel_types="float")
    back, _ = exr.read_exr_channels(tmp_path / "v.exr")
    np.testing.assert_array_equal(back["Y"], view)


@pytest.mark.parametrize("compression", EXR_COMPRESSIONS)
def test_every_compression_round_trips(tmp_path: Path, compression: str) -> None:
    img = _ramp(seed=2)[:, :, :3]
    exr.write_exr(tmp_path / "c.exr", exr.rgba_channels(img), compression=compression)
    back, hdr = exr.read_exr_channels(tmp_path / "c.exr")
    tol = 0.2 if compression in LOSSY else 1e-3
    assert np.abs(back["B"].astype(np.float32) - img[:, :, 2]).max() < tol
    assert compression.upper().replace("NONE", "NO") in str(hdr["compression"])


def test_drop_frame_timecode(tmp_path: Path) -> None:
    exr.write_exr(tmp_path / "d.exr", {"Y": np.zeros((4, 4), np.float32)},
                  header={"timeCode": "00:10:00;02", "framesPerSecond": 29.97})  # fmt: skip
    _, hdr = exr.read_exr_channels(tmp_path / "d.exr")
    assert hdr["timeCode"] == "00:10:00;02"
    assert hdr["framesPerSecond"] == Fraction(30000, 1001)


def test_rgba_channels_shapes() -> None:
    assert list(exr.rgba_channels(np.zeros((2, 3, 3), np.float32))) == ["R", "G", "B"]
    assert list(exr.rgba_channels(np.zeros((2, 3), np.float32))) == ["Y"]
    assert all(a.flags.c_contiguous for a in exr.rgba_channels(_ramp()).values())
    with pytest.raises(OutputError, match="shape"):
        exr.rgba_channels(np.zeros((2, 3, 2), np.float32))


@pytest.mark.parametrize(
    ("channels", "kwargs", "match"),
    [
        ({}, {}, "no channels"),
        ({"R": np.zeros((4, 4)), "G": np.zeros((4, 5))}, {}, "channel 'G' has shape"),
        ({"R": np.zeros(4)}, {}, "channel 'R' has shape"),
        ({"R": np.zeros((4, 4))}, {"compression": "lzw"}, "compression 'lzw'"),
        ({"R": np.zeros((4, 4))}, {"pixel_types": "double"}, "pixel type 'double'"),
        ({"R": np.zeros((4, 4))}, {"pixel_types": {"Z": "float"}}, "unknown channels Z"),
        ({"R": np.zeros((4, 4))}, {"header": {"timeCode": "1:00"}}, "timecode"),
    ],
)
def test_bad_input(tmp_path: Path, channels: dict, kwargs: dict, match: str) -> None:
    with pytest.raises(OutputError, match=match):
        exr.write_exr(tmp_path / "bad.exr", channels, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_disk_full_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(tmp: Path, hdr: dict, planes: dict) -> None:
        tmp.write_bytes(b"half an exr")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exr, "_write_file", full)
    with pytest.raises(OutputError) as err:
        exr.write_exr(tmp_path / "f.exr", {"R": np.zeros((4, 4), np.float32)})
    assert err.value.message == f"disk full while writing {tmp_path / 'f.exr'}"
    assert err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="nope.exr"):
        exr.read_exr_channels(tmp_path / "nope.exr")


def test_write_exr_parts_names_types_compressions_and_header(tmp_path: Path) -> None:
    import OpenEXR

    img = _ramp()
    depth = np.linspace(0, 1000, 48 * 64, dtype=np.float32).reshape(48, 64)
    parts = [("rgba", exr.rgba_channels(img), "half", "dwaa"),
             ("depth", {"depth.Z": depth}, {"depth.Z": "float"}, "zip")]  # fmt: skip
    out = exr.write_exr_parts(tmp_path / "m.exr", parts, header={"shot": "sh010"})
    with OpenEXR.File(str(out), separate_channels=True) as f:
        got = {p.name(): p for p in f.parts}
        assert list(got) == ["rgba", "depth"]
        assert got["rgba"].header["compression"] == OpenEXR.DWAA_COMPRESSION
        assert got["depth"].header["compression"] == OpenEXR.ZIP_COMPRESSION
        assert all(p.header["shot"] == "sh010" for p in got.values())
        z = got["depth"].channels["depth.Z"].pixels
        assert z.dtype == np.float32 and np.array_equal(z, depth)
    with pytest.raises(OutputError, match="no parts"):
        exr.write_exr_parts(tmp_path / "none.exr", [])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.exr"]

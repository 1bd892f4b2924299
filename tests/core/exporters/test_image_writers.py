"""write_image: DPX/PNG/TIFF/JPG bit depths read back with OIIO, metadata, atomic failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ultimate_roto.core.errors import OutputError
from ultimate_roto.core.exporters import images


def _img(channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((48, 64, channels), dtype=np.float32)


def _read(path: Path) -> tuple[np.ndarray, oiio.ImageSpec]:
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)  # read alpha images as stored
    inp = oiio.ImageInput.open(str(path), config)
    assert inp is not None, oiio.geterror()
    spec = inp.spec()
    pixels = inp.read_image(oiio.FLOAT)
    inp.close()
    return pixels, spec


def _dpx10_raw(path: Path, shape: tuple[int, int, int]) -> np.ndarray:
    """Unpack a 10-bit "filled, method A" DPX by hand: 3 samples per 32-bit word, rows padded
    to whole words. (OIIO 3.2 misreads the last sample of a row that ends mid-word.)"""
    data = path.read_bytes()
    order = ">" if data[:4] == b"SDPX" else "<"
    offset = int(np.frombuffer(data[4:8], dtype=f"{order}u4")[0])
    h, w, c = shape
    per_row = -(-w * c // 3)
    words = np.frombuffer(data[offset:], dtype=f"{order}u4")[: h * per_row].astype(np.int64)
    samples = np.stack([(words >> s) & 1023 for s in (22, 12, 2)], axis=-1).reshape(h, -1)
    return samples[:, : w * c].reshape(h, w, c)


def _bits(spec: oiio.ImageSpec) -> int:
    return spec.get_int_attribute("oiio:BitsPerSample", spec.format.size() * 8)


@pytest.mark.parametrize(
    ("fmt", "bits", "channels"),
    [("dpx", 10, 3), ("dpx", 16, 3), ("dpx", 10, 4), ("png", 8, 3), ("png", 16, 4),
     ("tiff", 8, 3), ("tiff", 16, 3), ("tiff", 32, 4)],
)  # fmt: skip
def test_round_trip_within_quantisation(tmp_path: Path, fmt: str, bits: int, channels: int):
    img = _img(channels)
    if bits == 32:
        img = img * 4 - 1  # floats out of [0, 1] survive unchanged
    path = images.write_image(tmp_path / f"f.0001.{fmt}", img, fmt, bits)
    back, spec = _read(path)
    assert _bits(spec) == bits
    assert spec.nchannels == channels
    assert list(spec.channelnames)[:3] == ["R", "G", "B"]
    if bits == 32:
        np.testing.assert_array_equal(back, img)
        return
    top = (1 << bits) - 1
    if (fmt, bits) == ("dpx", 10):
        raw = _dpx10_raw(path, img.shape)
        np.testing.assert_array_equal(raw, np.rint(img * top))
        if channels == 4:
            return
    # rounding to nearest: every value lands on round(x * top) exactly
    np.testing.assert_array_equal(np.rint(back * top), np.rint(img * top))
    # (OIIO widens 10-bit to 16 before float: allow that tiny extra error)
    assert np.abs(back - img).max() <= 0.5 / top * 1.05


def test_rgb_order_matches_an_independent_reader(tmp_path: Path) -> None:
    import cv2

    img = np.zeros((8, 8, 3), np.float32)
    img[..., 0] = 1.0  # pure red
    images.write_image(tmp_path / "red.png", img, "png", 8)
    bgr = cv2.imread(str(tmp_path / "red.png"), cv2.IMREAD_UNCHANGED)
    assert bgr[0, 0].tolist() == [0, 0, 255]


def test_quantise_rounds_and_clips() -> None:
    vals = np.array([-0.5, 0.0, 0.4 / 255, 0.6 / 255, 1.0, 7.0, np.nan], np.float32)
    assert images.quantise(vals, 8).tolist() == [0, 0, 0, 1, 255, 255, 0]
    assert images.quantise(np.array([0.5], np.float32), 10).tolist() == [512]
    assert images.quantise(np.array([1.0], np.float32), 16).dtype == np.uint16


def test_jpeg_quality_and_alpha_dropped(tmp_path: Path) -> None:
    img = np.full((48, 64, 4), 0.5, np.float32)
    images.write_image(tmp_path / "hi.jpg", img, "jpg", quality=95)
    images.write_image(tmp_path / "lo.jpg", _img(3, 1), "jpg", quality=10)
    images.write_image(tmp_path / "hi2.jpg", _img(3, 1), "jpg", quality=95)
    back, spec = _read(tmp_path / "hi.jpg")
    assert spec.nchannels == 3 and _bits(spec) == 8
    assert np.abs(back - 0.5).max() < 2 / 255
    assert (tmp_path / "lo.jpg").stat().st_size < (tmp_path / "hi2.jpg").stat().st_size


def test_dpx_timecode_and_fps_in_header(tmp_path: Path) -> None:
    from fractions import Fraction

    images.write_image(tmp_path / "t.dpx", _img(), "dpx", timecode="01:00:00:12",
                       fps=Fraction(24000, 1001))  # fmt: skip
    _, spec = _read(tmp_path / "t.dpx")
    assert spec.get_string_attribute("dpx:TimeCode") == "01:00:00:12"
    assert spec.get_float_attribute("dpx:FrameRate") == pytest.approx(23.976, abs=1e-3)


def test_tiff_compression_is_applied(tmp_path: Path) -> None:
    flat = np.zeros((48, 64, 3), np.float32)
    images.write_image(tmp_path / "n.tif", flat, "tiff", 16, compression="none")
    images.write_image(tmp_path / "z.tif", flat, "tiff", 16, compression="zip")
    assert (tmp_path / "z.tif").stat().st_size < (tmp_path / "n.tif").stat().st_size / 4


@pytest.mark.parametrize(
    ("img", "fmt", "bits", "match"),
    [
        (np.zeros((4, 4, 3), np.float32), "dpx", 8, "does not take 8-bit"),
        (np.zeros((4, 4, 3), np.float32), "png", 10, "does not take 10-bit"),
        (np.zeros((4, 4, 3), np.float32), "webp", 8, "unknown image format"),
        (np.zeros((4, 4, 2), np.float32), "png", 8, "not \\(H, W, 1/3/4\\)"),
        (np.zeros((0, 4, 3), np.float32), "png", 8, "not \\(H, W, 1/3/4\\)"),
    ],
)
def test_bad_input(tmp_path: Path, img: np.ndarray, fmt: str, bits: int, match: str) -> None:
    with pytest.raises(OutputError, match=match):
        images.write_image(tmp_path / f"x.{fmt}", img, fmt, bits)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_names_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError) as err:
        images.write_image(blocker / "x.png", _img(), "png", 8)
    assert str(blocker / "x.png") in err.value.message


def test_library_disk_full_message_maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def full(tmp: Path, spec: object, pixels: np.ndarray) -> None:
        tmp.write_bytes(b"partial")
        raise OSError("Could not write: No space left on device")  # OIIO-style text

    monkeypatch.setattr(images, "_write_file", full)
    with pytest.raises(OutputError, match="disk full while writing"):
        images.write_image(tmp_path / "f.dpx", _img(), "dpx", 10)
    assert list(tmp_path.iterdir()) == []

"""Compact display reads (read_compact: uint8 / float16) equal the float32 reads."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media import CompactReader, open_media
from ultimate_roto.core.media.imageio_ import read_image
from ultimate_roto.core.media.pixels import compact_dtype, to_compact, to_float32

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo" / "demo_shot.mp4"
W, H = 37, 22  # odd width: rows of RGB uint8 are not a multiple of 4 bytes
HALF_TOL = 2.0**-11  # half precision of values in [0.5, 1): one ulp


def half_close(compact: np.ndarray, exact: np.ndarray) -> bool:
    """float16 values within one half ulp-step of the float32 ones (relative above 1)."""
    diff = np.abs(compact.astype(np.float64) - exact.astype(np.float64))
    return bool(np.all(diff <= HALF_TOL * np.maximum(1.0, np.abs(exact))))


def ramp16(n: int, channels: int = 3) -> np.ndarray:
    """A 16-bit frame that uses all 16 bits (values an 8-bit or a half read would not keep)."""
    rng = np.random.default_rng(n)
    img = rng.integers(0, 65536, (H, W, channels), dtype=np.uint16)
    img[0, 0] = 65535
    img[0, 1] = 0
    img[0, 2] = 32769
    return img


def write_cv_sequence(folder: Path, ext: str, frames: list[np.ndarray]) -> str:
    folder.mkdir()
    for n, img in enumerate(frames, start=1):
        assert cv2.imwrite(str(folder / f"plate.{n:04d}.{ext}"), img)
    return str(folder / f"plate.####.{ext}")


def write_exr_sequence(folder: Path, dtype: type, frames: list[np.ndarray]) -> str:
    import OpenEXR

    folder.mkdir()
    for n, img in enumerate(frames, start=1):
        channels = {c: np.ascontiguousarray(img[..., i].astype(dtype)) for i, c in enumerate("RGB")}
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
        with OpenEXR.File(header, channels) as f:
            f.write(str(folder / f"plate.{n:04d}.exr"))
    return str(folder / "plate.####.exr")


def check_sequence(pattern: str, dtype: type, exact: bool) -> None:
    with open_media(pattern) as reader:
        assert isinstance(reader, CompactReader)
        assert reader.compact_dtype == dtype == compact_dtype(reader.info)
        for n in (3, 1, 2):
            full, small = reader.read(n), reader.read_compact(n)
            assert full.dtype == np.float32 and small.dtype == dtype
            assert small.flags.c_contiguous and small.shape == full.shape
            assert small.nbytes * (4 // np.dtype(dtype).itemsize) == full.nbytes
            if exact:
                assert np.array_equal(to_float32(small), full)
            elif dtype == np.uint8:  # a decoder's own float conversion: within a float ulp
                assert np.allclose(to_float32(small), full, rtol=0, atol=1e-7)
            else:
                assert half_close(small, full)


def test_demo_shot_compact_reads_are_the_8bit_values_of_the_float_reads() -> None:
    with open_media(DEMO) as reader:
        assert reader.compact_dtype == np.uint8
        order = list(range(reader.info.frame_count))
        random.Random(3).shuffle(order)
        for n in order[:12]:  # random access, both ways
            small = reader.read_compact(n)
            assert small.dtype == np.uint8 and small.flags.c_contiguous
            assert small.shape == (reader.info.height, reader.info.width, 3)
            full = reader.read(n)
            assert full.dtype == np.float32
            assert np.allclose(small / 255.0, full, rtol=0, atol=1e-7)
            assert np.array_equal(to_float32(small), full)  # the very float32 values


def test_10bit_video_compact_reads_are_half_of_the_float_reads(tmp_path: Path) -> None:
    import av

    path = tmp_path / "deep.mov"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("prores_ks", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv422p10le"
        for n in range(6):
            rgb = np.zeros((48, 64, 3), np.uint16)
            rgb[..., 0] = np.linspace(0, 65535, 64, dtype=np.uint16)[None, :]
            rgb[..., 1] = (n + 1) * 9000
            rgb[..., 2] = np.linspace(65535, 0, 48, dtype=np.uint16)[:, None]
            for pkt in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb48le")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    with open_media(path) as reader:
        assert reader.info.bit_depth == 10 and reader.compact_dtype == np.float16
        for n in (4, 0, 5):
            small, full = reader.read_compact(n), reader.read(n)
            assert small.dtype == np.float16 and half_close(small, full)
            # deeper than 8 bits: the half frame keeps steps an 8-bit one would round away
            assert np.abs(small.astype(np.float64) * 255 % 1).max() > 0.1


def test_8bit_png_and_tiff_sequences_read_uint8(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(3)]
    check_sequence(write_cv_sequence(tmp_path / "png", "png", frames), np.uint8, exact=True)
    tif = write_cv_sequence(tmp_path / "tif", "tif", frames)  # read by OpenImageIO
    check_sequence(tif, np.uint8, exact=False)  # OpenImageIO's float conversion
    with open_media(tif) as reader:
        assert np.array_equal(reader.read_compact(2), frames[1][..., ::-1])  # BGR on disk


def test_16bit_png_and_tiff_sequences_read_float16(tmp_path: Path) -> None:
    frames = [ramp16(n) for n in range(3)]
    check_sequence(write_cv_sequence(tmp_path / "png", "png", frames), np.float16, exact=False)
    check_sequence(write_cv_sequence(tmp_path / "tif", "tif", frames), np.float16, exact=False)
    rgba = [ramp16(n, 4) for n in range(3)]
    check_sequence(write_cv_sequence(tmp_path / "rgba", "png", rgba), np.float16, exact=False)


def test_half_exr_sequence_reads_as_stored(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    frames = [(rng.random((H, W, 3)) * 8 - 1).astype(np.float16) for _ in range(3)]
    pattern = write_exr_sequence(tmp_path / "half", np.float16, frames)
    check_sequence(pattern, np.float16, exact=True)  # half data: no rounding at all
    with open_media(pattern) as reader:
        assert np.array_equal(reader.read_compact(1), frames[0])


def test_float_exr_goes_to_half_for_display_clamped_to_its_range(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    frames = [(rng.random((H, W, 3)) * 20 - 2).astype(np.float32) for _ in range(3)]
    frames[0][0, 0] = (1e6, -1e6, np.nan)
    pattern = write_exr_sequence(tmp_path / "float", np.float32, frames)
    with open_media(pattern) as reader:
        assert reader.info.pixel_type == "float" and reader.compact_dtype == np.float16
        small = reader.read_compact(1)
        assert small.dtype == np.float16
        assert small[0, 0, 0] == 65504 and small[0, 0, 1] == -65504 and np.isnan(small[0, 0, 2])
        assert half_close(small[1:], reader.read(1)[1:])
        assert half_close(reader.read_compact(2), reader.read(2))


def test_missing_frames_follow_the_policy_in_the_compact_dtype(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(3)]
    pattern = write_cv_sequence(tmp_path / "gap", "png", frames)
    (tmp_path / "gap" / "plate.0002.png").unlink()
    with open_media(pattern, missing="black") as reader:
        black = reader.read_compact(2)
        assert black.dtype == np.uint8 and black.shape == (H, W, 3) and not black.any()
    with open_media(pattern, missing="hold") as reader:
        assert np.array_equal(reader.read_compact(2), reader.read_compact(1))


def test_grey_and_alpha_are_expanded_like_the_float_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    grey = [rng.integers(0, 256, (H, W), dtype=np.uint8) for _ in range(3)]
    check_sequence(write_cv_sequence(tmp_path / "grey", "png", grey), np.uint8, exact=True)
    rgba = [rng.integers(0, 256, (H, W, 4), dtype=np.uint8) for _ in range(3)]
    check_sequence(write_cv_sequence(tmp_path / "rgba", "png", rgba), np.uint8, exact=True)


def test_read_image_dtypes_and_bad_dtype(tmp_path: Path) -> None:
    path = tmp_path / "one.png"
    cv2.imwrite(str(path), ramp16(0))
    assert read_image(path).dtype == np.float32
    assert read_image(path, np.float16).dtype == np.float16
    as8 = read_image(path, np.uint8)
    assert as8.dtype == np.uint8 and as8[0, 0, 0] == 255 and as8[0, 1, 0] == 0
    with pytest.raises(InputError) as err:
        read_image(path, np.int32)
    assert err.value.hint


def test_pixel_conversions() -> None:
    u8 = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, 2)
    f = to_float32(u8)
    assert f.dtype == np.float32 and f[0, 1, 0] == np.float32(1 / 255) and f[15, 15, 0] == 1
    assert np.array_equal(to_compact(f, np.uint8), u8)  # round trip of 8-bit values
    assert to_float32(f) is f  # float32 C-contiguous: no copy
    u16 = np.array([[[0, 32768, 65535]]], np.uint16)
    h = to_compact(u16, np.float16)
    assert h.dtype == np.float16 and h[0, 0, 2] == 1 and abs(float(h[0, 0, 1]) - 0.5) < 1e-3
    clipped = to_compact(np.array([[[-0.2, 0.5, 7.0]]], np.float32), np.uint8)
    assert clipped.tolist() == [[[0, 128, 255]]]
    assert to_compact(np.zeros((0, 4, 3), np.float32), np.float16).shape == (0, 4, 3)
    with pytest.raises(InputError):
        to_compact(u8, np.int16)

"""Image sequences: patterns, folders, gaps and missing-frame policies, each file format."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.media import open_media, probe

W, H = 8, 6


def _ramp(n: int, channels: int = 3) -> np.ndarray:
    """float32 image whose red channel holds n / 100 and which differs per pixel."""
    img = np.zeros((H, W, channels), np.float32)
    img[..., 0] = n / 100.0
    img[..., 1] = np.linspace(0, 1, W, dtype=np.float32)[None, :]
    img[..., 2] = np.linspace(0, 1, H, dtype=np.float32)[:, None]
    if channels == 4:
        img[..., 3] = 0.25
    return img


def write_exr(path: Path, img: np.ndarray, **header: object) -> Path:
    import OpenEXR

    names = "RGBA"[: img.shape[2]]
    h = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage, **header}
    chans = {names: np.ascontiguousarray(img.astype(np.float16))}
    with OpenEXR.File(h, chans) as f:
        f.write(str(path))
    return path


def exr_sequence(folder: Path, frames: list[int], name: str = "shot", pad: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in frames:
        write_exr(folder / f"{name}.{n:0{pad}d}.exr", _ramp(n))
    return folder / f"{name}.{'#' * pad}.exr"


def test_exr_sequence_pattern_reads_frames(tmp_path: Path) -> None:
    pattern = exr_sequence(tmp_path, [1001, 1002, 1003])
    with open_media(pattern) as reader:
        info = reader.info
        assert (info.kind, info.codec, info.first_frame, info.last_frame) == (
            "sequence",
            "exr",
            1001,
            1003,
        )
        assert (info.width, info.height, info.channels, info.pixel_type) == (W, H, 3, "half")
        assert info.colorspace_guess == "Linear" and info.fps == 24
        img = reader.read(1002)
    assert img.dtype == np.float32 and img.flags.c_contiguous and img.shape == (H, W, 3)
    np.testing.assert_array_equal(img, _ramp(1002).astype(np.float16).astype(np.float32))


@pytest.mark.parametrize("spelling", ["shot.%04d.exr", "shot.#.exr", "shot.####.exr", "."])
def test_pattern_spellings_and_folder(tmp_path: Path, spelling: str) -> None:
    exr_sequence(tmp_path, [7, 8, 9])
    info = probe(tmp_path / spelling)
    assert (info.first_frame, info.last_frame, info.frame_count) == (7, 9, 3)


def test_unpadded_sequence_with_hash(tmp_path: Path) -> None:
    exr_sequence(tmp_path, [8, 9, 10, 11], pad=1)
    assert probe(tmp_path / "shot.#.exr").frame_range == (8, 11)
    assert probe(tmp_path).frame_count == 4  # the folder sees one sequence, not two widths


def test_exr_header_fps_timecode_aspect_alpha(tmp_path: Path) -> None:
    import OpenEXR

    tc = OpenEXR.TimeCode()
    tc.hours, tc.minutes, tc.seconds, tc.frame = 1, 2, 3, 4
    write_exr(
        tmp_path / "a.0001.exr",
        _ramp(1, 4),
        framesPerSecond=Fraction(24000, 1001),
        timeCode=tc,
        pixelAspectRatio=2.0,
    )
    with open_media(tmp_path / "a.####.exr") as reader:
        info = reader.info
        assert info.fps == Fraction(24000, 1001)
        assert info.timecode == "01:02:03:04"
        assert info.pixel_aspect == 2.0 and info.channels == 4
        assert reader.read(1)[..., 3] == pytest.approx(0.25)


def test_exr_without_rgb_reads_first_channel_as_grey(tmp_path: Path) -> None:
    import OpenEXR

    depth = np.arange(W * H, dtype=np.float32).reshape(H, W)
    with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION}, {"depth.Z": depth}) as f:
        f.write(str(tmp_path / "z.0001.exr"))
    with open_media(tmp_path / "z.0001.exr") as reader:
        img = reader.read(1)
        assert reader.info.pixel_type == "float" and reader.info.bit_depth == 32
    assert img.shape == (H, W, 3)
    np.testing.assert_array_equal(img[..., 0], depth)
    np.testing.assert_array_equal(img[..., 2], depth)


def test_exr_data_window_placed_in_display_window(tmp_path: Path) -> None:
    import OpenEXR

    rgb = np.ones((2, 3, 3), np.float32)
    header = {
        "compression": OpenEXR.ZIP_COMPRESSION,
        "dataWindow": (np.array([2, 1], np.int32), np.array([4, 2], np.int32)),
        "displayWindow": (np.array([0, 0], np.int32), np.array([W - 1, H - 1], np.int32)),
    }
    with OpenEXR.File(header, {"RGB": rgb}) as f:
        f.write(str(tmp_path / "dw.0001.exr"))
    img = open_media(tmp_path / "dw.0001.exr").read(1)
    assert img.shape == (H, W, 3)
    assert img.sum() == pytest.approx(18.0) and img[1:3, 2:5].min() == 1.0


def _oiio_write(path: Path, pixels: np.ndarray, **attrs: object) -> Path:
    import OpenImageIO as oiio

    fmt = {"float32": "float"}.get(str(pixels.dtype), str(pixels.dtype))
    spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], pixels.shape[2], fmt)
    for key, value in attrs.items():
        spec.attribute(key.replace("__", ":"), value)
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    assert out.write_image(np.ascontiguousarray(pixels))
    out.close()
    return path


def test_dpx_10bit_header_fields_and_log_guess(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    px = np.full((H, W, 3), 512 * 64, np.uint16)  # 10-bit code 512
    path = tmp_path / "scan.1001.dpx"
    spec_attrs = {"oiio__BitsPerSample": 10, "dpx__FrameRate": 25.0, "PixelAspectRatio": 2.0}
    _oiio_write(path, px, **spec_attrs, dpx__Transfer="Logarithmic")
    info = probe(path)
    assert (info.codec, info.bit_depth, info.fps, info.pixel_aspect) == ("dpx", 10, 25, 2.0)
    assert info.colorspace_guess == "Cineon"
    img = open_media(path).read(1001)
    assert img[0, 0, 0] == pytest.approx(512 / 1023, abs=1e-4)
    del oiio


def test_dpx_timecode_and_rec709_default(tmp_path: Path) -> None:
    import OpenImageIO as oiio

    path = tmp_path / "plate.0001.dpx"
    spec = oiio.ImageSpec(W, H, 3, "uint16")
    spec.attribute("oiio:BitsPerSample", 10)
    spec.attribute("smpte:TimeCode", oiio.TypeDesc("timecode"), [0x10203004, 0])
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), spec)
    out.write_image(np.zeros((H, W, 3), np.uint16))
    out.close()
    info = probe(path)
    assert info.timecode == "10:20:30:04" and info.colorspace_guess == "Rec709"


@pytest.mark.parametrize(
    ("dtype", "scale", "bits"), [("uint8", 255, 8), ("uint16", 65535, 16), ("float32", 1, 32)]
)
def test_tiff_depths(tmp_path: Path, dtype: str, scale: int, bits: int) -> None:
    px = (_ramp(30, 4) * scale).astype(dtype)
    path = _oiio_write(tmp_path / "t.0001.tif", px)
    with open_media(path) as reader:
        assert reader.info.bit_depth == bits and reader.info.channels == 4
        img = reader.read(1)
    np.testing.assert_allclose(img, px.astype(np.float32) / scale, atol=1e-6)


def test_png_8_and_16_bit_are_rgb_not_bgr(tmp_path: Path) -> None:
    import cv2

    rgb16 = np.zeros((H, W, 3), np.uint16)
    rgb16[..., 0] = 65535  # pure red
    cv2.imwrite(str(tmp_path / "p16.0001.png"), rgb16[..., ::-1])
    img = open_media(tmp_path / "p16.0001.png").read(1)
    assert img[0, 0].tolist() == [1.0, 0.0, 0.0]
    assert probe(tmp_path / "p16.0001.png").bit_depth == 16
    bgra = np.zeros((H, W, 4), np.uint8)
    bgra[..., 0], bgra[..., 3] = 255, 128  # blue, half alpha
    cv2.imwrite(str(tmp_path / "p8.0001.png"), bgra)
    info = probe(tmp_path / "p8.0001.png")
    assert (info.channels, info.colorspace_guess) == (4, "sRGB")
    img = open_media(tmp_path / "p8.0001.png").read(1)
    assert img[0, 0].tolist() == pytest.approx([0.0, 0.0, 1.0, 128 / 255])


def test_jpg_sequence(tmp_path: Path) -> None:
    import cv2

    for n in (1, 2):
        cv2.imwrite(str(tmp_path / f"j.{n:03d}.jpg"), np.full((H, W, 3), (0, 0, 200), np.uint8))
    with open_media(tmp_path / "j.###.jpg") as reader:
        assert reader.info.codec == "jpeg"
        assert reader.read(2)[0, 0, 0] == pytest.approx(200 / 255, abs=0.02)


def test_gaps_listed_and_missing_frame_error_names_frame(tmp_path: Path) -> None:
    pattern = exr_sequence(tmp_path, [1, 2, 5, 6])
    with open_media(pattern) as reader:
        assert reader.info.missing_frames == (3, 4)
        assert reader.info.frame_count == 4
        with pytest.raises(MediaError, match="frame 3") as exc:
            reader.read(3)
        assert "allow_missing_frames" in exc.value.hint


def test_missing_policies_hold_and_black(tmp_path: Path) -> None:
    pattern = exr_sequence(tmp_path, [1, 2, 5])
    with open_media(pattern, missing="hold") as reader:
        np.testing.assert_array_equal(reader.read(4), reader.read(2))
    with open_media(pattern, missing="black") as reader:
        black = reader.read(3)
        assert black.shape == (H, W, 3) and not black.any()
    with pytest.raises(InputError, match="missing-frame policy"):
        open_media(pattern, missing="skip")  # type: ignore[arg-type]


def test_out_of_range_frame(tmp_path: Path) -> None:
    pattern = exr_sequence(tmp_path, [1, 2])
    with pytest.raises(MediaError, match="frame 9"):
        open_media(pattern).read(9)


def test_folder_with_two_sequences_lists_them(tmp_path: Path) -> None:
    exr_sequence(tmp_path, [1, 2], name="bg")
    exr_sequence(tmp_path, [1, 2], name="fg")
    with pytest.raises(MediaError, match="2 image sequences") as exc:
        open_media(tmp_path)
    assert "bg.####.exr" in str(exc.value) and "fg.####.exr" in str(exc.value)


def test_empty_folder_and_unmatched_pattern(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no image sequence"):
        open_media(tmp_path)
    with pytest.raises(MediaError, match="no file matches"):
        open_media(tmp_path / "shot.####.exr")


def test_unsupported_sequence_extension(tmp_path: Path) -> None:
    (tmp_path / "a.0001.gif").write_bytes(b"GIF89a")
    with pytest.raises(MediaError, match="unsupported"):
        open_media(tmp_path / "a.####.gif")


def test_truncated_exr_names_file(tmp_path: Path) -> None:
    big = np.random.default_rng(0).random((64, 64, 3), dtype=np.float32)
    path = write_exr(tmp_path / "cut.0001.exr", big)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with open_media(path) as reader, pytest.raises(MediaError, match="cut.0001.exr") as exc:
        reader.read(1)
    assert "truncated" in exc.value.hint


def test_resolution_change_mid_sequence(tmp_path: Path) -> None:
    exr_sequence(tmp_path, [1])
    write_exr(tmp_path / "shot.0002.exr", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(MediaError, match="frame 2"):
        open_media(tmp_path / "shot.####.exr").read(2)

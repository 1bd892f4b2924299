"""ExportSpec.from_dict: per-format options, defaults, precise errors, the `what` registry."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ultimate_roto.core.errors import JobError
from ultimate_roto.core.exporters.spec import (
    EXR_COMPRESSIONS,
    WHAT_KINDS,
    ExportSpec,
    WhatKind,
    as_fraction,
    register_what,
)


def test_exr_defaults_and_linear_output() -> None:
    spec = ExportSpec.from_dict({"format": "exr", "path": "plate.####.exr"})
    assert spec.what == "plate" and not spec.is_video
    assert spec.options["compression"] == "zip" and spec.options["pixel_type"] == "half"
    assert spec.output_colorspace("sRGB") == "Linear"
    assert ExportSpec.from_dict(spec.to_dict()) == spec


def test_display_formats_keep_the_input_colorspace_unless_asked() -> None:
    png = ExportSpec.from_dict({"path": "p.####.png"})
    assert png.format == "png" and png.output_colorspace("Rec709") == "Rec709"
    acescg = ExportSpec.from_dict({"path": "p.####.png", "colorspace": "srgb"})
    assert acescg.options["colorspace"] == "sRGB"  # case-insensitive, canonical spelling kept


def test_bad_compression_lists_the_choices() -> None:
    with pytest.raises(JobError) as err:
        ExportSpec.from_dict({"format": "exr", "path": "a.####.exr", "compression": "zipp"})
    msg = err.value.message
    assert msg.startswith("exports[0].compression: 'zipp' is not one of zip, zips, piz")
    assert "'zip'" in (err.value.hint or "")


def test_unknown_key_is_suggested() -> None:
    with pytest.raises(JobError) as err:
        ExportSpec.from_dict({"path": "a.####.dpx", "bitdepth": 10}, where="exports[2]")
    assert err.value.message == "exports[2].bitdepth: unknown option for dpx"
    assert "bit_depth" in (err.value.hint or "")


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"path": "a.####.dpx", "bit_depth": 12}, "bit_depth"),
        ({"path": "a.####.png", "bit_depth": 32}, "bit_depth"),
        ({"path": "a.####.jpg", "quality": 101}, "quality"),
        ({"path": "a.####.jpg", "quality": "high"}, "quality"),
        ({"path": "a.####.exr", "pixel_type": "double"}, "pixel_type"),
        ({"path": "a.####.exr", "start_frame": 1.5}, "start_frame"),
        ({"path": "a.####.exr", "colorspace": "P3"}, "colorspace"),
        ({"path": "a.mov", "codec": "prores", "profile": "ultra"}, "profile"),
        ({"path": "a.mov", "codec": "h264", "profile": "hq"}, "profile"),
        ({"path": "a.mp4", "codec": "prores"}, "codec"),
        ({"path": "a.mkv", "codec": "dnxhr"}, "codec"),
        ({"path": "a.mp4", "crf": 60}, "crf"),
        ({"path": "a.mp4", "codec": "h264", "bit_depth": 10}, "bit_depth"),
        ({"path": "a.mov", "codec": "prores", "pix_fmt": "yuv420p"}, "pix_fmt"),
        ({"path": "a.####.exr", "format": "dpx"}, "path"),
        ({"path": "a.####.exr", "format": "webp"}, "format"),
        ({"path": "a.####.exr", "what": "mattes"}, "what"),
        ({"path": "a.exr"}, "path"),
        ({"path": "a.####.mov"}, "path"),
        ({"path": "a.####"}, "format"),
        ({"format": "exr"}, "path"),
    ],
)
def test_bad_options_name_the_key(entry: dict, key: str) -> None:
    with pytest.raises(JobError) as err:
        ExportSpec.from_dict(entry, where="exports[3]")
    assert err.value.message.startswith(f"exports[3].{key}"), err.value.message
    assert err.value.hint


def test_not_a_mapping() -> None:
    with pytest.raises(JobError, match="expected a mapping"):
        ExportSpec.from_dict(["exr"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "codec", "profile", "pix_fmt"),
    [
        ({"path": "a.mp4"}, "h264", None, "yuv420p"),
        ({"path": "a.mp4", "codec": "h265", "bit_depth": 10}, "h265", None, "yuv420p10le"),
        ({"path": "a.mov"}, "prores", "hq", "yuv422p10le"),
        ({"path": "a.mov", "codec": "prores", "profile": "4444"}, "prores", "4444", "yuv444p10le"),
        ({"path": "a.mov", "codec": "dnxhr", "profile": "sq"}, "dnxhr", "sq", "yuv422p"),
        ({"path": "a.mov", "codec": "dnxhr", "profile": "hqx"}, "dnxhr", "hqx", "yuv422p10le"),
        ({"path": "a.mov", "codec": "dnxhr", "profile": "444"}, "dnxhr", "444", "yuv444p10le"),
    ],
)
def test_video_defaults_per_codec(entry: dict, codec: str, profile: str, pix_fmt: str) -> None:
    spec = ExportSpec.from_dict(entry)
    assert spec.is_video
    assert (spec.options["codec"], spec.options["profile"], spec.options["pix_fmt"]) == (
        codec,
        profile,
        pix_fmt,
    )


def test_every_listed_exr_compression_validates() -> None:
    for name in EXR_COMPRESSIONS:
        spec = ExportSpec.from_dict({"path": "a.####.exr", "compression": name.upper()})
        assert spec.options["compression"] == name


def test_what_registry() -> None:
    register_what(WhatKind("testdepth", formats=("exr",), colour_managed=False))
    try:
        spec = ExportSpec.from_dict({"path": "d.####.exr", "what": "testdepth"})
        assert not spec.kind.colour_managed
        with pytest.raises(JobError, match="testdepth cannot be written as png"):
            ExportSpec.from_dict({"path": "d.####.png", "what": "testdepth"})
    finally:
        WHAT_KINDS.pop("testdepth")


def test_fingerprint_changes_with_options() -> None:
    a = ExportSpec.from_dict({"path": "a.####.exr"})
    b = ExportSpec.from_dict({"path": "a.####.exr", "compression": "piz"})
    assert a.fingerprint() != b.fingerprint()


def test_as_fraction() -> None:
    assert as_fraction(23.976) == Fraction(24000, 1001)
    assert as_fraction(29.97) == Fraction(30000, 1001)
    assert as_fraction(25.0) == 25 and as_fraction("24000/1001") == Fraction(24000, 1001)
    for bad in (0, -24, "fast", None, True):
        with pytest.raises(JobError):
            as_fraction(bad)


@pytest.mark.parametrize(
    ("entry", "src", "expected"),
    [
        ({"path": "v.mov", "codec": "prores"}, "Linear", "Rec709"),
        ({"path": "p.####.png"}, "ACEScg", "sRGB"),
        ({"path": "p.####.dpx"}, "ACES2065-1", "Rec709"),
        ({"path": "p.####.tiff", "bit_depth": 32}, "sRGB", "Linear"),
        ({"path": "p.####.png"}, "sRGB", "sRGB"),
        ({"path": "p.####.png", "colorspace": "Linear"}, "sRGB", "Linear"),
    ],
)
def test_integer_outputs_of_scene_linear_input_default_to_display_encoding(entry, src, expected):
    assert ExportSpec.from_dict(entry).output_colorspace(src) == expected

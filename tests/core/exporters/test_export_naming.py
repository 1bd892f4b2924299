"""Output path templates: frame tokens, object/layer fields, validation."""

from __future__ import annotations

import pytest

from ultimate_roto.core.errors import JobError
from ultimate_roto.core.exporters.naming import (
    expand,
    fields_used,
    has_frame_token,
    validate_template,
)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plate.####.exr", "plate.1001.exr"),
        ("plate.##.exr", "plate.1001.exr"),  # padding is a minimum, never truncates
        ("plate.######.exr", "plate.001001.exr"),
        ("plate.%04d.exr", "plate.1001.exr"),
        ("plate.%06d.dpx", "plate.001001.dpx"),
        ("plate.%d.png", "plate.1001.png"),
        ("plate.{frame}.png", "plate.1001.png"),
        ("plate.{frame:05d}.png", "plate.01001.png"),
    ],
)
def test_frame_tokens(template: str, expected: str) -> None:
    assert expand(template, frame=1001) == expected


def test_small_and_negative_frames_are_padded() -> None:
    assert expand("a.####.exr", frame=7) == "a.0007.exr"
    assert expand("a.%03d.exr", frame=-4) == "a.-04.exr"


def test_object_and_layer_fields() -> None:
    out = expand("{object}/{layer}_####.exr", frame=3, object="hero", layer="matte")
    assert out == "hero/matte_0003.exr"
    assert fields_used("{object}/{layer}_####.exr") == {"object", "layer", "frame"}


def test_object_names_cannot_escape_the_folder() -> None:
    assert expand("{object}.####.png", frame=1, object="../car") == ".._car.0001.png"


def test_missing_values_raise() -> None:
    with pytest.raises(JobError, match="needs a frame"):
        expand("a.####.exr")
    with pytest.raises(JobError, match="needs a object"):
        expand("{object}.####.exr", frame=1)


def test_unknown_token_suggests_the_closest() -> None:
    with pytest.raises(JobError) as err:
        expand("{objet}.####.exr", frame=1, object="a")
    assert "{objet}" in err.value.message
    assert err.value.hint is not None and "{object}" in err.value.hint


def test_sequence_without_frame_token_suggests_hashes() -> None:
    with pytest.raises(JobError) as err:
        validate_template("renders/plate.exr", sequence=True, where="exports[1].path")
    assert err.value.message.startswith("exports[1].path")
    assert "renders/plate.####.exr" in (err.value.hint or "")


def test_video_with_frame_token_is_refused() -> None:
    with pytest.raises(JobError, match="video file"):
        validate_template("plate.####.mov", sequence=False)
    validate_template("plate.mov", sequence=False)
    validate_template("{object}/plate.%04d.exr", sequence=True)


@pytest.mark.parametrize("bad", ["", "   ", None, "a.{frame:x}.exr", "{object:4}.####.exr"])
def test_bad_templates(bad: object) -> None:
    with pytest.raises(JobError):
        validate_template(bad, sequence=True)  # type: ignore[arg-type]


def test_has_frame_token() -> None:
    assert has_frame_token("a.#.exr") and has_frame_token("a.{frame}.exr")
    assert not has_frame_token("{object}.mov")

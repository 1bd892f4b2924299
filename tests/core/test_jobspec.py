"""Job file v1 validation: every rule gives a precise message naming the key and a hint."""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ultimate_roto.core import jobspec
from ultimate_roto.core.errors import JobError
from ultimate_roto.core.jobspec import JOB_FORMAT_HELP, check_against_media, load_job, parse_job
from ultimate_roto.core.media.types import MediaInfo
from ultimate_roto.core.pipeline.steps import register_step, unregister_step

BASE = {
    "version": 1,
    "input": "shot.mov",
    "output_dir": "out",
    "exports": [{"format": "exr", "what": "plate", "path": "plates/shot.####.exr"}],
}


def job(**changes):
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def error_of(data, base: Path = Path("/jobs")) -> JobError:
    with pytest.raises(JobError) as info:
        parse_job(data, base)
    return info.value


def info_of(width=320, height=240, first=0, last=9, missing=()) -> MediaInfo:
    return MediaInfo(
        path="shot.mov",
        kind="video",
        width=width,
        height=height,
        fps=Fraction(24),
        first_frame=first,
        last_frame=last,
        frame_count=last - first + 1 - len(missing),
        codec="h264",
        bit_depth=8,
        channels=3,
        colorspace_guess="Rec709",
        missing_frames=tuple(missing),
    )


@pytest.fixture
def fake_steps():
    register_step("t_seg", lambda ctx: None, needs_objects=True)
    register_step("t_prop", lambda ctx: None, requires=("t_seg",))
    yield
    unregister_step("t_seg")
    unregister_step("t_prop")


def test_minimal_job_gets_defaults_and_absolute_paths(tmp_path):
    result = parse_job(job(), tmp_path)
    assert result.version == 1
    assert result.input == str(tmp_path / "shot.mov")
    assert result.output_dir == tmp_path / "out"
    assert result.colorspace == "auto" and result.allow_missing_frames == "error"
    assert result.frame_range is None and result.objects == () and result.steps == ()
    assert len(result.exports) == 1


def test_absolute_input_and_sequence_patterns_are_kept(tmp_path):
    result = parse_job(job(input="/plates/a.%04d.dpx", output_dir=...), tmp_path)
    assert result.input == "/plates/a.%04d.dpx"
    assert result.output_dir == tmp_path


def test_full_job_parses_objects_prompts_and_options(tmp_path, fake_steps):
    data = job(
        frame_range=[3, 7],
        colorspace="acescg",
        allow_missing_frames="Hold",
        objects=[
            {
                "name": "hero",
                "prompts": [
                    {"frame": 4, "points": [[10, 20, 1], [5.5, 6, 0]], "box": [1, 2, 30, 40]}
                ],
            },
            {"name": "car", "prompts": [{"frame": 5, "text": "red car"}]},
        ],
        steps=["t_seg", "t_prop"],
        engines={"t_seg": "auto"},
    )
    result = parse_job(data, tmp_path)
    assert result.frame_range == (3, 7)
    assert result.colorspace == "ACEScg" and result.allow_missing_frames == "hold"
    assert result.object_names == ("hero", "car")
    hero = result.objects[0].prompts[0]
    assert hero.points == ((10.0, 20.0, 1), (5.5, 6.0, 0)) and hero.box == (1, 2, 30, 40)
    assert result.objects[1].prompts[0].text == "red car"
    assert result.steps == ("t_seg", "t_prop") and dict(result.engines) == {"t_seg": "auto"}


def test_json_and_yaml_files_give_the_same_job(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(job(frame_range=[0, 4])))
    (tmp_path / "b.yaml").write_text(
        "version: 1\ninput: shot.mov\noutput_dir: out\nframe_range: [0, 4]\n"
        "exports:\n  - {format: exr, what: plate, path: plates/shot.####.exr}\n"
    )
    a, b = load_job(tmp_path / "a.json"), load_job(tmp_path / "b.yaml")
    assert (a.input, a.output_dir, a.frame_range) == (b.input, b.output_dir, b.frame_range)
    assert a.source == tmp_path / "a.json"


def test_json_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "version": 1,\n  "input": "a.mov"\n  "exports": []\n}\n')
    with pytest.raises(JobError, match=r"line 4, column 3: invalid JSON"):
        load_job(path)


def test_yaml_syntax_error_gives_line(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("version: 1\ninput: [a.mov\nexports: []\n")
    with pytest.raises(JobError, match=r"line \d+, column \d+: invalid YAML"):
        load_job(path)


def test_missing_job_file(tmp_path):
    with pytest.raises(JobError, match="does not exist"):
        load_job(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("data", "where", "suggestion"),
    [
        (job(exprots=[]), "exprots", "'exports'"),
        (job(frame_rang=[0, 1]), "frame_rang", "'frame_range'"),
        (job(objects=[{"name": "a", "prompt": []}]), "objects[0].prompt", "'prompts'"),
        (
            job(objects=[{"name": "a", "prompts": [{"frame": 0, "pionts": []}]}]),
            "objects[0].prompts[0].pionts",
            "'points'",
        ),
    ],
)
def test_unknown_key_is_named_with_the_closest_valid_one(data, where, suggestion):
    err = error_of(data)
    assert err.message == f"{where}: unknown key"
    assert suggestion in err.hint


def test_unknown_key_without_a_close_match_lists_valid_keys():
    assert "valid keys: version, input" in error_of(job(zzz=1)).hint


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ([1, 2], "job"),
        (job(input=5), "input"),
        (job(steps="segment"), "steps"),
        (job(objects={"name": "a"}), "objects"),
        (job(frame_range="0-10"), "frame_range"),
        (job(frame_range=[0, 2.5]), "frame_range[1]"),
        (job(frame_range=[True, 3]), "frame_range[0]"),
        (job(colorspace=1), "colorspace"),
        (job(engines=["a"]), "engines"),
        (job(exports={"format": "exr"}), "exports"),
        (job(exports=["plates.exr"]), "exports[0]"),
        (job(objects=[{"name": 3}]), "objects[0].name"),
        (
            job(objects=[{"name": "a", "prompts": [{"frame": "1", "text": "x"}]}]),
            "objects[0].prompts[0].frame",
        ),
        (
            job(objects=[{"name": "a", "prompts": [{"frame": 1, "points": [["1", 2, 1]]}]}]),
            "objects[0].prompts[0].points[0][0]",
        ),
    ],
)
def test_wrong_types_name_the_key(data, where):
    err = error_of(data)
    assert err.message.startswith(f"{where}: expected "), err.message
    assert err.hint.startswith("e.g.")


@pytest.mark.parametrize(
    ("version", "pattern"),
    [(..., "version: missing"), (2, "version: 2 is not supported"), ("1", "version: expected")],
)
def test_version_missing_or_unsupported(version, pattern):
    assert error_of(job(version=version)).message.startswith(pattern)


def test_newer_version_hints_at_upgrading():
    assert "upgrade" in error_of(job(version=7)).hint


@pytest.mark.parametrize(
    ("value", "pattern"),
    [([5, 2], "reversed"), ([-1, 4], "negative"), ([1, 2, 3], "expected 2 numbers")],
)
def test_bad_frame_range(value, pattern):
    err = error_of(job(frame_range=value))
    assert err.message.startswith("frame_range") and pattern in err.message


def test_bad_options():
    assert "colorspace" in error_of(job(colorspace="P3")).message
    assert "allow_missing_frames" in error_of(job(allow_missing_frames=True)).message
    assert error_of(job(input="  ")).message == "input: is empty"
    assert error_of(job(input=...)).message == "input: missing"
    assert "no steps and no exports" in error_of(job(exports=[])).message


@pytest.mark.parametrize(
    ("objects", "where", "pattern"),
    [
        ([{"name": "a"}, {"name": "a"}], "objects[1].name", "used twice"),
        ([{"name": " "}], "objects[0].name", "is empty"),
        ([{"name": "a/b"}], "objects[0].name", "not allowed in file names"),
        (
            [{"name": "a", "prompts": [{"frame": 1}]}],
            "objects[0].prompts[0]",
            "no points, box or text",
        ),
        (
            [{"name": "a", "prompts": [{"frame": -1, "text": "x"}]}],
            "objects[0].prompts[0].frame",
            "negative",
        ),
        ([{"name": "a", "prompts": [{"text": "x"}]}], "objects[0].prompts[0].frame", "missing"),
        (
            [{"name": "a", "prompts": [{"frame": 0, "box": [5, 5, 1, 9]}]}],
            "objects[0].prompts[0].box",
            "reversed",
        ),
        (
            [{"name": "a", "prompts": [{"frame": 0, "box": [5, 5, 9]}]}],
            "objects[0].prompts[0].box",
            "expected 4",
        ),
        (
            [{"name": "a", "prompts": [{"frame": 0, "points": [[1, 2, 2]]}]}],
            "objects[0].prompts[0].points[0][2]",
            "must be 1 or 0",
        ),
        (
            [{"name": "a", "prompts": [{"frame": 0, "points": [[1, float("nan"), 1]]}]}],
            "objects[0].prompts[0].points[0][1]",
            "not a finite",
        ),
    ],
)
def test_bad_objects_and_prompts(objects, where, pattern):
    err = error_of(job(objects=objects))
    assert err.message.startswith(where + ":") and pattern in err.message, err.message


def test_object_placeholder_needs_objects():
    exports = [{"format": "png", "what": "plate", "path": "m/{object}.####.png"}]
    err = error_of(job(exports=exports))
    assert err.message.startswith("exports[0].path: uses {object}")


def test_unregistered_step_lists_available_ones(fake_steps):
    err = error_of(job(steps=["teleport"]))
    assert err.message.startswith(
        "steps[0]: 'teleport' is not available in this version; available: "
    )
    assert "t_seg" in err.message


def test_step_rules(fake_steps):
    objects = [{"name": "a", "prompts": [{"frame": 0, "text": "x"}]}]
    assert "needs 't_seg' before it" in error_of(job(steps=["t_prop"], objects=objects)).message
    assert "needs at least one object" in error_of(job(steps=["t_seg"])).message
    assert "listed twice" in error_of(job(steps=["t_seg", "t_seg"], objects=objects)).message
    err = error_of(job(steps=["t_seg"], objects=objects, engines={"depth": "auto"}))
    assert err.message.startswith("engines.depth: step 'depth' is not in steps")


def test_help_documents_every_top_level_key():
    for key in jobspec._TOP_KEYS:
        assert f'"{key}"' in JOB_FORMAT_HELP


def test_colorspace_choices_match_the_colour_module():
    colour = pytest.importorskip("ultimate_roto.core.media.colour")
    assert ("auto", *colour.COLORSPACES) == jobspec.COLORSPACE_CHOICES


# -- checks against the probed media --------------------------------------------------------
def test_media_checks_return_the_frames(tmp_path):
    assert check_against_media(parse_job(job(), tmp_path), info_of()) == tuple(range(10))
    ranged = parse_job(job(frame_range=[1001, 1003]), tmp_path)
    assert check_against_media(ranged, info_of(first=1001, last=1010)) == (1001, 1002, 1003)


def test_frame_range_outside_the_media(tmp_path):
    ranged = parse_job(job(frame_range=[5, 20]), tmp_path)
    with pytest.raises(JobError, match=r"frame_range: \[5, 20\] is outside the frames .* \(0-9\)"):
        check_against_media(ranged, info_of())


def test_missing_frames_need_permission(tmp_path):
    info = info_of(first=1, last=6, missing=(3, 4))
    with pytest.raises(JobError, match="2 frame\\(s\\) missing .*: 3, 4") as err:
        check_against_media(parse_job(job(), tmp_path), info)
    assert "hold" in err.value.hint
    held = parse_job(job(allow_missing_frames="black"), tmp_path)
    assert check_against_media(held, info) == (1, 2, 3, 4, 5, 6)
    narrowed = parse_job(job(frame_range=[5, 6]), tmp_path)
    assert check_against_media(narrowed, info) == (5, 6)


@pytest.mark.parametrize(
    ("prompt", "where", "pattern"),
    [
        ({"frame": 12, "text": "x"}, "objects[0].prompts[0].frame", "outside the frames processed"),
        (
            {"frame": 2, "points": [[321, 10, 1]]},
            "objects[0].prompts[0].points[0]",
            "outside the 320x240",
        ),
        ({"frame": 2, "points": [[-1, 10, 1]]}, "objects[0].prompts[0].points[0]", "outside"),
        ({"frame": 2, "box": [0, 0, 100, 241]}, "objects[0].prompts[0].box", "goes outside"),
    ],
)
def test_prompts_off_the_media(tmp_path, prompt, where, pattern):
    parsed = parse_job(job(objects=[{"name": "a", "prompts": [prompt]}]), tmp_path)
    with pytest.raises(JobError) as err:
        check_against_media(parsed, info_of())
    assert err.value.message.startswith(where + ":") and pattern in err.value.message


def test_prompt_on_the_image_edge_is_accepted(tmp_path):
    prompt = {"frame": 9, "points": [[320, 240, 1], [0, 0, 0]], "box": [0, 0, 320, 240]}
    parsed = parse_job(job(objects=[{"name": "a", "prompts": [prompt]}]), tmp_path)
    assert len(check_against_media(parsed, info_of())) == 10


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(jobspec._TOP_KEYS), value=json_values)
def test_any_value_gives_a_job_or_a_job_error(key, value):
    try:
        parse_job(job(**{key: value}), Path("/jobs"))
    except JobError as exc:
        assert exc.message and exc.hint


def test_help_names_every_export_format_aov_and_preset():
    from ultimate_roto.core.exporters.presets import names as preset_names
    from ultimate_roto.core.exporters.spec import ALL_FORMATS, LAYER_AOVS

    for word in (*ALL_FORMATS, *LAYER_AOVS, *preset_names()):
        assert word in JOB_FORMAT_HELP, word


def test_mask_ops_are_validated_with_their_key_path(tmp_path):
    base = {"version": 1, "input": "shot.mov", "exports": [{"path": "p.####.exr"}]}
    ops = {"grow": 2, "feather": 1.5, "fill_holes": True}
    job = parse_job({**base, "objects": [{"name": "hero", "mask_ops": ops}]}, tmp_path)
    assert dict(job.objects[0].mask_ops) == {"grow": 2.0, "feather": 1.5, "fill_holes": 1.0}
    with pytest.raises(JobError, match=r"objects\[0\]\.mask_ops: unknown mask setting 'grwo'"):
        parse_job({**base, "objects": [{"name": "hero", "mask_ops": {"grwo": 2}}]}, tmp_path)
    with pytest.raises(JobError, match=r"objects\[0\]\.mask_ops"):
        parse_job({**base, "objects": [{"name": "hero", "mask_ops": {"feather": -1}}]}, tmp_path)

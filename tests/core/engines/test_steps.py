"""Engine job steps in process: segment/propagate/refine/depth on real-photo frames, exports, bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ultimate_roto.core.engines import synth
from ultimate_roto.core.engines.evaluation import jaccard
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.run_propagate import TrackReport, propagation_span
from ultimate_roto.core.engines.run_refine import depth_range, normalise_depth
from ultimate_roto.core.engines.run_segment import engine_prompts, segment_frame
from ultimate_roto.core.engines.steps import (
    depth_step,
    propagate_step,
    refine_step,
    segment_step,
    validate_job,
)
from ultimate_roto.core.errors import InputError, ProcessingError
from ultimate_roto.core.jobspec import check_against_media, parse_job
from ultimate_roto.core.media import open_media, probe
from ultimate_roto.core.pipeline.runner import run_job
from ultimate_roto.core.pipeline.steps import LayerStore, StepContext, get_step
from ultimate_roto.core.progress import Progress
from ultimate_roto.core.project.masks import MaskStore

W, H, N = 320, 180, 12


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    """12 frames of the real cup sliding over the real motorcycle photo, as a PNG sequence."""
    folder = tmp_path_factory.mktemp("cup")
    spec = synth.get_sequence("cup-slide")
    gts = []
    for i in range(N):
        frame, masks = synth.render(spec, i, W, H)
        cv2.imwrite(
            str(folder / f"cup.{i:04d}.png"), (frame[..., ::-1] * 255 + 0.5).astype(np.uint8)
        )
        gts.append(masks[1])
    box = synth.mask_box(gts[0])
    pts = synth.sample_clicks(gts[0], 2, 1, seed=1)
    obj = {
        "name": "cup",
        "prompts": [{"frame": 0, "box": list(box), "points": [list(p) for p in pts]}],
    }
    return folder, gts, obj


def make_job(folder, obj, steps, exports=(), engines=None, objects=None):
    data = {"version": 1, "input": "cup.####.png", "objects": objects or [obj], "steps": steps,
            "exports": list(exports), "output_dir": "out"}  # fmt: skip
    if engines:
        data["engines"] = engines
    return parse_job(data, folder)


def context(job, masks, layers, reader, lines):
    info = probe(job.input)
    frames = check_against_media(job, info)
    return StepContext(job, info, reader, frames, masks, layers, Progress(), None, lines.append)


@pytest.fixture(scope="module")
def stores(shot):
    """Masks and mattes after segment → propagate → refine, and the log lines."""
    folder, _, obj = shot
    job = make_job(folder, obj, ["segment", "propagate", "refine"])
    masks, layers, lines = MaskStore(W, H), LayerStore(), []
    with open_media(job.input) as reader:
        for step in (segment_step, propagate_step, refine_step):
            step(context(job, masks, layers, reader, lines))
    return masks, layers, lines


def test_segment_and_propagate_follow_the_object(shot, stores):
    _, gts, _ = shot
    masks, _, lines = stores
    assert masks.frames("cup") == list(range(N))
    ious = [jaccard(masks.get("cup", i) >= 128, gts[i]) for i in range(N)]
    assert np.mean(ious) >= 0.85, ious
    assert min(ious) >= 0.75, ious
    assert any("propagate 'cup'" in line and "min confidence" in line for line in lines)
    assert any("segment: auto → segment.classic" in line for line in lines)


def test_refine_gives_soft_edges_on_the_object(shot, stores):
    _, gts, _ = shot
    masks, layers, _ = stores
    assert layers.frames("matte", "cup") == list(range(N))
    for i in (0, N // 2, N - 1):
        alpha = layers.get("matte", i, "cup")
        assert alpha.dtype == np.float32 and alpha.shape == (H, W)
        soft = (alpha > 0.05) & (alpha < 0.95)
        assert soft.sum() > 100  # a real soft edge band, not a hard mask
        core = cv2.erode(gts[i].astype(np.uint8), np.ones((9, 9))) > 0
        far = cv2.dilate(gts[i].astype(np.uint8), np.ones((21, 21))) == 0
        assert alpha[core].mean() > 0.95 and alpha[far].mean() < 0.02
        assert jaccard(alpha >= 0.5, gts[i]) >= 0.8
        hard = (masks.get("cup", i) >= 128).astype(np.uint8)
        away = ~cv2.dilate(hard, np.ones((31, 31))).astype(bool)
        assert soft[away].sum() == 0  # softness only in the band around the mask's edge


def test_job_exports_masks_and_mattes_that_read_back(shot):
    folder, gts, obj = shot
    exports = [
        {"what": "matte", "path": "m/{object}.####.png", "bit_depth": 16},
        {"what": "mask", "path": "k/{object}.####.exr", "pixel_type": "float"},
    ]
    job = make_job(folder, obj, ["segment", "propagate", "refine"], exports)
    run_job(job, Progress())
    out = folder / "out"
    for i in (0, N - 1):
        matte = cv2.imread(str(out / f"m/cup.{i:04d}.png"), cv2.IMREAD_UNCHANGED)
        assert matte.dtype == np.uint16 and matte.shape == (H, W)  # one grey channel
        assert jaccard(matte >= 32768, gts[i]) >= 0.8
        assert len(np.unique(matte)) > 20  # soft values survive the 16-bit write
        import OpenEXR

        with OpenEXR.File(str(out / f"k/cup.{i:04d}.exr")) as exr:
            chans = exr.channels()
            assert list(chans) == ["A"]  # a mask is an alpha channel, not grey RGB
            r = chans["A"].pixels
        assert r.dtype == np.float32 and r.min() >= 0.0 and r.max() <= 1.0
        assert jaccard(r >= 0.5, gts[i]) >= 0.8


def test_validation_rejects_bad_jobs_before_work(shot):
    # parse_job runs the engines' validator, so bad jobs fail while loading (and in --dry-run)
    folder, _, obj = shot
    with pytest.raises(InputError, match="segment.magic") as err:
        make_job(folder, obj, ["segment"], engines={"segment": "segment.magic"})
    assert "segment.classic" in err.value.hint and "auto" in err.value.hint
    with pytest.raises(InputError, match="unknown engine"):  # an engine of another task
        make_job(folder, obj, ["segment"], engines={"segment": "propagate.flow"})
    with pytest.raises(InputError, match=r"exports\[0\]\.what 'matte' needs the 'refine' step"):
        make_job(folder, obj, ["segment"], [{"what": "matte", "path": "m/{object}.####.png"}])
    with pytest.raises(InputError, match=r"no \{object\}"):
        make_job(folder, obj, ["segment", "refine"], [{"what": "matte", "path": "m.####.png"}])
    bare = {"name": "empty", "prompts": []}
    with pytest.raises(InputError, match="'empty' has no prompts"):
        make_job(folder, obj, ["segment"], objects=[obj, bare])
    assert set(validate_job(make_job(folder, obj, ["segment", "propagate"]))) == {
        "segment", "propagate"}  # fmt: skip


def test_depth_without_weights_says_how_to_install(shot, clean_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("ULTIMATE_ROTO_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    for spec in clean_registry.list_engines("depth"):
        if not spec.availability()[0]:
            continue
        clean_registry.unregister(spec.id)  # an installed model must not hide the error
    folder, _, obj = shot
    with pytest.raises(InputError) as err:
        validate_job(make_job(folder, obj, ["depth"]))
    assert "python main.py models pull depth-anything-v2-small" in err.value.hint


class _Ramp:
    """A fake depth engine: depth grows with x plus the frame brightness."""

    made: list = []

    def __init__(self, device="cpu", shape=None, consistent=False):
        self.shape = shape
        _Ramp.made.append(consistent)  # the step asks for sequence-consistent depth

    def estimate(self, image):
        h, w = self.shape or image.shape[:2]
        return np.tile(np.linspace(2.0, 10.0, w, dtype=np.float32), (h, 1)) + image.mean()


def test_depth_step_normalises_per_shot(shot, clean_registry):
    clean_registry.register(EngineSpec("depth.ramp", "depth", "ramp", "test", _Ramp, priority=99))
    folder, _, obj = shot
    job = make_job(folder, obj, ["depth"], [{"what": "depth", "path": "d.####.png",
                                             "bit_depth": 16}])  # fmt: skip
    layers, lines = LayerStore(), []
    with open_media(job.input) as reader:
        depth_step(context(job, MaskStore(W, H), layers, reader, lines))
    maps = [layers.get("depth", i) for i in range(N)]
    assert all(m.shape == (H, W) and m.min() >= 0.0 and m.max() <= 1.0 for m in maps)
    assert maps[0][:, -1].mean() > 0.95 and maps[0][:, 0].mean() < 0.05  # one scale, full range
    assert all(np.all(np.diff(m[0]) >= 0) for m in maps)  # the ramp's order is kept
    assert any("normalised per shot" in line for line in lines)
    assert _Ramp.made[-1] is True  # options the factory takes are passed, others dropped
    clean_registry.register(
        EngineSpec("depth.bad", "depth", "bad", "test", lambda device: _Ramp(device, (5, 5)),
                   priority=100)
    )  # fmt: skip
    with open_media(job.input) as reader, pytest.raises(ProcessingError, match="frame 0"):
        depth_step(context(job, MaskStore(W, H), LayerStore(), reader, lines))


def test_operations_reject_bad_input(shot):
    _, gts, obj = shot
    prompts = engine_prompts(make_job(shot[0], obj, ["segment"]).objects[0].prompts, "cup")
    image = np.zeros((H, W, 3), np.float32)

    class Nothing:
        def segment(self, image, prompts, progress=None):
            return np.zeros(image.shape[:2], np.float32)

    with pytest.raises(ProcessingError, match="'cup' frame 0: the segment engine found nothing"):
        segment_frame(Nothing(), image, prompts, obj="cup")
    outside = engine_prompts([type(prompts[0])(0, ((W + 5.0, 10.0, 1),))], "cup")
    with pytest.raises(InputError, match="outside"):
        segment_frame(Nothing(), image, outside, obj="cup")
    with pytest.raises(InputError, match="direction"):
        propagation_span([0], range(5), "sideways")
    with pytest.raises(InputError, match="contiguous"):
        propagation_span([0], [0, 2, 3])
    with pytest.raises(InputError, match="outside"):
        propagation_span([9], range(5))
    assert propagation_span([3], range(10), "forward") == (3, 9)
    assert propagation_span([3, 6], range(10), "backward") == (0, 6)
    with pytest.raises(InputError):
        depth_range([])
    assert normalise_depth(np.ones((2, 2)), 1.0, 1.0).max() == 0.0


def test_track_report_summarises_occlusion():
    from ultimate_roto.core.engines.base import PropagationInfo

    rep = TrackReport()
    for f, c, occ in [
        (0, 1.0, False),
        (1, 0.4, True),
        (2, 0.3, True),
        (3, 0.2, True),
        (5, 0.9, False),
    ]:
        rep.add(f, PropagationInfo(c, occ))
    assert rep.occluded == [1, 2, 3] and rep.review == [1, 2, 3]
    assert "occluded: 1-3" in rep.summary() and "min confidence 0.20" in rep.summary()


def test_job_result_reports_what_each_step_did(shot):
    folder, _, obj = shot
    job = make_job(folder, obj, ["segment", "propagate"], [])
    result = run_job(job, Progress())
    assert result.step_results["segment"]["engine"] == "segment.classic"
    assert result.step_results["propagate"]["engine"] == "propagate.flow"


def test_text_only_prompt_needs_an_engine_that_reads_text(shot, clean_registry):
    for spec in clean_registry.list_engines("segment"):
        if spec.reads_text:
            clean_registry.unregister(spec.id)  # as on a machine without SAM3/detector weights
    folder, _, obj = shot
    words = {"name": "cup", "prompts": [{"frame": 0, "text": "a coffee cup"}]}
    with pytest.raises(InputError, match="cannot read text"):
        make_job(folder, obj, ["segment"], objects=[words])
    with pytest.raises(InputError, match="cannot read text prompts"):
        make_job(folder, obj, ["segment"], engines={"segment": "segment.classic"}, objects=[words])


def test_mask_ops_grow_the_tracked_masks(shot):
    folder, _, obj = shot
    plain = make_job(folder, obj, ["segment", "propagate"], [])
    grown = make_job(
        folder, obj, ["segment", "propagate"], [], objects=[{**obj, "mask_ops": {"grow": 3}}]
    )
    areas = []
    for job in (plain, grown):
        masks, lines = MaskStore(W, H), []
        with open_media(job.input) as reader:
            ctx = context(job, masks, LayerStore(), reader, lines)
            for name in ("segment", "propagate"):
                get_step(name).fn(ctx)
        areas.append([int((masks.get("cup", n) >= 128).sum()) for n in ctx.frames])
        if job is grown:
            assert any("mask ops on 'cup': grow 3" in line for line in lines)
    assert all(g > p for p, g in zip(*areas, strict=True))  # every frame, keyframes included

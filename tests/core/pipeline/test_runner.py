"""run_job in-process: dry runs, registered steps in order, layer exports, failures, devices."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.errors import Cancelled, InputError, MediaError, ProcessingError
from ultimate_roto.core.exporters.spec import WHAT_KINDS, WhatKind, register_what
from ultimate_roto.core.jobspec import parse_job
from ultimate_roto.core.media import open_media
from ultimate_roto.core.pipeline.runner import run_job
from ultimate_roto.core.pipeline.steps import register_step, unregister_step
from ultimate_roto.core.progress import Progress

W, H = 32, 24


def frame(n: int) -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    return np.stack([(x * 8 + n) % 256, (y * 10 + n) % 256, (x + y + 3 * n) % 256], -1).astype(
        np.uint8
    )


@pytest.fixture
def plate(tmp_path):
    import cv2

    folder = tmp_path / "src"
    folder.mkdir()
    for n in range(1, 6):
        cv2.imwrite(str(folder / f"p.{n:04d}.png"), frame(n))
    return folder / "p.####.png"


def make_job(tmp_path, plate, **extra):
    data = {
        "version": 1,
        "input": str(plate),
        "output_dir": "out",
        "exports": [{"format": "png", "path": "plate/p.####.png"}],
    }
    data.update(extra)
    return parse_job(data, tmp_path)


@pytest.fixture
def steps():
    """Two steps: t_seg stores a box mask per object; t_soft stores a soft matte layer."""
    calls = []

    def seg(ctx):
        calls.append(("t_seg", ctx.frames, ctx.device, ctx.job.object_names))
        for i, f in enumerate(ctx.frames):
            assert ctx.read(f).shape == (H, W, 3)
            for name in ctx.job.object_names:
                mask = np.zeros((H, W), np.uint8)
                mask[2 : 10 + i, 4:20] = 255
                ctx.masks.set(name, f, mask)
            ctx.progress.report((i + 1) / len(ctx.frames), f"seg {f}")

    def soft(ctx):
        calls.append(("t_soft", ctx.frames, ctx.device, ctx.job.object_names))
        for f in ctx.frames:
            for name in ctx.job.object_names:
                ctx.layers.put("t_matte", f, ctx.masks.get(name, f) / 510.0, object=name)

    register_step("t_seg", seg, needs_objects=True)
    register_step("t_soft", soft, requires=("t_seg",))
    added = [k for k in ("mask", "t_matte") if k not in WHAT_KINDS]
    for kind in added:
        register_what(WhatKind(kind, colour_managed=False))
    yield calls
    unregister_step("t_seg")
    unregister_step("t_soft")
    for kind in added:
        WHAT_KINDS.pop(kind)


OBJECTS = [
    {"name": "hero", "prompts": [{"frame": 2, "points": [[5, 5, 1]]}]},
    {"name": "car", "prompts": [{"frame": 3, "box": [0, 0, 8, 8]}]},
]


def test_dry_run_plans_and_touches_nothing(tmp_path, plate):
    lines = []
    result = run_job(
        make_job(tmp_path, plate, frame_range=[2, 4]), Progress(), dry_run=True, log=lines.append
    )
    assert result.dry_run and result.frames == (2, 3, 4) and result.work_units == 3
    assert result.outputs[0].startswith(str(tmp_path / "out" / "plate" / "p.####.png"))
    assert result.colorspace == "sRGB"
    assert any(line.startswith("frames: 2-4 (3)") for line in lines)
    assert not (tmp_path / "out").exists()


def test_convert_job_writes_the_plate(tmp_path, plate):
    progress = []
    result = run_job(make_job(tmp_path, plate), Progress(lambda f, m: progress.append(f)))
    assert result.frames == (1, 2, 3, 4, 5) and not result.dry_run
    assert progress[-1] == 1.0 and progress == sorted(progress)
    assert result.cache_stats is None  # no steps: no frame cache
    with open_media(tmp_path / "out/plate/p.####.png") as out:
        np.testing.assert_array_equal(np.rint(out.read(3) * 255), frame(3)[..., ::-1])


def test_steps_run_in_order_and_their_layers_are_exported(tmp_path, plate, steps):
    exports = [
        {"format": "png", "what": "mask", "path": "{object}/mask.####.png"},
        {"format": "exr", "what": "t_matte", "path": "{object}/matte.####.exr"},
    ]
    job = make_job(tmp_path, plate, objects=OBJECTS, steps=["t_seg", "t_soft"], exports=exports)
    timings_log = []
    result = run_job(job, Progress(), log=timings_log.append)
    assert [c[0] for c in steps] == ["t_seg", "t_soft"]
    assert all(c[1] == (1, 2, 3, 4, 5) and c[2] is None for c in steps)
    assert list(result.timings)[:2] == ["step t_seg", "step t_soft"]
    assert result.cache_stats and "hit rate" in result.cache_stats
    assert any(line.startswith("step t_seg: ") for line in timings_log)
    for name in ("hero", "car"):
        with open_media(tmp_path / f"out/{name}/mask.####.png") as masks:
            m = masks.read(4)[..., 0]
        assert m[2:13, 4:20].min() == 1.0 and m.sum() == 11 * 16
        with open_media(tmp_path / f"out/{name}/matte.####.exr") as mattes:
            np.testing.assert_allclose(mattes.read(4)[3, 5, 0], 0.5, atol=1e-3)


def test_failing_step_raises_processing_error(tmp_path, plate):
    def boom(ctx):
        raise RuntimeError("model exploded on frame 3")

    register_step("t_boom", boom)
    try:
        with pytest.raises(
            ProcessingError, match="step 't_boom' failed: RuntimeError: model exploded"
        ):
            run_job(make_job(tmp_path, plate, steps=["t_boom"]), Progress())
    finally:
        unregister_step("t_boom")


def test_later_export_failure_keeps_the_earlier_one(tmp_path, plate):
    exports = [
        {"format": "png", "path": "a/p.####.png"},
        {"format": "png", "path": "b/p.####.png"},
    ]
    (tmp_path / "out/b/p.0003.png").mkdir(parents=True)
    with pytest.raises(ProcessingError) as err:
        run_job(make_job(tmp_path, plate, exports=exports), Progress())
    assert err.value.message.startswith("export 2 (b/p.####.png): cannot write")
    assert "complete: " + str(tmp_path / "out/a/p.####.png") in err.value.message
    assert "--resume" in err.value.hint
    assert len(list((tmp_path / "out/a").glob("p.*.png"))) == 5


def test_cancelled_run_raises_and_leaves_no_partial_files(tmp_path, plate):
    progress = Progress()
    progress.abort()
    with pytest.raises(Cancelled):
        run_job(make_job(tmp_path, plate), progress)
    leftovers = list((tmp_path / "out").rglob("*.partial*"))
    assert leftovers == []


def test_bad_inputs(tmp_path, plate):
    with pytest.raises(MediaError):
        run_job(make_job(tmp_path, tmp_path / "none.####.png"), Progress(), dry_run=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match=r"output_dir: cannot create .* is a file"):
        run_job(make_job(tmp_path, plate, output_dir="file/out"), Progress(), dry_run=True)
    with pytest.raises(InputError, match="device 'gpu' is not known"):
        run_job(make_job(tmp_path, plate), Progress(), device="gpu")


def test_device_is_resolved_only_for_steps_that_need_one(tmp_path, plate):
    seen = []
    register_step("t_dev", lambda ctx: seen.append(ctx.device), needs_device=True)
    try:
        run_job(make_job(tmp_path, plate, steps=["t_dev"]), Progress(), device="cpu")
        assert seen == ["cpu"]
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            with pytest.raises(InputError, match="CUDA is not available") as err:
                run_job(make_job(tmp_path, plate, steps=["t_dev"]), Progress(), device="cuda")
            assert "--device cpu" in err.value.hint
    finally:
        unregister_step("t_dev")


def test_an_explicit_device_reaches_steps_that_do_not_require_one(tmp_path, plate):
    seen = []
    register_step("t_any", lambda ctx: seen.append(ctx.device))  # e.g. segment with SAM2
    try:
        run_job(make_job(tmp_path, plate, steps=["t_any"]), Progress(), device="cpu")
        run_job(make_job(tmp_path, plate, steps=["t_any"]), Progress(), device="auto")
        assert seen == ["cpu", None]  # auto: classical engines pick for themselves
    finally:
        unregister_step("t_any")


def test_frame_cache_takes_the_budget_from_the_settings(tmp_path, plate):
    register_step("t_read", lambda ctx: [ctx.read(f) for f in ctx.frames])
    try:
        job = make_job(tmp_path, plate, steps=["t_read"])
        result = run_job(job, Progress(), cache_settings={"ram_mb": 64})
        assert "of 64.0 MiB" in result.cache_stats
        assert "of 512.0 MiB" in run_job(job, Progress()).cache_stats  # the batch default
    finally:
        unregister_step("t_read")


def test_on_plan_sees_the_plan_before_any_work(tmp_path, plate):
    seen = []
    job = make_job(tmp_path, plate)
    result = run_job(job, Progress(), on_plan=lambda plan: seen.append(
        (plan.dry_run, plan.work_units, (tmp_path / "out").exists())))  # fmt: skip
    assert seen == [(True, result.work_units, False)] and not result.dry_run

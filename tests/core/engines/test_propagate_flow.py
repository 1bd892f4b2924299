"""propagate.flow: follows real-photo objects both ways, flags occlusion, cancels, rejects bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import registry, synth
from ultimate_roto.core.engines.base import Propagator
from ultimate_roto.core.engines.evaluation import jaccard
from ultimate_roto.core.engines.propagate_flow import FlowPropagator
from ultimate_roto.core.errors import Cancelled, InputError
from ultimate_roto.core.progress import Progress

W, H = 240, 180  # DIS needs ~8-px patches: below this size objects are only a few patches wide


def _slide(n: int = 12, occluder: bool = False) -> synth.SequenceSpec:
    """The real coffee cup sliding right over the real motorcycle photo (optionally with the
    astronaut's head passing in front of it, right to left)."""
    actors = [synth.Actor(1, "cup", (synth.Key(0, 0.33, 0.5, 0.55), synth.Key(1, 0.62, 0.5, 0.55)))]
    if occluder:
        actors.append(
            synth.Actor(
                2, "cat", (synth.Key(0, 1.15, 0.5, 0.9), synth.Key(0.5, 0.5, 0.5, 0.9),
                           synth.Key(1, -0.3, 0.5, 0.9))
            )
        )  # fmt: skip
    return synth.SequenceSpec("test-slide", "motorcycle", (0, 0, 0, 0), tuple(actors), n)


@pytest.fixture(scope="module")
def slide():
    spec = _slide()
    return [synth.render(spec, i, W, H) for i in range(spec.n_frames)]


def _run(data, keyframes, frames, **kw):
    eng = FlowPropagator(max_side=W, **kw)
    return list(eng.propagate(lambda i: data[i][0], keyframes, frames))


def test_registered_and_protocol():
    spec = registry.get_spec("propagate.flow")
    assert spec.availability() == (True, "ok")
    assert isinstance(registry.create(spec), Propagator)


def test_forward_follows_translating_object(slide):
    gt = [m[1] for _, m in slide]
    res = _run(slide, {0: gt[0].astype(np.float32)}, range(len(slide)))
    assert [f for f, _, _ in res] == list(range(len(slide)))
    ious = [jaccard(mask, gt[f]) for f, mask, _ in res]
    assert min(ious) >= 0.9, ious
    # the object really moved: the first mask no longer fits the last frame
    assert jaccard(gt[0], gt[-1]) < 0.7
    assert all(not info.occluded and info.confidence > 0.6 for _, _, info in res)
    assert res[-1][1].dtype == np.float32 and res[-1][1].shape == (H, W)


def test_backward_from_last_frame(slide):
    gt = [m[1] for _, m in slide]
    last = len(slide) - 1
    res = _run(slide, {last: gt[last]}, range(last, -1, -1))
    assert [f for f, _, _ in res] == list(range(last, -1, -1))
    assert jaccard(res[-1][1], gt[0]) >= 0.9


def test_pre_roll_from_earlier_keyframe(slide):
    gt = [m[1] for _, m in slide]
    res = _run(slide, {0: gt[0]}, range(5, 8))
    assert [f for f, _, _ in res] == [5, 6, 7]
    assert jaccard(res[0][1], gt[5]) >= 0.9


def test_occlusion_by_passing_object_flagged():
    spec = _slide(16, occluder=True)
    data = [synth.render(spec, i, W, H) for i in range(spec.n_frames)]
    gt = [m[1] for _, m in data]
    visible = [g.sum() / gt[0].sum() for g in gt]
    res = _run(data, {0: gt[0]}, range(len(data)))
    hidden = [f for f in range(len(data)) if visible[f] < 0.25]
    assert hidden, "the test sequence must hide the cup"
    flagged = {f for f, _, info in res if info.occluded}
    assert set(hidden) <= flagged | {f for f, m, _ in res if (m >= 0.5).sum() == 0}
    assert any(info.occluded for _, _, info in res)
    clear = list(range(1, 4))
    assert not any(res[f][2].occluded for f in clear)
    low = min(info.confidence for _, _, info in res)
    assert low < 0.6


def test_keyframe_reanchors(slide):
    gt = [m[1] for _, m in slide]
    wrong = np.zeros((H, W), np.float32)
    wrong[10:40, 10:40] = 1.0  # a deliberately wrong first keyframe, corrected on frame 6
    res = _run(slide, {0: wrong, 6: gt[6]}, range(len(slide)))
    assert jaccard(res[6][1], gt[6]) == 1.0
    assert res[6][2].confidence == 1.0
    assert jaccard(res[-1][1], gt[-1]) >= 0.9


def test_cancel_stops_promptly(slide):
    gt0 = slide[0][1][1]
    progress = Progress()
    seen = []
    eng = FlowPropagator(max_side=W)
    it = eng.propagate(lambda i: slide[i][0], {0: gt0}, range(len(slide)), progress=progress)
    with pytest.raises(Cancelled):
        for f, _, _ in it:
            seen.append(f)
            if f == 2:
                progress.abort()
    assert seen == [0, 1, 2]


def test_progress_reports_frame_counts(slide):
    calls = []
    progress = Progress(lambda frac, msg: calls.append((frac, msg)))
    eng = FlowPropagator(max_side=W)
    list(eng.propagate(lambda i: slide[i][0], {0: slide[0][1][1]}, range(4), progress=progress))
    assert calls[-1][0] == 1.0 and "4/4" in calls[-1][1]


def test_bad_inputs(slide):
    get = lambda i: slide[i][0]  # noqa: E731
    eng = FlowPropagator(max_side=W)
    with pytest.raises(InputError, match="frame 0"):
        list(eng.propagate(get, {0: np.ones((10, 10), np.float32)}, range(3)))
    with pytest.raises(InputError, match="frame 0 is empty"):
        list(eng.propagate(get, {0: np.zeros((H, W), np.float32)}, range(3)))
    with pytest.raises(InputError, match="no keyframe before"):
        list(eng.propagate(get, {5: slide[5][1][1]}, range(2, 4)))
    with pytest.raises(InputError, match="ascending or descending"):
        list(eng.propagate(get, {0: slide[0][1][1]}, [0, 2, 1]))
    with pytest.raises(InputError, match="no keyframes"):
        list(eng.propagate(get, {}, range(3)))
    with pytest.raises(InputError, match="band"):
        FlowPropagator(band=0)
    with pytest.raises(InputError, match="shape_slack"):
        FlowPropagator(shape_slack=-1)


def test_object_recovered_after_full_occlusion():
    """The cup is hidden completely by the passing head, then reappears: the keyframe shape,
    carried along the cup's own motion, brings it back (it used to stay lost)."""
    spec = _slide(16, occluder=True)
    data = [synth.render(spec, i, W, H) for i in range(spec.n_frames)]
    gt = [m[1] for _, m in data]
    assert min(g.sum() for g in gt) == 0  # fully hidden on some frame
    res = _run(data, {0: gt[0]}, range(len(data)))
    tail = [jaccard(m, gt[f]) for f, m, _ in res[-3:]]
    assert min(tail) >= 0.9, tail
    assert not res[-1][2].occluded


def test_parts_hidden_on_the_keyframe_come_back():
    """Keyframe on frame 11, half the cup still behind the passing head: the part revealed
    later joins the mask although the keyframe called it background (the carried keyframe
    shape binds growth only where the keyframe saw background, not behind an occluder; with
    no such memory J on the last frame was 0.55)."""
    spec = _slide(16, occluder=True)
    data = [synth.render(spec, i, W, H) for i in range(spec.n_frames)]
    gt = [m[1] for _, m in data]
    assert 0.3 < gt[11].sum() / gt[0].sum() < 0.7 < gt[15].sum() / gt[0].sum()
    res = _run(data, {11: gt[11].astype(np.float32)}, range(11, 16))
    assert jaccard(res[-1][1], gt[15]) >= 0.88  # 0.93 (before the bound: 0.98)


def test_rotation_keeps_the_shape():
    """A rotating, shrinking cat head: the rigidly carried keyframe shape stops the edge
    eroding (at this tiny size J over the last frames was 0.795, now 0.844)."""
    spec = synth.get_sequence("cat-spin")
    n = 20
    data = [synth.render(spec, i, W, H, n) for i in range(n)]
    gt = [m[1] for _, m in data]
    res = _run(data, {0: gt[0]}, range(n))
    tail = [jaccard(m, gt[f]) for f, m, _ in res[-3:]]
    assert np.mean(tail) >= 0.83, tail


@pytest.mark.parametrize("name", ["shape_slack", "band", "memory_decay", "shape_prior"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.5", True])
def test_settings_that_are_not_finite_numbers_are_refused_by_name(name, value):
    with pytest.raises(InputError, match=name):
        FlowPropagator(**{name: value})

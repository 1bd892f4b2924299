"""propagate.sam2_video: streaming, flat memory, both directions, errors (tiny random SAM 2)."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines.base import PropagationInfo
from ultimate_roto.core.errors import InputError

H, W = 48, 64


@pytest.fixture(scope="module")
def propagator(tmp_path_factory):
    import torch
    from transformers import Sam2VideoModel

    from ultimate_roto.core.engines import models
    from ultimate_roto.core.engines.propagate_sam2 import Sam2VideoPropagator
    from ultimate_roto.core.engines.segment_sam2 import tiny_config

    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    Sam2VideoModel(tiny_config(64)).save_pretrained(root / "sam2.1-hiera-tiny")
    models.set_models_dir(root)
    yield Sam2VideoPropagator
    models.set_models_dir(None)


class Shot:
    """Frames made on demand; remembers which were asked for."""

    def __init__(self, first=0, n=16):
        self.range = range(first, first + n)
        self.asked: list[int] = []

    def __call__(self, n: int) -> np.ndarray:
        assert n in self.range
        self.asked.append(n)
        return np.random.default_rng(n).random((H, W, 3), dtype=np.float32)


def key_mask():
    m = np.zeros((H, W), np.float32)
    m[10:30, 20:44] = 1
    return m


def test_forward_streams_frames_and_memory_stays_flat(propagator):
    engine = propagator("cpu")
    shot = Shot(100, 10)
    sizes = []
    out = []
    for n, mask, info in engine.propagate(shot, {100: key_mask()}, shot.range):
        out.append((n, mask, info))
        sizes.append(engine.session_stats["tensor_bytes"])
        assert engine.session_stats["frames"] == 1  # only the current frame's pixels
    assert [n for n, _, _ in out] == list(shot.range) and shot.asked == list(shot.range)
    assert out[0][2] == PropagationInfo(1.0, False)
    np.testing.assert_array_equal(out[0][1], key_mask())
    for _, mask, info in out[1:]:
        assert mask.shape == (H, W) and mask.dtype == np.float32
        assert 0.0 <= info.confidence <= 1.0 and info.occluded == (info.confidence < 0.5)
    window = engine._window()
    assert sizes[-1] == sizes[window + 1]  # flat once the memory window is full
    unpruned = propagator("cpu", prune=False)
    unpruned._model = engine.model
    grow = [unpruned.session_stats["tensor_bytes"]
            for _ in unpruned.propagate(shot, {100: key_mask()}, shot.range)]  # fmt: skip
    assert grow[-1] > 2 * sizes[-1]  # the check above would catch a leak


def test_backward_run_from_a_later_keyframe(propagator):
    engine = propagator("cpu")
    shot = Shot(0, 10)
    frames = list(range(6, -1, -1))
    got = list(engine.propagate(shot, {9: key_mask(), 3: key_mask()}, frames))
    assert [n for n, _, _ in got] == frames
    assert shot.asked == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]  # pre-roll from keyframe 9
    assert got[3][2].confidence == 1.0  # frame 3 re-anchored by its keyframe


def test_bad_inputs(propagator):
    engine = propagator("cpu")
    shot = Shot(0, 6)
    with pytest.raises(InputError, match="ascending or descending"):
        list(engine.propagate(shot, {0: key_mask()}, [0, 2, 1]))
    with pytest.raises(InputError, match="shape"):
        list(engine.propagate(shot, {0: np.ones((5, 5))}, [0, 1]))
    with pytest.raises(InputError, match="no keyframe before"):
        list(engine.propagate(shot, {4: key_mask()}, [1, 2]))
    with pytest.raises(InputError, match="empty"):
        list(engine.propagate(shot, {0: np.zeros((H, W))}, [0, 1]))

"""depth.depth_anything_v2 with a tiny random checkpoint: shapes, preprocessing, alignment, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines import depth_anything as da
from ultimate_roto.core.errors import InputError


@pytest.fixture(scope="module")
def models_root(tmp_path_factory):
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation

    root = tmp_path_factory.mktemp("models")
    backbone = dict(model_type="dinov2", hidden_size=32, num_hidden_layers=4, num_attention_heads=2,
                    intermediate_size=64, patch_size=14, image_size=70, out_indices=[1, 2, 3, 4],
                    reshape_hidden_states=False)  # fmt: skip
    cfg = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=32,
                              neck_hidden_sizes=[16, 32, 64, 64], fusion_hidden_size=16,
                              head_hidden_size=8)  # fmt: skip
    torch.manual_seed(0)
    DepthAnythingForDepthEstimation(cfg).save_pretrained(root / "depth-anything-v2-small")
    return root


@pytest.fixture
def estimator(models_root):
    from ultimate_roto.core.engines import models

    models.set_models_dir(models_root)
    yield da.DepthAnythingEstimator
    models.set_models_dir(None)


def test_input_shape_keeps_aspect_in_multiples_of_14():
    assert da.input_shape(1080, 1920) == (518, 924)
    assert da.input_shape(1920, 1080) == (924, 518)
    h, w = da.input_shape(37, 50, short=70)
    assert h % 14 == 0 and w % 14 == 0 and h == 70


def test_estimate_goes_through_the_model_at_the_right_size(estimator, monkeypatch):
    est = estimator("cpu", input_size=70)
    seen = []
    real = est.model.forward
    monkeypatch.setattr(est.model, "forward", lambda **kw: seen.append(kw) or real(**kw))
    img = np.random.default_rng(0).random((50, 80, 3), dtype=np.float32)
    depth = est.estimate(img)
    assert depth.shape == (50, 80) and depth.dtype == np.float32
    assert depth.min() >= 0.0 and depth.max() <= 1.0 and depth.std() > 0
    assert tuple(seen[0]["pixel_values"].shape) == (1, 3, 70, 112)
    disparity = estimator("cpu", input_size=70, output="disparity")
    disparity._model = est.model
    np.testing.assert_allclose(disparity.estimate(img), 1.0 - depth, atol=1e-6)


def test_align_scale_shift_recovers_a_known_affine():
    rng = np.random.default_rng(3)
    a = rng.random((40, 50))
    s, t = da.align_scale_shift(a, 2.5 * a - 0.7)
    assert s == pytest.approx(2.5) and t == pytest.approx(-0.7)
    keep = np.zeros_like(a, bool)
    keep[:, :25] = True
    b = np.where(keep, 0.5 * a + 0.1, 99.0)
    assert da.align_scale_shift(a, b, keep) == (pytest.approx(0.5), pytest.approx(0.1))


def test_consistent_mode_aligns_to_the_previous_frame_then_blends(estimator, monkeypatch):
    est = estimator("cpu", consistent=True, smoothing=0.25, output="disparity")
    rng = np.random.default_rng(5)
    d1 = rng.random((20, 30)).astype(np.float32)
    d2 = (d1 + 0.2 * rng.random((20, 30))).astype(np.float32)
    raw = iter([d1, 3.0 * d2 + 7.0])  # the model's arbitrary scale/shift jumps between frames
    monkeypatch.setattr(est, "disparity", lambda img: next(raw))
    img = np.zeros((20, 30, 3), np.float32)
    first = est.estimate(img)
    second = est.estimate(img)
    s, t = da.align_scale_shift(3.0 * d2 + 7.0, first)
    expected = 0.25 * first + 0.75 * np.clip(s * (3.0 * d2 + 7.0) + t, 0, 1)
    np.testing.assert_allclose(second, expected, atol=1e-5)
    assert np.abs(second - first).mean() < 0.1  # no jump despite the raw rescaling


def test_bad_options_and_missing_weights(estimator, tmp_path, monkeypatch):
    from ultimate_roto.core.engines import models

    with pytest.raises(InputError):
        estimator("cpu", output="normals")
    with pytest.raises(InputError):
        estimator("cpu", smoothing=1.0)
    with pytest.raises(InputError):
        estimator("cpu", input_size=70).estimate(np.zeros((10, 10), np.float32))
    models.set_models_dir(tmp_path)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(InputError) as err:
        estimator("cpu", model="depth-anything-v2-small")
    assert "models pull depth-anything-v2-small" in err.value.hint

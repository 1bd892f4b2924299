"""refine.vitmatte with a tiny random ViTMatte: 4-channel padded input, band-only update, errors."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines.trimap import UNKNOWN, make_trimap
from ultimate_roto.core.errors import InputError

H, W = 70, 90  # not multiples of 32


@pytest.fixture(scope="module")
def refiner(tmp_path_factory):
    import torch
    from transformers import VitMatteConfig, VitMatteForImageMatting

    from ultimate_roto.core.engines import models
    from ultimate_roto.core.engines.refine_vitmatte import VitMatteRefiner

    root = tmp_path_factory.mktemp("models")
    backbone = dict(model_type="vitdet", hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    mlp_ratio=2, num_channels=4, image_size=64, pretrain_image_size=64,
                    patch_size=16, out_features=["stage2"], window_block_indices=[0],
                    residual_block_indices=[], use_relative_position_embeddings=True,
                    window_size=2)  # fmt: skip
    cfg = VitMatteConfig(backbone_config=backbone, hidden_size=32,
                         convstream_hidden_sizes=[8, 16, 32], fusion_hidden_sizes=[32, 16, 8, 8])  # fmt: skip
    torch.manual_seed(0)
    VitMatteForImageMatting(cfg).save_pretrained(root / "vitmatte-small-composition-1k")
    models.set_models_dir(root)
    yield VitMatteRefiner
    models.set_models_dir(None)


def blob():
    m = np.zeros((H, W), np.float32)
    m[20:50, 25:70] = 1
    return m


def test_alpha_keeps_sure_regions_and_model_fills_the_band(refiner, monkeypatch):
    eng = refiner("cpu", band=8)
    seen = []
    real = eng.model.forward
    monkeypatch.setattr(eng.model, "forward", lambda **kw: seen.append(kw) or real(**kw))
    img = np.random.default_rng(0).random((H, W, 3), dtype=np.float32)
    alpha = eng.refine(img, blob())
    assert alpha.shape == (H, W) and alpha.dtype == np.float32
    tri = make_trimap(blob(), 8)
    np.testing.assert_array_equal(alpha[tri == 1], 1.0)
    np.testing.assert_array_equal(alpha[tri == 0], 0.0)
    band = alpha[tri == UNKNOWN]
    assert band.min() >= 0 and band.max() <= 1 and not np.all(band == UNKNOWN)
    (kw,) = seen
    x = kw["pixel_values"]
    assert x.shape[1] == 4 and x.shape[2] % 32 == 0 and x.shape[3] % 32 == 0
    assert set(np.unique(x[0, 3].numpy())) <= {0.0, 0.5, 1.0}  # trimap channel (and zero pad)
    assert float(x[0, :3].min()) >= -1.0 and float(x[0, :3].max()) <= 1.0  # mean/std 0.5


def test_large_crops_are_scaled_down(refiner, monkeypatch):
    eng = refiner("cpu", band=8, max_side=32)
    seen = []
    real = eng.model.forward
    monkeypatch.setattr(eng.model, "forward", lambda **kw: seen.append(kw) or real(**kw))
    img = np.random.default_rng(1).random((H, W, 3), dtype=np.float32)
    assert eng.refine(img, blob()).shape == (H, W)
    assert max(seen[0]["pixel_values"].shape[2:]) == 32


def test_no_edge_means_nothing_to_solve(refiner):
    eng = refiner("cpu")
    full = np.ones((H, W), np.float32)
    np.testing.assert_array_equal(eng.refine(np.zeros((H, W, 3), np.float32), full), full)


def test_bad_inputs(refiner):
    eng = refiner("cpu")
    img = np.zeros((H, W, 3), np.float32)
    with pytest.raises(InputError, match="shape"):
        eng.refine(img, np.ones((H + 1, W)))
    with pytest.raises(InputError):
        refiner("cpu", model="vitmatte-huge")
    with pytest.raises(InputError):
        refiner("cpu", band=0).refine(img, blob())

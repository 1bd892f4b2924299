"""segment.sam2 through the user's code path with a tiny random SAM 2 saved as a models folder."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines.base import Prompt
from ultimate_roto.core.errors import InputError

H, W = 90, 160


@pytest.fixture(scope="module")
def models_root(tmp_path_factory):
    import torch
    from transformers import Sam2VideoModel

    from ultimate_roto.core.engines.segment_sam2 import tiny_config

    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    Sam2VideoModel(tiny_config(128)).save_pretrained(root / "sam2.1-hiera-tiny")
    return root


@pytest.fixture
def sam2(models_root, monkeypatch):
    from ultimate_roto.core.engines import models
    from ultimate_roto.core.engines.segment_sam2 import Sam2Segmenter

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    models.set_models_dir(models_root)
    yield Sam2Segmenter
    models.set_models_dir(None)


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(1).random((H, W, 3), dtype=np.float32)


def spy_forward(seg, monkeypatch):
    calls = []
    model = seg.model
    real = model.forward

    def forward(**kw):
        out = real(**kw)
        calls.append((kw, out))
        return out

    monkeypatch.setattr(model, "forward", forward)
    return calls


def test_single_click_uses_multimask_and_picks_best_score(sam2, image, monkeypatch):
    import cv2
    import torch

    seg = sam2("cpu")
    calls = spy_forward(seg, monkeypatch)
    mask = seg.segment(image, [Prompt(3, ((40.0, 45.0, 1),))])
    assert mask.shape == (H, W) and mask.dtype == np.float32 and 0 <= mask.min() <= mask.max() <= 1
    ((kw, out),) = calls
    assert kw["multimask_output"] is True
    np.testing.assert_allclose(kw["input_points"][0, 0, 0].numpy(), [40 * 128 / W, 45 * 128 / H])
    assert out.pred_masks.shape[-2:] == (32, 32)  # 1/4 of the 128 input
    best = int(torch.argmax(out.iou_scores[0, 0]))
    assert seg.last_info["chosen"] == best
    logits = cv2.resize(out.pred_masks[0, 0, best].numpy(), (W, H), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(mask, 1 / (1 + np.exp(-logits)), atol=1e-5)


def test_box_and_clicks_scale_per_axis_into_one_mask(sam2, image, monkeypatch):
    seg = sam2("cpu")
    calls = spy_forward(seg, monkeypatch)
    seg.segment(image, [Prompt(0, ((50, 40, 1), (10, 80, 0)), box=(20, 10, 150, 85))])
    ((kw, _),) = calls
    assert kw["multimask_output"] is False
    np.testing.assert_allclose(
        kw["input_boxes"][0, 0].numpy(), [20 * 128 / W, 10 * 128 / H, 150 * 128 / W, 85 * 128 / H]
    )
    assert kw["input_labels"].tolist() == [[[1, 0]]]
    calls.clear()
    seg.segment(
        image, [Prompt(0, box=(5, 5, 60, 80)), Prompt(0, ((120, 40, 1),), box=(100, 5, 150, 80))]
    )
    assert len(calls) == 2 and "input_points" not in calls[0][0]  # one query per box, united


def test_embedding_is_computed_once_per_frame_and_cached(sam2, image):
    from ultimate_roto.core.cache import TieredCache

    seg = sam2("cpu")
    seg.segment(image, [Prompt(0, ((40, 40, 1),))])
    assert seg.last_info["embedding"] == "computed"
    seg.segment(image, [Prompt(0, ((60, 30, 1),))])
    assert seg.last_info["embedding"] == "memo"
    cache = TieredCache(64 << 20)
    first = sam2("cpu", cache=cache, media_id="shot")
    a = first.segment(image, [Prompt(7, ((40, 40, 1),))])
    second = sam2("cpu", cache=cache, media_id="shot")
    second._model = first.model  # same weights; no reload needed
    b = second.segment(image, [Prompt(7, ((40, 40, 1),))])
    assert second.last_info["embedding"] == "cache" and cache.stats().entries == 3
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_registry_finds_it_when_weights_are_there(sam2):
    from ultimate_roto.core.engines import registry

    spec = registry.get_spec("segment.sam2")
    ok, why = spec.availability()
    assert ok and "sam2.1-hiera-tiny" in why
    engine = registry.create(spec, device="cpu")
    assert engine.model_id == "sam2.1-hiera-tiny" and engine.device_reason == "cpu: requested"


def test_bad_prompts_are_input_errors(sam2, image):
    seg = sam2("cpu")
    with pytest.raises(InputError, match="outside"):
        seg.segment(image, [Prompt(0, ((W + 5, 10, 1),))])
    with pytest.raises(InputError, match="only text"):
        seg.segment(image, [Prompt(0, text="cat")])
    with pytest.raises(InputError, match="no prompt"):
        seg.segment(image, [])
    with pytest.raises(InputError, match="frames"):
        seg.segment(image, [Prompt(0, ((5, 5, 1),)), Prompt(1, ((5, 5, 1),))])
    with pytest.raises(InputError):
        seg.segment(image[..., 0], [Prompt(0, ((5, 5, 1),))])


def test_missing_weights_say_how_to_install(tmp_path, monkeypatch):
    from ultimate_roto.core.engines import models
    from ultimate_roto.core.engines.segment_sam2 import Sam2Segmenter

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    models.set_models_dir(tmp_path)
    try:
        with pytest.raises(InputError) as err:
            Sam2Segmenter("cpu", model="sam2.1-hiera-large")
        assert "models pull sam2.1-hiera-large" in err.value.hint
        with pytest.raises(InputError, match="not one of"):
            Sam2Segmenter("cpu", model="sam9")
    finally:
        models.set_models_dir(None)

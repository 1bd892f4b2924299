"""segment.sam3 with a tiny random SAM 3 + word-level tokenizer; box prompts routed to SAM 2."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines.base import Prompt
from ultimate_roto.core.errors import InputError

H, W = 60, 80


def tiny_sam3(folder):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Sam3Config, Sam3Model

    words = ["<pad>", "<unk>", "<s>", "</s>", "person", "in", "red", "jacket", "cup"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>"
    ).save_pretrained(folder)
    small = dict(hidden_size=32, num_attention_heads=2, intermediate_size=64)
    backbone = dict(model_type="sam3_vit_model", num_hidden_layers=2, image_size=112, patch_size=14,
                    window_size=4, global_attn_indexes=[1], pretrain_image_size=56, **small)  # fmt: skip
    text = dict(model_type="clip_text_model", num_hidden_layers=1, vocab_size=len(words),
                max_position_embeddings=32, projection_dim=32, bos_token_id=2, eos_token_id=3,
                pad_token_id=0, **small)  # fmt: skip
    cfg = Sam3Config(
        vision_config=dict(
            backbone_config=backbone,
            fpn_hidden_size=32,
            backbone_feature_sizes=[[32, 32], [16, 16], [8, 8]],
        ),  # fmt: skip
        text_config=text,
        geometry_encoder_config=dict(num_layers=1, **small),
        detr_encoder_config=dict(num_layers=1, **small),
        detr_decoder_config=dict(num_layers=1, num_queries=8, **small),
        mask_decoder_config=dict(hidden_size=32, num_attention_heads=2),
    )
    Sam3Model(cfg).save_pretrained(folder)


@pytest.fixture(scope="module")
def sam3(tmp_path_factory):
    import torch
    from transformers import Sam2VideoModel

    from ultimate_roto.core.engines import models
    from ultimate_roto.core.engines.segment_sam2 import tiny_config
    from ultimate_roto.core.engines.segment_sam3 import Sam3Segmenter

    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    tiny_sam3(root / "sam3")
    Sam2VideoModel(tiny_config(64)).save_pretrained(root / "sam2.1-hiera-tiny")
    models.set_models_dir(root)
    yield Sam3Segmenter
    models.set_models_dir(None)


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(2).random((H, W, 3), dtype=np.float32)


def test_text_prompt_runs_sam3_and_unites_scored_instances(sam3, image, monkeypatch):
    eng = sam3("cpu", threshold=0.0)
    seen = []
    real = eng.model.forward
    monkeypatch.setattr(eng.model, "forward", lambda **kw: seen.append(kw) or real(**kw))
    mask = eng.segment(image, [Prompt(0, text="person in red jacket")])
    assert mask.shape == (H, W) and mask.dtype == np.float32 and 0 <= mask.min() <= mask.max() <= 1
    (kw,) = seen
    assert tuple(kw["pixel_values"].shape) == (1, 3, 112, 112)
    assert kw["input_ids"].shape == (1, 32) and int(kw["attention_mask"].sum()) == 4
    assert eng.last_info["kept"] == 8 and len(eng.last_info["scores"]) == 8
    strict = sam3("cpu", threshold=0.999)
    strict._model, strict._tokenizer = eng.model, eng.tokenizer
    np.testing.assert_array_equal(strict.segment(image, [Prompt(0, text="cup")]), 0.0)


def test_box_prompts_are_routed_to_sam2(sam3, image):
    eng = sam3("cpu")
    mask = eng.segment(image, [Prompt(0, box=(10, 10, 50, 40))])
    assert mask.shape == (H, W)
    assert eng.last_info["routed"] == "segment.sam2" and eng._sam2.model_id == "sam2.1-hiera-tiny"


def test_bad_inputs(sam3, image):
    with pytest.raises(InputError):
        sam3("cpu", threshold=1.5)
    eng = sam3("cpu")
    with pytest.raises(InputError, match="no prompt"):
        eng.segment(image, [])
    with pytest.raises(InputError, match="outside"):
        eng.segment(image, [Prompt(0, ((500, 5, 1),), text="cup")])

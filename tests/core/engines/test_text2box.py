"""segment.text2box: tiny random OWLv2 / Grounding DINO + tiny SAM 2 saved to a models folder."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.engines.base import Prompt
from ultimate_roto.core.errors import InputError

H, W = 60, 80  # not square: OWLv2 boxes scale by max(W, H), Grounding DINO's per axis
WORDS = ["<pad>", "<unk>", "<s>", "</s>", "person", "in", "red", "jacket", "cup", "."]
ID = "segment.text2box"


def save_tokenizer(folder):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>"
    ).save_pretrained(folder)


def tiny_owlv2(folder):
    from transformers import Owlv2Config, Owlv2ForObjectDetection

    small = dict(hidden_size=32, intermediate_size=64, num_attention_heads=2, num_hidden_layers=1)
    text = dict(vocab_size=len(WORDS), max_position_embeddings=16, bos_token_id=2,
                eos_token_id=3, pad_token_id=0, **small)  # fmt: skip
    cfg = Owlv2Config(
        text_config=text, vision_config=dict(image_size=64, patch_size=16, **small),
        projection_dim=32,
    )  # fmt: skip
    Owlv2ForObjectDetection(cfg).save_pretrained(folder)
    save_tokenizer(folder)


def tiny_gdino(folder):
    from transformers import GroundingDinoConfig, GroundingDinoForObjectDetection

    swin = dict(model_type="swin", embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                window_size=4, out_features=["stage2", "stage3", "stage4"])  # fmt: skip
    bert = dict(model_type="bert", hidden_size=32, intermediate_size=64, num_attention_heads=2,
                num_hidden_layers=1, vocab_size=len(WORDS), max_position_embeddings=32)  # fmt: skip
    cfg = GroundingDinoConfig(
        backbone_config=swin, text_config=bert, d_model=32, encoder_layers=1, decoder_layers=2,
        encoder_ffn_dim=64, decoder_ffn_dim=64, encoder_attention_heads=2,
        decoder_attention_heads=2, num_queries=10, encoder_n_points=2, decoder_n_points=2,
        max_text_len=16,
    )  # fmt: skip
    GroundingDinoForObjectDetection(cfg).save_pretrained(folder)
    save_tokenizer(folder)


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Model folders: ``full`` (both detectors + SAM 2), ``owl`` (OWLv2 + SAM 2), ``bare``."""
    import torch
    from transformers import Sam2VideoModel

    from ultimate_roto.core.engines.segment_sam2 import tiny_config

    torch.manual_seed(0)
    full, owl = tmp_path_factory.mktemp("full"), tmp_path_factory.mktemp("owl")
    Sam2VideoModel(tiny_config(64)).save_pretrained(full / "sam2.1-hiera-tiny")
    tiny_owlv2(full / "owlv2")
    tiny_gdino(full / "grounding-dino-tiny")
    for name in ("sam2.1-hiera-tiny", "owlv2"):
        (owl / name).symlink_to(full / name)
    return {"full": full, "owl": owl, "bare": tmp_path_factory.mktemp("bare")}


@pytest.fixture
def use(roots, monkeypatch):
    from ultimate_roto.core.engines import models

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(roots["bare"]))
    yield lambda name: models.set_models_dir(roots[name])
    models.set_models_dir(None)


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(3).random((H, W, 3), dtype=np.float32)


def build(**options):
    """The engine as the batch step builds it: registry spec + load_engine."""
    from ultimate_roto.core.engines.run_segment import load_engine

    spec, eng = load_engine("segment", ID, device="cpu", options={"half": False, **options})
    assert spec.id == ID
    return eng


def spy(model, monkeypatch):
    calls = []
    real = model.forward
    monkeypatch.setattr(
        model, "forward", lambda **kw: calls.append((kw, real(**kw))) or calls[-1][1]
    )
    return calls


def sam2_boxes(calls):
    """The boxes SAM 2's decoder received, back in source pixels (input is 64² here)."""
    return [kw["input_boxes"][0, 0].numpy() * [W / 64, H / 64, W / 64, H / 64] for kw, _ in calls]


def test_owlv2_best_box_scaled_to_source_pixels_and_given_to_sam2(use, image, monkeypatch):
    use("owl")
    eng = build(threshold=0.0)
    assert eng.detector_id == "owlv2"
    det, dec = spy(eng.model, monkeypatch), spy(eng.sam2.model, monkeypatch)
    prompts = [Prompt(0, text="person in red jacket", name="hero"), Prompt(0, text="cup")]
    mask = eng.segment(image, prompts)
    assert mask.shape == (H, W) and mask.dtype == np.float32 and 0 <= mask.min() <= mask.max() <= 1
    ((kw, out),) = det  # both texts are queries of one forward pass
    assert tuple(kw["pixel_values"].shape) == (1, 3, 64, 64)
    assert tuple(kw["input_ids"].shape) == (2, 16)
    assert kw["attention_mask"].sum(1).tolist() == [4, 1]
    scores = out.logits[0].sigmoid().numpy()  # (16 patches, 2 queries)
    want = []
    for q in range(2):
        cx, cy, bw, bh = out.pred_boxes[0, int(scores[:, q].argmax())].numpy() * max(W, H)
        x0, y0 = min(max(cx - bw / 2, 0), W - 1), min(max(cy - bh / 2, 0), H - 1)
        x1, y1 = max(min(cx + bw / 2, W), x0 + 1), max(min(cy + bh / 2, H), y0 + 1)
        want.append([x0, y0, x1, y1])
    np.testing.assert_allclose(eng.last_info["boxes"], want, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(eng.last_info["scores"], scores.max(0), rtol=1e-5)
    np.testing.assert_allclose(sam2_boxes(dec), want, rtol=1e-4, atol=1e-3)  # one per text


def test_gdino_boxes_scale_per_axis_and_reach_sam2(use, image, monkeypatch):
    from ultimate_roto.core.engines.segment_text2box import gdino_size

    use("full")
    eng = build(threshold=0.0, detector_size=128)
    assert eng.detector_id == "grounding-dino-tiny"  # preferred when both are installed
    det, dec = spy(eng.model, monkeypatch), spy(eng.sam2.model, monkeypatch)
    eng.segment(image, [Prompt(0, ((30.0, 20.0, 0),), text="Red jacket")])
    ((kw, out),) = det
    assert tuple(kw["pixel_values"].shape[2:]) == gdino_size(H, W, 128, 213) == (128, 170)
    assert kw["pixel_mask"].all() and kw["input_ids"][0].tolist() == [6, 7, 9]  # lower-case + "."
    best = int(out.logits[0].sigmoid().amax(-1).argmax())
    cx, cy, bw, bh = out.pred_boxes[0, best].numpy() * [W, H, W, H]
    x0, y0 = min(max(cx - bw / 2, 0), W - 1), min(max(cy - bh / 2, 0), H - 1)
    want = [x0, y0, max(min(cx + bw / 2, W), x0 + 1), max(min(cy + bh / 2, H), y0 + 1)]
    ((sam_kw, _),) = dec
    np.testing.assert_allclose(sam2_boxes(dec)[0], want, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(sam_kw["input_points"][0, 0, 0].numpy(), [30 * 64 / W, 20 * 64 / H])
    assert sam_kw["input_labels"].tolist() == [[[0]]]  # the prompt's bg click goes along


def test_choice_best_all_and_fg_click(use, image, monkeypatch):
    from ultimate_roto.core.engines.segment_text2box import Detection

    use("owl")
    dets = [Detection((5, 5, 30, 30), 0.9), Detection((40, 10, 75, 55), 0.5),
            Detection((0, 0, 10, 10), 0.2)]  # fmt: skip
    boxes = lambda eng, p: (eng.segment(image, [p]), eng.last_info["boxes"])[1]  # noqa: E731
    for opts, prompt, want in [
        ({}, Prompt(0, text="cup"), [dets[0].box]),
        ({"instances": "all"}, Prompt(0, text="cup"), [dets[0].box, dets[1].box]),
        ({}, Prompt(0, ((60, 30, 1),), text="cup"), [dets[1].box]),  # the box under the click
    ]:
        eng = build(threshold=0.3, **opts)
        monkeypatch.setattr(eng, "detect", lambda img, texts: [dets for _ in texts])
        dec = spy(eng.sam2.model, monkeypatch)
        assert boxes(eng, prompt) == want
        assert len(dec) == len(want)  # SAM 2 decodes every kept box


def test_prompts_without_text_or_with_a_box_go_to_sam2(use, image, monkeypatch):
    use("owl")
    eng = build()
    det, dec = spy(eng.model, monkeypatch), spy(eng.sam2.model, monkeypatch)
    eng.segment(image, [Prompt(0, box=(10, 10, 50, 40), text="cup")])
    assert det == [] and eng.last_info["routed"] == "segment.sam2"
    np.testing.assert_allclose(sam2_boxes(dec)[0], [10, 10, 50, 40], rtol=1e-5)


def test_bad_inputs(use, image, monkeypatch):
    from ultimate_roto.core.engines.segment_text2box import Detection

    use("owl")
    eng = build(threshold=0.3)
    weak = [Detection((5, 5, 30, 30), 0.25)]  # random tiny detectors score near 0 or 1
    monkeypatch.setattr(eng, "detect", lambda img, texts: [weak for _ in texts])
    with pytest.raises(InputError, match="no prompt"):
        eng.segment(image, [])
    with pytest.raises(InputError, match="'hero'.*empty text") as err:
        eng.segment(image, [Prompt(0, text="  ", name="hero")])
    assert "box" in err.value.hint
    nothing = (
        r"'hero' on frame 0 'cup' found nothing above the threshold 0\.3 \(best box score 0\.250"
    )
    with pytest.raises(InputError, match=nothing) as err:
        eng.segment(image, [Prompt(0, text="cup", name="hero")])
    assert "lower the threshold" in err.value.hint and "box" in err.value.hint
    with pytest.raises(InputError, match="frames"):
        eng.segment(image, [Prompt(0, text="cup"), Prompt(1, text="cup")])
    for opts in ({"threshold": 1.5}, {"instances": "some"}, {"detector": "yolo"}):
        with pytest.raises(InputError):
            build(**opts)


def test_missing_weights_name_the_model(use, roots, tmp_path):
    from ultimate_roto.core.engines import models, registry
    from ultimate_roto.core.engines.segment_text2box import Text2BoxSegmenter

    spec = registry.get_spec(ID)
    assert spec.priority < registry.get_spec("segment.sam3").priority
    assert {"owlv2", "grounding-dino-tiny", "sam2.1-hiera-tiny"} <= set(spec.weights)
    use("bare")
    ok, why = spec.availability()
    assert not ok and "grounding-dino-tiny" in why and "sam2.1-hiera-tiny" in why
    with pytest.raises(InputError, match="no text detector") as err:
        Text2BoxSegmenter("cpu")
    assert "models pull grounding-dino-tiny" in err.value.hint
    with pytest.raises(InputError, match="owlv2.*not installed") as err:
        Text2BoxSegmenter("cpu", detector="owlv2")
    assert "models pull owlv2" in err.value.hint
    use("owl")
    assert spec.availability()[0]
    (tmp_path / "owlv2").symlink_to(roots["owl"] / "owlv2")  # a detector but no SAM 2
    models.set_models_dir(tmp_path)
    ok, why = spec.availability()
    assert not ok and "sam2.1-hiera-tiny" in why and "owlv2" not in why.split(":")[0]


def test_preprocessing_matches_the_transformers_processors():
    from transformers.image_transforms import get_size_with_aspect_ratio
    from transformers.models.owlv2.image_processing_pil_owlv2 import Owlv2ImageProcessorPil

    from ultimate_roto.core.engines.segment_text2box import gdino_size, owlv2_pixels

    for h, w in [(1080, 1920), (1920, 1080), (480, 640), (800, 800), (100, 3000)]:
        assert gdino_size(h, w, 800, 1333) == get_size_with_aspect_ratio((h, w), 800, 1333)
    img = np.random.default_rng(4).random((90, 120, 3), dtype=np.float32)
    ref = Owlv2ImageProcessorPil(size={"height": 48, "width": 48})(
        (img * 255).round().astype(np.uint8), return_tensors="np"
    )["pixel_values"][0]
    ours = owlv2_pixels(np.round(img * 255) / 255, 48, "cpu")[0].numpy()
    assert ours.shape == ref.shape == (3, 48, 48)
    assert np.abs(ours - ref).mean() < 0.02 and np.abs(ours[:, 40:] - ref[:, 40:]).max() < 1e-3

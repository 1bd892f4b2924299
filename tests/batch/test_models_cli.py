"""``python main.py models list|pull|verify`` as a subprocess, offline, with a temp models folder."""

from __future__ import annotations

import subprocess
import sys

import pytest
from batch_helpers import MAIN, REPO, batch_env


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from transformers import VitMatteConfig, VitMatteForImageMatting

    root = tmp_path_factory.mktemp("models")
    backbone = dict(model_type="vitdet", hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                    num_channels=4, image_size=64, pretrain_image_size=64, patch_size=16,
                    out_features=["stage1"])  # fmt: skip
    cfg = VitMatteConfig(backbone_config=backbone, hidden_size=32,
                         convstream_hidden_sizes=[8, 16, 32], fusion_hidden_sizes=[32, 16, 8, 8])  # fmt: skip
    VitMatteForImageMatting(cfg).save_pretrained(root / "vitmatte-small-composition-1k")
    e = batch_env()
    e.update(HF_HUB_OFFLINE="1", ULTIMATE_ROTO_MODELS=str(root), HF_HUB_CACHE=str(root / "hub"))
    return e, root


def models_cmd(env, *args):
    return subprocess.run([sys.executable, str(MAIN), "models", *args], cwd=REPO, env=env[0],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_list_shows_found_and_missing(env):
    res = models_cmd(env, "list")
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line for line in res.stdout.splitlines() if line.strip()}
    assert "models folder" in rows["vitmatte-small-composition-1k"]
    assert rows["sam2.1-hiera-tiny"].rstrip().endswith("missing")
    assert "non-commercial" in rows["depth-anything-v2-large"]


def test_verify_found_model_and_unknown_id(env):
    res = models_cmd(env, "verify", "vitmatte-small-composition-1k")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "sha256" in res.stdout and "safetensors" in res.stdout
    res = models_cmd(env, "verify", "vitmate")
    assert res.returncode == 2 and "unknown model" in res.stderr


def test_verify_reports_a_corrupt_file(env, tmp_path):
    import shutil

    broken = tmp_path / "models"
    shutil.copytree(
        env[1] / "vitmatte-small-composition-1k", broken / "vitmatte-small-composition-1k"
    )
    weights = broken / "vitmatte-small-composition-1k" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    res = models_cmd(env, "--models-dir", str(broken), "verify", "vitmatte-small-composition-1k")
    assert res.returncode == 2 and "BAD" in res.stdout and "truncated" in res.stdout


def test_pull_offline_exits_2_and_says_where_to_put_files(env):
    res = models_cmd(env, "pull", "depth-anything-v2-small")
    assert res.returncode == 2
    assert "HF_HUB_OFFLINE" in res.stderr and str(env[1] / "depth-anything-v2-small") in res.stderr
    assert models_cmd(env, "pull").returncode == 2  # usage error

"""Roto jobs through ``main.py --batch``: mattes end to end on real-photo frames, and bad jobs → exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from batch_helpers import IMPORT_PROBE, MAIN, REPO, batch_env, run_batch, write_job

from ultimate_roto.core.engines import synth
from ultimate_roto.core.engines.evaluation import jaccard

W, H, N = 256, 144, 8


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    """Two real objects (cup, cat) over a real photo, 8 frames as PNGs, with exact masks."""
    folder = tmp_path_factory.mktemp("shot")
    cup = synth.Actor(1, "cup", (synth.Key(0, 0.3, 0.55, 0.5), synth.Key(1, 0.38, 0.55, 0.5)))
    cat = synth.Actor(2, "cat", (synth.Key(0, 0.72, 0.45, 0.5), synth.Key(1, 0.68, 0.47, 0.55)))
    spec = synth.SequenceSpec("two", "brick", (0, 0, 0.02, 0), (cup, cat), N)
    gts = []
    for i in range(N):
        frame, masks = synth.render(spec, i, W, H)
        cv2.imwrite(str(folder / f"two.{i:04d}.png"), np.uint8(frame[..., ::-1] * 255 + 0.5))
        gts.append(masks)
    objects = []
    for obj_id, name in ((1, "cup"), (2, "cat")):
        box = [round(v) for v in synth.mask_box(gts[0][obj_id])]
        box = [max(0, box[0] - 3), max(0, box[1] - 3), min(W, box[2] + 3), min(H, box[3] + 3)]
        objects.append({"name": name, "prompts": [{"frame": 0, "box": box}]})
    return folder, gts, objects


def job(objects, steps, exports, **extra):
    return {"version": 1, "input": "two.####.png", "output_dir": "out", "objects": objects,
            "steps": steps, "exports": exports, **extra}  # fmt: skip


MATTES = [{"what": "matte", "path": "mattes/{object}.####.png", "bit_depth": 16}]


def test_roto_job_writes_a_matte_per_object_and_frame(shot, tmp_path):
    folder, gts, objects = shot
    out, modules = tmp_path / "out", tmp_path / "modules.json"
    path = write_job(folder, job(objects, ["segment", "propagate", "refine"], MATTES), "roto.json")
    argv = [sys.executable, "-c", IMPORT_PROBE, str(modules), str(MAIN), str(path), "-o", str(out)]
    proc = subprocess.run([*argv, "-v"], cwd=REPO, env=batch_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "propagate 'cat' with propagate.flow" in proc.stderr + proc.stdout
    assert "torch" not in json.loads(modules.read_text())  # classical engines only
    for obj_id, name in ((1, "cup"), (2, "cat")):
        ious = []
        for i in range(N):
            matte = cv2.imread(str(out / f"mattes/{name}.{i:04d}.png"), cv2.IMREAD_UNCHANGED)
            assert matte is not None and matte.dtype == np.uint16, (name, i)
            assert matte.ndim == 2  # a greyscale PNG, not three copies of the matte
            alpha = matte / 65535.0
            assert ((alpha > 0.05) & (alpha < 0.95)).any()  # soft edges
            ious.append(jaccard(alpha >= 0.5, gts[i][obj_id]))
        assert np.mean(ious) >= 0.8, (name, ious)


def _fails(folder, data, name):
    proc = run_batch(write_job(folder, data, name))
    assert proc.returncode == 2, proc.stderr
    assert not (folder / "out" / "mattes").exists()  # rejected before any work
    return proc.stderr


def test_unknown_engine_exits_2_naming_the_valid_ones(shot):
    folder, _, objects = shot
    err = _fails(
        folder, job(objects, ["segment"], [], engines={"segment": "segment.sam9"}), "e.json"
    )
    assert "segment.sam9" in err and "segment.classic" in err and "auto" in err


def test_prompt_outside_the_image_exits_2(shot):
    folder, _, objects = shot
    bad = [{"name": "cup", "prompts": [{"frame": 0, "points": [[W + 40, 10, 1]]}]}]
    err = _fails(folder, job(bad, ["segment", "refine"], MATTES), "p.json")
    assert "objects[0].prompts[0].points[0]" in err and "outside" in err


def test_matte_export_without_refine_exits_2(shot):
    folder, _, objects = shot
    err = _fails(folder, job(objects, ["segment", "propagate"], MATTES), "m.json")
    assert "exports[0].what 'matte' needs the 'refine' step" in err


def test_depth_without_weights_exits_2_with_the_install_hint(shot, tmp_path, monkeypatch):
    monkeypatch.setenv("ULTIMATE_ROTO_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    folder, _, objects = shot
    depth = [{"what": "depth", "path": "depth/d.####.png", "bit_depth": 16}]
    err = _fails(folder, job(objects, ["segment", "depth"], depth), "d.json")
    assert "python main.py models pull depth-anything-v2-small" in err


@pytest.mark.parametrize(
    ("steps", "engines", "message"),
    [
        (["segment", "propagate"], {}, "exports[0].what 'matte' needs the 'refine' step"),
        (["segment", "refine"], {"segment": "segment.sam9"}, "valid segment engines"),
    ],
)
def test_dry_run_rejects_what_the_engines_cannot_do(shot, steps, engines, message):
    folder, _, objects = shot
    data = job(objects, steps, MATTES, engines=engines)
    proc = run_batch(write_job(folder, data, "dry.json"), "--dry-run")
    assert proc.returncode == 2, proc.stdout
    assert message in proc.stderr

"""End-to-end runs of ``python main.py --batch``: outputs, dry runs, help and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from batch_helpers import IMPORT_PROBE, MAIN, REPO, batch_env, frame_image, run_batch, write_job

from ultimate_roto.core.media import open_media


def plate_job(src, **extra):
    data = {
        "version": 1,
        "input": str(src),
        "output_dir": "out",
        "exports": [{"format": "exr", "what": "plate", "path": "exr/plate.####.exr"}],
    }
    data.update(extra)
    return data


def test_convert_png_to_exr_end_to_end_without_qt_or_torch(tmp_path, png_sequence):
    job = write_job(tmp_path, plate_job(png_sequence / "plate.####.png", frame_range=[1002, 1006]))
    modules_file = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, str(modules_file), str(MAIN), str(job), "-v"],
        cwd=REPO,
        env=batch_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "done: 5 frame(s)" in proc.stdout and "time export 1" in proc.stdout
    modules = json.loads(modules_file.read_text())
    assert "ultimate_roto.core.pipeline.runner" in modules
    for banned in ("PySide6", "shiboken6", "torch", "ultimate_roto.app"):
        assert not any(m == banned or m.startswith(banned + ".") for m in modules), banned
    written = sorted(p.name for p in (tmp_path / "out" / "exr").iterdir())
    assert written == [f"plate.{n}.exr" for n in range(1002, 1007)]
    with open_media(tmp_path / "out" / "exr" / "plate.####.exr") as exr:
        assert exr.info.frame_range == (1002, 1006)
        img = exr.read(1004)
    # sRGB PNG → linear half EXR: undo the sRGB curve on the source to compare
    src = frame_image(1004)[..., ::-1].astype(np.float32) / 255
    linear = np.where(src <= 0.04045, src / 12.92, ((src + 0.055) / 1.055) ** 2.4)
    np.testing.assert_allclose(img[..., :3], linear, atol=2e-3)


def test_convert_h264_to_png_keeps_frames(tmp_path, h264_clip):
    export = {"format": "png", "what": "plate", "path": "png/shot.%04d.png", "start_frame": 101}
    job = write_job(tmp_path, plate_job(h264_clip, exports=[export], output_dir="o"))
    proc = run_batch(job, "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    with open_media(h264_clip) as src, open_media(tmp_path / "o/png/shot.####.png") as out:
        assert out.info.frame_range == (101, 112)
        for n in (0, 5, 11):
            np.testing.assert_allclose(out.read(101 + n), src.read(n), atol=1 / 255 + 1e-6)


def test_dry_run_touches_nothing(tmp_path, png_sequence):
    job = write_job(tmp_path, plate_job(png_sequence / "plate.####.png", output_dir="new/out"))
    before = sorted(tmp_path.rglob("*"))
    proc = run_batch(job, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "job is valid; 8 frame(s)" in proc.stdout and "plate.####.exr" in proc.stdout
    assert sorted(tmp_path.rglob("*")) == before


def test_help_documents_the_job_format():
    proc = run_batch("--help")
    assert proc.returncode == 0
    for text in (
        '"frame_range"',
        '"allow_missing_frames"',
        "compression",
        "exit codes",
        "--resume",
    ):
        assert text in proc.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"input": "nowhere/missing.mov"}, "missing.mov"),
        ({"frame_rnage": [1001, 1002]}, "frame_rnage: unknown key"),
        ({"objects": "hero"}, "objects: expected a list"),
        ({"frame_range": [1001, 1020]}, "frame_range: [1001, 1020] is outside"),
        ({"output_dir": "blocker/out"}, "blocker is a file"),
    ],
    ids=["missing-input", "unknown-key", "wrong-type", "out-of-range", "unwritable"],
)
def test_bad_jobs_exit_2_with_a_hint_and_no_traceback(tmp_path, png_sequence, change, message):
    (tmp_path / "blocker").write_text("a regular file")
    job = write_job(tmp_path, plate_job(png_sequence / "plate.####.png", **change))
    proc = run_batch(job)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and message in proc.stderr
    assert "\n  hint: " in proc.stderr and "Traceback" not in proc.stderr
    if "frame_rnage" in change:
        assert "did you mean 'frame_range'?" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_failure_mid_way_exits_3_and_keeps_finished_frames(tmp_path, png_sequence):
    out = tmp_path / "out" / "exr"
    (out / "plate.1005.exr").mkdir(parents=True)  # a later frame's path is a folder
    job = write_job(tmp_path, plate_job(png_sequence / "plate.####.png"))
    proc = run_batch(job)
    assert proc.returncode == 3, proc.stderr
    error = proc.stderr[proc.stderr.index("error: ") :]
    assert "plate.1005.exr" in error and "kept" in error and "\n  hint: " in error
    assert "Traceback" not in proc.stderr
    for n in range(1001, 1005):
        assert (out / f"plate.{n}.exr").is_file()
    assert not any(".partial" in p.name for p in out.iterdir())


def test_usage_errors_exit_2_in_process(capsys):
    from ultimate_roto.batch.cli import main

    assert main([]) == 2
    assert main(["--device", "tpu", "job.json"]) == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def test_output_dir_option_overrides_the_job(tmp_path, png_sequence):
    job = write_job(tmp_path, plate_job(png_sequence / "plate.####.png", output_dir="ignored"))
    proc = run_batch(job, "-q", "--output-dir", str(tmp_path / "elsewhere"))
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "elsewhere").rglob("*.exr"))) == 8
    assert not (tmp_path / "ignored").exists()


def test_batch_validates_the_settings_file(tmp_path, png_sequence):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"cache": {"ram_mb": 64}}))
    data = plate_job(png_sequence / "plate.####.png")
    proc = run_batch(write_job(tmp_path, data), "-q", "--settings", str(settings))
    assert proc.returncode == 0, proc.stderr
    settings.write_text(json.dumps({"cache": {"ram_mb": "lots"}}))
    proc = run_batch(write_job(tmp_path, data), "--settings", str(settings))
    assert proc.returncode == 2 and "ram_mb" in proc.stderr

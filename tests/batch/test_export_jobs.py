"""main.py --batch with production exports: multi-layer EXR, DPX log, a preset; bad entries."""

from __future__ import annotations

from tests.batch.batch_helpers import run_batch, write_job


def test_layers_dpx_log_and_preset_from_a_job_file(tmp_path, png_sequence):
    job = write_job(tmp_path, {
        "version": 1, "input": str(png_sequence / "plate.####.png"), "output_dir": "out",
        "frame_range": [1001, 1003],
        "exports": [
            {"format": "exr", "what": "layers", "path": "comp/shot.####.exr",
             "aovs": ["rgba", "motion"], "multipart": True},
            {"format": "dpx", "path": "dpx/shot.####.dpx", "encoding": "log", "bit_depth": 16},
            {"preset": "DPX log", "folder": "preset"},
        ],
    })  # fmt: skip
    proc = run_batch(job)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert len(list((out / "comp").glob("shot.*.exr"))) == 3
    assert len(list((out / "dpx").glob("shot.*.dpx"))) == 3
    assert len(list((out / "preset/dpx").glob("plate.*.dpx"))) == 3


def test_bad_export_entries_exit_2(tmp_path, png_sequence):
    base = {"version": 1, "input": str(png_sequence / "plate.####.png"), "output_dir": "out"}
    for entry, text in (
        ({"format": "exr", "what": "layers", "path": "a.####.exr", "aovs": ["beauty"]}, "AOV"),
        ({"preset": "Nuke EXR"}, "preset"),
        ({"format": "exr", "what": "layers", "path": "a.####.exr", "aovs": ["depth"]}, "depth"),
    ):
        proc = run_batch(write_job(tmp_path, {**base, "exports": [entry]}))
        assert proc.returncode == 2, proc.stderr
        assert text in proc.stderr
        assert not (tmp_path / "out").exists()

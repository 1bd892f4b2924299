"""Ctrl-C stops a batch run cleanly (exit 130); --resume after a kill redoes only unfinished frames."""

from __future__ import annotations

import os
import signal
import time

import pytest
from batch_helpers import run_batch, start_batch, write_job

from ultimate_roto.core.pipeline.convert import default_workers
from ultimate_roto.core.pipeline.state import STATE_DIR

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def long_job(tmp_path, clip, frame_range=None):
    data = {
        "version": 1,
        "input": str(clip),
        "output_dir": "out",
        "exports": [{"format": "exr", "path": "long.####.exr", "compression": "zip"}],
    }
    if frame_range:
        data["frame_range"] = frame_range
    return write_job(tmp_path, data)


def finished(folder):
    """Final output files (not the hidden partial temps) and their modification times."""
    if not folder.exists():
        return {}
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("long.*.exr")}


def leftovers(folder):
    """Anything but finished frames and the resume state folder (temps, partial files)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in {*finished(folder), STATE_DIR})


def test_sigint_stops_cleanly_with_exit_130(tmp_path, long_clip):
    proc = start_batch(long_job(tmp_path, long_clip))
    try:
        first = proc.stderr.readline()
        assert "%" in first, first + proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)  # stops within a second; slack for CI
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "error: cancelled" in err and "Traceback" not in err
    out = tmp_path / "out"
    assert len(finished(out)) < 240
    assert leftovers(out) == []


def test_resume_after_kill_redoes_only_frames_in_flight(tmp_path, long_clip):
    job = long_job(tmp_path, long_clip, frame_range=[0, 59])
    out = tmp_path / "out"
    proc = start_batch(job)
    try:
        deadline = time.monotonic() + 60
        while len(finished(out)) < 8 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = finished(out)
    assert 8 <= len(before) < 60, "the run ended before it could be killed mid-way"
    done = run_batch(job, "--resume")
    assert done.returncode == 0, done.stderr
    after = finished(out)
    assert sorted(after) == [f"long.{n:04d}.exr" for n in range(60)]
    redone = [name for name, mtime in before.items() if after[name] != mtime]
    # only frames in flight: at most one a parallel writer (written, not yet recorded)
    assert len(redone) <= default_workers(), redone
    assert leftovers(out) == []

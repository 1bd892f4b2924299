"""Helpers for batch tests: generated frames and running ``python main.py --batch``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "main.py"


def frame_image(n: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A deterministic uint8 BGR test frame that differs from frame to frame."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = (x * 4 + n * 7) % 256
    img[..., 1] = (y * 5 + n * 3) % 256
    img[..., 2] = ((x + y) * 2 + n * 11) % 256
    return img


def batch_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_batch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python main.py --batch ARGS`` from the repo root and capture its output."""
    return subprocess.run(
        [sys.executable, str(MAIN), "--batch", *map(str, args)],
        cwd=REPO,
        env=batch_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_batch(*args: str) -> subprocess.Popen[str]:
    """Start ``python main.py --batch ARGS`` with stderr piped (progress lines are there)."""
    return subprocess.Popen(
        [sys.executable, str(MAIN), "--batch", *map(str, args)],
        cwd=REPO,
        env=batch_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_job(folder: Path, data: dict, name: str = "job.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data, indent=2))
    return path


def make_h264(path: Path, frames: int, width: int, height: int) -> Path:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(24))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for n in range(frames):
            rgb = frame_image(n, width, height)[..., ::-1].copy()
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


# Runs the CLI like main.py does, then writes the names of every imported module to a file.
IMPORT_PROBE = """
import json, runpy, sys
out, sys.argv = sys.argv[1], [sys.argv[2], "--batch", *sys.argv[3:]]
code = 0
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
raise SystemExit(code)
"""

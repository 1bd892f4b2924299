"""SAM 2 benchmark: prompt → mask latency and video propagation frames/s on the chosen device.

Run: ``python benchmarks/bench_sam2.py [--device auto] [--model auto] [--frames 20]``.
Uses real SAM 2.1 weights when ``models.locate`` finds them; otherwise a tiny randomly
initialised config saved to a temp folder, and every figure is labelled
"random tiny config — plumbing only" (its speed says nothing about the real model).
Frames are 1920×1080 real-photo composites from ``synth`` when available, else noise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.core.engines import devices, models  # noqa: E402
from ultimate_roto.core.engines.base import Prompt  # noqa: E402
from ultimate_roto.core.engines.segment_sam2 import SAM2_MODELS, tiny_config  # noqa: E402

W, H = 1920, 1080


def frames(n: int) -> list[np.ndarray]:
    """A moving textured square over a gradient (deterministic)."""
    rng = np.random.default_rng(0)
    tex = rng.random((300, 300, 3), dtype=np.float32)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    base = np.stack([x / W, y / H, 0.5 * np.ones_like(x)], -1).astype(np.float32)
    out = []
    for i in range(n):
        img = base.copy()
        x0 = 400 + 20 * i
        img[400:700, x0 : x0 + 300] = tex
        out.append(img)
    return out


def setup_models(model: str) -> tuple[str, str]:
    """(model id, label); installs a tiny random checkpoint when no real one is found."""
    found = [m for m in SAM2_MODELS if models.locate(m)]
    if found:
        return (model if model != "auto" else found[0]), "real weights"
    from transformers import Sam2VideoModel

    root = Path(tempfile.mkdtemp(prefix="bench_sam2_"))
    Sam2VideoModel(tiny_config(256)).save_pretrained(root / SAM2_MODELS[0])
    models.set_models_dir(root)
    return SAM2_MODELS[0], "random tiny config — plumbing only"


def bench_segment(device: str, model: str, shots: list[np.ndarray]) -> dict[str, float]:
    from ultimate_roto.core.engines.segment_sam2 import Sam2Segmenter

    seg = Sam2Segmenter(device, model=model)
    _ = seg.model  # load outside the timing
    t0 = time.perf_counter()
    seg.segment(shots[0], [Prompt(0, ((550.0, 550.0, 1),))])
    first = time.perf_counter() - t0
    clicks = []
    for i in range(10):
        t0 = time.perf_counter()
        seg.segment(shots[0], [Prompt(0, ((550.0, 550.0, 1), (450.0 + 20 * i, 500.0, 1)))])
        clicks.append(time.perf_counter() - t0)
    return {
        "first click (encoder + decoder) s": first,
        "next click median s": statistics.median(clicks),
    }


def bench_propagate(device: str, model: str, shots: list[np.ndarray]) -> dict[str, float]:
    from ultimate_roto.core.engines.propagate_sam2 import Sam2VideoPropagator

    prop = Sam2VideoPropagator(device, model=model)
    _ = prop.model
    key = np.zeros((H, W), np.float32)
    key[400:700, 400:700] = 1
    times, last = [], time.perf_counter()
    for _ in prop.propagate(shots.__getitem__, {0: key}, range(len(shots))):
        now = time.perf_counter()
        times.append(now - last)
        last = now
    tracked = times[1:]
    steady = tracked[len(tracked) // 2 :] or tracked
    return {
        "frames/s (all tracked)": len(tracked) / sum(tracked),
        "frames/s (second half, memory bank full)": len(steady) / sum(steady),
        "session MB held at the end": prop.session_stats["tensor_bytes"] / 1e6,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--model", default="auto")
    ap.add_argument("--frames", type=int, default=20)
    args = ap.parse_args()
    dev, why = devices.resolve_device(args.device)
    model, label = setup_models(args.model)
    print(f"device: {why}\nmodel: {model} ({label})\nframes: {args.frames} at {W}x{H}")
    shots = frames(args.frames)
    for name, figures in (
        ("segment.sam2", bench_segment(str(dev), model, shots)),
        ("propagate.sam2_video", bench_propagate(str(dev), model, shots)),
    ):
        for key, value in figures.items():
            print(f"{name:22s} {key:42s} {value:9.3f}   [{label}]")
    for gpu in devices.gpu_info():
        print(gpu.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

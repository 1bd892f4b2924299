"""Benchmark refine.classic and temporal smoothing: 1080p speed, SAD vs GT matte, flicker.

Usage::

    python benchmarks/bench_refine.py [--size 1920x1080] [--frames 10]

The test picture is the real coffee photo composited over the real motorcycle photo through a
ground-truth soft alpha (a defocused ellipse, sigma 3 px at 1080p, plus a band of very soft
edge on one side); the input is the hard mask an artist would draw. Baseline in the same
process: the hard mask itself. Flicker: a static shot with sensor noise, each frame refined on
its own (its matte chatters), measured with ``evaluation.matte_flicker`` inside the edge band
before and after ``TemporalSmoother``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.core.engines import synth  # noqa: E402
from ultimate_roto.core.engines.evaluation import matte_flicker  # noqa: E402
from ultimate_roto.core.engines.refine_classic import (  # noqa: E402
    ClassicRefiner,
    estimate_foreground,
)
from ultimate_roto.core.engines.temporal import TemporalSmoother  # noqa: E402


def scene(w: int, h: int):
    import cv2

    fg = cv2.resize(synth._read_rgb("coffee.png"), (w, h), interpolation=cv2.INTER_CUBIC)
    bg = cv2.resize(synth._read_rgb("motorcycle_left.png"), (w, h), interpolation=cv2.INTER_CUBIC)
    hard = np.zeros((h, w), np.float32)
    cv2.ellipse(hard, (w // 2, h // 2), (int(w * 0.28), int(h * 0.33)), 0, 0, 360, 1.0, -1)
    s = h / 1080
    alpha = cv2.GaussianBlur(hard, (0, 0), 3.0 * s)
    very = cv2.GaussianBlur(hard, (0, 0), 8.0 * s)
    left = np.linspace(1, 0, w, dtype=np.float32)[None, :] ** 2
    alpha = left * very + (1 - left) * alpha
    image = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
    return np.clip(image, 0, 1).astype(np.float32), (alpha >= 0.5).astype(np.float32), alpha


def timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def speed_and_sad(w: int, h: int) -> None:
    image, hard, gt = scene(w, h)
    sad_hard = np.abs(hard - gt).sum() / 1000
    print(f"{w}x{h}: hard mask SAD {sad_hard:.1f} (x1000)  [baseline]")
    band = 20 * h / 1080
    ClassicRefiner(method="cf").refine(image[:64, :64], hard[:64, :64])  # numba warm-up
    for method, kw in (("guided", {}), ("cf", {}), ("cf", {"max_pixels": 400_000})):
        ref = ClassicRefiner(method=method, band=band, **kw)
        for adaptive in (False, True):
            ref.adaptive = adaptive
            dt, alpha = timed(lambda r=ref: r.refine(image, hard))
            sad = np.abs(alpha - gt).sum() / 1000
            print(f"  {method:6s} {str(kw):22s} adaptive={adaptive!s:5s}: {dt * 1000:6.0f} ms, "
                  f"SAD {sad:6.1f} ({sad / sad_hard:.2f}x the hard mask)")  # fmt: skip
    dt, _ = timed(lambda: estimate_foreground(image, gt), repeat=1)
    print(f"  foreground estimation (estimate_foreground_ml on the band crop): {dt * 1000:.0f} ms")


def flicker(n: int) -> None:
    import cv2

    w, h = 854, 480
    image, hard, _ = scene(w, h)
    rng = np.random.default_rng(0)
    ref = ClassicRefiner(method="guided", band=10)
    frames, mattes = [], []
    for _ in range(n):
        noisy = np.clip(image + rng.normal(0, 0.03, image.shape), 0, 1).astype(np.float32)
        jitter = cv2.GaussianBlur(rng.normal(0, 1.0, hard.shape).astype(np.float32), (0, 0), 4)
        m = (hard + 0.8 * jitter * (np.abs(hard - 0.5) < 1)).astype(np.float32)
        edge_mask = cv2.GaussianBlur(hard, (0, 0), 2.0)
        m = np.where((edge_mask > 0.05) & (edge_mask < 0.95), (m + edge_mask) / 2, hard)
        frames.append(noisy)
        mattes.append(ref.refine(noisy, (m >= 0.5).astype(np.float32)))
    region = ref.trimap(image, hard) == 0.5
    before = matte_flicker(mattes, region)
    for strength in (0.4, 0.6, 0.8):
        sm = TemporalSmoother(strength)
        t = time.perf_counter()
        out = [sm.update(f, a) for f, a in zip(frames, mattes, strict=True)]
        dt = (time.perf_counter() - t) / n
        after = matte_flicker(out, region)
        print(f"flicker (854x480, static noisy shot, {n} frames): before {before:.4f}, after "
              f"strength {strength}: {after:.4f} ({after / before:.2f}x), {dt * 1000:.0f} ms/frame")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--frames", type=int, default=10)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    speed_and_sad(w, h)
    flicker(args.frames)


if __name__ == "__main__":
    main()

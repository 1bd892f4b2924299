"""Benchmark refine.classic and temporal smoothing: 1080p speed, SAD vs GT matte, flicker.

Usage::

    python benchmarks/bench_refine.py [--size 1920x1080] [--frames 10]

The test picture is the real coffee photo composited over the real motorcycle photo through a
ground-truth soft alpha (a defocused ellipse, sigma 3 px at 1080p, plus a band of very soft
edge on one side); the input is the hard mask an artist would draw. Baselines in the same
process: the hard mask itself, and the previous refine (``baseline_refine``: pymatting's
closed-form on the band's whole bounding box shrunk to 120k pixels + a full-size guided filter
over that box; or the guided filter solved per pixel over the whole box), timed alternately
with the current engine (median of ``--repeat`` runs). Flicker: a static shot with sensor noise, each frame refined on
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
    guided_filter_rgb,
    warm_up,
)
from ultimate_roto.core.engines.temporal import TemporalSmoother  # noqa: E402
from ultimate_roto.core.engines.trimap import UNKNOWN, make_trimap, unknown_box  # noqa: E402


def baseline_refine(image, hard, band: float, method: str) -> np.ndarray:
    """The refine before the band-only solvers: whole-box closed-form / per-pixel guided."""
    import cv2
    from pymatting import estimate_alpha_cf

    tri = make_trimap(hard, band)
    y0, y1, x0, x1 = unknown_box(tri, pad=2)
    crop, tcrop = image[y0:y1, x0:x1], tri[y0:y1, x0:x1]
    h, w = tcrop.shape
    if method == "guided":
        alpha = guided_filter_rgb(crop, hard[y0:y1, x0:x1], max(2, round(band / 2)), 1e-4)
    else:
        k = min(1.0, float(np.sqrt(120_000 / (h * w))))
        size = (max(8, round(w * k)), max(8, round(h * k)))
        small = np.clip(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), 0, 1)
        tsmall = cv2.resize(tcrop, size, interpolation=cv2.INTER_NEAREST)
        alpha = estimate_alpha_cf(small.astype(np.float64), tsmall.astype(np.float64))
        alpha = cv2.resize(alpha.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        alpha = guided_filter_rgb(crop, alpha, max(1, round(1 / k)), 1e-5)
    out = tri.copy()
    out[y0:y1, x0:x1] = np.where(tcrop == UNKNOWN, np.clip(alpha, 0, 1), tcrop)
    return out


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


def alternate(fns: dict, repeat: int) -> tuple[dict, dict]:
    """Run every function in turn ``repeat`` times; median seconds and last output of each."""
    times: dict = {k: [] for k in fns}
    outs: dict = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}, outs


def speed_and_sad(w: int, h: int, repeat: int) -> None:
    image, hard, gt = scene(w, h)
    sad_hard = np.abs(hard - gt).sum() / 1000
    print(f"{w}x{h}: hard mask SAD {sad_hard:.1f} (x1000)  [baseline]")
    band = 20 * h / 1080
    t = time.perf_counter()
    warm_up()  # numba load/compile of pymatting's ichol and cg
    print(f"  first closed-form call (numba load/compile, see warm_up()): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")  # fmt: skip
    auto = ClassicRefiner(band=band)
    fns = {
        "old cf (was auto here)": lambda: baseline_refine(image, hard, band, "cf"),
        "old guided": lambda: baseline_refine(image, hard, band, "guided"),
        f"new auto (→{auto.choose(int((auto.trimap(image, hard) == UNKNOWN).sum()))})":
            lambda: auto.refine(image, hard),
        "new cf": lambda: ClassicRefiner(method="cf", band=band).refine(image, hard),
        "new cf max_pixels=30000": lambda: ClassicRefiner(
            method="cf", band=band, max_pixels=30_000).refine(image, hard),
        "new guided": lambda: ClassicRefiner(method="guided", band=band).refine(image, hard),
        "new cf adaptive": lambda: ClassicRefiner(
            method="cf", band=band, adaptive=True).refine(image, hard),
    }  # fmt: skip
    times, outs = alternate(fns, repeat)
    ref = times["old cf (was auto here)"]
    for name, dt in times.items():
        sad = np.abs(outs[name] - gt).sum() / 1000
        print(f"  {name:26s}: {dt * 1000:6.0f} ms ({ref / dt:4.1f}x faster than old cf), "
              f"SAD {sad:5.2f} ({sad / sad_hard:.2f}x the hard mask)")  # fmt: skip
    t = time.perf_counter()
    estimate_foreground(image, gt)
    print(f"  foreground estimation (estimate_foreground_ml on the band crop): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")  # fmt: skip


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
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    speed_and_sad(w, h, args.repeat)
    flicker(args.frames)


if __name__ == "__main__":
    main()

"""Benchmark propagate.flow: J&F on the synthetic DAVIS set, 1080p speed, flat memory.

Usage::

    python benchmarks/bench_propagate.py               # quality + speed + memory (short)
    python benchmarks/bench_propagate.py --quality     # J&F only
    python benchmarks/bench_propagate.py --speed --frames 60
    python benchmarks/bench_propagate.py --memory --long 2000

Quality: each synthetic sequence (854x480, real photos, exact GT) is propagated from the GT
mask of frame 0 (one keyframe), and with a second keyframe on the last frame (two keyframes,
forward/backward blended), scored with the DAVIS semi-supervised protocol (first and last frames
excluded). Baseline in the same process: pure flow warping with no re-fit.
Speed: 1080p frames rendered on the fly; the time spent rendering frames is measured apart
and subtracted. Memory: a long 1080p stream through the propagator, RSS at frames 100 and N.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.core.engines import evaluation, synth  # noqa: E402
from ultimate_roto.core.engines import flow as fl  # noqa: E402
from ultimate_roto.core.engines.keyframes import propagate_span  # noqa: E402
from ultimate_roto.core.engines.propagate_flow import FlowPropagator  # noqa: E402


def _frames(spec, w, h, n=None):
    cache: dict[int, tuple[np.ndarray, dict]] = {}

    def get(i: int):
        if i not in cache:
            if len(cache) > 4:
                cache.pop(next(iter(cache)))
            cache[i] = synth.render(spec, i, w, h, n)
        return cache[i]

    return get


def _warp_only(get, obj, n):
    """Baseline: the GT mask warped along DIS flow with no re-fit."""
    est = fl.FlowEstimator("ultrafast")
    frame, masks = get(0)
    size = fl.work_size(frame.shape, 640)
    mask = fl.resize(masks[obj].astype(np.float32), size)
    prev = fl.to_gray(frame, size)
    out = [masks[obj]]
    for i in range(1, n):
        frame, _ = get(i)
        cur = fl.to_gray(frame, size)
        mask = fl.warp(mask, est.flow(cur, prev))
        prev = cur
        out.append(fl.resize(mask, frame.shape[:2]) >= 0.5)
    return out


def quality(engine_kwargs: dict) -> None:
    w, h = 854, 480
    rows = []
    for spec in synth.sequences():
        get = _frames(spec, w, h)
        n = spec.n_frames
        for obj in (a.obj_id for a in spec.actors[:1]):  # the tracked hero (id 1)
            gt = [get(i)[1][obj] for i in range(n)]
            scores = {}
            t0 = time.perf_counter()
            for label, keys in (("1 key", [0]), ("2 keys", [0, n - 1])):
                eng = FlowPropagator(**engine_kwargs)
                kf = {k: gt[k].astype(np.float32) for k in keys}
                res = propagate_span(eng, lambda i, g=get: g(i)[0], kf, (0, n - 1))
                pred = [m >= 0.5 for _, m, _ in res]
                scores[label] = evaluation.evaluate_sequence(gt, pred, name=spec.name)
            dt = time.perf_counter() - t0
            base = evaluation.evaluate_sequence(gt, _warp_only(get, obj, n), name=spec.name)
            rows.append((spec.name, base, scores["1 key"], scores["2 keys"], dt / (2 * n)))
    print(f"{'sequence':18s} {'warp-only':>10s} {'1 key J&F':>10s} {'(J / F)':>14s} {'2 keys':>8s}")
    for name, b, s1, s2, per in rows:
        print(f"{name:18s} {b.jf():10.3f} {s1.jf():10.3f} ({s1.j_mean():.3f}/{s1.f_mean():.3f})"
              f" {s2.jf():8.3f}   {per * 1000:.0f} ms/frame@480p")  # fmt: skip
    for k, label in ((1, "warp-only"), (2, "1 keyframe"), (3, "2 keyframes")):
        ds = evaluation.DatasetScore([r[k] for r in rows])
        print(f"dataset {label:12s} J&F {ds.jf():.3f}  (J {ds.j_mean():.3f}, F {ds.f_mean():.3f})")


def speed(n: int) -> None:
    spec = synth.get_sequence("cup-slide")
    w, h = 1920, 1080
    render_s = 0.0

    def get(i: int) -> np.ndarray:
        nonlocal render_s
        t = time.perf_counter()
        frame, _ = synth.render(spec, i, w, h, n)
        render_s += time.perf_counter() - t
        return frame

    _, m0 = synth.render(spec, 0, w, h, n)
    for preset in ("ultrafast", "fast"):
        eng = FlowPropagator(preset=preset)
        render_s = 0.0
        t0 = time.perf_counter()
        count = sum(1 for _ in eng.propagate(get, {0: m0[1].astype(np.float32)}, range(n)))
        total = time.perf_counter() - t0
        fps = count / (total - render_s)
        print(f"1080p propagate.flow ({preset}): {fps:.1f} frames/s excluding frame rendering "
              f"({(total - render_s) / count * 1000:.0f} ms/frame; rendering "
              f"{render_s / count * 1000:.0f} ms/frame; target >= 10 fps: "
              f"{'OK' if fps >= 10 else 'MISSED'})")  # fmt: skip


def memory(n: int) -> None:
    import psutil

    proc = psutil.Process()
    spec = synth.get_sequence("cat-spin")
    w, h = 1920, 1080
    _, m0 = synth.render(spec, 0, w, h, n)
    eng = FlowPropagator()
    rss = {}
    peak = 0
    t0 = time.perf_counter()
    for i, _mask, _info in eng.propagate(
        lambda i: synth.render(spec, i, w, h, n)[0], {0: m0[1].astype(np.float32)}, range(n)
    ):
        r = proc.memory_info().rss
        peak = max(peak, r)
        if i + 1 in (100, n):
            rss[i + 1] = r
    dt = time.perf_counter() - t0
    mb = 1 << 20
    print(f"{n} frames at 1080p in {dt:.0f} s: RSS at frame 100 {rss[100] / mb:.0f} MiB, "
          f"at frame {n} {rss[n] / mb:.0f} MiB, peak {peak / mb:.0f} MiB, "
          f"growth {(rss[n] - rss[100]) / mb:+.0f} MiB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--frames", type=int, default=40, help="frames for the speed run")
    ap.add_argument("--long", type=int, default=300, help="frames for the memory run")
    ap.add_argument("--max-side", type=int, default=640)
    args = ap.parse_args()
    every = not (args.quality or args.speed or args.memory)
    if args.quality or every:
        quality({"max_side": args.max_side})
    if args.speed or every:
        speed(args.frames)
    if args.memory or every:
        memory(args.long)


if __name__ == "__main__":
    main()

"""Benchmark propagate.flow: J&F on the synthetic DAVIS set, 1080p speed, flat memory.

Usage::

    python benchmarks/bench_propagate.py               # quality + speed + memory (short)
    python benchmarks/bench_propagate.py --quality     # J&F only
    python benchmarks/bench_propagate.py --speed --frames 60
    python benchmarks/bench_propagate.py --memory --long 2000
    python benchmarks/bench_propagate.py --demo [--quick]  # the bundled demo shot, exact GT

Quality: each synthetic sequence (854x480, real photos, exact GT) is propagated from the GT
mask of frame 0 (one keyframe), and with a second keyframe on the last frame (two keyframes,
forward/backward blended), scored with the DAVIS semi-supervised protocol (first and last frames
excluded). Baseline in the same process: pure flow warping with no re-fit.
Speed: 1080p frames rendered on the fly; the time spent rendering frames is measured apart
and subtracted. Memory: a long 1080p stream through the propagator, RSS at frames 100 and N.
Demo: resources/demo/demo_shot.mp4 is a camera move over a still photo (tools/make_demo_shot.py),
so any frame-0 mask has exact ground truth on every frame: the mask carried by the camera's
affine transform. Frame-0 masks come from segment.classic fed clicks one at a time as the GUI
does, and from the batch demo job's prompts; scored like the synthetic set (1 and 2 keyframes,
warp-only baseline in the same process); ``--quick`` takes the first 24 frames.
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


def _warp_only(get_frame, mask0, n):
    """Baseline: the frame-0 mask warped along DIS flow with no re-fit."""
    est = fl.FlowEstimator("ultrafast")
    frame = get_frame(0)
    size = fl.work_size(frame.shape, 640)
    mask = fl.resize(mask0.astype(np.float32), size)
    prev = fl.to_gray(frame, size)
    out = [mask0 >= 0.5]
    for i in range(1, n):
        frame = get_frame(i)
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
            warped = _warp_only(lambda i, g=get: g(i)[0], gt[0], n)
            base = evaluation.evaluate_sequence(gt, warped, name=spec.name)
            rows.append((spec.name, base, scores["1 key"], scores["2 keys"], dt / (2 * n)))
    print(f"{'sequence':18s} {'warp-only':>10s} {'1 key J&F':>10s} {'(J / F)':>14s} {'2 keys':>8s}")
    for name, b, s1, s2, per in rows:
        print(f"{name:18s} {b.jf():10.3f} {s1.jf():10.3f} ({s1.j_mean():.3f}/{s1.f_mean():.3f})"
              f" {s2.jf():8.3f}   {per * 1000:.0f} ms/frame@480p")  # fmt: skip
    for k, label in ((1, "warp-only"), (2, "1 keyframe"), (3, "2 keyframes")):
        ds = evaluation.DatasetScore([r[k] for r in rows])
        print(f"dataset {label:12s} J&F {ds.jf():.3f}  (J {ds.j_mean():.3f}, F {ds.f_mean():.3f})")


# frame-0 masks of the demo check: segment.classic fed clicks one at a time, as the GUI does
# (it re-segments after every click with the same engine), and the batch demo job's prompts
DEMO_CLICKS = {
    "clicks suit, face": ((300, 450), (430, 120)),  # the whole astronaut
    "clicks face, suit": ((425, 140), (250, 430)),  # her head and helmet ring (ends in the suit)
}


def _demo_matrix(index: int) -> np.ndarray:
    """3x3 affine from the astronaut photo to demo frame ``index``: the camera of
    ``tools/make_demo_shot.render`` at its middle motion-blur sample."""
    from tools import make_demo_shot as shot

    m = shot.frame_matrix((index + 1 / 3) / (shot.FRAMES - 1))
    return np.vstack([m, [0.0, 0.0, 1.0]])


def demo_truth(mask0: np.ndarray, index: int) -> np.ndarray:
    """The frame-0 mask carried to demo frame ``index`` by the exact camera move (soft)."""
    import cv2

    a = _demo_matrix(index) @ np.linalg.inv(_demo_matrix(0))
    h, w = mask0.shape
    return cv2.warpAffine(mask0.astype(np.float32), a[:2], (w, h), flags=cv2.INTER_LINEAR)


def _demo_seeds(frame: np.ndarray):
    import json

    from ultimate_roto import paths
    from ultimate_roto.core.engines.base import Prompt
    from ultimate_roto.core.engines.segment_classic import ClassicSegmenter

    for label, clicks in DEMO_CLICKS.items():
        seg = ClassicSegmenter()
        for k in range(1, len(clicks) + 1):
            mask = seg.segment(frame, [Prompt(0, tuple((x, y, 1) for x, y in clicks[:k]))])
        yield label, mask, seg.last_info["prior"]
    job = json.loads((paths.demo_shot().parent / "demo_job.json").read_text())
    p = job["objects"][0]["prompts"][0]
    seg = ClassicSegmenter()
    prompt = Prompt(0, tuple(tuple(pt) for pt in p["points"]), tuple(p["box"]))
    yield "demo job prompts", seg.segment(frame, [prompt]), seg.last_info["prior"]


def _curve(score) -> str:
    j = score.j[1]  # scored frames 1 .. n-2
    marks = " ".join(f"{i + 1}:{j[i]:.2f}" for i in range(5, len(j), 6))
    worst = int(np.argmin(j))
    return f"J by frame {marks}  min {j[worst]:.3f}@{worst + 1}"


def demo(quick: bool, engine_kwargs: dict) -> None:
    from ultimate_roto import paths
    from ultimate_roto.core.media import open_media

    with open_media(paths.demo_shot()) as reader:
        n = min(24 if quick else 10**6, reader.info.frame_count)
        frames = [reader.read_compact(i) for i in range(n)]  # uint8: 8-bit source

    def get(i: int) -> np.ndarray:
        return frames[i].astype(np.float32) / 255.0

    rows = []
    for label, seed, prior in _demo_seeds(get(0)):
        soft = [demo_truth(seed, i) for i in range(n)]
        gt = [m >= 0.5 for m in soft]
        base = evaluation.evaluate_sequence(gt, _warp_only(get, seed, n), name=label)
        print(f"demo '{label}' ({prior} prior, {gt[0].mean() * 100:.1f}% of the frame), "
              f"{n} frames; warp-only J&F {base.jf():.3f}")  # fmt: skip
        scores = []
        for keys in ({0: seed}, {0: seed, n - 1: soft[-1]}):
            t0 = time.perf_counter()
            res = propagate_span(FlowPropagator(**engine_kwargs), get, keys, (0, n - 1))
            pred = [m >= 0.5 for _, m, _ in res]
            per = (time.perf_counter() - t0) / (len(keys) * n)
            s = evaluation.evaluate_sequence(gt, pred, name=label)
            scores.append(s)
            print(f"  {len(keys)} key{'s' if len(keys) > 1 else ' '} J&F {s.jf():.3f} "
                  f"(J {s.j_mean():.3f} / F {s.f_mean():.3f}) {s.jf() / base.jf():.2f}x warp-only "
                  f"{per * 1000:.0f} ms/frame; {_curve(s)}")  # fmt: skip
        rows.append((base, *scores))
    for k, label in ((0, "warp-only"), (1, "1 keyframe"), (2, "2 keyframes")):
        ds = evaluation.DatasetScore([r[k] for r in rows])
        ratio = ds.jf() / evaluation.DatasetScore([r[0] for r in rows]).jf()
        print(f"demo mean {label:12s} J&F {ds.jf():.3f}  (J {ds.j_mean():.3f}, "
              f"F {ds.f_mean():.3f})  {ratio:.2f}x warp-only")  # fmt: skip


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
    ap.add_argument("--demo", action="store_true", help="the demo shot against its exact GT")
    ap.add_argument("--quick", action="store_true", help="--demo: the first 24 frames only")
    ap.add_argument("--frames", type=int, default=40, help="frames for the speed run")
    ap.add_argument("--long", type=int, default=300, help="frames for the memory run")
    ap.add_argument("--max-side", type=int, default=640)
    args = ap.parse_args()
    if args.demo:
        demo(args.quick, {"max_side": args.max_side})
    every = not (args.quality or args.speed or args.memory or args.demo)
    if args.quality or every:
        quality({"max_side": args.max_side})
    if args.speed or every:
        speed(args.frames)
    if args.memory or every:
        memory(args.long)


if __name__ == "__main__":
    main()

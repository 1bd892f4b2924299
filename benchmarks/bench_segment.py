"""Benchmark segment.classic on the real-photo synthetic DAVIS set: J&F from a box and from
clicks, an ablation of its stages, and prompt → mask latency at 854×480 and 1920×1080 (warm,
cold first call on a frame, and clicks added one at a time), each against the previous
one-level algorithm (GrabCut at 384 px × 4 iterations) run in the same process.

The latency part also times region growth (clicks only, ``grow_region``): two clicks on the
demo shot's astronaut, whose mask runs out of the clicks' first region, with growth on (the
default) against ``grow_region=0`` (the cut-off mask), alternating in the same process.

Run:  python benchmarks/bench_segment.py [--frames 0,5,10,15,20,25,30] [--repeats 7] [--quick]
      python benchmarks/bench_segment.py --latency     # the latency figures only
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from ultimate_roto.core.engines import evaluation, synth
from ultimate_roto.core.engines.base import Prompt
from ultimate_roto.core.engines.segment_classic import ClassicSegmenter

BASELINE = {"coarse_size": 384, "iterations": 4}  # the previous algorithm: one level, 4 iterations
VARIANTS = {
    "classic": {},
    "baseline 384x4": BASELINE,
    "iterations 2": {"iterations": 2},
    "coarse 192": {"coarse_size": 192},
    "no band": {"band": 0},
    "no-saliency": {"saliency": False},
    "no-person": {"person": "off"},
    "no-edge-snap": {"edge_snap": False},
}


def cases(frames: list[int], width: int, height: int):
    """(sequence, frame, object id, image, gt) for every visible object on the chosen frames."""
    for spec in synth.sequences():
        for f in frames:
            if f >= spec.n_frames:
                continue
            image, masks = synth.render(spec, f, width, height)
            for obj_id, gt in masks.items():
                if gt.sum() > 200:
                    yield spec.name, f, obj_id, image, gt


def prompts_for(gt: np.ndarray, mode: str, frame: int) -> list[Prompt]:
    if mode == "box":
        return [Prompt(frame, box=synth.mask_box(gt))]
    return [Prompt(frame, points=synth.sample_clicks(gt, 3, 2, seed=frame))]


def quality(seg: ClassicSegmenter, data: list, mode: str) -> tuple[float, float, float]:
    js, fs = [], []
    for _name, f, _obj, image, gt in data:
        seg.clear_cache()  # every case from scratch: no prior reused across cases
        mask = seg.segment(image, prompts_for(gt, mode, f)) >= 0.5
        js.append(evaluation.jaccard(mask, gt))
        fs.append(evaluation.f_measure(mask, gt))
    j, fm = float(np.mean(js)), float(np.mean(fs))
    return j, fm, (j + fm) / 2


def _timed(seg: ClassicSegmenter, image: np.ndarray, prompts: list[Prompt]) -> float:
    t = time.perf_counter()
    seg.segment(image, prompts)
    return (time.perf_counter() - t) * 1000


def latency(segs: dict[str, ClassicSegmenter], width: int, height: int, repeats: int):
    """Median ms per engine and mode: warm (same prompts again), cold (first call on the
    frame: caches cleared), and interactive (clicks added one at a time after a first click);
    engines alternate call by call so machine load hits them alike."""
    spec = synth.get_sequence("cup-slide")
    image, masks = synth.render(spec, 0, width, height)
    clicks = synth.sample_clicks(masks[1], 3, 2, seed=0)
    prompts = {
        "box": [Prompt(0, box=synth.mask_box(masks[1]))],
        "clicks": [Prompt(0, points=clicks)],
    }
    out: dict[str, dict[str, float]] = {k: {} for k in segs}
    for mode, pr in prompts.items():
        times: dict[str, dict[str, list[float]]] = {k: {"warm": [], "cold": []} for k in segs}
        for seg in segs.values():
            seg.segment(image, pr)  # model sessions loaded
        for _ in range(repeats):
            for k, seg in segs.items():
                times[k]["warm"].append(_timed(seg, image, pr))
                seg.clear_cache()
                times[k]["cold"].append(_timed(seg, image, pr))
        for k in segs:
            for kind, v in times[k].items():
                out[k][f"{mode} {kind}"] = statistics.median(v)
    steps: dict[str, list[float]] = {k: [] for k in segs}
    for _ in range(max(1, repeats // 3)):
        for k, seg in segs.items():
            seg.clear_cache()
            seg.segment(image, [Prompt(0, points=clicks[:1])])  # first click: cold
            for n in range(2, len(clicks) + 1):
                steps[k].append(_timed(seg, image, [Prompt(0, points=clicks[:n])]))
    for k in segs:
        out[k]["clicks added"] = statistics.median(steps[k])
    return out


DEMO_CLICKS = ((469, 420, 1), (525, 136, 1))  # the astronaut; her suit leaves the first region


def growth_latency(repeats: int) -> None:
    """Warm ms of two clicks on the demo shot's astronaut with region growth on and off."""
    from ultimate_roto import paths
    from ultimate_roto.core.media import open_media

    with open_media(paths.demo_shot()) as reader:
        image = reader.read(0)
    prompts = [Prompt(0, points=DEMO_CLICKS)]
    segs = {"grow": ClassicSegmenter(), "no growth": ClassicSegmenter(grow_region=0)}
    times: dict[str, list[float]] = {k: [] for k in segs}
    for seg in segs.values():
        seg.segment(image, prompts)  # warm: priors cached for the frame
    for _ in range(repeats):
        for k, seg in segs.items():
            times[k].append(_timed(seg, image, prompts))
    grow, cut = (statistics.median(times[k]) for k in segs)
    regions = segs["grow"].last_info["regions"]
    h, w = image.shape[:2]
    print(f"region growth, demo shot {w}x{h}, 2 clicks (median of {repeats}, warm):")
    print(f"  grown ({regions} regions) {grow:6.0f} ms vs cut off (1 region) {cut:6.0f} ms"
          f"  = {grow / cut:.2f}x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", default="0,5,10,15,20,25,30", help="frames per sequence")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="only the classic and baseline rows")
    ap.add_argument("--latency", action="store_true", help="only the latency figures")
    args = ap.parse_args()
    frames = [] if args.latency else [int(v) for v in args.frames.split(",")]
    data = list(cases(frames, 854, 480))
    print(f"{len(data)} object-frames at 854x480 from {len(synth.sequences())} sequences, "
          f"frames {frames}")  # fmt: skip
    print(f"{'variant':<15} {'box J':>6} {'F':>6} {'J&F':>6}   {'clicks J':>8} {'F':>6} {'J&F':>6}")
    base = None
    for label, opts in VARIANTS.items() if data else ():
        if args.quick and label not in ("classic", "baseline 384x4"):
            continue
        seg = ClassicSegmenter(**opts)
        qb, qc = quality(seg, data, "box"), quality(seg, data, "clicks")
        base = base or (qb[2], qc[2])
        print(f"{label:<15} {qb[0]:6.3f} {qb[1]:6.3f} {qb[2]:6.3f}   {qc[0]:8.3f} {qc[1]:6.3f} "
              f"{qc[2]:6.3f}   (Δ J&F vs classic: {qb[2] - base[0]:+.3f} / {qc[2] - base[1]:+.3f})")  # fmt: skip
    segs = {"classic": ClassicSegmenter(), "baseline": ClassicSegmenter(**BASELINE)}
    for w, h in ((854, 480), (1920, 1080)):
        lat = latency(segs, w, h, args.repeats)
        new, old = lat["classic"], lat["baseline"]
        print(f"latency {w}x{h} (median of {args.repeats}; ms, classic vs baseline = ratio):")
        for key in new:
            print(f"  {key:<13} {new[key]:6.0f} vs {old[key]:6.0f}  = {new[key] / old[key]:.2f}x")
        print(f"  stages (last call): {segs['classic'].last_info['ms']}")
    growth_latency(args.repeats)


if __name__ == "__main__":
    main()

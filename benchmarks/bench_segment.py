"""Benchmark segment.classic on the real-photo synthetic DAVIS set: J&F from a box and from
clicks, an ablation of its stages, and prompt → mask latency at 854×480 and 1920×1080.

Run:  python benchmarks/bench_segment.py [--frames 0,10,20] [--repeats 5] [--quick]
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

VARIANTS = {
    "full": {},
    "no-saliency": {"saliency": False},
    "no-person": {"person": "off"},
    "no-edge-snap": {"edge_snap": False},
    "work 256": {"work_size": 256},
    "work 512": {"work_size": 512},
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
        mask = seg.segment(image, prompts_for(gt, mode, f)) >= 0.5
        js.append(evaluation.jaccard(mask, gt))
        fs.append(evaluation.f_measure(mask, gt))
    j, fm = float(np.mean(js)), float(np.mean(fs))
    return j, fm, (j + fm) / 2


def latency(seg: ClassicSegmenter, width: int, height: int, repeats: int) -> dict[str, float]:
    spec = synth.get_sequence("cup-slide")
    image, masks = synth.render(spec, 0, width, height)
    out = {}
    for mode in ("box", "clicks"):
        prompts = prompts_for(masks[1], mode, 0)
        seg.segment(image, prompts)  # warm-up: model sessions
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            seg.segment(image, prompts)
            times.append(time.perf_counter() - t)
        out[mode] = statistics.median(times) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", default="0", help="frames scored per sequence (first = 0)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="only the full variant")
    args = ap.parse_args()
    frames = [int(v) for v in args.frames.split(",")]
    data = list(cases(frames, 854, 480))
    print(f"{len(data)} object-frames at 854x480 from {len(synth.sequences())} sequences, "
          f"frames {frames}")  # fmt: skip
    print(f"{'variant':<14} {'box J':>6} {'F':>6} {'J&F':>6}   {'clicks J':>8} {'F':>6} {'J&F':>6}")
    base = None
    for label, opts in VARIANTS.items():
        if args.quick and label != "full":
            continue
        seg = ClassicSegmenter(**opts)
        qb, qc = quality(seg, data, "box"), quality(seg, data, "clicks")
        base = base or (qb[2], qc[2])
        print(f"{label:<14} {qb[0]:6.3f} {qb[1]:6.3f} {qb[2]:6.3f}   {qc[0]:8.3f} {qc[1]:6.3f} "
              f"{qc[2]:6.3f}   (Δ J&F vs full: {qb[2] - base[0]:+.3f} / {qc[2] - base[1]:+.3f})")  # fmt: skip
    seg = ClassicSegmenter()
    for w, h in ((854, 480), (1920, 1080)):
        lat = latency(seg, w, h, args.repeats)
        print(f"latency {w}x{h}: box {lat['box']:.0f} ms, clicks {lat['clicks']:.0f} ms "
              f"(median of {args.repeats})")  # fmt: skip
    fast = ClassicSegmenter(saliency=False)
    for w, h in ((854, 480), (1920, 1080)):
        lat = latency(fast, w, h, args.repeats)
        print(
            f"latency {w}x{h} without U2Netp: box {lat['box']:.0f} ms, clicks {lat['clicks']:.0f} ms"
        )


if __name__ == "__main__":
    main()

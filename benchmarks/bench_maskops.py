"""Benchmark maskops.apply_ops: the object's grow/feather (what the viewport overlay, the
select tool and every matte export apply) on the mask's bbox against the whole frame.

Run:  python benchmarks/bench_maskops.py [--repeats 9]

An object of about a fifth of the frame (a soft ellipse) at 1080p and 4K, for the Inspector's
usual settings; the baseline is the same operations on the whole frame (``maskops._apply``,
what ``apply_ops`` did before), timed alternately in this process. Printed: median ms of each
and the ratio; the results are checked to match.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from ultimate_roto.core.engines import maskops  # noqa: E402

SETTINGS = {
    "dilate 4": {"grow": 4.0},
    "feather 6": {"feather": 6.0},
    "dilate 4 + feather 6": {"grow": 4.0, "feather": 6.0},
    "erode 3 + feather 2": {"grow": -3.0, "feather": 2.0},
}


def object_mask(w: int, h: int) -> np.ndarray:
    """uint8 soft ellipse of ~0.2 of the frame's area (as the document stores masks)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - 0.45 * w) / (0.28 * w), (yy - 0.55 * h) / (0.24 * h))
    return (np.clip((1.0 - r) * 40.0, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def ms(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    for w, h in ((1920, 1080), (3840, 2160)):
        mask = object_mask(w, h)
        share = (mask > 0).mean()
        print(f"{w}x{h}, object covers {share:.0%} of the frame (median of {args.repeats}, ms):")
        for label, settings in SETTINGS.items():
            s = maskops.validate_settings(settings)
            got = maskops.apply_ops(mask, settings)
            assert np.abs(got - maskops._apply(mask, s)).max() <= 1e-6  # the same result
            bbox, full = [], []
            for _ in range(args.repeats):
                bbox.append(ms(lambda m=mask, s=settings: maskops.apply_ops(m, s)))
                full.append(ms(lambda m=mask, s=s: maskops._apply(m, s)))
            b, f = statistics.median(bbox), statistics.median(full)
            print(f"  {label:<22} bbox {b:7.1f}   whole frame {f:7.1f}   = {f / b:4.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

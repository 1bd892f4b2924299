"""Write the real-photo synthetic DAVIS set (JPEGImages + palette Annotations) to a folder.

Run:  python benchmarks/synth_davis.py OUT_DIR [--size 854x480] [--seed 0] [--seq cup-slide ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from ultimate_roto.core.engines import synth  # noqa: E402
from ultimate_roto.core.errors import RotoError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", default="854x480", help="WIDTHxHEIGHT (default 854x480)")
    ap.add_argument("--seed", type=int, default=0, help="0 = the canonical set")
    ap.add_argument("--resolution", default="480p", help="folder name under JPEGImages/")
    ap.add_argument("--seq", nargs="*", help="sequence names (default: all)")
    args = ap.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        t = time.perf_counter()
        names = synth.write_davis(args.out, width, height, seed=args.seed, names=args.seq,
                                  resolution=args.resolution)  # fmt: skip
    except (RotoError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frames = sum(synth.get_sequence(n, args.seed).n_frames for n in names)
    print(f"wrote {len(names)} sequences, {frames} frames at {width}x{height} to {args.out} "
          f"in {time.perf_counter() - t:.1f} s: {', '.join(names)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""End-of-job apply benchmark: a propagate/refine job's masks landing on the document at 1080p.

Run: ``python benchmarks/bench_job_apply.py [--frames 200] [--width 1920 --height 1080]``.

A job's results are held on the GUI thread until it ends, then applied as one undo step. The
old way held every frame as a full uint8 array (``SetMaskCommand`` of each at the end); now the
worker compresses each mask (bbox + zlib, as the document stores it) and the apply builds each
command from the compressed form (``job_apply.apply_mask_results``). Both run here on the same
masks (a soft-edged object about 700x500 px moving across the frame): bytes held during the
job, the worker's extra time per frame, and the GUI-thread apply time for a first propagation
(empty frames) and a re-propagation (every frame already has a slightly different mask),
with the ratios old / new; and what the undo step holds afterwards.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.app.job_apply import MaskJobStart, apply_mask_results  # noqa: E402
from ultimate_roto.core.commands import CommandStack, SetMaskCommand  # noqa: E402
from ultimate_roto.core.project import Document, Shot  # noqa: E402
from ultimate_roto.core.project.masks import encode_mask  # noqa: E402


def masks(frames: int, w: int, h: int, shift: float = 0.0) -> list[np.ndarray]:
    """A soft ellipse (about 700x500 px at 1080p) moving right and down, uint8."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rx, ry = 0.18 * w, 0.23 * h
    out = []
    for n in range(frames):
        cx = 0.3 * w + (0.4 * w) * n / max(1, frames - 1) + shift
        cy = 0.45 * h + 0.1 * h * n / max(1, frames - 1)
        d = (np.hypot((xx - cx) / rx, (yy - cy) / ry) - 1.0) * min(rx, ry)
        out.append((np.clip(0.5 - d / 4.0, 0.0, 1.0) * 255 + 0.5).astype(np.uint8))
    return out


def fresh(w: int, h: int, frames: int, existing: list[np.ndarray] | None):
    doc = Document(Shot(width=w, height=h, in_frame=0, out_frame=frames))
    obj = doc.add_object(name="hero").id
    for f, m in enumerate(existing or []):
        doc.set_mask(obj, f + 1, m)
    return doc, CommandStack(document=doc), obj


def apply_old(doc, stack, obj: str, results: dict[int, tuple[np.ndarray, bool]]) -> None:
    """The previous ``_mask_job_done``: full-frame arrays, SetMaskCommand each."""
    with stack.macro("Propagate"):
        for frame in sorted(results):
            mask, _occluded = results[frame]
            cmd = SetMaskCommand(doc, obj, frame, mask)
            if not cmd.obsolete:
                stack.push(cmd)


def run(
    frames: int,
    w: int,
    h: int,
    existing: list[np.ndarray] | None,
    new: list[np.ndarray],
    repeat: int,
):
    """Figures of both ways (best of ``repeat`` runs each, interleaved)."""
    full = {f + 1: (m, False) for f, m in enumerate(new)}
    t0 = time.perf_counter()
    encoded = {f + 1: (encode_mask(m), False) for f, m in enumerate(new)}
    encode_s = time.perf_counter() - t0
    held_old = sum(m.nbytes for m, _o in full.values())
    held_new = sum(e.nbytes for e, _o in encoded.values() if e is not None)
    old_s = new_s = float("inf")
    for _ in range(repeat):
        doc, stack, obj = fresh(w, h, frames, existing)
        t0 = time.perf_counter()
        apply_old(doc, stack, obj, full)
        old_s = min(old_s, time.perf_counter() - t0)
        old_state = doc.masks.snapshot()[obj]

        doc, stack, obj = fresh(w, h, frames, existing)
        start = MaskJobStart.capture(doc, obj)
        t0 = time.perf_counter()
        report = apply_mask_results(doc, stack, start, encoded, "Propagate")
        new_s = min(new_s, time.perf_counter() - t0)
        assert report.applied == frames and doc.masks.snapshot()[obj] == old_state  # same
    undo = stack.command(stack.index - 1).nbytes
    return encode_s, held_old, held_new, old_s, new_s, undo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--repeat", type=int, default=3, help="best of N applies each way")
    args = ap.parse_args()
    n, w, h = args.frames, args.width, args.height
    print(f"{n} frames at {w}x{h}; one soft object about {0.36 * w:.0f}x{0.46 * h:.0f} px; "
          f"apply times: best of {args.repeat}")  # fmt: skip
    new = masks(n, w, h)
    cases = (("first propagation (empty frames)", None), ("re-propagation", masks(n, w, h, 6.0)))
    for label, existing in cases:
        encode_s, held_old, held_new, old_s, new_s, undo = run(n, w, h, existing, new, args.repeat)
        print(f"\n{label}")
        print(f"  held until the end: old {held_old / 2**20:8.1f} MiB   new "
              f"{held_new / 2**20:6.2f} MiB   ratio {held_old / held_new:6.0f}x")  # fmt: skip
        print(f"  worker: compress {1000 * encode_s / n:.2f} ms a frame (pool thread)")
        print(f"  GUI apply: old {old_s:6.2f} s ({1000 * old_s / n:.1f} ms a frame)   new "
              f"{new_s:6.2f} s ({1000 * new_s / n:.1f} ms a frame)   "
              f"ratio {old_s / new_s:.2f}x")  # fmt: skip
        print(f"  the undo step holds {undo / 2**20:.1f} MiB (raw before/after crops, both ways)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""End-of-job apply benchmark: a propagate/refine job's masks landing on the document at 1080p.

Run: ``python benchmarks/bench_job_apply.py [--frames 200] [--width 1920 --height 1080]``.

A job's results are held on the GUI thread until it ends, then applied as one undo step. Three
ways run here on the same masks (a soft-edged object about 700x500 px moving across the frame),
for a first propagation (empty frames) and a re-propagation (every frame already has a slightly
different mask):

* ``arrays``: every frame held as a full uint8 array, ``SetMaskCommand`` of each at the end
  (it compresses each mask on the GUI thread; the undo step holds entries);
* ``decoded``: the worker compresses each mask (bbox + zlib), the apply decodes it into a
  ``PaintMaskCommand`` of the changed pixels and the document's store compresses it again
  (raw crops in the undo step: how ``SetMaskCommand`` kept a single click's mask before);
* ``entries`` (now, ``job_apply.apply_mask_results``): the worker's compressed entries are
  stored as they are (``SetEncodedMaskCommand``); undo/redo swap entries.

Printed: bytes held during the job, the worker's compress time per frame, the GUI-thread apply
and undo times per frame (best of ``--repeat``, interleaved) and what the undo step holds
(``Command.nbytes``, counted against the history's 2 GiB budget), with ratios against now.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.app.job_apply import MaskJobStart, apply_mask_results  # noqa: E402
from ultimate_roto.core.commands import (  # noqa: E402
    CommandStack,
    PaintMaskCommand,
    SetMaskCommand,
)
from ultimate_roto.core.project import Document, Shot  # noqa: E402
from ultimate_roto.core.project.masks import EncodedMask, encode_mask, nonzero_bbox  # noqa: E402

WAYS = ("arrays", "decoded", "entries")


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


def apply_arrays(doc, stack, obj: str, full: dict, _encoded: dict) -> None:
    """The first ``_mask_job_done``: full-frame arrays, SetMaskCommand each."""
    with stack.macro("Propagate"):
        for frame in sorted(full):
            cmd = SetMaskCommand(doc, obj, frame, full[frame][0])
            if not cmd.obsolete:
                stack.push(cmd)


def decoded_command(doc, obj: str, frame: int, new: EncodedMask | None):
    """The previous ``job_apply.set_mask_command``: the changed pixels as raw crops."""
    old = doc.masks.encoded(obj, frame)
    if old == new:
        return None
    if old is None or new is None:  # bboxes are tight: the changed pixels are the other's
        enc = new if old is None else old
        crop, zeros = enc.crop(), np.zeros_like(enc.crop())
        after, before = (crop, zeros) if old is None else (zeros, crop)
        return PaintMaskCommand(doc, obj, frame, enc.bbox, after, before, text="Set Mask")
    boxes = [e.bbox for e in (old, new) if e is not None]
    ux0, uy0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    ux1, uy1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    before = doc.mask_region(obj, frame, (ux0, uy0, ux1, uy1))
    after = np.zeros_like(before)
    x0, y0, x1, y1 = new.bbox
    after[y0 - uy0 : y1 - uy0, x0 - ux0 : x1 - ux0] = new.crop()
    diff = nonzero_bbox(before != after)
    if diff is None:
        return None
    dx0, dy0, dx1, dy1 = diff
    bbox = (ux0 + dx0, uy0 + dy0, ux0 + dx1, uy0 + dy1)
    crop = (slice(dy0, dy1), slice(dx0, dx1))
    return PaintMaskCommand(doc, obj, frame, bbox, after[crop], before[crop], text="Set Mask")


def apply_decoded(doc, stack, obj: str, _full: dict, encoded: dict) -> None:
    with stack.macro("Propagate"):
        for frame in sorted(encoded):
            cmd = decoded_command(doc, obj, frame, encoded[frame][0])
            if cmd is not None:
                stack.push(cmd)


def apply_entries(doc, stack, obj: str, _full: dict, encoded: dict) -> None:
    report = apply_mask_results(doc, stack, MaskJobStart.capture(doc, obj), encoded, "Propagate")
    assert report.applied == len(encoded)


APPLY: dict[str, Callable] = {
    "arrays": apply_arrays,
    "decoded": apply_decoded,
    "entries": apply_entries,
}


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(frames: int, w: int, h: int, existing, new: list[np.ndarray], repeat: int) -> dict:
    """Figures of every way (best of ``repeat`` runs each, interleaved); checks that all
    three leave the same masks and that undo restores the start exactly."""
    full = {f + 1: (m, False) for f, m in enumerate(new)}
    t0 = time.perf_counter()
    encoded = {f + 1: (encode_mask(m), False) for f, m in enumerate(new)}
    out: dict = {"encode_s": time.perf_counter() - t0}
    out["held"] = {
        "arrays": sum(m.nbytes for m, _o in full.values()),
        "compressed": sum(e.nbytes for e, _o in encoded.values() if e is not None),
    }
    best = {way: [float("inf"), float("inf")] for way in WAYS}  # apply, undo
    for _ in range(repeat):
        for way in WAYS:
            doc, stack, obj = fresh(w, h, frames, existing)
            start = doc.masks.snapshot().get(obj, {})
            apply_s = timed(lambda: APPLY[way](doc, stack, obj, full, encoded))  # noqa: B023
            after = doc.masks.snapshot()[obj]
            assert out.setdefault("after", after) == after  # every way: the same masks
            out.setdefault("undo_bytes", {})[way] = stack.command(stack.index - 1).nbytes
            undo_s = timed(stack.undo)
            assert doc.masks.snapshot().get(obj, {}) == start
            best[way] = [min(best[way][0], apply_s), min(best[way][1], undo_s)]
    out["best"] = best
    del out["after"]
    return out


def report(label: str, n: int, r: dict) -> None:
    held, best, undo = r["held"], r["best"], r["undo_bytes"]
    now_apply, now_undo = best["entries"]
    print(f"\n{label}")
    print(f"  held until the end: arrays {held['arrays'] / 2**20:7.1f} MiB   compressed "
          f"{held['compressed'] / 2**20:6.2f} MiB   ({held['arrays'] / held['compressed']:.0f}x)"
          )  # fmt: skip
    print(f"  worker: compress {1000 * r['encode_s'] / n:.2f} ms a frame (pool thread)")
    print("  GUI thread, ms a frame (x: how many times now's) and the undo step's bytes:")
    for way in WAYS:
        apply_s, undo_s = best[way]
        print(f"    {way:8s} apply {1000 * apply_s / n:6.3f} ({apply_s / now_apply:6.1f}x)   "
              f"undo {1000 * undo_s / n:6.3f} ({undo_s / now_undo:6.1f}x)   "
              f"undo step {undo[way] / 2**20:7.2f} MiB "
              f"({undo[way] / undo['entries']:5.1f}x)")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--repeat", type=int, default=3, help="best of N applies each way")
    args = ap.parse_args()
    n, w, h = args.frames, args.width, args.height
    print(f"{n} frames at {w}x{h}; one soft object about {0.36 * w:.0f}x{0.46 * h:.0f} px; "
          f"times: best of {args.repeat}")  # fmt: skip
    new = masks(n, w, h)
    cases = (("first propagation (empty frames)", None), ("re-propagation", masks(n, w, h, 6.0)))
    for label, existing in cases:
        report(label, n, run(n, w, h, existing, new, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

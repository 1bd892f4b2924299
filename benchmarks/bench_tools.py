"""Mask transform tools benchmark: ms per move of a W / R / S drag of a mask at 4K, and the release.

Run: ``python benchmarks/bench_tools.py [--width 3840 --height 2160] [--mask 600x800]
[--steps 40] [--repeat 3] [--tools move,rotate,scale]``.

A soft-edged ellipse mask of about ``--mask`` px (width x height) on a ``--width`` x ``--height``
frame is dragged through a ``ToolDriver`` by each tool: a press, ``--steps`` moves (W: 900 px
right and 300 down; R: a quarter turn; S: to 1.5x), a release where the last move was. Two ways
run on the same document and events, interleaved, best of ``--repeat``:

* ``full frame`` (the baseline, as the tools were before this benchmark): every move warps the
  whole frame with cv2.warpAffine and writes the bbox touched so far back through the store
  (which decodes and compresses the frame); the release warps again and pushes a
  ``SetMaskCommand`` of the full frame. Its code is copied below (:class:`FullFrame`).
* ``bbox`` (now, ``transform.MaskWarp``): a whole-pixel move shifts the stored crop, a rotation
  or scale warps into the moved bbox only; the release records the last preview as it is.

Printed per tool and way: the press, ms per move (median and worst), the release, and the
window's share of a move, included in ms/move (a ``mask_changed`` subscriber reading the
announced region, as ``QtMainWindow._mask_changed`` does for the overlay); ratios full frame /
bbox; one bare
full-frame cv2.warpAffine (the floor of the old cost per move); and whether both ways leave the
same pixels.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.core.commands import CommandStack, SetMaskCommand  # noqa: E402
from ultimate_roto.core.commands.edits import MovePromptCommand  # noqa: E402
from ultimate_roto.core.project import Document, Shot  # noqa: E402
from ultimate_roto.core.project.masks import nonzero_bbox, union_bbox  # noqa: E402
from ultimate_roto.core.tools import (  # noqa: E402
    MoveMaskTool,
    RotateTool,
    ScaleTool,
    ToolContext,
    ToolDriver,
    move,
    press,
    release,
)
from ultimate_roto.core.tools.transform import (  # noqa: E402
    affine_about,
    apply_matrix,
    translation,
    warp_mask,
)

TOOLS = {"move": MoveMaskTool, "rotate": RotateTool, "scale": ScaleTool}


def full_frame_centroid(mask: np.ndarray) -> tuple[float, float]:
    """The centroid as the tools computed it before: float64 pixel indices of the frame."""
    weights = mask.astype(np.float64)
    total = weights.sum()
    ys, xs = np.indices(mask.shape, dtype=np.float64)
    return float((weights * xs).sum() / total) + 0.5, float((weights * ys).sum() / total) + 0.5


class FullFrame:
    """The transform tools' drag as it was: a full-frame warp per move and again on release."""

    def drag(self, event):  # type: ignore[no-untyped-def]
        obj = self.ctx.editable_object()
        doc, frame = self.ctx.doc, self.ctx.frame
        before = doc.mask(obj.id, frame)
        centre = full_frame_centroid(before)
        was_modified, start = doc.modified, (event.x, event.y)
        src_box, touched, m, done = nonzero_bbox(before), None, None, False
        try:
            while True:
                event = yield
                self.modifiers = event.modifiers
                m = self.matrix(centre, start, (event.x, event.y))
                warped = warp_mask(before, m)
                touched = union_bbox(touched, union_bbox(src_box, nonzero_bbox(warped)))
                x0, y0, x1, y1 = touched
                doc.set_mask_region(obj.id, frame, touched, warped[y0:y1, x0:x1])
                if event.type == "release":
                    break
            done = True
        finally:
            if touched is not None:
                x0, y0, x1, y1 = touched
                doc.set_mask_region(obj.id, frame, touched, before[y0:y1, x0:x1])
                doc.set_modified(was_modified)
            if done and m is not None:
                self._commit_full(obj.id, frame, before, m)

    def _commit_full(self, obj_id, frame, before, m) -> None:  # type: ignore[no-untyped-def]
        doc, stack = self.ctx.doc, self.ctx.stack
        after = warp_mask(before, m)
        if np.array_equal(after, before):
            return
        with stack.macro(self.label):
            stack.push(SetMaskCommand(doc, obj_id, frame, after))
            for i, (px, py, lab) in enumerate(doc.prompts(obj_id, frame).points):
                x, y = apply_matrix(m, px, py)
                stack.push(MovePromptCommand(doc, obj_id, frame, "point", i, (x, y, lab)))


def soft_ellipse(w: int, h: int, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """A frame with a soft-edged ellipse of about ``size`` px left of centre; and its centre."""
    import cv2

    mask = np.zeros((h, w), np.uint8)
    cx, cy = int(w * 0.4), h // 2
    cv2.ellipse(mask, (cx, cy), (size[0] // 2 - 3, size[1] // 2 - 3), 0, 0, 360, 255, -1)
    x0, y0 = cx - size[0] // 2, cy - size[1] // 2
    region = mask[y0 : y0 + size[1], x0 : x0 + size[0]]
    region[:] = cv2.GaussianBlur(region, (0, 0), 1.5)
    return mask, (cx, cy)


def drag_path(tool: str, centre: tuple[int, int], steps: int) -> list[tuple[float, float]]:
    """Press point then ``steps`` cursor positions (fractional, as a mouse gives them)."""
    cx, cy = centre
    out = [(cx + 0.3, cy + 0.3)] if tool == "move" else [(cx + 300.3, cy + 0.3)]
    for k in range(1, steps + 1):
        t = k / steps
        if tool == "move":
            out.append((cx + 0.3 + 900.0 * t + 0.37, cy + 0.3 + 300.0 * t + 0.21))
        elif tool == "rotate":
            out.append(
                (cx + 300.3 * math.cos(t * math.pi / 2), cy - 300.3 * math.sin(t * math.pi / 2))
            )
        else:
            out.append((cx + 300.3 * (1 + 0.5 * t), cy + 0.3))
    return out


def run(tool_class, mask: np.ndarray, path) -> dict:
    """One drag on a fresh document: seconds of the press, each move (and the view's share of
    it), the release; the pixels it leaves."""
    h, w = mask.shape
    doc = Document(Shot(width=w, height=h, out_frame=10))
    oid = doc.add_object(name="hero").id
    doc.set_mask(oid, 0, mask)
    ctx = ToolContext(doc, CommandStack(document=doc), oid, frame=0)
    seen = [0.0]  # seconds the view spent on the event being handled

    def read_region(obj_id: str, frame: int, bbox: tuple) -> None:  # the window's overlay
        t0 = time.perf_counter()
        doc.mask_region(obj_id, frame, bbox)
        seen[0] += time.perf_counter() - t0

    doc.events.mask_changed.connect(read_region)
    driver = ToolDriver(tool_class(ctx))
    times, views = [], []
    events = [press(*path[0])] + [move(*p) for p in path[1:]] + [release(*path[-1])]
    for event in events:
        seen[0] = 0.0
        t0 = time.perf_counter()
        driver.handle(event)
        times.append(time.perf_counter() - t0)
        views.append(seen[0])
    assert len(ctx.stack) == 1, "the drag must be one undo step"
    return {
        "press": times[0],
        "moves": times[1:-1],
        "views": views[1:-1],
        "release": times[-1],
        "result": doc.mask(oid, 0),
    }


def best(runs: list[dict]) -> dict:
    """Best of the repeats, figure by figure."""
    fastest = min(runs, key=lambda r: statistics.median(r["moves"]))
    return {
        "press": min(r["press"] for r in runs),
        "move": statistics.median(fastest["moves"]),
        "worst": max(fastest["moves"]),
        "view": statistics.median(fastest["views"]),
        "release": min(r["release"] for r in runs),
        "result": runs[0]["result"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--width", type=int, default=3840)
    ap.add_argument("--height", type=int, default=2160)
    ap.add_argument("--mask", default="600x800", help="mask width x height in px")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tools", default="move,rotate,scale")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.mask.split("x"))
    mask, centre = soft_ellipse(args.width, args.height, size)
    print(
        f"{args.width}x{args.height} frame, mask bbox {nonzero_bbox(mask)}, {args.steps} moves "
        f"a drag, best of {args.repeat}"
    )
    for label, m in (("a shift", translation(3, 2)), ("a turn", affine_about(centre, 0.5))):
        t0 = time.perf_counter()
        for _ in range(5):
            warp_mask(mask, m)
        ms = (time.perf_counter() - t0) / 5 * 1000
        print(f"one bare full-frame cv2.warpAffine of {label}: {ms:.1f} ms")
    print(
        f"{'tool':7s} {'way':10s} {'press':>8s} {'ms/move':>8s} {'worst':>8s} {'release':>8s}"
        f" {'view/move':>9s}"
    )
    for name in args.tools.split(","):
        now_cls = TOOLS[name]
        old_cls = type(f"FullFrame{now_cls.__name__}", (FullFrame, now_cls), {})
        path = drag_path(name, centre, args.steps)
        runs: dict[str, list[dict]] = {"full frame": [], "bbox": []}
        for _ in range(args.repeat):  # interleaved: load changes hit both ways alike
            runs["full frame"].append(run(old_cls, mask, path))
            runs["bbox"].append(run(now_cls, mask, path))
        figures = {way: best(r) for way, r in runs.items()}
        for way, f in figures.items():
            print(
                f"{name:7s} {way:10s} {f['press'] * 1000:8.1f} {f['move'] * 1000:8.2f}"
                f" {f['worst'] * 1000:8.2f} {f['release'] * 1000:8.1f} {f['view'] * 1000:9.2f}"
            )
        old, new = figures["full frame"], figures["bbox"]
        diff = np.abs(old["result"].astype(np.int16) - new["result"])
        print(
            f"{name:7s} full frame / bbox: press x{old['press'] / new['press']:.1f}, "
            f"move x{old['move'] / new['move']:.1f}, release x{old['release'] / new['release']:.1f}"
            f", view x{old['view'] / new['view']:.1f}; results "
            + (
                "identical"
                if not diff.any()
                else f"differ: {int((diff > 0).sum())} px, max {diff.max()}"
            )
        )


if __name__ == "__main__":
    main()

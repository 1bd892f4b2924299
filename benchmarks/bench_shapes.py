"""Shape-fitting benchmark: mask → Bézier per frame and animated keys at 1080p.

Run: ``python benchmarks/bench_shapes.py [--frames 12] [--baseline REV]``. The mattes come from
a real photo silhouette (scikit-image's ``horse.png``) moved and scaled across a 1920×1080
frame, with a soft edge. Prints time per frame (static fit), time per frame and per key
(animated fit), the number of points and keys, and the worst deviation from the 0.5 contour and
IoU; then how the point count follows the outline's complexity. With ``--baseline`` the same runs
use ``shapes.py``/``shapes_anim.py`` as of git revision REV too (loaded in this process) and
the speed-ups are printed as ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.core.exporters import shapes as S  # noqa: E402
from ultimate_roto.core.exporters import shapes_anim as A  # noqa: E402

W, H = 1920, 1080


def horse_sequence(frames: int) -> dict[int, np.ndarray]:
    """The horse silhouette (dark on white in the file) walking right and growing, soft edge."""
    import cv2

    folder = Path(importlib.util.find_spec("skimage").origin).parent / "data"
    img = cv2.imread(str(folder / "horse.png"), cv2.IMREAD_GRAYSCALE)
    sil = (img < 128).astype(np.float32)
    out = {}
    for k in range(frames):
        scale = 1.6 + 0.02 * k
        m = np.array([[scale, 0, 300 + 18 * k], [0, scale, 180 + 4 * k]], np.float32)
        frame = cv2.warpAffine(sil, m, (W, H), flags=cv2.INTER_LINEAR)
        out[1001 + k] = cv2.GaussianBlur(frame, (0, 0), 1.5)
    return out


def baseline_modules(rev: str):
    """``shapes`` and ``shapes_anim`` as of git revision ``rev``, loaded as private modules."""
    import subprocess
    import types

    root = Path(__file__).resolve().parents[1]
    mods = []
    for name in ("shapes", "shapes_anim"):
        src = subprocess.run(
            ["git", "show", f"{rev}:ultimate_roto/core/exporters/{name}.py"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        mod = types.ModuleType(f"baseline_{name}")
        if mods:
            src = src.replace("from ultimate_roto.core.exporters import shapes as S", "")
            mod.S = mods[0]
        sys.modules[mod.__name__] = mod  # dataclasses look their module up
        exec(compile(src, f"{rev}:{name}.py", "exec"), mod.__dict__)
        mods.append(mod)
    return mods


def run_static(shapes, masks) -> float:
    """Static fit of every frame; prints the figures and returns seconds per frame."""
    t0 = time.perf_counter()
    static = {f: shapes.fit_shapes(m) for f, m in masks.items()}
    t_static = (time.perf_counter() - t0) / len(masks)
    points = [sum(len(s.points) for s in v) for v in static.values()]
    devs, ious = [], []
    for f, m in masks.items():
        for s, (poly, _) in zip(static[f], S.find_contours(m), strict=False):
            devs.append(S.max_deviation(s.points, poly))
        ious.append(S.iou(S.rasterise_shapes(static[f], W, H), m >= 0.5))
    print(
        f"  static fit: {t_static * 1000:.0f} ms/frame, points/frame {min(points)}–{max(points)},"
        f" max deviation {max(devs):.3f} px, min IoU {min(ious):.4f}"
    )
    return t_static


def run_animated(anim, masks) -> tuple[float, float]:
    """Animated fit; prints the figures and returns seconds per frame and per key."""
    t0 = time.perf_counter()
    tracks = anim.fit_animated(masks, name="horse")
    t_anim = time.perf_counter() - t0
    n_keys = sum(len(t.keys) for t in tracks)
    worst_dev, worst_iou = 0.0, 1.0
    for f, m in masks.items():
        alive = [t for t in tracks if t.first <= f <= t.last]
        contours = S.find_contours(m)
        for t in alive:
            poly = min(contours, key=lambda c: np.abs(c[0].mean(0) - t.at(f)[:, 1].mean(0)).sum())
            worst_dev = max(worst_dev, S.max_deviation(t.at(f), poly[0]))
        got = S.rasterise_shapes([S.BezierShape(t.at(f), t.hole) for t in alive], W, H)
        worst_iou = min(worst_iou, S.iou(got, m >= 0.5))
    print(
        f"  animated fit: {len(tracks)} shapes, {n_keys} keys over {len(masks)} frames, "
        f"points/shape {[t.stats['points'] for t in tracks]}"
    )
    print(
        f"    {t_anim / len(masks) * 1000:.0f} ms/frame, {t_anim / max(n_keys, 1) * 1000:.0f} "
        f"ms/key; every frame (keys and in-betweens): max deviation {worst_dev:.3f} px, "
        f"min IoU {worst_iou:.4f}"
    )
    return t_anim / len(masks), t_anim / max(n_keys, 1)


def complexity_table(masks) -> None:
    """Points of the static fit against the outline's length and corners (1080p outlines)."""
    import cv2

    def poly_mask(pts):
        m = np.zeros((H, W), np.float32)
        cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1.0)
        return cv2.GaussianBlur(m, (0, 0), 1.0)

    k = np.arange(24)
    star = np.column_stack(
        [960 + np.where(k % 2, 180, 420) * np.cos(k * np.pi / 12),
         540 + np.where(k % 2, 180, 420) * np.sin(k * np.pi / 12)]
    )  # fmt: skip
    circle = np.zeros((H, W), np.float32)
    cv2.circle(circle, (960, 540), 400, 1.0, -1)
    cases = {
        "circle r=400": cv2.GaussianBlur(circle, (0, 0), 1.0),
        "12-point star": poly_mask(star),
        "horse (first frame)": next(iter(masks.values())),
        "horse (last frame)": masks[max(masks)],
    }
    print("point count vs outline complexity (static fit, tolerance 1 px):")
    for label, m in cases.items():
        poly = S.find_contours(m)[0][0]
        n = len(S.fit_shapes(m)[0].points)
        print(
            f"  {label:20s} perimeter {S._arc(poly)[-1]:6.0f} px, "
            f"{len(S.corner_positions(poly)):2d} corners → {n:3d} points"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--baseline", help="git revision to compare with, in this process")
    args = ap.parse_args()
    masks = horse_sequence(args.frames)
    S.fit_shapes(masks[min(masks)])  # imports (scikit-image, SciPy) out of the timings
    A.fit_animated({0: masks[min(masks)]})
    print("current:")
    now = (run_static(S, masks), *run_animated(A, masks))
    if args.baseline:
        old_s, old_a = baseline_modules(args.baseline)
        print(f"baseline {args.baseline}:")
        then = (run_static(old_s, masks), *run_animated(old_a, masks))
        print(
            "speed-up (baseline / current): static per frame ×{:.1f}, animated per frame ×{:.1f},"
            " per key ×{:.1f}".format(*(b / a for a, b in zip(now, then, strict=True)))
        )
    complexity_table(masks)


if __name__ == "__main__":
    main()

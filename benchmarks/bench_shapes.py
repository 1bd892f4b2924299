"""Shape-fitting benchmark: mask → Bézier per frame and animated keys at 1080p.

Run: ``python benchmarks/bench_shapes.py [--frames 12]``. The mattes come from a real photo
silhouette (scikit-image's ``horse.png``) moved and scaled across a 1920×1080 frame, with a
soft edge. Prints time per frame (static fit), time per frame and per key (animated fit), the
number of points and keys, and the worst deviation from the 0.5 contour and IoU.
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
from ultimate_roto.core.exporters.shapes_anim import fit_animated  # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=12)
    args = ap.parse_args()
    masks = horse_sequence(args.frames)

    t0 = time.perf_counter()
    static = {f: S.fit_shapes(m) for f, m in masks.items()}
    t_static = (time.perf_counter() - t0) / len(masks)
    points = [sum(len(s.points) for s in v) for v in static.values()]
    devs, ious = [], []
    for f, m in masks.items():
        for s, (poly, _) in zip(static[f], S.find_contours(m), strict=False):
            devs.append(S.max_deviation(s.points, poly))
        ious.append(S.iou(S.rasterise_shapes(static[f], W, H), m >= 0.5))
    print(
        f"static fit: {t_static * 1000:.0f} ms/frame, points/frame {min(points)}–{max(points)},"
        f" max deviation {max(devs):.3f} px, min IoU {min(ious):.4f}"
    )

    t0 = time.perf_counter()
    tracks = fit_animated(masks, name="horse")
    t_anim = time.perf_counter() - t0
    n_keys = sum(len(t.keys) for t in tracks)
    worst_dev, worst_iou = 0.0, 1.0
    for f, m in masks.items():
        alive = [t for t in tracks if t.first <= f <= t.last]
        contours = S.find_contours(m)
        for t in alive:
            poly = min(contours, key=lambda c: np.abs(c[0].mean(0) - t.at(f)[:, 1].mean(0)).sum())
            worst_dev = max(worst_dev, S.max_deviation(t.at(f), poly[0]))
        got = S.rasterise_shapes([t.shape_at(f) for t in alive], W, H)
        worst_iou = min(worst_iou, S.iou(got, m >= 0.5))
    print(
        f"animated fit: {len(tracks)} shapes, {n_keys} keys over {len(masks)} frames, "
        f"points/shape {[t.stats['points'] for t in tracks]}"
    )
    print(
        f"  {t_anim / len(masks) * 1000:.0f} ms/frame, {t_anim / max(n_keys, 1) * 1000:.0f} "
        f"ms/key; every frame (keys and in-betweens): max deviation {worst_dev:.3f} px, "
        f"min IoU {worst_iou:.4f}"
    )


if __name__ == "__main__":
    main()

"""1080p export throughput per format (frames/s), serial vs parallel, plus shape fit + .nk time.

Run: ``python benchmarks/bench_exports.py [--frames 8] [--workers 2]``. Frames come from an
in-memory reader (decode cost excluded); each export goes through the job pipeline's writers
(``convert.convert`` for single images, ``layered.write_sequence`` for multi-layer EXR) with
``workers=1`` (serial baseline) and ``workers=N`` in the same process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ultimate_roto.core.exporters import layered
from ultimate_roto.core.exporters.spec import ExportSpec
from ultimate_roto.core.media.types import MediaInfo
from ultimate_roto.core.pipeline.convert import convert
from ultimate_roto.core.progress import Progress

W, H = 1920, 1080


class MemReader:
    """Synthetic moving 1080p frames (a smooth texture shifted 3 px a frame)."""

    def __init__(self, n: int) -> None:
        self.info = MediaInfo(
            path="mem://bench", kind="sequence", width=W, height=H, fps=Fraction(24),
            first_frame=1, last_frame=n, frame_count=n, codec="exr", bit_depth=16,
            channels=3, colorspace_guess="Linear", timecode="01:00:00:00",
        )  # fmt: skip
        y, x = np.mgrid[0:H, 0 : W + 64].astype(np.float32)
        base = 0.5 + 0.25 * np.sin(x / 37.0) * np.cos(y / 23.0)
        self._tex = np.stack([base, base * 0.8, 1.0 - base], -1).astype(np.float32)

    def read(self, frame: int) -> np.ndarray:
        s = 3 * frame % 64
        return np.ascontiguousarray(self._tex[:, s : s + W])

    def close(self) -> None:
        return None


def masks_for(frame: int) -> dict[str, np.ndarray]:
    y, x = np.ogrid[0:H, 0:W]
    out = {}
    for k, name in enumerate(("hero", "car", "tree")):
        cx, cy, r = 400 + 500 * k + 6 * frame, 540, 180 - 30 * k
        out[name] = (np.hypot(x - cx, y - cy) < r).astype(np.float32)
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_convert(entry: dict, frames: list[int], workers: int, root: Path) -> float:
    spec = ExportSpec.from_dict(entry)
    reader = MemReader(len(frames))
    return timed(lambda: convert(reader, spec, root, frames, src_colorspace="Linear",
                                 progress=Progress(), workers=workers))  # fmt: skip


def bench_layers(frames: list[int], workers: int, root: Path) -> float:
    spec = ExportSpec.from_dict({"format": "exr", "what": "layers", "path": "l/s.####.exr",
                                 "aovs": ["rgba", "objects", "matte", "depth", "cryptomatte"]})  # fmt: skip
    depth = np.tile(np.linspace(0, 1, W, dtype=np.float32), (H, 1))
    cache = {f: masks_for(f) for f in frames}
    src = layered.Sources(MemReader(len(frames)), ("hero", "car", "tree"),
                          lambda o, f: cache[f][o], lambda f: depth, "bench")  # fmt: skip
    return timed(lambda: layered.write_sequence(spec, src, root, frames, src_colorspace="Linear",
                                                progress=Progress(), workers=workers))  # fmt: skip


def bench_shapes(frames: list[int], root: Path) -> None:
    from ultimate_roto.core.exporters import nuke_nk
    from ultimate_roto.core.exporters.shapes_anim import fit_objects

    masks = {o: {f: (masks_for(f)[o] * 255).astype(np.uint8) for f in frames}
             for o in ("hero", "car", "tree")}  # fmt: skip
    start = time.perf_counter()
    tracks = fit_objects(masks, tolerance=1.0)
    fit = time.perf_counter() - start
    nk = timed(lambda: nuke_nk.write_nk(root / "b.nk", plate_path="p.####.exr", width=W,
                                        height=H, fps=24, first=frames[0], last=frames[-1],
                                        objects=tracks, write_path="o.####.exr"))  # fmt: skip
    keys = sum(len(t.keys) for ts in tracks.values() for t in ts)
    n = len(frames) * len(masks)
    print(
        f"shape fit (3 objects): {1000 * fit / n:.1f} ms per object-frame, "
        f"{1000 * fit / max(keys, 1):.1f} ms per key ({keys} keys); .nk write {1000 * nk:.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    frames = list(range(1, args.frames + 1))
    cases = {
        "plate EXR half ZIP": {"path": "a/p.####.exr", "compression": "zip"},
        "plate EXR half PIZ": {"path": "b/p.####.exr", "compression": "piz"},
        "plate EXR half DWAA": {"path": "c/p.####.exr", "compression": "dwaa"},
        "DPX 10-bit": {"path": "d/p.####.dpx"},
        "DPX 10-bit log": {"path": "e/p.####.dpx", "encoding": "log"},
        "PNG 16-bit": {"path": "f/p.####.png", "bit_depth": 16},
        "TIFF 16-bit": {"path": "g/p.####.tif", "bit_depth": 16},
    }
    print(f"1080p, {len(frames)} frames; fps serial -> {args.workers} workers (ratio)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, entry in cases.items():
            serial = bench_convert(entry, frames, 1, root / "s")
            par = bench_convert(entry, frames, args.workers, root / "p")
            n = len(frames)
            print(f"{name:28s} {n / serial:6.2f} -> {n / par:6.2f} fps  (x{serial / par:.2f})")
        serial = bench_layers(frames, 1, root / "s")
        par = bench_layers(frames, args.workers, root / "p")
        n = len(frames)
        print(f"{'multi-layer EXR 3 obj+depth+crypto':28s} {n / serial:6.2f} -> {n / par:6.2f} fps"
              f"  (x{serial / par:.2f})")  # fmt: skip
        bench_shapes(frames, root)


if __name__ == "__main__":
    main()

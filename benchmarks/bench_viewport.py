"""Viewport display speed: a cached 1080p frame set_frame → paint done, and a 100-frame scrub.

Runs the GL viewport under a private Xvfb (started here when DISPLAY is unset; llvmpipe is a
software rasteriser, so figures are CPU-bound), for float32 frames (RGB32F textures, what
every frame was before), uint8 (RGB8, 8-bit sources now) and float16 (RGB16F, deeper sources
now). Baseline, in the same process: converting the same float frame to an 8-bit QImage with
numpy (what a naive QLabel viewer does per frame).

    python benchmarks/bench_viewport.py [--dtypes float32,uint8,float16]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def frames_1080p(count: int, dtype: str = "float32"):
    """``count`` distinct 1080p RGB frames of ``dtype`` (uint8: the 8-bit values of the float
    ones, as a compact read gives them)."""
    import numpy as np

    rng = np.random.default_rng(0)
    base = rng.random((1080, 1920, 3), dtype=np.float32)
    if dtype == "uint8":
        base = (base * 255 + 0.5).astype(np.uint8)
    elif dtype == "float16":
        base = base.astype(np.float16)
    return [np.ascontiguousarray(np.roll(base, 8 * i, axis=1)) for i in range(count)]


def numpy_to_qimage(frame):
    """Baseline: clip, scale to 8 bits, wrap in a QImage and copy it (owning its pixels)."""
    import numpy as np
    from PySide6.QtGui import QImage

    rgb = (np.clip(frame, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def main() -> int:
    from screenshot import start_xvfb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="float32,uint8,float16", help="frame dtypes to time")
    args = parser.parse_args()
    xvfb = start_xvfb()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        return run(args.dtypes.split(","))
    finally:
        if xvfb is not None:
            xvfb.terminate()


def run(dtypes: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    import ultimate_roto.app  # noqa: F401  (PySide6 None-refcount guard first)
    from ultimate_roto.app.qt_viewport import QtViewport

    app = QApplication.instance() or QApplication([])
    view = QtViewport()
    view.resize(1280, 720)
    view.show()
    painted = []
    view.frameSwapped.connect(lambda: painted.append(1))
    first = frames_1080p(1)[0]
    deadline = time.perf_counter() + 10
    while not painted and time.perf_counter() < deadline:  # exposed, context and shader made
        view.set_frame(first)
        view.update()
        app.processEvents()

    def show(frame) -> float:
        t = time.perf_counter()
        before = len(painted)
        view.set_frame(frame)
        view.repaint()  # paintGL: upload + draw
        while len(painted) == before:  # until the frame was really drawn and swapped
            app.processEvents()
        view.context().functions().glFinish()
        return time.perf_counter() - t

    print(f"GL viewport: {view.context().format().majorVersion()}.x, 1280x720 widget")
    results = {}
    for dtype in dtypes:
        frames = frames_1080p(100, dtype)
        show(frames[2])  # a texture of this format exists before timing
        single = statistics.median(show(frames[i % 2]) for i in range(20))
        t = time.perf_counter()
        for frame in frames:
            show(frame)
        scrub_fps = len(frames) / (time.perf_counter() - t)
        results[dtype] = (single, scrub_fps)
        mib = frames[0].nbytes / 2**20
        print(
            f"{dtype:>8} ({mib:4.1f} MiB a frame): cached 1080p frame set_frame -> paint done "
            f"{single * 1000:.1f} ms; scrub 100 cached frames {scrub_fps:.1f} fps"
        )
        del frames
    floats = frames_1080p(20)
    base = statistics.median(
        (lambda t0: (numpy_to_qimage(floats[i]), time.perf_counter() - t0)[1])(time.perf_counter())
        for i in range(20)
    )
    print(f"baseline numpy -> QImage (8-bit) per frame: {base * 1000:.1f} ms")
    for dtype, (single, scrub) in results.items():
        line = f"ratio viewport / baseline ({dtype}): {single / base:.2f}x"
        if dtype != "float32" and "float32" in results:
            ref_single, ref_scrub = results["float32"]
            line += (
                f"; vs float32: {single / ref_single:.2f}x the time, {scrub / ref_scrub:.2f}x fps"
            )
        print(line)
    view.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

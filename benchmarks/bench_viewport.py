"""Viewport display speed: a cached 1080p frame set_frame → paint done, and a 100-frame scrub.

Runs the GL viewport under a private Xvfb (started here when DISPLAY is unset; llvmpipe is a
software rasteriser, so figures are CPU-bound). Baseline, in the same process: converting the
same float frame to an 8-bit QImage with numpy (what a naive QLabel viewer does per frame).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))


def frames_1080p(count: int):
    import numpy as np

    rng = np.random.default_rng(0)
    base = rng.random((1080, 1920, 3), dtype=np.float32)
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

    xvfb = start_xvfb()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        return run()
    finally:
        if xvfb is not None:
            xvfb.terminate()


def run() -> int:
    from PySide6.QtWidgets import QApplication

    import ultimate_roto.app  # noqa: F401  (PySide6 None-refcount guard first)
    from ultimate_roto.app.qt_viewport import QtViewport

    app = QApplication.instance() or QApplication([])
    view = QtViewport()
    view.resize(1280, 720)
    view.show()
    frames = frames_1080p(100)
    painted = []
    view.frameSwapped.connect(lambda: painted.append(1))
    deadline = time.perf_counter() + 10
    while not painted and time.perf_counter() < deadline:  # exposed, context and shader made
        view.set_frame(frames[0])
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

    single = statistics.median(show(frames[i % 2]) for i in range(20))
    t = time.perf_counter()
    for frame in frames:
        show(frame)
    scrub_fps = len(frames) / (time.perf_counter() - t)
    base = statistics.median(
        (lambda t0: (numpy_to_qimage(frames[i]), time.perf_counter() - t0)[1])(time.perf_counter())
        for i in range(20)
    )
    print(
        f"GL viewport: {view.context().format().majorVersion()}.x, 1280x720 widget, "
        f"{len(painted)} frames drawn"
    )
    print(f"cached 1080p frame set_frame -> paint done: {single * 1000:.1f} ms")
    print(f"scrub 100 cached 1080p frames: {scrub_fps:.1f} fps")
    print(f"baseline numpy -> QImage (8-bit) per frame: {base * 1000:.1f} ms")
    print(f"ratio viewport / baseline: {single / base:.2f}x")
    view.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Parts of bench_playback: the playback timer alone, and the overlays a roto session shows."""

from __future__ import annotations

import math
import statistics


def wait(ms: int) -> None:
    """Run the event loop for ``ms``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def timer_only(seconds: float, speed: int) -> int:
    """Judder of the playback timer alone: lateness of each new frame after its boundary."""
    from fractions import Fraction

    from PySide6.QtCore import QCoreApplication

    from ultimate_roto.app.qt_playback import QtPlayback

    app = QCoreApplication.instance() or QCoreApplication([])
    playback = QtPlayback()
    playback.configure(Fraction(24), 0, 100_000)
    late: list[float] = []
    clock = playback.clock

    def changed(_frame: int) -> None:
        rate = float(clock.fps) * abs(clock.speed)
        elapsed = clock._now() - clock._t0
        late.append(elapsed - math.floor(elapsed * rate) / rate)

    playback.frame_changed.connect(changed)
    playback.play(speed)
    wait(int(seconds * 1000))
    playback.stop()
    rate = 24 * abs(speed)
    late.sort()
    print(
        f"timer only, {rate} frames/s for {seconds:g} s: {len(late)} frames asked for of "
        f"{round(seconds * rate)}; late after the boundary median {late[len(late) // 2] * 1e3:.1f}"
        f" ms, 90th {late[int(len(late) * 0.9)] * 1e3:.1f} ms, max {late[-1] * 1e3:.1f} ms; "
        f"skipped {clock.dropped}"
    )
    del app
    return 0


def add_overlays(win) -> None:
    """An object with a moving disc mask on every frame (grow 2, feather 4), selected, and a
    depth layer over every frame, shown: the overlay work a roto session does per frame."""
    import numpy as np

    from ultimate_roto.core.project.depth import DepthLayer
    from ultimate_roto.core.project.model import MaskOps

    info, doc = win.session.info, win.project.doc
    w, h = info.width, info.height
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    oid = win.layers.add_object()
    maps = {}
    for f in range(info.first_frame, info.last_frame + 1):
        cx = w * (0.3 + 0.4 * (f - info.first_frame) / max(1, info.frame_count))
        disc = (x - cx) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2
        doc.set_mask(oid, f, disc.astype(np.uint8) * 255)
        maps[f] = 1.0 + x / w + 0.3 * np.sin(y / 37.0 + f / 5.0) + 0.5 * disc
    doc.set_object_field(oid, "mask_ops", MaskOps(dilate_px=2, feather_px=4.0))
    doc.set_depth(DepthLayer.from_maps(maps, "bench"))
    win._depth_toggled(True)


def step_overlays(win, probe) -> None:
    """Overlay work per frame stepping through the clip twice (the second pass replays the
    frames the first showed: what a per-frame overlay cache saves)."""
    info = win.session.info
    cache = getattr(win, "overlays", None)
    for name in ("first", "second"):
        probe.reset()
        probe.active = True
        for f in range(info.first_frame, info.last_frame + 1):
            win.go_to(f)
        probe.active = False
        mask, depth = probe.times.get("mask", []), probe.times.get("depth", [])
        print(
            f"  stepping every frame, {name} pass: overlays per frame: mask "
            f"{statistics.median(mask) * 1e3:.2f} ms, depth {statistics.median(depth) * 1e3:.2f}"
            f" ms (median of {len(mask)})"
            + (f"; overlay cache {cache.hits} hits, {cache.misses} misses" if cache else "")
        )
    win.go_to(info.first_frame)

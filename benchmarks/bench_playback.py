"""Playback speed of the real workstation: frames shown per second against the shot's fps.

Opens the demo shot (960x540, 24 fps; ``--hd`` adds a generated 1080p H.264 clip) in the real
QtMainWindow, presses play and lets the event loop run for ``--seconds``. Light timing hooks,
installed on the classes before the window is built, split each frame's time into: decode
(PyAV), RGB + float conversion, cache put, the queued signal's latency to the GUI thread (for
frames that were not read ahead), the GUI thread's go_to / _frame_loaded work, and texture
upload + draw (GL) or the CPU display transform (raster). "Shown" counts new frames uploaded to
the viewport (GL: then swapped); a frame the playhead asked for and never showed is counted as
never asked for (a late tick skipped it), never loaded, stale (loaded after the playhead left
it) or painted over (handed over, replaced before a paint). Also: GUI stalls (gaps between
clock ticks), reader seeks, CPU per thread group. At ``--speed`` N the target counts every
frame of content (N x fps); the clock accepts every N-th.

Play starts a second after the clip opened on its first frame (no thumbnails are made: they
would decode frames all over the clip), so the first pass decodes nearly every frame while
playing ("cold"); later passes replay cached frames ("warm"). Baseline, in the same process:
raw PyAV sequential decode of the same clip to RGB24 arrays; the ratio is shown fps over the
ceiling min(target, raw decode).

Runs under a private Xvfb with the GL viewport (started when DISPLAY is unset; llvmpipe is a
software rasteriser, so figures are CPU-bound); ``--offscreen`` uses Qt's offscreen platform
and the raster viewport instead.

The session caches compact frames (uint8 for these 8-bit clips); how many more a cache
holds: ``python benchmarks/bench_media.py --cache-memory``.

``--timer`` plays a bare QtPlayback (no window, no decoding) and prints how late after each
frame boundary the frames were asked for: the timer's own judder, apart from paint stalls.

``--overlays`` gives the clip an object with a mask on every frame (grow 2, feather 4) and a
depth layer, shows both overlays, and times the GUI thread's per-frame overlay work
(``_show_mask``: decode + grow/feather; ``_show_depth``: decode + normalise + viewport copy).

    python benchmarks/bench_playback.py [--seconds 6] [--hd] [--offscreen] [--speed 1]
        [--overlays] [--timer]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from fractions import Fraction
from functools import wraps
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from playback_extras import add_overlays, step_overlays, timer_only, wait  # noqa: E402

DEMO = ROOT / "resources" / "demo" / "demo_shot.mp4"
STAGES = (
    ("decode", "decode (PyAV)"),
    ("convert", "RGB + dtype (uint8: none, float32)"),
    ("cache_put", "cache put"),
    ("latency", "signal latency to GUI thread"),
    ("late", "clock tick after the frame was due"),
    ("go_to", "GUI go_to (playhead, overlays, request)"),
    ("mask", "  of which mask overlay (_show_mask)"),
    ("depth", "  of which depth overlay (_show_depth)"),
    ("loaded", "GUI _frame_loaded (hand-over)"),
    ("upload", "texture upload / CPU display"),
    ("draw", "draw"),
)


class Probe:
    """Per-stage timings (seconds) and per-frame events, collected from wrapped methods."""

    EVENTS = ("requested", "loaded", "accepted", "shown", "tick", "at_once")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.emitted: dict[int, float] = {}
        self.events: dict[str, list[tuple[float, int]]] = {k: [] for k in self.EVENTS}
        self.on_screen: int | None = None  # the frame handed to the viewport, not yet painted
        self.in_go_to = False
        self.active = False

    def add(self, stage: str, seconds: float) -> None:
        if self.active:
            with self.lock:
                self.times[stage].append(seconds)

    def event(self, kind: str, frame: int | None) -> None:
        if self.active and frame is not None:
            self.events[kind].append((time.perf_counter(), frame))

    def reset(self) -> None:
        with self.lock:
            self.times.clear()
            self.emitted.clear()
            for kind in self.EVENTS:
                self.events[kind].clear()

    def timed(self, stage: str, fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(stage, time.perf_counter() - t)

        return wrapper


def install_hooks(probe: Probe, gl: bool) -> None:
    """Wrap the classes' methods (before the window exists, so every connection sees them)."""
    from ultimate_roto.app.qt_mainwindow import QtMainWindow
    from ultimate_roto.app.qt_session import QtMediaSession
    from ultimate_roto.core.cache.tiered import TieredCache
    from ultimate_roto.core.media.video import VideoReader

    VideoReader._decode = probe.timed("decode", VideoReader._decode)
    VideoReader._to_array = probe.timed("convert", VideoReader._to_array)
    TieredCache.put = probe.timed("cache_put", TieredCache.put)
    original_go_to = QtMainWindow.go_to

    def go_to(self, frame):
        probe.in_go_to = True
        try:
            return original_go_to(self, frame)
        finally:
            probe.in_go_to = False

    QtMainWindow.go_to = probe.timed("go_to", go_to)
    QtMainWindow._show_mask = probe.timed("mask", QtMainWindow._show_mask)
    QtMainWindow._show_depth = probe.timed("depth", QtMainWindow._show_depth)
    from ultimate_roto.app.qt_playback import QtPlayback

    original_tick = QtPlayback.tick

    def tick(self):
        probe.event("tick", 0)
        clock = self.clock
        if clock.playing and clock.target_frame() != clock._last_frame:
            # how long after its frame boundary a new frame was asked for (timer judder)
            rate = float(clock.fps) * abs(clock.speed)
            elapsed = clock._now() - clock._t0
            probe.add("late", elapsed - math.floor(elapsed * rate) / rate)
        return original_tick(self)

    QtPlayback.tick = tick
    original_request = QtMediaSession.request

    def request(self, frame, *args, **kwargs):
        probe.event("requested", frame)
        return original_request(self, frame, *args, **kwargs)

    QtMediaSession.request = request
    original_loaded = QtMainWindow._frame_loaded

    def frame_loaded(self, frame, data):
        probe.event("loaded", frame)
        original_loaded(self, frame, data)
        if self.viewport._source is data:
            probe.event("accepted", frame)
            probe.on_screen = frame
            if probe.in_go_to:
                probe.event("at_once", frame)

    QtMainWindow._frame_loaded = probe.timed("loaded", frame_loaded)
    if gl:
        from ultimate_roto.app.qt_viewport import QtViewport as View

        original_upload = View._upload

        def upload(self):
            new = self._frame_dirty and self.image is not None
            original_upload(self)
            if new:
                probe.event("shown", probe.on_screen)

        View._upload = probe.timed("upload", upload)
        View._draw_quad = probe.timed("draw", View._draw_quad)
    else:
        from ultimate_roto.app.qt_viewport_raster import QtRasterViewport as View

        original_display = View._display_image

        def display_image(self):
            new = self.image is not None and self._frame_dirty
            image = original_display(self)
            if new:
                probe.event("shown", probe.on_screen)
            return image

        View._display_image = probe.timed("upload", display_image)


def fates(probe: Probe, t0: float, t1: float, horizon: float) -> dict[str, int]:
    """What became of each frame the playhead asked for in [t0, t1): shown, or lost where."""
    found = {k: defaultdict(list) for k in ("loaded", "accepted", "shown")}
    for kind, index in found.items():
        for t, frame in probe.events[kind]:
            index[frame].append(t)

    def seen(kind: str, frame: int, t: float) -> float | None:
        return next((u for u in found[kind][frame] if t <= u < t + horizon), None)

    counts = dict.fromkeys(("shown", "painted over", "stale", "never loaded"), 0)
    latency = []
    for t, frame in probe.events["requested"]:
        if not t0 <= t < t1:
            continue
        shown = seen("shown", frame, t)
        if shown is not None:
            counts["shown"] += 1
            latency.append(shown - t)
        elif seen("accepted", frame, t) is not None:
            counts["painted over"] += 1
        elif seen("loaded", frame, t) is not None:
            counts["stale"] += 1
        else:
            counts["never loaded"] += 1
    counts["latency"] = latency
    return counts


def watch_signals(win, probe: Probe) -> None:
    """Signal latency: emit time on the worker thread -> arrival on the GUI thread."""
    from PySide6.QtCore import Qt

    session = win.session

    def emitted(frame, _data):
        with probe.lock:
            probe.emitted[frame] = time.perf_counter()

    def arrived(frame, _data):
        with probe.lock:
            t = probe.emitted.pop(frame, None)
        if t is not None:
            probe.add("latency", time.perf_counter() - t)

    direct = Qt.ConnectionType.DirectConnection
    session.loader.frame_loaded.connect(emitted, direct)
    fetched = getattr(session, "_fetched", None)  # the read-ahead's queued hand-over, if any
    if fetched is not None:
        fetched.connect(lambda frame, data, _error: emitted(frame, data), direct)
    session.frame_loaded.connect(arrived)


def thread_cpu() -> dict[str, float]:
    """CPU seconds used so far by this process's threads, summed by thread name (Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    used: dict[str, float] = defaultdict(float)
    for task in Path("/proc/self/task").glob("*"):
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        group = name.rstrip("0123456789_:-").strip() or name
        used[group] += (int(fields[11]) + int(fields[12])) / tick
    return used


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        wait(20)
    return bool(condition())


def raw_pyav_fps(path: Path, limit: int = 240) -> float:
    """Baseline: PyAV decoding the clip in order to RGB24 arrays (no cache, no float)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        t, n = time.perf_counter(), 0
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            n += 1
            if n >= limit:
                break
    return n / (time.perf_counter() - t)


def make_hd_clip(seconds: int = 10, fps: int = 24) -> Path:
    """A 1920x1080 H.264 clip (yuv420p, GOP 48) with moving gradients and noise (made once,
    kept in the temp folder)."""
    import av
    import numpy as np

    path = Path(tempfile.gettempdir()) / f"ur_bench_1080p_{fps}fps_{seconds}s.mp4"
    if path.exists():
        return path
    part = path.with_suffix(".part.mp4")
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 40, (1080, 1920, 1), dtype=np.uint8)
    y, x = np.mgrid[0:1080, 0:1920]
    with av.open(str(part), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"g": "48", "preset": "veryfast", "crf": "23"}
        for i in range(seconds * fps):
            r = ((x + 8 * i) % 256).astype(np.uint8)
            g = ((y + 4 * i) % 256).astype(np.uint8)
            b = (((x + y) // 4 + 6 * i) % 256).astype(np.uint8)
            img = np.dstack([r, g, b]) // 2 + noise
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    part.replace(path)
    return path


def summarise(label: str, probe: Probe, t0: float, t1: float, rate: float) -> float:
    """Print and return the shown fps over [t0, t1), with where the lost frames went."""
    inside = [s for s in probe.events["shown"] if t0 <= s[0] < t1]
    elapsed = max(1e-9, t1 - t0)
    expected = round(elapsed * rate)
    fps = len(inside) / elapsed
    fate = fates(probe, t0, t1, horizon=1.0)
    requested = sum(v for k, v in fate.items() if k != "latency")
    lat = fate.pop("latency")
    lat_ms = f"{statistics.median(lat) * 1e3:.0f} ms" if lat else "-"
    print(
        f"  {label:<22} {elapsed:5.2f} s  shown {len(inside):4d} of {expected:4d}  "
        f"{fps:6.2f} fps  dropped {max(0, expected - len(inside)):4d}  "
        f"(never asked for {max(0, expected - requested)}, "
        + ", ".join(f"{k} {v}" for k, v in fate.items() if k != "shown")
        + f"); playhead -> screen {lat_ms}"
    )
    return fps


def play(win, probe: Probe, path: Path, seconds: float, speed: int, overlays: bool = False) -> dict:
    """Open ``path``, show its first frame (its last, backwards), wait a second and play."""
    if win.project is not None:
        win.project.doc.set_modified(False)
    if not win.open_path(str(path)):
        raise SystemExit(f"error: could not open {path}")
    session = win.session
    if not wait_for(lambda: win.viewport.image is not None, 30):
        raise SystemExit("error: no frame was shown within 30 s")
    watch_signals(win, probe)
    if overlays:
        add_overlays(win)
    info = session.info
    fps = Fraction(info.fps)
    start = info.last_frame if speed < 0 else info.first_frame
    win._user_frame(start)
    wait(1000)  # what a user gets before pressing play: the frames read around the first one
    probe.reset()
    probe.active = True
    seeks0 = getattr(session.reader, "seek_count", 0)
    cpu0 = thread_cpu()
    t0 = time.perf_counter()
    win.playback.play(speed)
    wait(int(seconds * 1000))
    t1 = time.perf_counter()
    cpu1 = thread_cpu()
    seeks = getattr(session.reader, "seek_count", 0) - seeks0
    clock_dropped = win.playback.clock.dropped
    win.playback.stop()
    probe.active = False
    wait(200)
    rate = float(fps) * abs(speed)
    one_pass = info.frame_count / rate
    print(f"\n{path.name}: {info.width}x{info.height}, {info.frame_count} frames, "
          f"target {float(fps):.3g} fps x {speed} = {rate:.3g} frames/s, played {seconds:g} s")  # fmt: skip
    cold = summarise("first pass (cold)", probe, t0, min(t1, t0 + one_pass), rate)
    warm = None
    if t1 > t0 + one_pass + 0.5:
        warm = summarise("later passes (cached)", probe, t0 + one_pass, t1, rate)
    total = summarise("whole run", probe, t0, t1, rate)
    ticks = [t for t, _ in probe.events["tick"] if t0 <= t < t1]
    gaps = sorted((b - a for a, b in zip(ticks, ticks[1:], strict=False)), reverse=True)
    print(
        f"  clock: {clock_dropped} frames skipped by late ticks; GUI stalls (tick gaps over "
        f"one frame): {sum(g > 1 / rate for g in gaps)}, longest "
        + ", ".join(f"{g * 1e3:.0f}" for g in gaps[:5])
        + " ms"
    )
    decoded = len(probe.times.get("convert", []))
    at_once = len([t for t, _ in probe.events["at_once"] if t0 <= t < t1])
    accepted = len([t for t, _ in probe.events["accepted"] if t0 <= t < t1])
    print(
        f"  reader: {decoded} frames decoded, {seeks} seeks; frames handed to the viewport "
        f"inside go_to (read ahead): {at_once} of {accepted}"
    )
    print("  per frame (median / mean ms, calls):")
    for stage, title in STAGES:
        values = probe.times.get(stage, [])
        if values:
            med, mean = statistics.median(values) * 1e3, statistics.fmean(values) * 1e3
            print(f"    {title:<42} {med:7.2f} / {mean:7.2f}  x{len(values)}")
    cpu = {k: cpu1[k] - cpu0.get(k, 0.0) for k in cpu1}
    busy = sorted(((v, k) for k, v in cpu.items() if v >= 0.05), reverse=True)
    print(f"  CPU while playing: {sum(cpu.values()) / (t1 - t0):.2f} cores; by thread: "
          + ", ".join(f"{k} {v / (t1 - t0):.2f}" for v, k in busy))  # fmt: skip
    if overlays:
        step_overlays(win, probe)
    base = raw_pyav_fps(path)
    ceiling = min(rate, base)
    print(f"  baseline raw PyAV sequential decode (RGB24): {base:.1f} frames/s")
    print(
        f"  ratio shown / min(target, raw decode) = {ceiling:.1f}: first pass {cold / ceiling:.2f}x"
        + (f", later passes {warm / ceiling:.2f}x" if warm is not None else "")
    )
    return {"cold": cold, "warm": warm, "total": total, "base": base, "target": rate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="play time per clip")
    parser.add_argument("--hd", action="store_true", help="also a generated 1080p 24 fps clip")
    parser.add_argument("--offscreen", action="store_true", help="raster viewport, no X/GL")
    parser.add_argument("--speed", type=int, default=1, help="signed multiple of the fps")
    parser.add_argument("--media", help="play this clip instead of the demo shot")
    parser.add_argument(
        "--overlays", action="store_true", help="a masked object (grow/feather) and depth shown"
    )
    parser.add_argument("--timer", action="store_true", help="the playback timer alone")
    args = parser.parse_args()
    if args.timer:
        return timer_only(args.seconds, args.speed)
    xvfb = None
    if args.offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    else:
        from screenshot import start_xvfb

        xvfb = start_xvfb()
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    try:
        return run(args)
    finally:
        release_qt()  # before the X server goes: Qt would report a broken connection
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)


def release_qt() -> None:
    """Delete the QApplication (it holds the X connection until the interpreter ends)."""
    if "PySide6.QtWidgets" not in sys.modules:
        return
    import shiboken6
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.processEvents()
        shiboken6.delete(app)


def run(args) -> int:
    from PySide6.QtCore import QSettings

    import ultimate_roto.app  # noqa: F401  (PySide6 None-refcount guard first)
    from ultimate_roto.app.qt_main import make_application
    from ultimate_roto.app.qt_viewer import use_gl

    folder = Path(tempfile.mkdtemp(prefix="ur-bench-play-"))
    os.environ["ULTIMATE_ROTO_SETTINGS"] = str(folder / "settings.json")  # the user's stay
    app = make_application()
    gl = use_gl()
    probe = Probe()
    install_hooks(probe, gl)
    from ultimate_roto.app.qt_session import QtMediaSession

    # no thumbnails: they decode frames all over the clip (and so cache them) while it plays
    QtMediaSession.request_thumbnails = lambda self: []
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

    settings = QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("autosave_dir", str(folder / "autosave"))
    win = QtMainWindow(settings)
    win.setGeometry(0, 0, 1600, 960)
    win.show()
    wait(300)
    print(f"viewport: {'GL' if gl else 'raster (offscreen)'}, {os.cpu_count()} CPU cores")
    clips = [Path(args.media) if args.media else DEMO]
    if args.hd:
        clips.append(make_hd_clip())
    for clip in clips:
        play(win, probe, clip, args.seconds, args.speed, args.overlays)
    win.project.doc.set_modified(False)
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screenshot of the real workstation at 1920x1080 (starts Xvfb when DISPLAY is unset)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def start_xvfb() -> subprocess.Popen | None:
    if os.environ.get("DISPLAY"):
        return None
    if not shutil.which("Xvfb"):
        raise SystemExit("error: DISPLAY is unset and Xvfb is not installed (apt-get install xvfb)")
    for n in range(140, 200):
        if not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen(
                ["Xvfb", f":{n}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(100):
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    os.environ["DISPLAY"] = f":{n}"
                    return proc
                time.sleep(0.05)
            proc.terminate()
    raise SystemExit("error: could not start Xvfb")


def shrink(path: Path) -> None:
    """Adaptive 256-colour palette (Pillow): keeps docs/screenshot.png under ~400 KB."""
    from PIL import Image

    with Image.open(path) as im:
        rgb = im.convert("RGB")
    rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", nargs="?", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--media", help="media to show (default: the demo shot)")
    args = parser.parse_args()
    xvfb = start_xvfb()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    try:
        return shoot(Path(args.output), args.media)
    finally:
        if xvfb is not None:
            xvfb.terminate()


BOX = (205, 0, 830, 539)  # around the astronaut in the demo shot (960x540)
FOREGROUND = ((470, 430), (545, 130), (330, 470))
BACKGROUND = ((90, 110), (830, 260), (930, 500))


def wait(app, ms: int) -> None:
    """Process events for ``ms`` in a QEventLoop (which, unlike QTest.qWait, releases the GIL
    for the engine and job threads)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(app, condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        wait(app, 50)
    return bool(condition())


def grab(win):
    """The window as on screen. QWidget.grab re-renders a QOpenGLWidget without what paintGL
    draws with QPainter (the prompt points), so the viewport's own framebuffer is laid over."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter, QPixmap

    shot = win.grab()
    view = win.viewport
    if hasattr(view, "grabFramebuffer"):
        painter = QPainter(shot)
        painter.drawImage(view.mapTo(win, QPoint(0, 0)), view.grabFramebuffer())
        painter.end()
    return QPixmap(shot)


def shoot(output: Path, media: str | None) -> int:
    """Open the shot, click prompts through the point tool, let the engine make the mask,
    propagate a few frames, and grab the window."""
    import tempfile

    from PySide6.QtCore import QSettings, Qt

    from ultimate_roto.app.qt_main import make_application, open_initial
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

    folder = Path(tempfile.mkdtemp())
    os.environ["ULTIMATE_ROTO_SETTINGS"] = str(folder / "settings.json")  # the user's stay
    app = make_application()
    settings = QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("autosave_dir", str(folder / "autosave"))
    win = QtMainWindow(settings)
    win.setGeometry(0, 0, 1920, 1080)
    win.show()
    open_initial(win, [media] if media else [])
    if not wait_for(app, lambda: win.viewport.frame is not None, 20):
        print("error: no frame was shown within 20 s", file=sys.stderr)
        return 1
    obj = win.layers.add_object("Astronaut")
    left = Qt.MouseButton.LeftButton.value
    win.registry.action("tool.box").trigger()  # drag a box around her, as a user would
    x0, y0, x1, y1 = BOX
    win.viewport.image_pressed.emit(float(x0), float(y0), left, 0)
    win.viewport.image_dragged.emit(float((x0 + x1) / 2), float((y0 + y1) / 2), left, 0)
    win.viewport.image_released.emit(float(x1), float(y1), 0, 0)
    win.registry.action("tool.point").trigger()
    alt = Qt.KeyboardModifier.AltModifier.value
    for points, modifiers in ((FOREGROUND, 0), (BACKGROUND, alt)):
        for x, y in points:  # exactly what a click on the viewport emits
            win.viewport.image_pressed.emit(float(x), float(y), left, modifiers)
            win.viewport.image_released.emit(float(x), float(y), 0, modifiers)
    first = win.session.info.first_frame
    if not wait_for(app, lambda: win.project.doc.masks.has(obj, first) and not
                    win._seg_wanted, 60):  # fmt: skip
        print("error: the segment engine gave no mask within 60 s", file=sys.stderr)
        return 1
    win.timeline.set_in_out(first, first + 23)
    job = win.propagate("forward")
    if job is not None:
        wait_for(app, lambda: not win.jobs.jobs, 120)
    win.layers.add_object("Shuttle")
    win.layers.select(obj)
    win.docks["log"].raise_()
    win.log_panel.setCurrentIndex(1)
    wait_for(app, lambda: win._thumbs_done >= len(win._thumbs), 20)
    wait(app, 400)
    win.viewer.show_pixel(470, 430, *win.viewport.pixel_value(470, 430))
    wait(app, 100)
    output.parent.mkdir(parents=True, exist_ok=True)
    ok = grab(win).save(str(output), "PNG")
    if ok:
        shrink(output)
    win.project.doc.set_modified(False)
    win.close()
    app.processEvents()
    win.deleteLater()
    app.processEvents()
    app.shutdown()  # gone before Xvfb is stopped (else Qt's X connection dies with exit 1)
    print(f"saved {output} ({output.stat().st_size // 1024} KiB)" if ok else "error: save failed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

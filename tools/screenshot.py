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


def demo_mask(height: int, width: int):
    """An elliptical 'object' so the overlay and outline show in the picture."""
    import numpy as np

    yy, xx = np.mgrid[0:height, 0:width]
    return (
        ((xx - width * 0.52) / (width * 0.16)) ** 2 + ((yy - height * 0.55) / (height * 0.3)) ** 2
    ) < 1.0


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


def shoot(output: Path, media: str | None) -> int:
    import tempfile

    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest

    from ultimate_roto.app.qt_main import make_application, open_initial
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

    app = make_application()
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    win = QtMainWindow(settings)
    win.setGeometry(0, 0, 1920, 1080)
    win.show()
    open_initial(win, [media] if media else [])
    deadline = time.monotonic() + 20
    while win.viewport.frame is None and time.monotonic() < deadline:
        QTest.qWait(50)
    if win.viewport.frame is None:
        print("error: no frame was shown within 20 s", file=sys.stderr)
        return 1
    project = win.project
    obj_id = project.add_object("Hero")
    project.add_object("Background car")
    info = win.session.info
    from ultimate_roto.core.commands import SetKeyframeCommand, SetMaskCommand

    for f in (info.first_frame, info.first_frame + 12, info.first_frame + 30):
        project.stack.push(SetKeyframeCommand(project.doc, obj_id, f))
    mid = info.first_frame + 14
    project.stack.push(
        SetMaskCommand(
            project.doc, obj_id, mid, demo_mask(info.height, info.width).astype("uint8") * 255
        )
    )
    win.layers.tree.setCurrentItem(win.layers.tree.topLevelItem(1))
    win.timeline.set_occluded_frames(range(info.first_frame + 36, info.first_frame + 41))
    win._user_frame(mid)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (win._thumbs_done < len(win._thumbs)):
        QTest.qWait(50)
    QTest.qWait(400)
    win.viewer.show_pixel(412, 298, *win.viewport.pixel_value(412, 298))
    QTest.qWait(100)
    output.parent.mkdir(parents=True, exist_ok=True)
    image = win.grab()
    ok = image.save(str(output), "PNG")
    if ok:
        shrink(output)
    win.close()
    app.processEvents()
    print(f"saved {output} ({output.stat().st_size // 1024} KiB)" if ok else "error: save failed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

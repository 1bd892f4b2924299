"""Builds resources/demo/demo_shot.mp4 from a real photograph that ships inside scikit-image.

The shot is a slow push-in and pan across the astronaut portrait (NASA, public domain, bundled
in ``skimage/data/astronaut.png``) with a slight roll and a touch of motion blur, so masks have to
follow a real subject through real camera motion. Run: ``python tools/make_demo_shot.py``.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FRAMES = 960, 540, 48
FPS = Fraction(24, 1)


def _photo(name: str) -> np.ndarray:
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise SystemExit("scikit-image is needed to build the demo shot: pip install scikit-image")
    path = Path(spec.origin).parent / "data" / name
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"cannot read {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def camera(t: float) -> tuple[float, float, float, float]:
    """Eased camera at time t in [0, 1]: (centre x, centre y, zoom, roll degrees)."""
    e = 0.5 - 0.5 * math.cos(math.pi * t)
    return 256 - 40 * e, 200 + 30 * e, 1.0 + 0.35 * e, -2.0 + 4.0 * e


def frame_matrix(t: float) -> np.ndarray:
    """2x3 affine taking photo pixels to frame pixels at time t in [0, 1] (the camera's
    framing: 300 source pixels tall at zoom 1, rolled about the centre of interest). Also the
    ground truth of the demo-shot checks: a frame-0 mask carried by these matrices."""
    cx, cy, zoom, roll = camera(min(t, 1.0))
    m = cv2.getRotationMatrix2D((cx, cy), roll, zoom * HEIGHT / 300.0)
    m[0, 2] += WIDTH / 2 - cx
    m[1, 2] += HEIGHT / 2 - cy
    return m


def render(photo: np.ndarray, index: int) -> np.ndarray:
    """Render frame ``index`` (with 3 sub-frame samples for motion blur)."""
    acc = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    for s in range(3):
        m = frame_matrix((index + s / 3.0) / (FRAMES - 1))
        acc += cv2.warpAffine(photo, m, (WIDTH, HEIGHT), flags=cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_REFLECT).astype(np.float32)
    return np.clip(acc / 3.0 + 0.5, 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1]
                                             / "resources" / "demo" / "demo_shot.mp4"))
    args = parser.parse_args(argv)
    photo = _photo("astronaut.png")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "20", "preset": "slow", "g": "24", "bf": "2"}
        stream.codec_context.color_primaries = 1  # BT.709
        stream.codec_context.color_trc = 1
        stream.codec_context.colorspace = 1
        stream.metadata["timecode"] = "01:00:00:00"
        for i in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(render(photo, i), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB, {FRAMES} frames {WIDTH}x{HEIGHT} @ {FPS} fps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

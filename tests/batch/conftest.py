"""Fixtures for batch tests: small generated media (PNG sequence, H.264 clips)."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_helpers import frame_image, make_h264


@pytest.fixture(scope="session")
def png_sequence(tmp_path_factory) -> Path:
    """Folder with plate.1001.png … plate.1008.png (64x48, 8-bit)."""
    import cv2

    folder = tmp_path_factory.mktemp("pngseq")
    for n in range(1001, 1009):
        assert cv2.imwrite(str(folder / f"plate.{n:04d}.png"), frame_image(n))
    return folder


@pytest.fixture(scope="session")
def h264_clip(tmp_path_factory) -> Path:
    """A 12-frame 64x48 H.264 clip at 24 fps."""
    return make_h264(tmp_path_factory.mktemp("clip") / "shot.mp4", 12, 64, 48)


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory) -> Path:
    """A 240-frame 640x360 H.264 clip: long enough to interrupt a conversion mid-way."""
    return make_h264(tmp_path_factory.mktemp("long") / "long.mp4", 240, 640, 360)

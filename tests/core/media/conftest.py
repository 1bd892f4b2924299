"""Fixtures for media tests (clips are generated once per session in a temp folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import write_numbered_video


@pytest.fixture(scope="session")
def h264_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 frames, 24 fps, H.264, GOP 12 with B-frames, in MP4."""
    path = tmp_path_factory.mktemp("video") / "numbered.mp4"
    opts = {
        "g": "12",
        "bf": "2",
        "preset": "ultrafast",
        "crf": "12",
        "x264-params": "bframes=2:b-adapt=0",
    }
    return write_numbered_video(path, 60, options=opts)

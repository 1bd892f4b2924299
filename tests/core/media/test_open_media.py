"""open_media/probe dispatch: single images, numbered files, threads, bad paths."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from media_helpers import decode_number

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media import SequenceReader, VideoReader, open_media, probe


def _png(path: Path, value: int) -> Path:
    import cv2

    cv2.imwrite(str(path), np.full((4, 6, 3), value, np.uint8))
    return path


def test_numbered_image_opens_its_whole_sequence(tmp_path: Path) -> None:
    for n in (10, 11, 12):
        _png(tmp_path / f"plate_v2.{n:04d}.png", n)
    reader = open_media(tmp_path / "plate_v2.0011.png")
    assert isinstance(reader, SequenceReader)
    assert reader.info.frame_range == (10, 12)
    assert reader.read(12)[0, 0, 0] == pytest.approx(12 / 255)


def test_unnumbered_image_is_one_frame(tmp_path: Path) -> None:
    info = probe(_png(tmp_path / "still.png", 9))
    assert (info.frame_count, info.first_frame, info.codec) == (1, 0, "png")


def test_dispatch_video_and_str_paths(h264_clip: Path) -> None:
    with open_media(str(h264_clip)) as reader:
        assert isinstance(reader, VideoReader)
        assert reader.info.path == str(h264_clip)


def test_two_threads_read_one_video_exactly(h264_clip: Path) -> None:
    errors: list[str] = []
    with open_media(h264_clip) as reader:

        def worker(frames: list[int]) -> None:
            for n in frames:
                got = decode_number(reader.read(n))
                if got != n:
                    errors.append(f"asked {n} got {got}")

        threads = [
            threading.Thread(target=worker, args=(list(range(0, 60, 3)),)),
            threading.Thread(target=worker, args=(list(range(59, 0, -7)),)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors


def test_missing_paths_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="missing.exr"):
        open_media(tmp_path / "missing.exr")
    with pytest.raises(MediaError, match="not found"):
        open_media(tmp_path / "nowhere" / "shot.####.exr")


def test_no_extension_is_unsupported(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("x")
    with pytest.raises(MediaError, match="unsupported media type") as exc:
        probe(tmp_path / "README")
    assert ".exr" in exc.value.hint

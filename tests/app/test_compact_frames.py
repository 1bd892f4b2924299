"""The GUI frame path keeps compact pixels: uint8 / float16 in the cache, the viewport and the
thumbnails; float values in the readout; float32 for engines (read_now)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint

from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.display_cpu import DisplaySettings, as_rgba, display, to_uint8
from ultimate_roto.app.qt_frames import thumbnail
from ultimate_roto.app.qt_session import QtMediaSession, read_ahead_frames
from ultimate_roto.core.cache import TieredCache
from ultimate_roto.core.media import open_media

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo" / "demo_shot.mp4"
W, H = 41, 30  # odd width


@pytest.fixture
def flat_png(tmp_path) -> str:
    """Three 8-bit frames of one colour: R 128, G 64, B 255 (BGR on disk)."""
    folder = tmp_path / "flat"
    folder.mkdir()
    for n in range(1, 4):
        img = np.empty((H, W, 3), np.uint8)
        img[...] = (255, 64, 128)  # BGR
        cv2.imwrite(str(folder / f"flat.{n:04d}.png"), img)
    return str(folder / "flat.####.png")


def test_session_caches_uint8_frames_and_read_now_stays_float32(qtbot):
    reader = open_media(DEMO)
    session = QtMediaSession(reader, cache=TieredCache(1 << 28))
    try:
        info = session.info
        assert session.provider.dtype == np.uint8
        shown = []
        session.frame_loaded.connect(lambda frame, data: shown.append((frame, data)))
        session.request(4)
        qtbot.waitUntil(lambda: any(f == 4 for f, _ in shown), timeout=5000)
        data = next(d for f, d in shown if f == 4)
        assert data.dtype == np.uint8 and data.shape == (info.height, info.width, 3)
        session.provider.close()  # no more read-ahead: the cache holds what the test made
        session.loader.shutdown()
        session.cache.clear()
        frame = session.read_now(7)
        assert frame.dtype == np.float32  # engines, exports, segmentation
        with open_media(DEMO) as again:
            assert np.array_equal(frame, again.read(7))
        st = session.cache.stats()
        assert (st.ram_entries, st.ram_bytes) == (1, info.width * info.height * 3)  # 1 B/sample
        assert session.cached_frames() == [7]
    finally:
        session.close()


def test_read_ahead_is_sized_by_the_real_bytes_of_a_frame():
    info = open_media(DEMO).info  # 960x540 RGB
    cache = TieredCache(12 << 20)  # an eighth: 1.5 MiB
    assert read_ahead_frames(info, cache, itemsize=4) == 2
    assert read_ahead_frames(info, cache, itemsize=1) == 2
    cache = TieredCache(64 << 20)  # an eighth: 8 MiB = 1.3 float32 / 5.2 uint8 frames
    assert read_ahead_frames(info, cache, itemsize=4) == 2
    assert read_ahead_frames(info, cache, itemsize=1) == 5
    reader = ArrayReader([np.zeros((540, 960, 3), np.uint8)] * 3)
    session = QtMediaSession(reader, cache=cache)
    try:
        assert session.prefetch_ahead == 5
    finally:
        session.close()


def test_window_shows_uint8_frames_and_the_readout_shows_float_values(qtbot, main_window, flat_png):
    win = main_window
    assert win.open_path(flat_png)
    view = win.viewport  # (the fixture's float32 shot is on screen first)
    qtbot.waitUntil(lambda: view.image is not None and view.image.shape[1] == W, timeout=3000)
    assert win.session.provider.dtype == np.uint8
    assert view.image.dtype == np.uint8 and view.image.shape == (H, W, 3)
    assert view.pixel_value(3, 4) == pytest.approx((128 / 255, 64 / 255, 1.0, 1.0), abs=1e-7)
    view.fit()
    x, y = view.view.image_to_widget(W / 2, H / 2)
    qtbot.mouseMove(view, QPoint(int(x), int(y)))
    qtbot.waitUntil(lambda: "R" in win.viewer.readout.text(), timeout=2000)
    values = dict(re.findall(r"([RGBA]) (\d+\.\d+)", win.viewer.readout.text()))
    assert values == {"R": "0.5020", "G": "0.2510", "B": "1.0000", "A": "1.0000"}
    assert view.frame.dtype == np.float32 and view.frame[0, 0, 0] == np.float32(128 / 255)
    qtbot.waitUntil(lambda: win._thumbs_done == len(win._thumbs), timeout=3000)
    assert win.thumbnails.count() == 3  # made from the uint8 frames


def test_raster_view_of_compact_frames_matches_the_float_reference(qtbot):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    half = (rng.random((H, W, 4)) * 2).astype(np.float16)
    settings = DisplaySettings(exposure=0.5, gamma=1.2, linear=True)
    view = QtRasterViewport()
    qtbot.addWidget(view)
    view.settings = settings
    for frame in (u8, half):
        view.set_frame(frame)
        assert view.image is frame  # shown without a conversion copy
        image = view._display_image()
        got = np.frombuffer(image.constBits(), np.uint8).reshape(H, image.bytesPerLine())
        got = got[:, : 3 * W].reshape(H, W, 3)
        values = frame.astype(np.float32) / (255 if frame.dtype == np.uint8 else 1)
        expected = to_uint8(display(as_rgba(values), settings))  # the float32 reference
        assert np.abs(got.astype(int) - expected).max() <= 1


def test_thumbnails_of_compact_frames_match_the_float_ones():
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, (144, 256, 3), dtype=np.uint8)
    assert np.array_equal(thumbnail(u8), thumbnail(u8.astype(np.float32) / 255))
    half = rng.random((144, 256, 4)).astype(np.float16)
    assert np.array_equal(thumbnail(half), thumbnail(half.astype(np.float32)))
    assert thumbnail(u8).dtype == np.uint8 and thumbnail(u8).shape == (72, 128, 3)

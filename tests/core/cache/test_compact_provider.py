"""FrameProvider(compact=True): the cache holds uint8 / float16 frames, keyed apart from float32."""

from __future__ import annotations

from concurrent.futures import wait
from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto.core.cache import FrameProvider, TieredCache
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media.types import MediaInfo


class CompactFake:
    """A reader whose frame n is (n + k) / 255 everywhere, with a compact read of ``dtype``."""

    def __init__(self, dtype: type, width: int = 8, height: int = 6) -> None:
        self.compact_dtype = np.dtype(dtype)
        self.info = MediaInfo(
            path="/shots/fake.mov",
            kind="video",
            width=width,
            height=height,
            fps=Fraction(24),
            first_frame=0,
            last_frame=49,
            frame_count=50,
            codec="fake",
            bit_depth=8 if self.compact_dtype == np.uint8 else 10,
            channels=3,
            colorspace_guess="Rec709",
        )
        self.reads: list[tuple[str, int]] = []

    def _u8(self, frame: int) -> np.ndarray:
        h, w = self.info.height, self.info.width
        return (np.arange(h * w * 3).reshape(h, w, 3) + frame) % 256

    def read(self, frame: int) -> np.ndarray:
        self.reads.append(("float32", frame))
        return np.multiply(self._u8(frame), np.float32(1 / 255), dtype=np.float32)

    def read_compact(self, frame: int) -> np.ndarray:
        self.reads.append(("compact", frame))
        full = np.multiply(self._u8(frame), np.float32(1 / 255), dtype=np.float32)
        return (
            self._u8(frame).astype(np.uint8)
            if self.compact_dtype == np.uint8
            else (full.astype(np.float16))
        )

    def close(self) -> None:
        pass


def test_compact_uint8_frames_fill_a_quarter_of_the_bytes_and_read_once():
    reader, cache = CompactFake(np.uint8), TieredCache(1 << 20)
    provider = FrameProvider(reader, cache, compact=True)
    assert provider.dtype == np.uint8 and provider.params[0] == "uint8"
    frame = provider.get(3)
    assert frame.dtype == np.uint8 and not frame.flags.writeable
    assert cache.stats().ram_bytes == 6 * 8 * 3  # one byte a sample
    full = provider.get_float32(3)  # engines: float32 from the cached compact frame
    assert full.dtype == np.float32 and np.array_equal(full, reader.read(3))
    assert reader.reads == [("compact", 3), ("float32", 3)]  # the last one is the check
    assert cache.stats().ram_entries == 1  # no float32 copy was cached
    assert provider.cached_frames() == [3]


def test_float16_frames_cache_float32_for_engines_under_their_own_key():
    reader, cache = CompactFake(np.float16), TieredCache(1 << 20)
    provider = FrameProvider(reader, cache, compact=True)
    assert provider.get(5).dtype == np.float16
    full = provider.get_float32(5)  # not rounded through half: read as float32
    assert full.dtype == np.float32 and np.array_equal(full, reader.read(5))
    assert provider.get_float32(5) is full  # cached
    assert reader.reads.count(("float32", 5)) == 2  # one by the provider, one by the test
    assert cache.stats().ram_bytes == 6 * 8 * 3 * (2 + 4)
    assert provider.cached_frames() == [5]  # the display frames (the cache bar)
    float_view = FrameProvider(reader, cache)  # a float32 provider shares the float32 entry
    assert float_view.get(5) is full and float_view.cached_frames() == [5]


def test_compact_and_float32_keys_of_one_media_never_mix():
    reader, cache = CompactFake(np.uint8), TieredCache(1 << 20)
    compact = FrameProvider(reader, cache, compact=True)
    plain = FrameProvider(reader, cache)
    assert compact.key(2) != plain.key(2) and plain.params == ("float32", "")
    assert compact.get(2).dtype == np.uint8
    assert plain.get(2).dtype == np.float32
    assert cache.stats().ram_entries == 2


def test_prefetch_and_peek_hold_compact_frames():
    provider = FrameProvider(CompactFake(np.uint8), TieredCache(1 << 20), compact=True)
    try:
        wait(provider.prefetch(10, ahead=3, behind=0), timeout=5)
        assert all(provider.peek(f).dtype == np.uint8 for f in (10, 11, 12, 13))
    finally:
        provider.close()


def test_a_reader_without_compact_reads_gives_float32():
    class Plain(CompactFake):
        read_compact = None  # type: ignore[assignment]

    provider = FrameProvider(Plain(np.uint8), TieredCache(1 << 20), compact=True)
    assert provider.dtype == np.float32 and provider.get(1).dtype == np.float32
    assert provider.get_float32(1) is provider.get(1)


def test_a_transform_needs_float32_frames():
    with pytest.raises(InputError) as err:
        FrameProvider(
            CompactFake(np.uint8),
            TieredCache(1 << 20),
            transform=lambda a: a,
            transform_id="x",
            compact=True,
        )
    assert "compact" in str(err.value) and err.value.hint

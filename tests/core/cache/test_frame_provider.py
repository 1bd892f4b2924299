"""FrameProvider: cached reads, transform, prefetch order, supersede, close, errors."""

from __future__ import annotations

import threading
from concurrent.futures import wait
from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto.core.cache import FrameProvider, TieredCache
from ultimate_roto.core.errors import InputError, MediaError, ProcessingError
from ultimate_roto.core.media.types import MediaInfo, MediaReader


class FakeReader:
    """A MediaReader test double: frame n is filled with n / 100; records every read."""

    def __init__(self, first=0, last=99, missing=(), bad=(), gate=None):
        self.info = MediaInfo(
            path="/shots/fake.####.exr",
            kind="sequence",
            width=4,
            height=3,
            fps=Fraction(24),
            first_frame=first,
            last_frame=last,
            frame_count=last - first + 1 - len(missing),
            codec="exr",
            bit_depth=16,
            channels=3,
            colorspace_guess="ACEScg",
            missing_frames=tuple(missing),
        )
        self.reads: list[int] = []
        self.bad = set(bad)
        self.gate = gate  # if set, the first read waits for it
        self.started = threading.Event()

    def read(self, frame: int) -> np.ndarray:
        self.reads.append(frame)
        self.started.set()
        if self.gate is not None:
            self.gate.wait(timeout=5)
            self.gate = None
        if frame in self.bad or frame in self.info.missing_frames:
            raise MediaError(f"frame {frame} is damaged", hint="re-render it")
        return np.full((3, 4, 3), frame / 100, dtype=np.float64)

    def close(self) -> None:
        pass


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ur-prefetch")]


def test_fake_reader_is_a_media_reader():
    assert isinstance(FakeReader(), MediaReader)


def test_get_reads_once_and_returns_float32_contiguous():
    reader = FakeReader()
    provider = FrameProvider(reader, TieredCache(1 << 20))
    first = provider.get(7)
    assert provider.get(7) is first
    assert reader.reads == [7]
    assert first.dtype == np.float32 and first.flags.c_contiguous and first.shape == (3, 4, 3)
    assert first[0, 0, 0] == pytest.approx(0.07)
    assert provider.media_id == reader.info.path


def test_transform_is_applied_once_and_is_part_of_the_key():
    reader = FakeReader()
    cache = TieredCache(1 << 20)
    calls = []

    def double(img):
        calls.append(1)
        return img * 2

    plain = FrameProvider(reader, cache)
    doubled = FrameProvider(reader, cache, transform=double, transform_id="x2")
    assert plain.get(10)[0, 0, 0] == pytest.approx(0.1)
    assert doubled.get(10)[0, 0, 0] == pytest.approx(0.2)
    doubled.get(10)
    assert len(calls) == 1 and reader.reads == [10, 10]
    assert plain.cached_frames() == [10] and doubled.cached_frames() == [10]


def test_transform_needs_an_id_and_must_return_an_image():
    with pytest.raises(InputError, match="transform_id"):
        FrameProvider(FakeReader(), TieredCache(100), transform=lambda x: x)
    with pytest.raises(InputError, match="callable"):
        FrameProvider(FakeReader(), TieredCache(100), transform=3, transform_id="x")
    bad = FrameProvider(FakeReader(), TieredCache(1000), transform=np.mean, transform_id="mean")
    with pytest.raises(ProcessingError, match="frame 2"):
        bad.get(2)


def test_prefetch_fills_the_cache_in_playback_order():
    reader = FakeReader(first=0, last=20, missing=(13,))
    cache = TieredCache(1 << 20)
    added = []
    cache.add_listener(lambda ev, key: added.append(key.frame) if ev == "added" else None)
    with FrameProvider(reader, cache) as provider:
        provider.get(11)  # already cached: not read again
        futures = provider.prefetch(10, ahead=4, behind=2)
        wait(futures)
        assert reader.reads == [11, 10, 12, 14, 9, 8]
        assert provider.cached_frames() == [8, 9, 10, 11, 12, 14]
        assert sorted(added) == [8, 9, 10, 11, 12, 14]
        wait(provider.prefetch(19, ahead=5, behind=0))  # clamped to the last frame
        assert provider.cached_frames()[-2:] == [19, 20]


def test_newer_prefetch_supersedes_pending_frames():
    gate = threading.Event()
    reader = FakeReader(gate=gate)
    with FrameProvider(reader, TieredCache(1 << 20)) as provider:
        old = provider.prefetch(10, ahead=5, behind=0)
        assert reader.started.wait(timeout=5)  # frame 10 is being read (blocked on the gate)
        new = provider.prefetch(50, ahead=2, behind=0)
        gate.set()
        wait(new)
        assert all(f.cancelled() for f in old[1:])
        assert old[0].result()[0, 0, 0] == pytest.approx(0.1)  # the running read finished
        assert reader.reads == [10, 50, 51, 52]
        assert provider.cached_frames() == [10, 50, 51, 52]


def test_get_while_prefetch_reads_the_same_frame_reads_once():
    gate = threading.Event()
    reader = FakeReader(gate=gate)
    with FrameProvider(reader, TieredCache(1 << 20)) as provider:
        (future,) = provider.prefetch(5, ahead=0, behind=0)
        assert reader.started.wait(timeout=5)
        got = []
        waiter = threading.Thread(target=lambda: got.append(provider.get(5)))
        waiter.start()
        gate.set()
        waiter.join(timeout=5)
        assert got[0] is future.result()
        assert reader.reads == [5]


def test_prefetch_errors_stay_in_their_future(caplog):
    reader = FakeReader(bad={3})
    with FrameProvider(reader, TieredCache(1 << 20)) as provider:
        futures = provider.prefetch(2, ahead=2, behind=0)
        wait(futures)
        assert isinstance(futures[1].exception(), MediaError)
        assert provider.cached_frames() == [2, 4]
        with pytest.raises(MediaError, match="frame 3"):
            provider.get(3)
    assert "prefetch of frame 3" in caplog.text


def test_close_leaves_no_threads_and_later_prefetch_is_ignored():
    before = set(threading.enumerate())
    provider = FrameProvider(FakeReader(), TieredCache(1 << 20))
    assert not prefetch_threads()  # no thread until the first prefetch
    wait(provider.prefetch(0, ahead=3))
    assert len(prefetch_threads()) == 1
    provider.close()
    provider.close()  # idempotent
    assert not prefetch_threads()
    assert set(threading.enumerate()) <= before
    assert provider.prefetch(0) == []
    assert provider.get(1)[0, 0, 0] == pytest.approx(0.01)  # synchronous reads still work


@pytest.mark.parametrize(("ahead", "behind"), [(-1, 0), (2, -1), (1.5, 0), (True, 0)])
def test_bad_prefetch_counts(ahead, behind):
    with (
        FrameProvider(FakeReader(), TieredCache(100)) as provider,
        pytest.raises(InputError, match="prefetch"),
    ):
        provider.prefetch(0, ahead=ahead, behind=behind)


@pytest.mark.parametrize("frame", [1.5, "3", None])
def test_bad_frame_numbers(frame):
    provider = FrameProvider(FakeReader(), TieredCache(1000))
    with pytest.raises(InputError, match="frame must be an integer"):
        provider.get(frame)

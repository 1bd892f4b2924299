"""FrameProvider read-ahead: the play direction and stride, peek, blocks backwards, supersede."""

from __future__ import annotations

import threading
from concurrent.futures import wait

import pytest

from tests.core.cache.test_frame_provider import FakeReader
from ultimate_roto.core.cache import FrameProvider, TieredCache
from ultimate_roto.core.errors import InputError


def provider_of(reader: FakeReader) -> FrameProvider:
    return FrameProvider(reader, TieredCache(1 << 24))


def test_forward_reads_the_played_frame_then_ahead_then_behind():
    reader = FakeReader()
    with provider_of(reader) as provider:
        wait(provider.prefetch(10, ahead=4, behind=2, step=1))
        assert reader.reads == [10, 11, 12, 13, 14, 9, 8]
        for frame in (10, 11, 14, 9, 8):
            assert provider.peek(frame)[0, 0, 0] == pytest.approx(frame / 100)
        assert provider.peek(15) is None and provider.peek(7) is None


def test_reverse_reads_backwards_in_one_ascending_block():
    reader = FakeReader()
    with provider_of(reader) as provider:
        wait(provider.prefetch(50, ahead=4, behind=2, step=-1))
        # the played frame first, then the block before it in decoding order, then behind it
        assert reader.reads == [50, 46, 47, 48, 49, 51, 52]
        assert provider.peek(46) is not None and provider.peek(45) is None


def test_reverse_tops_up_in_blocks_not_one_seek_per_frame():
    reader = FakeReader()
    with provider_of(reader) as provider:
        wait(provider.prefetch(50, ahead=8, behind=0, step=-1))
        reader.reads.clear()
        wait(provider.prefetch(49, ahead=8, behind=0, step=-1))
        wait(provider.prefetch(48, ahead=8, behind=0, step=-1))
        wait(provider.prefetch(47, ahead=8, behind=0, step=-1))
        assert reader.reads == []  # a quarter of the window wants reading: not yet
        wait(provider.prefetch(46, ahead=8, behind=0, step=-1))
        assert reader.reads == [38, 39, 40, 41]  # half of it: one ascending block


def test_stride_follows_the_playback_speed():
    reader = FakeReader()
    with provider_of(reader) as provider:
        wait(provider.prefetch(10, ahead=3, behind=0, step=2))
        assert reader.reads == [10, 12, 14, 16]
        reader.reads.clear()
        wait(provider.prefetch(60, ahead=3, behind=0, step=-4))
        assert reader.reads == [60, 48, 52, 56]


def test_window_clamped_to_the_range_and_skips_missing_frames():
    reader = FakeReader(first=0, last=20, missing=(18,))
    with provider_of(reader) as provider:
        wait(provider.prefetch(17, ahead=5, behind=0, step=1))
        assert reader.reads == [17, 19, 20]
        reader.reads.clear()
        wait(provider.prefetch(1, ahead=3, behind=0, step=-1))
        assert reader.reads == [1, 0]


def test_moving_on_cancels_passed_frames_and_keeps_the_wanted_ones_queued():
    gate = threading.Event()
    reader = FakeReader(gate=gate)
    with provider_of(reader) as provider:
        first = provider.prefetch(10, ahead=4, behind=0, step=1)  # 10 blocks on the gate
        assert reader.started.wait(timeout=5)
        second = provider.prefetch(12, ahead=4, behind=0, step=1)
        by_frame = dict(zip([10, 11, 12, 13, 14], first, strict=True))
        assert by_frame[11].cancelled()  # passed before it was read: dropped, never read
        assert second[:2] == [by_frame[12], by_frame[13]]  # still wanted: the same request
        assert provider.future_of(14) is by_frame[14] and provider.future_of(11) is None
        gate.set()
        wait(second)
        assert reader.reads == [10, 12, 13, 14, 15, 16]
        assert provider.peek(10) is None  # read for an older window: not kept in this one


def test_a_frame_that_was_passed_over_goes_first_when_played_forwards():
    gate = threading.Event()
    reader = FakeReader(gate=gate)
    with provider_of(reader) as provider:
        provider.prefetch(10, ahead=6, behind=0, step=1)
        assert reader.started.wait(timeout=5)
        provider.prefetch(13, ahead=6, behind=2, step=1)  # the clock skipped 11 and 12
        gate.set()
        wait(provider.prefetch(13, ahead=6, behind=2, step=1))
        assert reader.reads[:2] == [10, 13]  # 13 before the frames behind it (12, 11)


def test_peek_never_waits_for_a_read():
    gate = threading.Event()
    reader = FakeReader(gate=gate)
    with provider_of(reader) as provider:
        (future,) = provider.prefetch(5, ahead=0, behind=0)
        assert reader.started.wait(timeout=5)
        assert provider.peek(5) is None  # being read: peek answers at once
        gate.set()
        frame = future.result(timeout=5)
        assert provider.peek(5) is frame


def test_cached_frames_join_the_window_without_being_read_again():
    reader = FakeReader()
    with provider_of(reader) as provider:
        held = provider.get(11)
        wait(provider.prefetch(10, ahead=2, behind=0, step=1))
        assert reader.reads == [11, 10, 12]
        assert provider.peek(11) is held


@pytest.mark.parametrize("step", [0, 1.5, True, "1"])
def test_bad_step(step):
    with provider_of(FakeReader()) as provider, pytest.raises(InputError, match="prefetch step"):
        provider.prefetch(0, step=step)

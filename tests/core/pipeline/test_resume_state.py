"""ResumeState and the decode stage on their own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ultimate_roto.core.errors import Cancelled, MediaError
from ultimate_roto.core.pipeline.decode import DONE, Decoder
from ultimate_roto.core.pipeline.state import (
    STATE_DIR,
    ResumeState,
    from_ranges,
    state_key,
    to_ranges,
)


def test_ranges_round_trip() -> None:
    frames = {1, 2, 3, 7, 9, 10, -2}
    assert to_ranges(frames) == [[-2, -2], [1, 3], [7, 7], [9, 10]]
    assert from_ranges(to_ranges(frames)) == frames
    assert to_ranges([]) == []


def test_state_persists_atomically(tmp_path: Path) -> None:
    state = ResumeState(tmp_path, state_key("spec", "input", [1, 2]), "in -> out")
    state.mark_done(1)
    state.mark_done(2, 3)
    again = ResumeState(tmp_path, state_key("spec", "input", [1, 2]))
    assert again.load() == {1, 2, 3}
    assert [p.name for p in (tmp_path / STATE_DIR).iterdir()] == [state.path.name]
    again.reset()
    assert not state.path.exists() and ResumeState(tmp_path, "x").load() == set()


def test_keys_differ_by_every_part() -> None:
    base = state_key("spec", "in.mov", [1, 2], "sRGB")
    assert base == state_key("spec", "in.mov", [1, 2], "sRGB")
    others = {state_key("spec2", "in.mov", [1, 2], "sRGB"), state_key("spec", "b.mov", [1, 2],
              "sRGB"), state_key("spec", "in.mov", [1, 3], "sRGB"),
              state_key("spec", "in.mov", [1, 2], "Linear")}  # fmt: skip
    assert base not in others and len(others) == 4


@pytest.mark.parametrize("text", ["{", '{"version": 99, "done": [[1, 2]]}', '{"done": 5}', "[]"])
def test_bad_state_files_count_as_nothing_done(tmp_path: Path, text: str) -> None:
    state = ResumeState(tmp_path, "k")
    state.path.parent.mkdir()
    state.path.write_text(text)
    assert state.load() == set()


class _Reader:
    def __init__(self, fail: int | None = None) -> None:
        self.fail = fail
        self.read_frames: list[int] = []
        self.gate = threading.Event()

    def read(self, frame: int):
        if frame == self.fail:
            raise MediaError(f"frame {frame} is corrupt")
        self.read_frames.append(frame)
        return [frame]


def test_decoder_delivers_in_order_and_reraises() -> None:
    with Decoder(_Reader(fail=3), [1, 2, 3, 4], maxsize=1) as dec:  # type: ignore[arg-type]
        assert dec.get()[0] == 1 and dec.get()[0] == 2
        with pytest.raises(MediaError, match="frame 3"):
            dec.get()


def test_decoder_stops_early_when_closed() -> None:
    reader = _Reader()
    dec = Decoder(reader, list(range(100)), maxsize=2)  # type: ignore[arg-type]
    with dec:
        assert dec.get()[0] == 0
    assert len(reader.read_frames) <= 5  # it stopped instead of reading the whole shot
    with Decoder(_Reader(), [], maxsize=1) as empty:  # type: ignore[arg-type]
        assert empty.get() is DONE


def test_decoder_wait_sees_a_cancel() -> None:
    class Stuck:
        def read(self, frame: int):
            threading.Event().wait(0.5)
            return [frame]

    def cancelled() -> None:
        raise Cancelled()

    with Decoder(Stuck(), [1], maxsize=1) as dec, pytest.raises(Cancelled):  # type: ignore[arg-type]
        dec.get(cancelled)

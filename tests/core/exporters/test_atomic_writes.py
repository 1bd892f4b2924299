"""Atomic writes: hidden temp beside the target, clean-up on failure, error mapping."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from ultimate_roto.core.errors import Cancelled, OutputError
from ultimate_roto.core.exporters import atomic


def test_partial_name_is_hidden_and_keeps_the_extension() -> None:
    assert atomic.partial_path("/x/plate.1001.exr") == Path("/x/.plate.1001.partial.exr")


def test_success_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    atomic.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_failure_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(OutputError) as err, atomic.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise OSError(errno.EIO, "Input/output error")
    assert err.value.message == f"cannot write {target}: Input/output error"
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_disk_full(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as err, atomic.atomic_path(tmp_path / "b.exr") as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert err.value.message == f"disk full while writing {tmp_path / 'b.exr'}"
    assert "free space" in (err.value.hint or "")
    assert list(tmp_path.iterdir()) == []


def test_cancel_passes_through_after_clean_up(tmp_path: Path) -> None:
    with pytest.raises(Cancelled), atomic.atomic_path(tmp_path / "c.exr") as tmp:
        tmp.write_text("half")
        raise Cancelled()
    assert list(tmp_path.iterdir()) == []


def test_writer_that_produced_nothing(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="produced no file"), atomic.atomic_path(tmp_path / "d"):
        pass


def test_ensure_writable_dir(tmp_path: Path) -> None:
    made = atomic.ensure_writable_dir(tmp_path / "new" / "deeper")
    assert made.is_dir() and list(made.iterdir()) == []
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError) as err:  # fails for root too, unlike chmod
        atomic.ensure_writable_dir(blocker / "sub")
    assert str(blocker / "sub") in err.value.message and err.value.hint

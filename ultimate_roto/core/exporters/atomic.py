"""Atomic file writes: hidden temp beside the target, fsync, os.replace; errors → OutputError."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ultimate_roto.core.errors import OutputError, RotoError

PARTIAL_TAG = ".partial"
_DISK_FULL_WORDS = ("no space left", "disk full", "enospc", "quota exceeded")


def partial_path(path: str | Path) -> Path:
    """The hidden temp name used while ``path`` is written: ``.<stem>.partial<ext>``.

    The real extension stays last so libraries that pick a format from it still work.
    """
    p = Path(path)
    return p.with_name(f".{p.stem}{PARTIAL_TAG}{p.suffix}")


def is_disk_full(exc: BaseException) -> bool:
    """True for ENOSPC/EDQUOT, or a library error whose text says the disk is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return any(word in text for word in _DISK_FULL_WORDS)


def output_error(exc: BaseException, path: str | Path) -> OutputError:
    """Turn any write failure into an :class:`OutputError` naming ``path``."""
    if isinstance(exc, OutputError):
        return exc
    if is_disk_full(exc):
        return OutputError(
            f"disk full while writing {path}",
            hint="free space on that drive or choose another output folder, then rerun with "
            "--resume to keep the frames already written",
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return OutputError(
        f"cannot write {path}: {reason or type(exc).__name__}",
        hint="check that the output folder exists, is writable and is on a healthy drive",
    )


def fsync_path(path: str | Path) -> None:
    """Flush a finished file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every OS / filesystem
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def discard(path: str | Path) -> None:
    """Delete ``path`` if it exists (used for temps); never raises."""
    with contextlib.suppress(OSError):
        os.unlink(path)


@contextlib.contextmanager
def atomic_path(path: str | Path, *, sync: bool = True) -> Iterator[Path]:
    """Yield a temp path to write; on success move it onto ``path``.

    The temp lives in the same folder (so ``os.replace`` is atomic). On any exception the
    temp is deleted and an :class:`OutputError` naming ``path`` is raised (``Cancelled`` and
    other :class:`RotoError` pass through unchanged, after the clean-up).

    Parameters
    ----------
    path
        The final file.
    sync
        fsync the file before the rename (and the folder after it).
    """
    final = Path(path)
    tmp = partial_path(final)
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"cannot write {final}: the writer produced no file")
        if sync:
            fsync_path(tmp)
        os.replace(tmp, final)
    except BaseException as exc:
        discard(tmp)
        if isinstance(exc, RotoError) or not isinstance(exc, Exception):
            raise
        raise output_error(exc, final) from exc
    if sync:
        _fsync_dir(final.parent)


def write_bytes(path: str | Path, data: bytes, *, sync: bool = True) -> None:
    """Atomically replace ``path`` with ``data``."""
    with atomic_path(path, sync=sync) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def ensure_writable_dir(folder: str | Path) -> Path:
    """Create ``folder`` (with parents) and prove a file can be written in it.

    Raises
    ------
    OutputError
        The folder cannot be created or written to (names the folder, with a hint).
    """
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ultimate_roto_probe", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            reason = "a file is in the way of the folder path"
        raise OutputError(
            f"output folder {path} is not writable: {reason}",
            hint="choose an output folder you can write to (check the path, permissions and "
            "free space)",
        ) from exc
    return path

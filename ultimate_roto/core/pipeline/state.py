"""Resume state: which frames of an export are complete, kept atomically in the output folder."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ultimate_roto.core.exporters.atomic import discard, partial_path, write_bytes

STATE_DIR = ".ultimate_roto"
_VERSION = 1


def state_key(*parts: Any) -> str:
    """A short stable hash of everything that defines an export's output."""
    text = json.dumps([str(p) if not isinstance(p, (int, list)) else p for p in parts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def to_ranges(frames: Iterable[int]) -> list[list[int]]:
    """``[1, 2, 3, 7]`` → ``[[1, 3], [7, 7]]`` (keeps the state file tiny)."""
    out: list[list[int]] = []
    for f in sorted(set(frames)):
        if out and f == out[-1][1] + 1:
            out[-1][1] = f
        else:
            out.append([f, f])
    return out


def from_ranges(ranges: Iterable[Iterable[int]]) -> set[int]:
    """Inverse of :func:`to_ranges`."""
    done: set[int] = set()
    for lo, hi in ranges:
        done.update(range(int(lo), int(hi) + 1))
    return done


class ResumeState:
    """Completed frames of one export, stored at ``<output_dir>/.ultimate_roto/<key>.json``.

    Every :meth:`mark_done` rewrites the file atomically (temp + ``os.replace``) so a killed
    run loses at most the frames that were still in flight. Thread-safe.

    Parameters
    ----------
    output_dir
        The export's output folder.
    key
        From :func:`state_key` (export spec, input, frame list, colour spaces …).
    description
        Human-readable context stored beside the frames (input path, template).
    """

    def __init__(self, output_dir: str | Path, key: str, description: str = "") -> None:
        self.path = Path(output_dir) / STATE_DIR / f"{key}.json"
        self.description = description
        self._done: set[int] = set()
        self._lock = threading.Lock()

    @property
    def done(self) -> set[int]:
        with self._lock:
            return set(self._done)

    def load(self) -> set[int]:
        """Read the recorded frames (an unreadable/corrupt file counts as none done)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            frames = from_ranges(data["done"]) if data.get("version") == _VERSION else set()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            frames = set()
        with self._lock:
            self._done = frames
        return set(frames)

    def reset(self) -> None:
        """Forget every recorded frame and delete the file."""
        with self._lock:
            self._done.clear()
        discard(self.path)

    def todo(self, outputs: Mapping[int, Sequence[Path]], resume: bool) -> list[int]:
        """The frames still to write, in the order of ``outputs`` (frame → its files).

        With ``resume``, a frame recorded complete whose files all exist is skipped; without
        it the record is reset. Temp files a killed run left for the frames to write are removed.
        """
        done = self.load() if resume else set()
        if not resume:
            self.reset()
        todo = []
        for frame, paths in outputs.items():
            if frame in done and all(p.is_file() for p in paths):
                continue
            for p in paths:
                discard(partial_path(p))
            todo.append(frame)
        return todo

    def mark_done(self, *frames: int) -> None:
        """Record ``frames`` complete and save (once)."""
        with self._lock:
            self._done.update(int(f) for f in frames)
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": _VERSION, "description": self.description,
                "done": to_ranges(self._done)}  # fmt: skip
        # No fsync: the frame files themselves are synced; a lost update only redoes frames.
        write_bytes(self.path, json.dumps(data).encode("utf-8"), sync=False)

"""Media entry points: open_media() and probe() dispatch to the video or sequence reader."""

from __future__ import annotations

from pathlib import Path

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media.imageio_ import IMAGE_EXTENSIONS
from ultimate_roto.core.media.sequence import (
    MISSING_POLICIES,
    MissingPolicy,
    SequenceReader,
    is_sequence_pattern,
    resolve_file,
    resolve_folder,
    resolve_pattern,
)
from ultimate_roto.core.media.types import CompactReader, MediaInfo, MediaReader
from ultimate_roto.core.media.video import VIDEO_EXTENSIONS, VideoReader

__all__ = [
    "IMAGE_EXTENSIONS",
    "CompactReader",
    "MISSING_POLICIES",
    "VIDEO_EXTENSIONS",
    "MediaInfo",
    "MediaReader",
    "SequenceReader",
    "VideoReader",
    "open_media",
    "probe",
]


def open_media(path: str | Path, missing: MissingPolicy = "error") -> MediaReader:
    """Open a video file, an image sequence pattern or a folder holding one sequence.

    Parameters
    ----------
    path
        ``clip.mov``; ``shot.####.exr`` / ``shot.%04d.exr`` / ``shot.#.exr`` (``#`` alone:
        any padding); a folder with exactly one sequence; or one numbered image (its
        sequence is opened).
    missing
        Image sequences only: what reading a frame missing inside the range does:
        ``"error"`` (default) raises MediaError, ``"hold"`` repeats the previous frame,
        ``"black"`` returns zeros.

    Returns
    -------
    MediaReader
        A context manager; ``reader.read(n)`` gives float32 (H, W, 3|4);
        ``reader.read_compact(n)`` the same frame as ``reader.compact_dtype`` (uint8 for
        8-bit sources, float16 otherwise) for display caches.

    Raises
    ------
    MediaError
        Missing path, unsupported type, corrupt or empty media.
    """
    p = Path(path)
    if p.is_dir():
        return SequenceReader(resolve_folder(p), path, missing)
    if is_sequence_pattern(p) and not p.is_file():
        return SequenceReader(resolve_pattern(p), path, missing)
    ext = p.suffix.lower()
    if ext not in VIDEO_EXTENSIONS + IMAGE_EXTENSIONS:
        raise MediaError(
            f"unsupported media type {ext or '(no extension)'!r}: {p}",
            hint="open a video ("
            + ", ".join(VIDEO_EXTENSIONS)
            + ") or an image sequence ("
            + ", ".join(IMAGE_EXTENSIONS)
            + ") given as name.####.ext or its folder",
        )
    if not p.exists():
        raise MediaError(f"media file not found: {p}", hint="check the path and the drive")
    if ext in VIDEO_EXTENSIONS:
        return VideoReader(p)
    return SequenceReader(resolve_file(p), path, missing)


def probe(path: str | Path) -> MediaInfo:
    """MediaInfo of ``path`` (same dispatch as :func:`open_media`; decodes no pixels).

    Raises
    ------
    MediaError
        As :func:`open_media`.
    """
    with open_media(path) as reader:
        return reader.info

"""Image sequences: pattern parsing (####, %04d, #, folder), gap detection, the reader."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np

from ultimate_roto.core.errors import InputError, MediaError
from ultimate_roto.core.media.imageio_ import IMAGE_EXTENSIONS, probe_image, read_image
from ultimate_roto.core.media.pixels import FLOAT32, compact_dtype
from ultimate_roto.core.media.types import MediaInfo

MissingPolicy = Literal["error", "hold", "black"]
MISSING_POLICIES = ("error", "hold", "black")
DEFAULT_SEQUENCE_FPS = Fraction(24)

_HASHES = re.compile(r"#+")
_PRINTF = re.compile(r"%(0?)(\d*)d")
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<num>-?\d+)(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class SequenceSpec:
    """A resolved image sequence: its folder, name parts and the files per frame number."""

    folder: Path
    prefix: str
    suffix: str
    padding: int  # 0: any width
    files: dict[int, Path]

    @property
    def pattern(self) -> str:
        """Printable pattern, e.g. ``shot.####.exr``."""
        return str(self.folder / f"{self.prefix}{'#' * max(self.padding, 1)}{self.suffix}")

    def missing(self) -> tuple[int, ...]:
        """Frame numbers between the first and last that have no file."""
        if not self.files:
            return ()
        first, last = min(self.files), max(self.files)
        return tuple(n for n in range(first, last + 1) if n not in self.files)


def is_sequence_pattern(path: str | Path) -> bool:
    """True if the file name holds a frame placeholder (``#`` or ``%0Nd``)."""
    name = Path(path).name
    return bool(_HASHES.search(name) or _PRINTF.search(name))


def _split_pattern(name: str) -> tuple[str, str, int]:
    """(prefix, suffix, padding) of a pattern name; padding 0 means any width."""
    m = _HASHES.search(name)
    if m:
        n = len(m.group(0))
        return name[: m.start()], name[m.end() :], 0 if n == 1 else n
    m = _PRINTF.search(name)
    assert m is not None
    width = int(m.group(2) or 0)
    return name[: m.start()], name[m.end() :], width if m.group(1) or width else 0


def _scan(folder: Path, prefix: str, suffix: str, padding: int) -> dict[int, Path]:
    rx = re.compile(re.escape(prefix) + r"(-?\d+)" + re.escape(suffix) + r"$")
    files: dict[int, Path] = {}
    for entry in folder.iterdir():
        m = rx.match(entry.name)
        if not m or not entry.is_file():
            continue
        digits = m.group(1).lstrip("-")
        if (
            padding
            and len(digits) != padding
            and not (len(digits) > padding > 0 and digits[0] != "0")
        ):
            continue
        files.setdefault(int(m.group(1)), entry)
    return files


def _check_ext(path: Path, suffix: str) -> None:
    ext = Path("x" + suffix).suffix.lower()
    if ext not in IMAGE_EXTENSIONS:
        raise MediaError(
            f"unsupported image sequence type {ext or '(none)'!r}: {path}",
            hint="supported sequence types: " + ", ".join(IMAGE_EXTENSIONS),
        )


def resolve_pattern(path: str | Path) -> SequenceSpec:
    """Find the files of a sequence given as ``name.####.ext`` / ``name.%04d.ext`` / ``name.#.ext``.

    Raises
    ------
    MediaError
        Folder missing, unsupported type, or no file matches.
    """
    path = Path(path)
    prefix, suffix, padding = _split_pattern(path.name)
    _check_ext(path, suffix)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise MediaError(
            f"folder of image sequence {path} not found", hint="check the path of the sequence"
        )
    files = _scan(folder, prefix, suffix, padding)
    if not files:
        raise MediaError(
            f"no file matches the image sequence {path}",
            hint="check the name, the extension and the frame padding (#### = 4 digits, "
            "# = any number of digits)",
        )
    return SequenceSpec(folder, prefix, suffix, padding, files)


def _groups(folder: Path) -> dict[tuple[str, str, int], dict[int, Path]]:
    groups: dict[tuple[str, str, int], dict[int, Path]] = {}
    for entry in sorted(folder.iterdir()):
        m = _NUMBERED.match(entry.name)
        if not m or m.group("suffix").lower() not in IMAGE_EXTENSIONS or not entry.is_file():
            continue
        digits = m.group("num").lstrip("-")
        pad = len(digits) if digits.startswith("0") or len(digits) > 1 else 0
        key = (m.group("prefix"), m.group("suffix"), pad)
        groups.setdefault(key, {})[int(m.group("num"))] = entry
    return _merge_paddings(groups)


def _merge_paddings(groups: dict) -> dict:
    """Unpadded frames (1..9 then 10..99) of one name land in several width groups: join them."""
    merged: dict[tuple[str, str, int], dict[int, Path]] = {}
    for (prefix, suffix, pad), files in sorted(groups.items(), key=lambda kv: kv[0][2]):
        unpadded = all(
            not p.name[len(prefix) :].lstrip("-").startswith("0") for p in files.values()
        )
        key = (prefix, suffix, 0 if unpadded else pad)
        merged.setdefault(key, {}).update(files)
    return merged


def resolve_folder(folder: str | Path) -> SequenceSpec:
    """The single image sequence inside ``folder``.

    Raises
    ------
    MediaError
        No sequence, or several (the message lists them).
    """
    folder = Path(folder)
    groups = _groups(folder)
    if not groups:
        raise MediaError(
            f"no image sequence found in folder {folder}",
            hint="the folder must hold numbered images such as shot.0001.exr ("
            + ", ".join(IMAGE_EXTENSIONS)
            + ")",
        )
    if len(groups) > 1:
        names = [
            f"{folder / (p + '#' * max(pad, 1) + s)} ({len(f)} files)"
            for (p, s, pad), f in groups.items()
        ]
        raise MediaError(
            f"folder {folder} holds {len(groups)} image sequences: " + "; ".join(names),
            hint="give the sequence pattern itself, e.g. " + names[0].split(" (")[0],
        )
    (prefix, suffix, pad), files = next(iter(groups.items()))
    return SequenceSpec(folder, prefix, suffix, pad, files)


def resolve_file(path: str | Path) -> SequenceSpec:
    """The sequence an existing numbered image belongs to (or a one-frame sequence)."""
    path = Path(path)
    m = _NUMBERED.match(path.name)
    if not m:
        return SequenceSpec(path.parent, path.stem, path.suffix, 0, {0: path})
    digits = m.group("num").lstrip("-")
    pad = len(digits) if digits.startswith("0") else 0
    files = _scan(path.parent, m.group("prefix"), m.group("suffix"), pad)
    return SequenceSpec(path.parent, m.group("prefix"), m.group("suffix"), pad, files)


class SequenceReader:
    """Reader of a numbered image sequence (EXR, DPX, TIFF, PNG, JPG).

    Each ``read()`` opens, decodes and closes one file and shares no state, so a prefetch
    thread and the GUI thread may read at the same time without a lock (and in parallel).
    ``read_compact()`` gives the same frame as ``compact_dtype`` (uint8 or float16) for display.

    Parameters
    ----------
    spec
        The resolved sequence (see :func:`resolve_pattern` / :func:`resolve_folder`).
    path
        The path as the user gave it (kept in ``info.path``).
    missing
        What ``read()`` does for a frame inside the range with no file: ``"error"`` raises
        :class:`MediaError`, ``"hold"`` returns the previous existing frame, ``"black"`` zeros.
    """

    def __init__(self, spec: SequenceSpec, path: str | Path, missing: MissingPolicy = "error"):
        if missing not in MISSING_POLICIES:
            raise InputError(
                f"missing={missing!r} is not a missing-frame policy",
                hint="use one of: " + ", ".join(MISSING_POLICIES),
            )
        self.spec = spec
        self.missing_policy = missing
        self._frames = sorted(spec.files)
        self.info = self._make_info(str(path))
        self.compact_dtype = compact_dtype(self.info)  # of read_compact: uint8 or float16

    def _make_info(self, path: str) -> MediaInfo:
        first, last = self._frames[0], self._frames[-1]
        head = probe_image(self.spec.files[first])
        missing = self.spec.missing()
        extra = {"pattern": self.spec.pattern, **head.extra}
        return MediaInfo(
            path=path,
            kind="sequence",
            width=head.width,
            height=head.height,
            fps=head.fps or DEFAULT_SEQUENCE_FPS,
            first_frame=first,
            last_frame=last,
            frame_count=len(self._frames),
            codec=head.codec,
            bit_depth=head.bit_depth,
            channels=head.channels,
            colorspace_guess=head.colorspace_guess,
            pixel_aspect=head.pixel_aspect,
            timecode=head.timecode,
            missing_frames=missing,
            pixel_type=head.pixel_type,
            extra=extra,
        )

    def frame_path(self, frame: int) -> Path | None:
        """The file of ``frame``, or None if it is missing."""
        return self.spec.files.get(frame)

    def read(self, frame: int) -> np.ndarray:
        """Decode ``frame`` (file number) to float32 (H, W, 3|4).

        Raises
        ------
        MediaError
            Out of range, missing (with policy "error"), or undecodable.
        """
        return self._read(frame, FLOAT32)

    def read_compact(self, frame: int) -> np.ndarray:
        """Decode ``frame`` to ``compact_dtype`` (H, W, 3|4) for display: uint8 for 8-bit
        sequences, float16 otherwise (equal to :meth:`read` within 8-bit / half precision).

        Raises
        ------
        MediaError
            As :meth:`read`.
        """
        return self._read(frame, self.compact_dtype)

    def _read(self, frame: int, dtype: np.dtype) -> np.ndarray:
        info = self.info
        if not info.first_frame <= frame <= info.last_frame:
            raise MediaError(
                f"frame {frame} is outside {self.spec.pattern} "
                f"(frames {info.first_frame}-{info.last_frame})",
                hint="sequence frames are numbered like their files",
            )
        path = self.spec.files.get(frame)
        if path is None:
            return self._read_missing(frame, dtype)
        img = read_image(path, dtype)  # no shared state: safe from several threads at once
        if img.shape[:2] != (info.height, info.width):
            raise MediaError(
                f"frame {frame} ({path}) is {img.shape[1]}x{img.shape[0]}, the sequence is "
                f"{info.width}x{info.height}",
                hint="every image of a sequence must have the same resolution",
            )
        return _match_channels(img, info.channels)

    def _read_missing(self, frame: int, dtype: np.dtype) -> np.ndarray:
        if self.missing_policy == "black":
            return np.zeros((self.info.height, self.info.width, self.info.channels), dtype)
        if self.missing_policy == "hold":
            prev = max(n for n in self._frames if n < frame)
            return self._read(prev, dtype)
        raise MediaError(
            f"frame {frame} of {self.spec.pattern} is missing (no file "
            f"{self.spec.prefix}{str(frame).zfill(self.spec.padding)}{self.spec.suffix})",
            hint="render the missing frame, or set the job option allow_missing_frames "
            "(open_media(..., missing='hold' or 'black')) to hold the previous frame or use black",
        )

    def close(self) -> None:
        """Nothing stays open between reads; provided for the reader protocol."""

    def __enter__(self) -> SequenceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _match_channels(img: np.ndarray, channels: int) -> np.ndarray:
    """Keep every frame at the sequence's channel count (add opaque alpha / drop alpha)."""
    if img.shape[2] == channels:
        return img
    if channels == 4:
        opaque = 255 if img.dtype == np.uint8 else 1
        alpha = np.full(img.shape[:2] + (1,), opaque, img.dtype)
        return np.ascontiguousarray(np.concatenate([img, alpha], axis=2))
    return np.ascontiguousarray(img[..., :3])

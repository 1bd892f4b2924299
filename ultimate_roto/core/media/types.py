"""Media description and the reader protocol every media backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal, Protocol, runtime_checkable

import numpy as np

MediaKind = Literal["video", "sequence"]


@dataclass(frozen=True)
class MediaInfo:
    """What a user (and the pipeline) needs to know about a clip.

    Frame numbers are the media's own: 0-based indices for video files, file numbers for image
    sequences. ``frames`` lists every frame number that exists, in order.
    """

    path: str  # the path as given (file, pattern with #### / %04d, or folder)
    kind: MediaKind
    width: int
    height: int
    fps: Fraction  # exact rational, 23.976 -> Fraction(24000, 1001)
    first_frame: int
    last_frame: int
    frame_count: int  # frames that exist (last - first + 1 - len(missing))
    codec: str  # "h264", "prores", "exr", "dpx", "png" ...
    bit_depth: int  # bits per channel of the source: 8, 10, 12, 16, 32
    channels: int  # 3 or 4 (alpha present)
    colorspace_guess: str  # one of core.media.colour.COLORSPACES
    pixel_aspect: float = 1.0
    timecode: str | None = None  # "HH:MM:SS:FF" of the first frame, if known
    vfr: bool = False
    missing_frames: tuple[int, ...] = ()
    pixel_type: str = "uint"  # "uint" | "half" | "float"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return float((self.last_frame - self.first_frame + 1) / self.fps) if self.fps else 0.0

    @property
    def frame_range(self) -> tuple[int, int]:
        return (self.first_frame, self.last_frame)


@runtime_checkable
class MediaReader(Protocol):
    """Random-access frame reader.

    ``read(n)`` returns frame ``n`` (media numbering) as a C-contiguous float32 array of shape
    (H, W, C), C = 3 or 4, in the source's own encoding (not linearised): integer sources are
    scaled to [0, 1], float sources (EXR) are returned as stored. Reading is exact for any n,
    in any order. Raises ``MediaError`` for a frame that is missing or undecodable.
    """

    info: MediaInfo

    def read(self, frame: int) -> np.ndarray: ...

    def close(self) -> None: ...


@runtime_checkable
class CompactReader(MediaReader, Protocol):
    """A :class:`MediaReader` that can also decode frames in a compact dtype for display.

    ``read_compact(n)`` returns frame ``n`` as C-contiguous ``compact_dtype`` (H, W, C):
    uint8 for 8-bit integer sources (``v / 255`` equals ``read(n)``), float16 for deeper
    integer and float sources (equal to ``read(n)`` within half precision). It exists for
    display caches (4x / 2x the frames per byte); engines and exporters use ``read``.
    See :mod:`ultimate_roto.core.media.pixels`.
    """

    compact_dtype: np.dtype

    def read_compact(self, frame: int) -> np.ndarray: ...

"""The document's depth layer: per-frame raw depth as float16 + zlib, normalised per shot on read.

A :class:`DepthLayer` is immutable: a new depth run replaces the whole layer (one undo step
keeps the previous layer object), snapshots share it, and an export or a save on another
thread reads it while the user keeps editing. Each frame keeps the engine's *raw* depth
(larger = farther) as float16 with the two bytes of every value split into two planes (a byte
shuffle that roughly doubles what zlib saves on smooth maps); the layer keeps one per-shot
range ``(lo, hi)`` from :func:`~ultimate_roto.core.engines.run_refine.depth_range`, and
:meth:`DepthLayer.get` returns :func:`~ultimate_roto.core.engines.run_refine.normalise_depth`
of the frame: float32 in [0, 1], 0 = near, the batch ``depth`` step's maths. The range is
computed from the stored float16 values, so a layer built frame by frame (the GUI job) and one
built from whole maps are the same.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import overload

import numpy as np

from ultimate_roto.core.engines import run_refine
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.project.masks import CHUNK_FRAMES

DEPTH_FORMAT = "urdp1"  # the project JSON's depth.format
_MAGIC = b"URDP"
_FORMAT_VERSION = 1
_HEAD = struct.Struct("<4sHIII")  # magic, format version, entry count, width, height
_ENTRY = struct.Struct("<qI")  # frame, compressed length
_ENTRY_OVERHEAD = 96  # bytes of Python bookkeeping counted per stored frame
_DAMAGED = "the depth data is damaged; recover from the autosave or a backup, or compute it again"


@dataclass(frozen=True)
class EncodedDepth:
    """One frame's raw depth: zlib of byte-shuffled float16 (high bytes, then low bytes)."""

    data: bytes

    @property
    def nbytes(self) -> int:
        return len(self.data) + _ENTRY_OVERHEAD

    def decode(self, shape: tuple[int, int], where: str = "depth") -> np.ndarray:
        """The raw depth, float32 ``shape``; InputError naming ``where`` when damaged."""
        h, w = shape
        try:
            raw = zlib.decompress(self.data)
        except zlib.error:
            raw = b""
        if len(raw) != 2 * h * w:
            raise InputError(f"{where}: the data does not decode to a {w}x{h} map", hint=_DAMAGED)
        planes = np.frombuffer(raw, np.uint8).reshape(2, h * w)
        halves = np.ascontiguousarray(planes.T).view(np.float16).reshape(h, w)
        return halves.astype(np.float32)


def encode_depth(depth: np.ndarray, where: str = "depth") -> EncodedDepth:
    """Compress a raw depth map (H, W) of finite values that fit float16 (|d| < 65504).

    Raises
    ------
    InputError
        Not 2-D, or values that are not finite or do not fit float16 (naming ``where``).
    """
    arr = np.asarray(depth)
    if arr.ndim != 2 or arr.size == 0:
        raise InputError(f"{where}: a depth map must be 2-D (H, W), got shape {arr.shape}",
                         hint="pass the engine's (H, W) depth")  # fmt: skip
    with np.errstate(over="ignore", invalid="ignore"):
        halves = np.ascontiguousarray(arr, np.float32).astype(np.float16)
    if not np.isfinite(halves).all():
        raise InputError(f"{where}: depth has NaN/inf values or values beyond float16 (65504)",
                         hint="this is an engine bug; choose another depth engine")  # fmt: skip
    planes = np.ascontiguousarray(halves.view(np.uint8).reshape(-1, 2).T)
    return EncodedDepth(zlib.compress(planes.tobytes(), 1))


class _DecodedMaps(Sequence[np.ndarray]):
    """The layer's frames decoded on access (``depth_range`` reads only a sample of them)."""

    def __init__(self, entries: list[EncodedDepth], shape: tuple[int, int]) -> None:
        self._entries, self._shape = entries, shape

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, i: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, i: slice) -> _DecodedMaps: ...
    def __getitem__(self, i: int | slice) -> np.ndarray | _DecodedMaps:
        if isinstance(i, slice):  # still lazy: one decoded map alive at a time while iterating
            return _DecodedMaps(self._entries[i], self._shape)
        return self._entries[i].decode(self._shape)


class DepthLayer:
    """Per-frame depth of a shot with its per-shot normalisation range and the engine id.

    Immutable (replace the whole layer to change it). Build one with :meth:`from_maps`
    (raw float32 maps) or :meth:`from_encoded` (frames already compressed, e.g. by a job).

    Parameters
    ----------
    width, height
        Frame size of every map (the shot's size).
    frames
        Frame → :class:`EncodedDepth` (raw depth, larger = farther).
    depth_range
        ``(lo, hi)`` raw values mapped to 0 and 1.
    engine
        The id of the engine that made it (``depth.depth_anything_v2``).
    """

    def __init__(
        self,
        width: int,
        height: int,
        frames: Mapping[int, EncodedDepth],
        depth_range: tuple[float, float],
        engine: str,
    ) -> None:
        if not frames:
            raise InputError("a depth layer needs at least one frame",
                             hint="compute depth over some frames first")  # fmt: skip
        if int(width) <= 0 or int(height) <= 0:
            raise InputError(
                f"depth layer size {width}x{height} is empty", hint="use the shot size"
            )
        self._width, self._height = int(width), int(height)
        self._frames = MappingProxyType({int(f): frames[f] for f in sorted(frames)})
        self._range = (float(depth_range[0]), float(depth_range[1]))
        self._engine = str(engine)
        self._lock = threading.Lock()
        # sidecar folder -> {chunk: file name} last written there or loaded from there;
        # maintained by persistence so an unchanged layer is not rewritten.
        self._written: dict[str, dict[int, str]] = {}

    @classmethod
    def from_encoded(
        cls,
        width: int,
        height: int,
        frames: Mapping[int, EncodedDepth],
        engine: str,
        depth_range: tuple[float, float] | None = None,
    ) -> DepthLayer:
        """A layer over compressed frames; ``depth_range`` None computes the per-shot range
        with ``run_refine.depth_range`` over the stored values."""
        if depth_range is None and frames:
            entries = [frames[f] for f in sorted(frames)]
            depth_range = run_refine.depth_range(_DecodedMaps(entries, (int(height), int(width))))
        return cls(width, height, frames, depth_range or (0.0, 0.0), engine)

    @classmethod
    def from_maps(cls, maps: Mapping[int, np.ndarray], engine: str) -> DepthLayer:
        """A layer from raw float32 depth maps (all one size), normalised per shot.

        Raises
        ------
        InputError
            No maps, maps of different sizes, non-finite values.
        """
        if not maps:
            raise InputError("no depth maps to store", hint="compute depth over some frames")
        shapes = {np.shape(m) for m in maps.values()}
        if len(shapes) != 1:
            raise InputError(f"depth maps have different sizes: {sorted(shapes)}",
                             hint="every frame of a shot has one size")  # fmt: skip
        (h, w) = next(iter(shapes))[:2]
        encoded = {int(f): encode_depth(m, f"depth of frame {f}") for f, m in maps.items()}
        return cls.from_encoded(w, h, encoded, engine)

    # -- facts -----------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``."""
        return (self._height, self._width)

    @property
    def range(self) -> tuple[float, float]:
        """The per-shot ``(lo, hi)``: raw ``lo`` reads as 0 (near), ``hi`` as 1 (far)."""
        return self._range

    @property
    def engine(self) -> str:
        return self._engine

    @property
    def frames(self) -> list[int]:
        """Sorted frames that have depth."""
        return list(self._frames)

    @property
    def span(self) -> tuple[int, int]:
        """First and last frame with depth."""
        frames = self.frames
        return (frames[0], frames[-1])

    @property
    def nbytes(self) -> int:
        """Bytes held by the compressed maps (data plus a fixed per-frame overhead)."""
        return sum(e.nbytes for e in self._frames.values())

    def has(self, frame: int) -> bool:
        return int(frame) in self._frames

    def encoded(self, frame: int) -> EncodedDepth | None:
        return self._frames.get(int(frame))

    def items(self) -> Iterator[tuple[int, EncodedDepth]]:
        """``(frame, EncodedDepth)`` in frame order."""
        return iter(self._frames.items())

    # -- reading ---------------------------------------------------------------------------
    def raw(self, frame: int) -> np.ndarray | None:
        """The frame's raw depth (float32, float16 precision), or None without depth."""
        enc = self._frames.get(int(frame))
        return None if enc is None else enc.decode(self.shape, f"depth of frame {frame}")

    def get(self, frame: int) -> np.ndarray | None:
        """The frame's depth normalised per shot: float32 (H, W) in [0, 1], 0 = near; None
        for a frame without depth."""
        raw = self.raw(frame)
        return None if raw is None else run_refine.normalise_depth(raw, *self._range)

    def describe(self) -> str:
        """``"frames 3-9"`` (or ``"frame 3"``) for labels and messages."""
        a, b = self.span
        return f"frame {a}" if a == b else f"frames {a}-{b}"

    # -- persistence support ---------------------------------------------------------------
    def written(self, folder: str) -> dict[int, str]:
        """The chunk files this layer was last saved to (or loaded from) in ``folder``."""
        with self._lock:
            return dict(self._written.get(folder, {}))

    def record_written(self, folder: str, files: Mapping[int, str]) -> None:
        with self._lock:
            self._written[folder] = dict(files)

    def __repr__(self) -> str:
        lo, hi = self._range
        return (f"<DepthLayer {self._width}x{self._height} {self.describe()} "
                f"range [{lo:.4g}, {hi:.4g}] {self._engine}>")  # fmt: skip


# -- chunk files -------------------------------------------------------------------------------
def chunks_of(layer: DepthLayer) -> dict[int, dict[int, EncodedDepth]]:
    """The layer's frames grouped by sidecar chunk (``frame // CHUNK_FRAMES``)."""
    out: dict[int, dict[int, EncodedDepth]] = {}
    for frame, enc in layer.items():
        out.setdefault(frame // CHUNK_FRAMES, {})[frame] = enc
    return out


def pack_chunk(entries: Mapping[int, EncodedDepth], width: int, height: int) -> bytes:
    """Serialise one chunk of depth frames: header (with the size), entries, CRC32 trailer."""
    parts = [_HEAD.pack(_MAGIC, _FORMAT_VERSION, len(entries), int(width), int(height))]
    for frame in sorted(entries):
        data = entries[frame].data
        parts.append(_ENTRY.pack(int(frame), len(data)))
        parts.append(data)
    body = b"".join(parts)
    return body + struct.pack("<I", zlib.crc32(body))


def unpack_chunk(
    blob: bytes, source: str, width: int, height: int
) -> Iterator[tuple[int, EncodedDepth]]:
    """Parse :func:`pack_chunk` output of a ``width`` x ``height`` shot; ``source`` names the
    file in errors (truncated, corrupt, another format or another frame size)."""
    if len(blob) < _HEAD.size + 4 or struct.unpack("<I", blob[-4:])[0] != zlib.crc32(blob[:-4]):
        raise InputError(f"depth data file {source} is truncated or corrupt", hint=_DAMAGED)
    magic, version, count, w, h = _HEAD.unpack_from(blob, 0)
    if magic != _MAGIC or version != _FORMAT_VERSION:
        raise InputError(f"depth data file {source} is not a version-1 depth chunk", hint=_DAMAGED)
    if (w, h) != (int(width), int(height)):
        raise InputError(f"depth data file {source} holds {w}x{h} maps, the shot is "
                         f"{width}x{height}", hint="the depth data does not belong to this shot; "
                         "clear it (Roto > Clear depth) or restore a backup")  # fmt: skip
    pos = _HEAD.size
    for _ in range(count):
        if pos + _ENTRY.size > len(blob) - 4:
            raise InputError(f"depth data file {source} is truncated or corrupt", hint=_DAMAGED)
        frame, n = _ENTRY.unpack_from(blob, pos)
        pos += _ENTRY.size
        yield frame, EncodedDepth(bytes(blob[pos : pos + n]))
        pos += n


def layer_summary(layer: DepthLayer | None) -> str:
    """One line for logs: frames, range and memory of a layer (or "no depth")."""
    if layer is None:
        return "no depth"
    lo, hi = layer.range
    return (f"depth of {layer.describe()} with {layer.engine}: range [{lo:.4g}, {hi:.4g}], "
            f"{layer.nbytes / 1e6:.1f} MB")  # fmt: skip

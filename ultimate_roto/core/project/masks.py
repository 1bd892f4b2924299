"""Compressed per-frame soft masks: bbox + zlib crop in memory, decoded on access."""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ultimate_roto.core.errors import InputError

BBox = tuple[int, int, int, int]  # x0, y0, x1, y1, half-open, image pixels
CHUNK_FRAMES = 64  # frames per sidecar file; one file per object per chunk
_ENTRY_OVERHEAD = 96  # bytes of Python bookkeeping counted per stored frame
_MAGIC = b"URMK"
_FORMAT_VERSION = 1
_HEAD = struct.Struct("<4sHI")  # magic, format version, entry count
_ENTRY = struct.Struct("<qiiiiI")  # frame, x0, y0, x1, y1, compressed length


@dataclass(frozen=True)
class EncodedMask:
    """An immutable compressed mask: the bbox of its non-zero pixels and the zlib'd crop."""

    bbox: BBox
    data: bytes

    @property
    def nbytes(self) -> int:
        return len(self.data) + _ENTRY_OVERHEAD

    def crop(self) -> np.ndarray:
        """The decoded crop, shape (y1 - y0, x1 - x0), uint8."""
        x0, y0, x1, y1 = self.bbox
        raw = zlib.decompress(self.data)
        return np.frombuffer(raw, dtype=np.uint8).reshape(y1 - y0, x1 - x0)


def decode_mask(enc: EncodedMask | None, shape: tuple[int, int]) -> np.ndarray:
    """A new full-frame uint8 mask of ``shape`` from an entry (zeros for None)."""
    out = np.zeros(shape, dtype=np.uint8)
    if enc is not None:
        x0, y0, x1, y1 = enc.bbox
        out[y0:y1, x0:x1] = enc.crop()
    return out


def nonzero_bbox(mask: np.ndarray) -> BBox | None:
    """Half-open bbox of the non-zero pixels of a 2-D array, or None when all zero."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def encode_mask(mask: np.ndarray) -> EncodedMask | None:
    """Compress a full-frame uint8 mask; None when it is empty (all zero)."""
    bbox = nonzero_bbox(mask)
    if bbox is None:
        return None
    x0, y0, x1, y1 = bbox
    crop = np.ascontiguousarray(mask[y0:y1, x0:x1], dtype=np.uint8)
    return EncodedMask(bbox, zlib.compress(crop.tobytes(), 1))


def union_bbox(a: BBox | None, b: BBox | None) -> BBox | None:
    """The smallest bbox holding both (None counts as empty); None when both are."""
    if a is None or b is None:
        return a if b is None else b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def clip_bbox(bbox: Iterable[int], width: int, height: int) -> BBox | None:
    """Clip ``bbox`` to the frame; None when nothing is left."""
    x0, y0, x1, y1 = (int(v) for v in bbox)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(width, x1), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


class MaskStore:
    """Every object's per-frame masks, compressed, with per-chunk change tracking.

    Masks are uint8 (0..255 soft masks) of shape (height, width). An all-zero mask is not
    stored, so "no entry" and "empty mask" are the same thing. Each (object, chunk) has a
    version tick that changes on every edit; persistence uses it to rewrite only the chunk
    files that changed since they were last written to a given folder.

    Parameters
    ----------
    width, height
        Frame size every mask must have.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width = int(width)
        self.height = int(height)
        self._entries: dict[str, dict[int, EncodedMask]] = {}
        self._versions: dict[tuple[str, int], int] = {}
        self._tick = 0
        self._lock = threading.RLock()
        # sidecar folder -> {(object, chunk): (version tick, file name)} last written there;
        # maintained by persistence so unchanged chunks are not rewritten.
        self.written_files: dict[str, dict[tuple[str, int], tuple[int, str]]] = {}

    # -- access ----------------------------------------------------------------------------
    def get(self, obj_id: str, frame: int) -> np.ndarray:
        """The full-frame mask (a new writable array; zeros when none is stored)."""
        return decode_mask(self.encoded(obj_id, frame), (self.height, self.width))

    def get_region(self, obj_id: str, frame: int, bbox: BBox) -> np.ndarray:
        """A copy of the pixels of ``bbox`` (which must lie inside the frame)."""
        x0, y0, x1, y1 = self._check_bbox(bbox)
        out = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
        enc = self.encoded(obj_id, frame)
        if enc is not None:
            ex0, ey0, ex1, ey1 = enc.bbox
            ix0, iy0, ix1, iy1 = max(x0, ex0), max(y0, ey0), min(x1, ex1), min(y1, ey1)
            if ix1 > ix0 and iy1 > iy0:
                crop = enc.crop()
                out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = crop[
                    iy0 - ey0 : iy1 - ey0, ix0 - ex0 : ix1 - ex0
                ]
        return out

    def encoded(self, obj_id: str, frame: int) -> EncodedMask | None:
        with self._lock:
            return self._entries.get(obj_id, {}).get(int(frame))

    def has(self, obj_id: str, frame: int) -> bool:
        return self.encoded(obj_id, frame) is not None

    def frames(self, obj_id: str) -> list[int]:
        """Sorted frames of ``obj_id`` that hold a non-empty mask."""
        with self._lock:
            return sorted(self._entries.get(obj_id, {}))

    def objects(self) -> list[str]:
        with self._lock:
            return [k for k, v in self._entries.items() if v]

    def bbox(self, obj_id: str, frame: int) -> BBox | None:
        enc = self.encoded(obj_id, frame)
        return None if enc is None else enc.bbox

    def nbytes(self) -> int:
        """Bytes held by the compressed masks (data plus a fixed per-entry overhead)."""
        with self._lock:
            return sum(e.nbytes for per in self._entries.values() for e in per.values())

    # -- edits -----------------------------------------------------------------------------
    def set(self, obj_id: str, frame: int, mask: np.ndarray) -> None:
        """Store a full-frame mask (uint8, or bool / float in [0, 1] which is scaled)."""
        self.set_encoded(obj_id, frame, encode_mask(as_uint8_mask(mask, (self.height, self.width))))

    def set_region(self, obj_id: str, frame: int, bbox: BBox, pixels: np.ndarray) -> None:
        """Replace the pixels of ``bbox`` with ``pixels`` (shape of the bbox, uint8)."""
        x0, y0, x1, y1 = self._check_bbox(bbox)
        pixels = as_uint8_mask(pixels, (y1 - y0, x1 - x0))
        with self._lock:
            full = self.get(obj_id, frame)
            full[y0:y1, x0:x1] = pixels
            self.set_encoded(obj_id, frame, encode_mask(full))

    def set_encoded(self, obj_id: str, frame: int, enc: EncodedMask | None) -> EncodedMask | None:
        """Store an already-encoded mask as is (None removes the frame); returns the previous
        entry. Trusted: callers holding entries from elsewhere check them with
        :meth:`check_encoded` first."""
        frame = int(frame)
        with self._lock:
            per = self._entries.setdefault(obj_id, {})
            if enc is None:
                old = per.pop(frame, None)
                if old is None:
                    return None
            else:
                old = per.get(frame)
                per[frame] = enc
            self._bump(obj_id, frame // CHUNK_FRAMES)
            return old

    def check_encoded(self, enc: EncodedMask) -> EncodedMask:
        """Refuse an entry that cannot belong to this store (not an :class:`EncodedMask` with
        immutable ``bytes`` data, or a bbox outside the frame); returns it. Cheap: the data is
        not decompressed."""
        if not isinstance(enc, EncodedMask) or type(enc.data) is not bytes:
            raise InputError(
                f"expected an EncodedMask with bytes data, got {type(enc).__name__}",
                hint="compress masks with masks.encode_mask",
            )
        self._check_bbox(enc.bbox)
        return enc

    def pop_object(self, obj_id: str) -> dict[int, EncodedMask]:
        """Remove and return every mask of ``obj_id`` (for undoable deletes)."""
        with self._lock:
            removed = self._entries.pop(obj_id, {})
            for chunk in {f // CHUNK_FRAMES for f in removed}:
                self._bump(obj_id, chunk)
            return removed

    def put_object(self, obj_id: str, masks: dict[int, EncodedMask]) -> None:
        """Restore masks removed by :meth:`pop_object`."""
        with self._lock:
            for frame, enc in masks.items():
                self.set_encoded(obj_id, frame, enc)

    # -- persistence support ---------------------------------------------------------------
    def snapshot(self) -> dict[str, dict[int, EncodedMask]]:
        """A consistent shallow copy (entries are immutable, so this is cheap)."""
        with self._lock:
            return {k: dict(v) for k, v in self._entries.items() if v}

    def versions(self) -> dict[tuple[str, int], int]:
        """Version tick per (object, chunk) that holds masks."""
        with self._lock:
            used = {(o, f // CHUNK_FRAMES) for o, per in self._entries.items() for f in per}
            return {k: self._versions[k] for k in used}

    def written(self, folder: str) -> dict[tuple[str, int], tuple[int, str]]:
        """What was last written to sidecar ``folder``: (object, chunk) → (version, file)."""
        with self._lock:
            return dict(self.written_files.get(folder, {}))

    def record_written(self, folder: str, files: dict[tuple[str, int], tuple[int, str]]) -> None:
        """Remember the chunk files a successful save or load left in ``folder``."""
        with self._lock:
            self.written_files[folder] = dict(files)

    def _bump(self, obj_id: str, chunk: int) -> None:
        self._tick += 1
        self._versions[(obj_id, chunk)] = self._tick

    # -- validation ------------------------------------------------------------------------
    def _check_bbox(self, bbox: BBox) -> BBox:
        x0, y0, x1, y1 = (int(v) for v in bbox)
        if not (0 <= x0 < x1 <= self.width and 0 <= y0 < y1 <= self.height):
            raise InputError(
                f"mask bbox {tuple(bbox)} is outside the {self.width}x{self.height} frame",
                hint="clip the region to the frame with masks.clip_bbox first",
            )
        return (x0, y0, x1, y1)


def as_uint8_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Check the shape and convert bool / float [0, 1] masks to uint8 0..255."""
    arr = np.asarray(mask)
    if arr.shape != shape:
        raise InputError(
            f"mask has shape {arr.shape}, expected {shape} (height, width)",
            hint="masks must match the shot size; resize the engine output first",
        )
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    return (np.clip(arr.astype(np.float32), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


# -- chunk files -------------------------------------------------------------------------------
def pack_chunk(entries: dict[int, EncodedMask]) -> bytes:
    """Serialise one object's masks of one chunk: header, entries, CRC32 trailer."""
    parts = [_HEAD.pack(_MAGIC, _FORMAT_VERSION, len(entries))]
    for frame in sorted(entries):
        enc = entries[frame]
        parts.append(_ENTRY.pack(frame, *enc.bbox, len(enc.data)))
        parts.append(enc.data)
    body = b"".join(parts)
    return body + struct.pack("<I", zlib.crc32(body))


def unpack_chunk(blob: bytes, source: str) -> Iterator[tuple[int, EncodedMask]]:
    """Parse :func:`pack_chunk` output; ``source`` names the file in errors."""
    hint = "the mask data is damaged; recover from the autosave or a backup of the project"
    if len(blob) < _HEAD.size + 4 or struct.unpack("<I", blob[-4:])[0] != zlib.crc32(blob[:-4]):
        raise InputError(f"mask data file {source} is truncated or corrupt", hint=hint)
    magic, version, count = _HEAD.unpack_from(blob, 0)
    if magic != _MAGIC or version != _FORMAT_VERSION:
        raise InputError(f"mask data file {source} is not a version-1 mask chunk", hint=hint)
    pos = _HEAD.size
    for _ in range(count):
        frame, x0, y0, x1, y1, n = _ENTRY.unpack_from(blob, pos)
        pos += _ENTRY.size
        yield frame, EncodedMask((x0, y0, x1, y1), bytes(blob[pos : pos + n]))
        pos += n

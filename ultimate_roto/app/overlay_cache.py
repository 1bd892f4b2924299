"""The overlays the viewport shows (an object's mask after its grow/feather, a frame's depth),
kept in the session's cache so replaying frames does not decode and filter them again on the
GUI thread, inside the user's cache budget and statistics.

Measured on a loaded 2-core box: ``benchmarks/bench_playback.py --overlays --offscreen`` (the
960x540 demo shot, grow 2 + feather 4, depth shown) steps every frame twice: mask ~4-7 ->
0.04-0.06 ms and depth ~7-10 -> 0.01-0.02 ms a frame on the second pass; at 1080p by hand a
mask's grow + feather takes ~30-60 ms and a depth frame's decode + normalisation ~20-120 ms,
against a 42 ms frame at 24 fps. A hit costs ~5-10 us: a dict lookup, two weak references and
the cache's own lookup under its lock.

Overlays are values of the session's :class:`~ultimate_roto.core.cache.TieredCache` under its
"mask" and "depth" kinds, so they share the user's RAM budget (and ``kind_mb``) with the
frames, leave LRU-first with them, follow live budget changes and show in the System panel. A
spilled overlay is worth its file, so overlays spill like frames (no opt-out): on the same box
a 1080p depth map is written in ~9 ms and read back in ~1.5 ms (a mask: ~2 / ~0.4 ms), against
~40 / ~30 ms to make it again. With the disk tier on, a miss whose value overflows the budget
writes what it evicts on the GUI thread (as the prefetch thread does for the frames it puts).

Validity: an overlay is shown while the document still holds the very entries it was made
from (the immutable ``EncodedMask`` with its ``MaskStore``, or the immutable ``DepthLayer``
with its ``EncodedDepth``) and, for a mask, the same ops. Each (kind, frame, object) keeps one
record: weak references to those entries, the ops, and the cache key the overlay was stored
under, whose params end in a serial number drawn once per made overlay (never ``id()``, which a
new object can reuse; a dead entry's weak reference answers None, never another object). An
edit, undo, new ops or a new depth layer makes the record mismatch: its old key is discarded
from every tier at once and the overlay is made under a new key, so nothing stale is shown and
an edited frame keeps one overlay, not one per brush dab. Overlays of entries replaced while
their frame is not looked at again are ordinary LRU values: they leave with the budget. A
record whose key left the cache is dropped (cache listener), so the records stay as few as the
cached overlays. Values are read-only arrays (the viewport copies before a brush dab).
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ultimate_roto.app.display_cpu import clip_depth, mask_to_uint8
from ultimate_roto.core.cache import CacheKey, TieredCache
from ultimate_roto.core.engines import maskops
from ultimate_roto.core.project.masks import decode_mask

MEDIA_ID = "overlays"  # the media_id of overlay keys in the session's cache
_serials = itertools.count(1)  # one per made overlay, in this process (next() is atomic)


@dataclass(frozen=True)
class _Record:
    sources: tuple[weakref.ref, ...]
    params: tuple
    key: CacheKey

    def matches(self, sources: tuple[Any, ...], params: tuple) -> bool:
        if params != self.params or len(sources) != len(self.sources):
            return False
        # a dead entry's reference gives None: never another object at its address
        return all(ref() is source for ref, source in zip(self.sources, sources, strict=True))


class OverlayCache:
    """Overlays in ``cache`` (the session's), each valid while its sources are the same objects.

    Parameters
    ----------
    cache
        Where the overlays are kept, under the budget of its "mask" / "depth" kinds and total;
        None keeps nothing (no media open: every overlay is made when asked for).
    """

    def __init__(self, cache: TieredCache | None = None) -> None:
        self.cache = cache
        self.hits = 0
        self.misses = 0
        self._records: dict[tuple[str, int, str], _Record] = {}
        self._lock = threading.Lock()  # the cache's listener runs on the evicting thread
        if cache is not None:
            cache.add_listener(self._cache_changed)

    def get(
        self,
        slot: tuple[str, int, str],
        sources: tuple[Any, ...],
        params: tuple,
        make: Callable[[], np.ndarray],
    ) -> np.ndarray:
        """The overlay of ``slot`` (kind, frame, object id or "") made from ``sources``
        (compared by identity) with ``params`` (by equality); made by ``make()`` and kept
        (read-only) when missing, evicted, or made from other sources or params."""
        if self.cache is None:
            self.misses += 1
            return _read_only(make())
        with self._lock:
            record = self._records.get(slot)
        current = record is not None and record.matches(sources, params)
        if not current:
            record = self._new_record(slot, sources, params, record)
        assert record is not None
        # (background: disk writes of what a promotion or the put evicts never wait here)
        value = self.cache.get(record.key, background=True)  # a new key: a counted miss
        if value is not None:
            self.hits += 1
            return value
        self.misses += 1  # made on the GUI thread only: no other thread makes this key
        if current:  # evicted: a new key, so a late "evicted" of the old one (sent by another
            record = self._new_record(slot, sources, params, record)  # thread) cannot drop it
        return self.cache.put(record.key, make(), background=True)

    def _new_record(
        self, slot: tuple[str, int, str], sources: tuple, params: tuple, old: _Record | None
    ) -> _Record:
        """A record with a new key for ``slot``; the overlay under ``old``'s key is stale."""
        kind, frame, name = slot
        key = CacheKey(MEDIA_ID, frame, kind, (name, next(_serials)))
        record = _Record(tuple(weakref.ref(s) for s in sources), params, key)
        with self._lock:
            self._records[slot] = record
        if old is not None:
            self.cache.discard(old.key)  # (its "evicted" no longer matches the new record)
        return record

    def _cache_changed(self, event: str, key: CacheKey | None) -> None:
        """Forget a record whose overlay left every tier of the cache (any thread)."""
        with self._lock:
            if event == "cleared":
                self._records.clear()
            elif event == "evicted" and key is not None and key.media_id == MEDIA_ID:
                slot = (key.kind, key.frame, key.params[0])
                record = self._records.get(slot)
                if record is not None and record.key == key:
                    del self._records[slot]

    def close(self) -> None:
        """Stop listening to the cache and forget the records (the media is closed)."""
        if self.cache is not None:
            self.cache.remove_listener(self._cache_changed)
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        """How many overlays are held (records whose value is in the cache)."""
        with self._lock:
            return len(self._records)


@functools.lru_cache(maxsize=4)
def _zeros(shape: tuple[int, int]) -> np.ndarray:
    return _read_only(np.zeros(shape, np.uint8))


def _read_only(value: np.ndarray) -> np.ndarray:
    value.setflags(write=False)
    return value


def shown_mask(
    cache: OverlayCache, doc, obj_id: str, frame: int, ops: Mapping[str, float]
) -> np.ndarray:
    """``obj_id``'s mask on ``frame`` with ``ops`` (core.engines.maskops settings) applied, as
    uint8 for the viewport's R8 texture; from ``cache`` while the stored mask is unchanged.
    A frame without a mask gives one shared read-only zeros array per frame size (not cached:
    nothing to decode; the viewport does not upload the same array again)."""
    shape = (doc.shot.height, doc.shot.width)
    entry = doc.masks.encoded(obj_id, frame)
    if entry is None:
        return _zeros(shape)

    def make() -> np.ndarray:
        mask = decode_mask(entry, shape)
        if maskops.ops_active(ops):
            mask = maskops.apply_ops(mask, ops)
        return mask_to_uint8(mask)

    params = tuple(sorted((k, float(v)) for k, v in ops.items()))
    return cache.get(("mask", int(frame), obj_id), (doc.masks, entry), params, make)


def shown_depth(cache: OverlayCache, layer, frame: int) -> np.ndarray | None:
    """``layer``'s depth of ``frame`` normalised per shot (``DepthLayer.get``), from ``cache``
    while the layer and its entry are unchanged; None for a frame without depth."""
    entry = layer.encoded(frame)
    if entry is None:
        return None

    def make() -> np.ndarray:  # as the viewport shows it, so it takes the value without a copy
        return clip_depth(layer.get(frame))

    return cache.get(("depth", int(frame), ""), (layer, entry), (), make)

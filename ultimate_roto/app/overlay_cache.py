"""A small LRU of the overlays the viewport shows (an object's mask after its grow/feather, a
frame's depth), so replaying frames does not decode and filter them again on the GUI thread.

Measured on a loaded 2-core box: ``benchmarks/bench_playback.py --overlays`` (the 960x540
demo shot, grow 2 + feather 4, depth shown) steps every frame twice: mask 5.5 -> 0.13 ms and
depth 11 -> 1.4 ms a frame on the second pass (what remains is the viewport's copy); at 1080p
by hand a mask's grow + feather takes ~60 ms and a depth frame's decode + normalisation
~20-120 ms, against a 42 ms frame at 24 fps. A hit costs a dict lookup.

An entry is valid while the document still holds the very entry it was made from (the
immutable ``EncodedMask`` / ``EncodedDepth`` and the ``DepthLayer``, compared by identity and
kept alive by the cache, so an id cannot be reused): an edit, undo or a new depth layer
replaces them, so nothing stale is ever shown. Values are read-only arrays (the viewport copies
before a brush dab writes into its mask).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ultimate_roto.app.display_cpu import mask_to_uint8
from ultimate_roto.core.engines import maskops

#: Default budget: ~250 1080p masks or ~60 1080p depth maps.
DEFAULT_BYTES = 512 * 1024**2


@dataclass
class _Entry:
    sources: tuple[Any, ...]
    value: np.ndarray


class OverlayCache:
    """Byte-budget LRU of overlay arrays, each valid while its ``sources`` are the same objects.

    Parameters
    ----------
    max_bytes
        Budget for the held arrays; the least recently used go first.
    """

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def get(
        self, key: Hashable, sources: tuple[Any, ...], make: Callable[[], np.ndarray]
    ) -> np.ndarray:
        """The value for ``key`` made from ``sources`` (objects compared by identity); made by
        ``make()`` and kept (read-only) when missing or made from other sources."""
        entry = self._items.get(key)
        if entry is not None and _same(entry.sources, sources):
            self._items.move_to_end(key)
            self.hits += 1
            return entry.value
        self.misses += 1
        value = make()
        value.setflags(write=False)
        self._drop(key)
        if value.nbytes <= self.max_bytes:
            self._items[key] = _Entry(tuple(sources), value)
            self.nbytes += value.nbytes
            while self.nbytes > self.max_bytes:
                self._drop(next(iter(self._items)))
        return value

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def _drop(self, key: Hashable) -> None:
        entry = self._items.pop(key, None)
        if entry is not None:
            self.nbytes -= entry.value.nbytes


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def shown_mask(
    cache: OverlayCache, doc, obj_id: str, frame: int, ops: Mapping[str, float]
) -> np.ndarray:
    """``obj_id``'s mask on ``frame`` with ``ops`` (core.engines.maskops settings) applied, as
    uint8 for the viewport's R8 texture; from ``cache`` while the stored mask is unchanged.
    A frame without a mask gives zeros (not cached: nothing to decode)."""
    entry = doc.masks.encoded(obj_id, frame)
    if entry is None:
        return np.zeros((doc.shot.height, doc.shot.width), np.uint8)

    def make() -> np.ndarray:
        mask = doc.mask(obj_id, frame)
        if maskops.ops_active(ops):
            from ultimate_roto.core.engines.maskops import apply_ops

            mask = apply_ops(mask, ops)
        return mask_to_uint8(mask)

    key = ("mask", obj_id, int(frame), tuple(sorted((k, float(v)) for k, v in ops.items())))
    return cache.get(key, (doc.masks, entry), make)


def shown_depth(cache: OverlayCache, layer, frame: int) -> np.ndarray | None:
    """``layer``'s depth of ``frame`` normalised per shot (``DepthLayer.get``), from ``cache``
    while the layer and its entry are unchanged; None for a frame without depth."""
    entry = layer.encoded(frame)
    if entry is None:
        return None

    def make() -> np.ndarray:  # as the viewport shows it, so it takes the value without a copy
        d = np.clip(np.asarray(layer.get(frame), np.float32), 0.0, 1.0)
        return np.ascontiguousarray(np.nan_to_num(d, copy=False, nan=1.0))

    return cache.get(("depth", int(frame)), (layer, entry), make)

"""Overlay cache: replayed frames reuse the mask (after grow/feather) and depth they showed,
inside the session cache's budget; an edit, undo, new ops or a new depth layer is never
answered with a stale overlay, and a replaced overlay leaves the cache at once."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.overlay_cache import OverlayCache, shown_depth, shown_mask
from ultimate_roto.core.cache import TieredCache
from ultimate_roto.core.engines.maskops import apply_ops
from ultimate_roto.core.project.depth import DepthLayer
from ultimate_roto.core.project.document import Document
from ultimate_roto.core.project.model import Shot

W, H = 64, 40
MIB = 1024**2


def overlays(ram_bytes: int = 64 * MIB, **kw) -> OverlayCache:
    return OverlayCache(TieredCache(ram_bytes, **kw))


def doc_with_masks(frames=range(4)):
    doc = Document(Shot(width=W, height=H, out_frame=9))
    obj = doc.add_object(name="hero")
    for f in frames:
        m = np.zeros((H, W), np.uint8)
        m[10:30, 10 + f : 40 + f] = 255
        doc.set_mask(obj.id, f, m)
    return doc, obj.id


def test_a_replayed_frame_is_not_decoded_or_filtered_again(monkeypatch):
    doc, oid = doc_with_masks()
    cache = overlays()
    ops = {"grow": 2.0, "feather": 3.0}
    calls = []
    import ultimate_roto.core.engines.maskops as maskops

    real = maskops.apply_ops
    monkeypatch.setattr(maskops, "apply_ops", lambda m, s: calls.append(1) or real(m, s))
    first = [shown_mask(cache, doc, oid, f, ops) for f in range(4)]
    again = [shown_mask(cache, doc, oid, f, ops) for f in range(4)]
    assert len(calls) == 4 and cache.hits == 4 and cache.misses == 4
    assert all(a is b for a, b in zip(first, again, strict=True))
    expected = apply_ops(doc.mask(oid, 2), ops)
    assert np.array_equal(again[2], (np.clip(expected, 0, 1) * 255 + 0.5).astype(np.uint8))
    assert not again[2].flags.writeable  # shared: nobody may paint into it


def test_edits_undo_and_new_ops_are_never_answered_from_the_cache():
    doc, oid = doc_with_masks()
    cache = overlays()
    before = shown_mask(cache, doc, oid, 1, {})
    old_entry = doc.masks.encoded(oid, 1)
    doc.set_mask_region(oid, 1, (0, 0, 8, 8), np.full((8, 8), 255, np.uint8))  # a dab
    after = shown_mask(cache, doc, oid, 1, {})
    assert after is not before and after[:8, :8].min() == 255
    doc.masks.set_encoded(oid, 1, old_entry)  # undo puts the old entry back
    assert shown_mask(cache, doc, oid, 1, {}) is not after
    assert np.array_equal(shown_mask(cache, doc, oid, 1, {}), before)
    grown = shown_mask(cache, doc, oid, 1, {"grow": 3.0})
    assert grown.sum() > before.sum()  # other ops: another entry
    assert shown_mask(cache, doc, oid, 5, {}).max() == 0  # no mask there: zeros


def test_depth_follows_the_layer_and_the_budget_evicts_the_oldest():
    rng = np.random.default_rng(1)
    maps = {f: rng.uniform(1, 10, (H, W)).astype(np.float32) for f in range(3)}
    layer = DepthLayer.from_maps(maps, "test")
    cache = overlays(2 * H * W * 4)  # room for two maps
    d0 = shown_depth(cache, layer, 0)
    assert np.array_equal(d0, layer.get(0)) and shown_depth(cache, layer, 0) is d0
    assert shown_depth(cache, layer, 7) is None  # no depth on that frame
    shown_depth(cache, layer, 1)
    shown_depth(cache, layer, 2)
    assert len(cache) == 2 and cache.cache.stats().per_kind["depth"].ram_bytes == 2 * H * W * 4
    assert shown_depth(cache, layer, 0) is not d0  # evicted, made again
    other = DepthLayer.from_maps({0: maps[0] * 2 + 5}, "again")  # recomputed depth
    assert shown_depth(cache, other, 0) is not shown_depth(cache, layer, 0)


def test_viewport_copies_a_cached_mask_before_a_dab_and_skips_reuploads(qtbot):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    view = QtRasterViewport()
    qtbot.addWidget(view)
    view.set_frame(np.zeros((H, W, 3), np.float32))
    cached = np.zeros((H, W), np.uint8)
    cached.setflags(write=False)
    view.set_mask(cached)
    view._display_image()
    view.set_mask(cached)  # the same read-only overlay again: nothing to redo
    assert not view._mask_dirty
    view.set_mask_region((0, 0, 4, 4), np.full((4, 4), 255, np.uint8))
    assert cached.max() == 0 and view.mask[:4, :4].min() == 255
    depth = np.full((H, W), 0.5, np.float32)
    depth.setflags(write=False)
    view.set_depth(depth, normalised=True)
    view._display_image()
    view.set_depth(depth, normalised=True)
    assert not view._depth_dirty
    with pytest.raises(ValueError):
        cached[0, 0] = 1

"""Overlays live in the session's cache: they share the user's RAM budget with the frames and
leave with it, spill to the disk tier like frames, never outlive the entry they were made from
(an edit replaces one overlay, it does not add another), and the System panel counts them."""

from __future__ import annotations

import threading

import numpy as np

from tests.app.conftest import small_reader
from tests.app.test_view_overlay_cache import MIB, H, W, doc_with_masks, overlays
from ultimate_roto.app.overlay_cache import OverlayCache, shown_depth, shown_mask
from ultimate_roto.app.qt_prefs import Preferences
from ultimate_roto.core.cache import CacheKey, TieredCache
from ultimate_roto.core.project.depth import DepthLayer

MASK = H * W  # bytes of one shown mask (uint8)
DEPTH = H * W * 4  # bytes of one shown depth map (float32)
FRAME = np.zeros((H, W, 3), np.float32)


def depth_layer(frames=range(4), seed: int = 1) -> DepthLayer:
    rng = np.random.default_rng(seed)
    return DepthLayer.from_maps(
        {f: rng.uniform(1, 10, (H, W)).astype(np.float32) for f in frames}, "test"
    )


def test_overlays_and_frames_share_one_budget_least_recently_used_first():
    budget = 4 * FRAME.nbytes
    cache = TieredCache(budget)
    for f in range(4):
        cache.put(CacheKey("shot", f, "frame"), FRAME.copy())  # the budget is full of frames
    doc, oid = doc_with_masks(range(8))
    overlay = OverlayCache(cache)
    layer = depth_layer(range(4))
    for f in range(4):  # 4 masks and 4 depth maps: 1.7 frames' worth
        shown_mask(overlay, doc, oid, f, {"grow": 1.0})
        shown_depth(overlay, layer, f)
    st = cache.stats()
    assert st.ram_bytes <= budget  # overlays are inside the user's budget, not beside it
    kinds = st.per_kind
    assert kinds["mask"].ram_bytes == MASK * kinds["mask"].ram_entries > 0
    assert kinds["depth"].ram_bytes == DEPTH * kinds["depth"].ram_entries > 0
    assert st.ram_bytes == sum(k.ram_bytes for k in kinds.values())
    assert cache.frames("shot") == [2, 3]  # the oldest frames made room for them
    assert len(overlay) == kinds["mask"].ram_entries + kinds["depth"].ram_entries

    cache.set_budgets(ram_bytes=DEPTH)  # the user shrinks the budget: overlays go too
    st = cache.stats()
    assert st.ram_bytes <= DEPTH and len(overlay) == st.ram_entries == 1
    assert shown_depth(overlay, layer, 3) is not None and overlay.hits == 1  # the newest stayed


def test_a_replaced_overlay_leaves_the_cache_at_once():
    doc, oid = doc_with_masks()
    overlay = overlays()
    for n in range(20):  # 20 dabs on frame 1, each shown with the object's grow
        doc.set_mask_region(oid, 1, (n, 0, n + 1, 1), np.full((1, 1), 255, np.uint8))
        shown = shown_mask(overlay, doc, oid, 1, {"grow": 2.0})
        assert shown[0, n] == 255
    for grow in (3.0, 4.0, 5.0):  # a slider drag: new ops replace the overlay too
        shown_mask(overlay, doc, oid, 1, {"grow": grow})
    layer = depth_layer()
    shown_depth(overlay, layer, 0)
    newer = depth_layer(seed=2)  # Compute depth again: a new layer
    np.testing.assert_array_equal(shown_depth(overlay, newer, 0), newer.get(0))
    st = overlay.cache.stats()
    assert (st.per_kind["mask"].ram_entries, st.per_kind["depth"].ram_entries) == (1, 1)
    assert len(overlay) == 2 and overlay.misses == 25 and overlay.hits == 0


def test_a_dead_entry_never_answers_for_a_new_one_at_the_same_address():
    from ultimate_roto.core.project.masks import EncodedMask

    doc, oid = doc_with_masks()
    overlay = overlays()
    contents = []
    for n in range(3):  # three different masks, encoded once
        mask = np.zeros((H, W), np.uint8)
        mask[5 * n : 5 * n + 9, :] = 255
        doc.set_mask(oid, 1, mask)
        contents.append((doc.masks.encoded(oid, 1), mask))
    addresses, keys = [], set()
    for n in range(30):  # each entry dies just before the next is made: at its address
        enc, mask = contents[n % 3]
        doc.masks.set_encoded(oid, 1, None)
        doc.masks.set_encoded(oid, 1, EncodedMask(enc.bbox, enc.data))
        addresses.append(id(doc.masks.encoded(oid, 1)))
        np.testing.assert_array_equal(shown_mask(overlay, doc, oid, 1, {}), mask)
        keys.update(overlay.cache.keys(kind="mask"))
    assert len(set(addresses)) < 30  # (so an id()-keyed cache would show a stale mask)
    assert len(keys) == 30 and overlay.misses == 30  # a key per made overlay, never one again


def test_spilled_overlays_come_back_from_disk_and_replaced_ones_leave_it(tmp_path):
    overlay = overlays(DEPTH, disk_dir=tmp_path, disk_bytes=64 * MIB)  # RAM: one map
    layer = depth_layer()
    first = [shown_depth(overlay, layer, f).copy() for f in range(3)]
    assert overlay.cache.wait_writes(10)  # (spills are written off the GUI thread)
    st = overlay.cache.stats().per_kind["depth"]
    assert (st.ram_entries, st.disk_entries) == (1, 2) and len(overlay) == 3
    np.testing.assert_array_equal(shown_depth(overlay, layer, 0), first[0])
    st = overlay.cache.stats().per_kind["depth"]
    assert st.hits_disk == 1 and overlay.misses == 3  # read back, not made again
    newer = depth_layer(seed=2)
    for f in range(3):
        shown_depth(overlay, newer, f)
    assert overlay.cache.wait_writes(10)
    keys = overlay.cache.keys(kind="depth")
    assert len(keys) == 3 and overlay.cache.stats().per_kind["depth"].disk_entries == 2


def test_the_gui_thread_never_writes_spills_to_disk(tmp_path, monkeypatch):
    """An overlay miss evicts older entries (frames, overlays): with the disk tier on, their
    writes go to the cache's background writer, never the caller's (GUI) thread, and what
    waits to be written stays readable."""
    from ultimate_roto.core.cache.disk import DiskTier

    writers: list[threading.Thread] = []
    real = DiskTier.write_temp

    def recording(self, value):
        writers.append(threading.current_thread())
        return real(self, value)

    monkeypatch.setattr(DiskTier, "write_temp", recording)
    overlay = overlays(DEPTH, disk_dir=tmp_path, disk_bytes=64 * MIB)  # RAM: one map
    layer = depth_layer()
    first = [shown_depth(overlay, layer, f).copy() for f in range(3)]
    np.testing.assert_array_equal(shown_depth(overlay, layer, 1), first[1])  # (RAM or disk)
    assert overlay.cache.wait_writes(10)
    assert writers and threading.main_thread() not in writers
    assert overlay.cache.stats().per_kind["depth"].disk_entries >= 2


def test_a_late_eviction_event_does_not_orphan_the_overlay_made_again():
    """Another thread evicts an overlay and sends "evicted" after the GUI thread has made it
    again: the new value is under a new key, so the late event leaves its record alone (with
    the old key reused, the value stayed in the cache with no record and was made a third
    time under yet another key)."""
    overlay = overlays(DEPTH * 4)
    layer = depth_layer()
    shown_depth(overlay, layer, 0)
    (old,) = overlay.cache.keys(kind="depth")
    with overlay.cache._lock:  # evicted by another thread, its event not sent yet
        overlay.cache._drop_locked(old)
    shown_depth(overlay, layer, 0)  # made again
    overlay._cache_changed("evicted", old)  # the late event
    assert len(overlay) == 1 and overlay.misses == 2
    shown_depth(overlay, layer, 0)
    assert overlay.hits == 1 and overlay.misses == 2  # found, not made a third time
    assert len(overlay.cache.keys(kind="depth")) == 1


def test_without_a_session_nothing_is_kept():
    doc, oid = doc_with_masks()
    overlay = OverlayCache()
    a, b = (shown_mask(overlay, doc, oid, 1, {}) for _ in range(2))
    assert a is not b and np.array_equal(a, b) and not a.flags.writeable
    assert len(overlay) == 0 and overlay.misses == 2


# -- the window ----------------------------------------------------------------------------
def show_overlays(win, frames: int) -> str:
    """A masked object (grown) and a depth layer on every frame, both shown, stepped through;
    returns the object's id."""
    from ultimate_roto.core.project.model import MaskOps

    info, doc = win.session.info, win.project.doc
    w, h = info.width, info.height
    oid = win.layers.add_object()
    for f in range(frames):
        mask = np.zeros((h, w), np.uint8)
        mask[h // 4 : h // 2, f * 8 : f * 8 + w // 3] = 255
        doc.set_mask(oid, f, mask)
    doc.set_object_field(oid, "mask_ops", MaskOps(dilate_px=2))
    maps = {
        f: np.random.default_rng(f).uniform(1, 9, (h, w)).astype(np.float32) for f in range(frames)
    }
    doc.set_depth(DepthLayer.from_maps(maps, "test"))
    win._depth_toggled(True)
    for f in range(frames):
        win.go_to(f)
    return oid


def test_the_window_keeps_overlays_in_the_budget_the_user_set(main_window):
    win = main_window
    win.apply_preferences(Preferences(ram_mb=64))
    win.set_reader(small_reader(12, 1024, 576))
    cache = win.session.cache
    assert win.overlays.cache is cache  # the open media's cache: its budget, its stats
    show_overlays(win, 12)
    st = cache.stats()
    kinds = st.per_kind
    assert st.ram_budget == 64 * MIB and st.ram_bytes <= 64 * MIB
    assert kinds["mask"].ram_entries and kinds["depth"].ram_entries  # inside, not beside it
    assert (
        st.ram_bytes
        == kinds["frame"].ram_bytes + kinds["mask"].ram_bytes + kinds["depth"].ram_bytes
    )


def test_the_system_panel_counts_overlays(main_window):
    win = main_window
    show_overlays(win, 4)
    win.system.refresh_cache()
    text = win.system.cache.text()
    st = win.session.cache.stats()
    masks, depth = st.per_kind["mask"], st.per_kind["depth"]
    assert masks.ram_entries == 4 and depth.ram_entries == 4
    assert f"mask: 4 in RAM {masks.ram_bytes / MIB:.0f} MiB" in text
    assert f"depth: 4 in RAM {depth.ram_bytes / MIB:.0f} MiB" in text
    first = text.splitlines()[0]
    assert first.endswith(f"{st.ram_bytes / MIB:.0f}/{st.ram_budget / MIB:.0f} MiB")
    assert st.ram_bytes >= masks.ram_bytes + depth.ram_bytes  # the total counts them
    assert f"of {st.lookups} lookups" in text


def test_an_undone_edit_shows_the_mask_before_it(main_window):
    win = main_window
    oid = show_overlays(win, 4)
    win.go_to(2)
    doc = win.project.doc
    before = win.viewport.mask.copy()
    win.layers.tree.setCurrentItem(win.layers.tree.topLevelItem(0))
    from ultimate_roto.core.commands.edits import SetMaskCommand

    win.project.stack.push(
        SetMaskCommand(doc, oid, 2, np.full((doc.shot.height, doc.shot.width), 255, np.uint8))
    )
    assert win.viewport.mask.min() == 255
    win.project.stack.undo()
    np.testing.assert_array_equal(win.viewport.mask, before)
    win.project.stack.redo()
    assert win.viewport.mask.min() == 255


def test_new_media_leaves_nothing_of_the_overlays_on_the_old_cache(main_window):
    win = main_window
    old_cache, old = win.session.cache, win.overlays
    assert old.cache is old_cache
    assert any(getattr(f, "__self__", None) is old for f in old_cache._listeners)
    win.set_reader(small_reader())
    assert win.overlays is not old and win.overlays.cache is win.session.cache
    assert not any(getattr(f, "__self__", None) is old for f in old_cache._listeners)
    assert len(old) == 0

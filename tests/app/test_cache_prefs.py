"""Cache preferences apply to the open media at once: RAM shrinks now, the timeline's cache bar
and the System panel follow, the disk tier turns on live, a new disk folder waits (and says so)."""

from __future__ import annotations

from tests.app.conftest import small_reader
from ultimate_roto.app.qt_prefs import Preferences

MIB = 1024 * 1024
FRAME = 1024 * 576 * 3 * 4  # bytes of one float32 frame of the shot below (6.75 MiB)


def _open_and_fill(win, frames: int = 12) -> None:
    """Open a shot of ``frames`` 1024×576 frames and cache all of them, 0 first (oldest).

    The session's background readers (thumbnails, prefetch) are stopped first, so that nothing
    reads, reorders or refills the cache behind the test's back.
    """
    win.apply_preferences(Preferences(ram_mb=512))
    win.set_reader(small_reader(frames, 1024, 576))
    win.session.loader.shutdown()
    win.session.provider.close()
    for n in range(frames):
        win.session.read_now(n)  # n becomes the most recently used
    win.timeline.set_cached_frames(win.session.cached_frames())
    assert win.session.cache.stats().ram_bytes == frames * FRAME


def cache_text(win, first_line: str) -> str:
    """The System panel's cache text: ``first_line`` and the hit rate line of the cache now."""
    st = win.session.cache.stats()
    return f"{first_line}\nhit rate {st.hit_rate:.0%} of {st.lookups} lookups"


def test_a_smaller_ram_budget_evicts_at_once_and_the_views_follow(main_window):
    win = main_window
    _open_and_fill(win)
    assert win.timeline._cached == [(0, 11)]  # the cache bar's runs
    win.apply_preferences(Preferences(ram_mb=64))
    st = win.session.cache.stats()
    assert st.ram_budget == 64 * MIB and st.ram_bytes <= 64 * MIB
    assert st.ram_entries == 64 * MIB // FRAME == 9
    assert win.session.cached_frames() == list(range(3, 12))  # the oldest three went
    assert win.timeline._cached == [(3, 11)]
    assert win.system.cache.text() == cache_text(win, "9 frames, 61/64 MiB")
    assert win.session.prefetch_ahead == 2  # the read-ahead window shrank with the budget
    assert "cache" not in win.statusBar().currentMessage().lower()  # nothing waits or failed
    win.apply_preferences(Preferences(ram_mb=1024))  # a bigger budget keeps what is there
    assert win.session.cached_frames() == list(range(3, 12))
    assert win.system.cache.text() == cache_text(win, "9 frames, 61/1024 MiB")
    assert win.session.prefetch_ahead == 12
    win.session.read_now(0)
    assert win.session.cache.stats().ram_entries == 10


def test_the_disk_tier_turns_on_live_and_a_new_folder_waits(main_window, tmp_path):
    win = main_window
    _open_and_fill(win)
    first = tmp_path / "first"
    win.apply_preferences(Preferences(ram_mb=64, disk_mb=256, disk_dir=str(first)))
    cache = win.session.cache
    st = cache.stats()
    assert st.ram_bytes <= 64 * MIB and (st.disk_entries, st.disk_budget) == (3, 256 * MIB)
    assert win.session.cached_frames() == list(range(12))  # spilled, still cached
    assert win.timeline._cached == [(0, 11)]
    assert cache.disk_dir.parent == first
    assert win.system.cache.text() == cache_text(win, "12 frames, 61/64 MiB, disk 20/256 MiB")
    win.apply_preferences(Preferences(ram_mb=64, disk_mb=256, disk_dir=str(tmp_path / "new")))
    assert "next opened media" in win.statusBar().currentMessage()
    assert cache.disk_dir.parent == first and cache.stats().disk_entries == 3
    win.apply_preferences(Preferences(ram_mb=64, disk_dir=str(first)))  # 0 MB disk: off
    assert cache.stats().disk_budget == 0 and cache.disk_dir is None
    assert win.session.cached_frames() == list(range(3, 12))
    assert win.timeline._cached == [(3, 11)]
    win.set_reader(small_reader())  # the next media gets a cache built from the preferences
    assert win.session.cache.disk_dir is None


def test_an_unusable_disk_folder_leaves_the_cache_as_it_was(tmp_path):
    from ultimate_roto.core.cache import TieredCache

    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    cache = TieredCache(512 * MIB)
    note = Preferences(ram_mb=64, disk_mb=64, disk_dir=str(blocker)).apply_cache(cache)
    assert note.startswith("Cache budgets not applied") and "cache folder" in note
    assert cache.stats().ram_budget == 512 * MIB and cache.disk_dir is None

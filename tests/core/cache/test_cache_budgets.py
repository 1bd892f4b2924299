"""TieredCache budgets changed while it is in use: set_budgets / apply_settings evict at once,
LRU first, spilling to disk like normal evictions; bad values change nothing; threads."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from ultimate_roto.core.cache import CacheKey, TieredCache
from ultimate_roto.core.errors import InputError

MB = 1024 * 1024
FILE = 128 + 100  # .npy header + a 100-byte block


def k(frame: int, kind: str = "frame") -> CacheKey:
    return CacheKey("shot", frame, kind, ())


def block(nbytes: int, fill: int = 0) -> np.ndarray:
    return np.full(nbytes, fill, dtype=np.uint8)


def filled(cache: TieredCache, frames, kind: str = "frame", size: int = 100) -> list:
    """Put ``frames`` in order (the first is the least recently used); record events."""
    for i in frames:
        cache.put(k(i, kind), block(size, i))
    events: list = []
    cache.add_listener(lambda ev, key: events.append((ev, key.frame if key else None)))
    return events


def test_shrinking_ram_without_disk_drops_the_least_recently_used():
    cache = TieredCache(1000)
    events = filled(cache, range(6))
    cache.get(k(0))  # 0 becomes the most recently used: 1 and 2 are now the oldest
    cache.set_budgets(ram_bytes=350)
    assert cache.frames("shot") == [0, 4, 5]
    assert events == [("evicted", 1), ("evicted", 2), ("evicted", 3)]
    st = cache.stats()
    assert (st.ram_bytes, st.ram_budget, st.evictions) == (300, 350, 3)


def test_shrinking_ram_spills_to_disk_and_values_stay_readable(tmp_path):
    cache = TieredCache(1000, tmp_path, 1 * MB)
    events = filled(cache, range(5))
    cache.set_budgets(ram_bytes=200)
    st = cache.stats()
    assert (st.ram_bytes, st.ram_entries, st.spills, st.disk_entries) == (200, 2, 3, 3)
    assert sorted(p.stat().st_size for p in cache.disk_dir.glob("*.npy")) == [FILE] * 3
    assert not events  # spilled values are still cached: nothing was "evicted"
    assert [cache.get(k(i))[0] for i in range(3)] == [0, 1, 2]  # read back from disk
    assert cache.stats().hits_disk == 3
    assert cache.stats().ram_bytes <= 200
    cache.close()


def test_shrinking_a_kind_budget_evicts_only_that_kind_lru_first():
    cache = TieredCache(10_000, kind_budgets={"mask": 1000})
    filled(cache, range(3), "frame")
    events = filled(cache, range(4), "mask")
    cache.get(k(0, "mask"))
    cache.set_budgets(kind_budgets={"mask": 200})
    assert cache.frames("shot", "mask") == [0, 3]
    assert cache.frames("shot", "frame") == [0, 1, 2]
    assert events == [("evicted", 1), ("evicted", 2)]
    st = cache.stats()
    assert st.per_kind["mask"].ram_budget == 200 and st.per_kind["mask"].ram_bytes == 200
    assert st.per_kind["frame"].ram_budget is None
    cache.set_budgets(kind_budgets={})  # no per-kind budget any more: only the total applies
    assert cache.stats().per_kind["mask"].ram_budget is None


def test_shrinking_the_disk_trims_the_oldest_files(tmp_path):
    cache = TieredCache(100, tmp_path, 10 * FILE)
    events = filled(cache, range(6))  # RAM holds 5; 0..4 spilled, 0 the oldest file
    cache.get(k(1))  # promoted (its file stays, now the newest); 5 spilled
    folder = cache.disk_dir
    cache.set_budgets(disk_bytes=3 * FILE)
    st = cache.stats()
    assert (st.disk_budget, st.disk_entries, st.disk_bytes) == (3 * FILE, 3, 3 * FILE)
    assert sum(p.stat().st_size for p in folder.glob("*.npy")) == 3 * FILE
    assert st.disk_evictions == 3
    assert cache.frames("shot") == [1, 4, 5]
    # 1 is in RAM too, so losing its file would not be an eviction; 0, 2, 3 are gone
    assert sorted(events) == [("evicted", 0), ("evicted", 2), ("evicted", 3)]
    cache.close()


def test_raising_budgets_keeps_everything(tmp_path):
    cache = TieredCache(300, tmp_path, 2 * FILE, kind_budgets={"frame": 300})
    events = filled(cache, range(5))
    before = cache.stats()
    cache.set_budgets(ram_bytes=10_000, disk_bytes=10 * FILE, kind_budgets={"frame": 10_000})
    after = cache.stats()
    assert not events and cache.frames("shot") == [0, 1, 2, 3, 4]
    assert (after.ram_bytes, after.disk_bytes, after.entries) == (
        before.ram_bytes,
        before.disk_bytes,
        before.entries,
    )
    assert (after.ram_budget, after.disk_budget) == (10_000, 10 * FILE)
    assert after.per_kind["frame"].ram_budget == 10_000
    cache.put(k(9), block(100))  # the room is there now
    assert cache.stats().evictions == before.evictions
    cache.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ram_bytes": -1}, "ram_bytes"),
        ({"ram_bytes": 1.5}, "ram_bytes"),
        ({"ram_bytes": True}, "ram_bytes"),
        ({"disk_bytes": -5}, "disk_bytes"),
        ({"kind_budgets": {"embeding": 10}}, "did you mean 'embedding'"),
        ({"kind_budgets": {"mask": -1}}, "mask"),
        ({"kind_budgets": [("mask", 1)]}, "kind_budgets"),
        ({"disk_bytes": 1000}, "no disk_dir"),  # turning the disk tier on needs a folder
        # a valid RAM budget next to a bad one is not applied either
        ({"ram_bytes": 100, "kind_budgets": {"frame": "lots"}}, "frame"),
    ],
)
def test_a_bad_budget_raises_and_changes_nothing(kwargs, match):
    cache = TieredCache(1000, kind_budgets={"frame": 800})
    events = filled(cache, range(8))
    with pytest.raises(InputError, match=match) as info:
        cache.set_budgets(**kwargs)
    assert info.value.hint
    st = cache.stats()
    assert (st.ram_budget, st.ram_bytes, st.disk_budget) == (1000, 800, 0)
    assert st.per_kind["frame"].ram_budget == 800 and cache.disk_dir is None
    assert not events and cache.frames("shot") == list(range(8))


def test_an_unusable_disk_folder_changes_nothing(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    cache = TieredCache(1000)
    filled(cache, range(5))
    with pytest.raises(InputError, match="cache folder"):
        cache.set_budgets(ram_bytes=100, disk_bytes=10_000, disk_dir=blocker / "cache")
    assert cache.stats().ram_budget == 1000 and cache.frames("shot") == list(range(5))


def test_turning_the_disk_tier_off_and_on_again(tmp_path, monkeypatch):
    from ultimate_roto.core.cache.disk import DiskTier

    writes = []
    write_temp = DiskTier.write_temp
    monkeypatch.setattr(DiskTier, "write_temp", lambda *a: writes.append(1) or write_temp(*a))
    cache = TieredCache(200, tmp_path, 10 * FILE)
    filled(cache, range(5))  # RAM: 3, 4; disk: 0, 1, 2
    folder = cache.disk_dir
    events: list = []
    cache.add_listener(lambda ev, key: events.append((ev, key.frame)))
    cache.set_budgets(disk_bytes=0)
    assert cache.disk_dir is None and not list(folder.glob("*.npy"))
    assert sorted(events) == [("evicted", 0), ("evicted", 1), ("evicted", 2)]
    assert cache.stats().disk_budget == 0 and "disk tier off" in cache.stats().summary()
    written = len(writes)
    cache.put(k(7), block(100))  # pushes 3 out of RAM: dropped, not written
    assert ("evicted", 3) in events and not list(folder.iterdir()) and len(writes) == written
    cache.set_budgets(disk_bytes=10 * FILE, disk_dir=tmp_path / "elsewhere")
    assert cache.disk_dir == folder  # the tier keeps its folder
    cache.put(k(8), block(100))  # 4 spills again
    assert cache.frames("shot") == [4, 7, 8] and len(list(folder.glob("*.npy"))) == 1
    cache.close()
    assert not folder.exists()


def test_turning_the_disk_tier_on_in_a_cache_built_without_one(tmp_path):
    cache = TieredCache(300)
    events = filled(cache, range(3))
    cache.set_budgets(ram_bytes=100, disk_bytes=10 * FILE, disk_dir=tmp_path)
    assert cache.disk_dir is not None and cache.disk_dir.parent == tmp_path
    assert not events and cache.frames("shot") == [0, 1, 2]
    assert cache.get(k(0))[0] == 0 and cache.stats().hits_disk == 1
    cache.close()
    # a cache built with a folder but no disk budget turns it on in that folder
    later = TieredCache(100, tmp_path / "kept", 0)
    later.set_budgets(disk_bytes=10 * FILE)
    assert later.disk_dir is not None and later.disk_dir.parent == tmp_path / "kept"
    later.close()


def test_apply_settings_gives_a_live_cache_the_settings_budgets(tmp_path):
    cache = TieredCache.from_settings({"ram_mb": 1, "disk_mb": 1, "disk_dir": str(tmp_path)})
    for i in range(6):
        cache.put(k(i), block(MB // 4, i))
    assert cache.apply_settings({"ram_mb": 0.5, "disk_mb": 1, "disk_dir": str(tmp_path)}) == []
    st = cache.stats()
    assert (st.ram_budget, st.ram_bytes, st.disk_budget) == (MB // 2, MB // 2, MB)
    assert cache.get(k(2))[0] == 2  # spilled by the new budget, read back from disk
    moved = cache.apply_settings(
        {"ram_mb": 0.5, "disk_mb": 2, "disk_dir": str(tmp_path / "new"), "kind_mb": {"mask": 1}}
    )
    assert moved == ["disk_dir"]  # the tier stays in its folder; the budgets applied
    st = cache.stats()
    assert st.disk_budget == 2 * MB and st.per_kind["mask"].ram_budget == MB
    assert cache.disk_dir.parent == tmp_path
    with pytest.raises(InputError, match="ram_mb"):
        cache.apply_settings({"ram_mb": -3})
    assert cache.stats().ram_budget == MB // 2
    cache.close()


@pytest.fixture
def fast_switching():
    """Switch threads often, so that races show up in a short run."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("fast_switching")
def test_resizing_while_threads_put_and_get_stays_consistent(tmp_path):
    cache = TieredCache(2000, tmp_path, 6 * FILE, kind_budgets={"mask": 1000})
    stop = threading.Event()
    errors: list = []
    puts = [0]

    def writer(kind: str) -> None:
        i = 0
        while not stop.is_set():
            cache.put(k(i % 30, kind), block(100, i % 30))
            i += 1
            puts[0] += 1

    def reader() -> None:
        i = 0
        while not stop.is_set():
            for kind in ("frame", "mask"):
                value = cache.get(k(i % 30, kind))
                if value is not None and value[0] != i % 30:
                    errors.append((kind, i % 30, int(value[0])))
            i += 1

    def run(fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # reported below: a dead thread would hide a race
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=run, args=a) for a in
               [(writer, "frame"), (writer, "mask"), (reader,), (reader,)]]  # fmt: skip
    for t in threads:
        t.start()
    try:
        step = 0
        while puts[0] < 5000 and not stop.is_set():  # resize until the writers did enough
            ram, disk, mask = [(300, 2 * FILE, 100), (2500, 8 * FILE, 1500), (0, 0, 0)][step % 3]
            cache.set_budgets(ram_bytes=ram, disk_bytes=disk, kind_budgets={"mask": mask})
            st = cache.stats()  # other threads keep within the budget too: never above it
            assert st.ram_bytes <= ram and st.per_kind["mask"].ram_bytes <= mask
            assert st.disk_bytes <= disk
            step += 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    cache.set_budgets(ram_bytes=1000, disk_bytes=4 * FILE)
    st = cache.stats()
    assert st.ram_bytes == 100 * st.ram_entries <= 1000
    assert st.ram_bytes == sum(ks.ram_bytes for ks in st.per_kind.values())
    assert st.disk_bytes == sum(p.stat().st_size for p in cache.disk_dir.glob("*.npy"))
    assert st.disk_bytes == FILE * st.disk_entries <= 4 * FILE
    assert not list(cache.disk_dir.glob("*.tmp"))
    cache.close()

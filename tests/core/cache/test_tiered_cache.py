"""TieredCache: LRU order, byte accounting, spill/promote, disk budget, stats, threads, errors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ultimate_roto.core.cache import CacheKey, TieredCache, register_kind, registered_kinds
from ultimate_roto.core.errors import InputError, ProcessingError


def k(frame: int, kind: str = "frame", media: str = "shot") -> CacheKey:
    return CacheKey(media, frame, kind, ())


def block(nbytes: int, fill: int = 0) -> np.ndarray:
    return np.full(nbytes, fill, dtype=np.uint8)


def npy_files(cache: TieredCache) -> list:
    return sorted(cache.disk_dir.glob("*.npy")) if cache.disk_dir else []


# -- RAM tier ----------------------------------------------------------------------------------
def test_lru_order_and_byte_accounting():
    cache = TieredCache(300)
    events = []
    cache.add_listener(lambda ev, key: events.append((ev, key.frame if key else None)))
    for i in range(3):
        cache.put(k(i), block(100, i))
    assert cache.stats().ram_bytes == 300
    assert cache.get(k(0)) is not None  # 0 becomes most recently used; 1 is now the oldest
    cache.put(k(3), block(100, 3))
    assert k(1) not in cache
    assert all(k(i) in cache for i in (0, 2, 3))
    st = cache.stats()
    assert (st.ram_bytes, st.ram_entries, st.entries, st.evictions) == (300, 3, 3, 1)
    assert ("evicted", 1) in events and events.count(("added", 3)) == 1


def test_replacing_a_key_does_not_double_count():
    cache = TieredCache(1000)
    cache.put(k(0), block(100))
    cache.put(k(0), block(200, 7))
    st = cache.stats()
    assert (st.ram_bytes, st.entries) == (200, 1)
    assert cache.get(k(0))[0] == 7


def test_stored_arrays_are_read_only_and_not_copied():
    cache = TieredCache(1000)
    a = block(10)
    stored = cache.put(k(0), a)
    assert stored is a and cache.get(k(0)) is a
    with pytest.raises(ValueError):
        a[0] = 1


def test_kind_budget_evicts_only_that_kind():
    cache = TieredCache(10_000, kind_budgets={"embedding": 200})
    cache.put(k(0, "frame"), block(100))
    for i in range(3):
        cache.put(k(i, "embedding"), block(100))
    assert k(0, "frame") in cache
    assert k(0, "embedding") not in cache
    assert cache.stats().per_kind["embedding"].ram_bytes == 200


def test_value_bigger_than_ram_is_not_kept_and_keeps_the_rest():
    cache = TieredCache(300)
    cache.put(k(0), block(100))
    events = []
    cache.add_listener(lambda ev, key: events.append(ev))
    cache.put(k(1), block(500))
    assert k(1) not in cache and k(0) in cache
    assert events == ["added", "evicted"]


# -- disk tier ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        np.random.default_rng(1).random((4, 5, 3), dtype=np.float32),
        np.arange(24, dtype=np.float16).reshape(2, 3, 4),
        np.arange(60, dtype=np.uint16).reshape(5, 12)[:, ::2],  # not contiguous
        np.array([[True, False], [False, True]]),
    ],
)
def test_spill_to_disk_and_promote_back(tmp_path, value):
    cache = TieredCache(value.nbytes, tmp_path, 1 << 20)
    cache.put(k(0), value.copy())
    cache.put(k(1), np.zeros_like(value))  # pushes frame 0 out of RAM onto disk
    assert len(npy_files(cache)) == 1
    assert cache.stats().ram_entries == 1 and k(0) in cache
    back = cache.get(k(0))
    assert back.dtype == value.dtype and back.shape == value.shape
    np.testing.assert_array_equal(back, value)
    assert not back.flags.writeable
    st = cache.stats()
    assert (st.hits_disk, st.spills) == (1, 2)  # frame 1 spilled when frame 0 came back
    assert cache.get(k(0)) is back  # promoted: now a RAM hit
    assert cache.stats().hits_ram == 1
    cache.close()


def test_promoted_value_is_not_written_twice(tmp_path):
    cache = TieredCache(100, tmp_path, 10_000)
    cache.put(k(0), block(100, 1))
    cache.put(k(1), block(100, 2))  # 0 spilled
    cache.get(k(0))  # 0 promoted, 1 spilled
    cache.get(k(1))  # 1 promoted, 0 evicted again: its file is still current
    assert cache.stats().spills == 2
    assert len(npy_files(cache)) == 2
    cache.close()


def test_background_puts_and_promotions_leave_the_writes_to_another_thread(
    tmp_path, monkeypatch
):
    """``background=True`` (a GUI thread's put or get): what it evicts is written by the
    cache's writer thread; until then it is still served from RAM; the writer ends when done."""
    from ultimate_roto.core.cache.disk import DiskTier

    gate, writers = threading.Event(), []
    real = DiskTier.write_temp

    def slow_write(self, value):
        writers.append(threading.current_thread())
        gate.wait(5)
        return real(self, value)

    monkeypatch.setattr(DiskTier, "write_temp", slow_write)
    cache = TieredCache(100, tmp_path, 10_000)
    events: list = []
    cache.add_listener(lambda e, key: events.append((e, key)))
    cache.put(k(0), block(100, 1), background=True)
    cache.put(k(1), block(100, 2), background=True)  # 0 is evicted: returns at once
    assert np.all(cache.get(k(0)) == 1)  # being written: still readable
    gate.set()
    assert cache.wait_writes(5) and len(npy_files(cache)) == 1
    assert writers and threading.main_thread() not in writers
    assert cache.stats().spills == 1 and ("evicted", k(0)) not in events  # (on disk: kept)
    assert np.all(cache.get(k(0), background=True) == 1)  # promoted; 1 written off-thread
    assert cache.wait_writes(5) and cache.stats().spills == 2
    assert threading.main_thread() not in writers
    assert not [t for t in threading.enumerate() if t.name == "cache-spill"]
    cache.close()


def test_entries_cleared_before_the_background_writer_reaches_them_are_not_written(
    tmp_path, monkeypatch
):
    from ultimate_roto.core.cache.disk import DiskTier

    gate, written = threading.Event(), []
    real = DiskTier.write_temp

    def slow_write(self, value):
        gate.wait(5)
        written.append(int(value[0]))
        return real(self, value)

    monkeypatch.setattr(DiskTier, "write_temp", slow_write)
    cache = TieredCache(100, tmp_path, 10_000)
    cache.put(k(0), block(100, 1), background=True)
    cache.put(k(1), block(100, 2), background=True)  # 0 queued (being written: held)
    cache.put(k(2), block(100, 3), background=True)  # 1 queued behind it
    cache.clear()
    gate.set()
    assert cache.wait_writes(5)
    assert written in ([], [1])  # what was on its way may finish; the rest is skipped
    assert npy_files(cache) == [] and len(cache.keys()) == 0
    cache.close()


def test_put_replaces_the_disk_copy(tmp_path):
    cache = TieredCache(100, tmp_path, 10_000)
    cache.put(k(0), block(100, 1))
    cache.put(k(1), block(100, 2))  # old value of 0 on disk
    cache.put(k(0), block(100, 9))  # new value in RAM, old file gone
    cache.put(k(2), block(100, 3))  # new value of 0 must be spilled, not the old file reused
    cache.get(k(1))
    assert cache.get(k(0))[0] == 9
    cache.close()


def test_disk_budget_evicts_least_recently_used_files(tmp_path):
    file_size = 128 + 1000  # .npy header + data
    cache = TieredCache(1000, tmp_path, 2 * file_size)
    events = []
    cache.add_listener(lambda ev, key: events.append((ev, key.frame if key else None)))
    for i in range(5):
        cache.put(k(i), block(1000, i))
    # RAM holds 4 (one value fits), the disk holds 2 and 3; 0 and 1 fell off the disk
    st = cache.stats()
    assert (st.disk_entries, st.disk_evictions) == (2, 2)
    assert st.disk_bytes == sum(p.stat().st_size for p in npy_files(cache)) <= st.disk_budget
    assert ("evicted", 0) in events and ("evicted", 1) in events
    assert cache.get(k(0)) is None and cache.get(k(2))[0] == 2
    # 2 was promoted (its file stays and is now the newest), 4 spilled, 3 fell off the disk
    assert cache.frames("shot") == [2, 4]
    assert ("evicted", 3) in events and ("evicted", 2) not in events
    cache.close()


def test_close_deletes_session_folder_and_stale_sessions_are_removed(tmp_path):
    stale = tmp_path / "ur-cache-999999999-old"
    stale.mkdir()
    (stale / "x.npy").write_bytes(b"junk")
    other = tmp_path / "keep-me"
    other.mkdir()
    with TieredCache(10, tmp_path, 10_000) as cache:
        session = cache.disk_dir
        cache.put(k(0), block(10))
        cache.put(k(1), block(10))
        assert session.is_dir() and npy_files(cache)
    assert not stale.exists() and other.is_dir()
    assert not session.exists()


def test_disk_dir_that_cannot_be_created(tmp_path):
    a_file = tmp_path / "regular_file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="disk_dir") as info:
        TieredCache(100, a_file / "cache", 1000)
    assert "disk_mb" in info.value.hint


# -- statistics and listeners ------------------------------------------------------------------
def test_stats_numbers_per_tier_and_kind(tmp_path):
    cache = TieredCache(100, tmp_path, 10_000)
    cache.put(k(0), block(100))
    cache.put(k(0, "mask"), block(100))  # frame 0 spilled
    cache.get(k(0, "mask"))  # RAM hit
    cache.get(k(0))  # disk hit
    cache.get(k(9))  # miss
    cache.get(k(9, "depth"))  # miss
    st = cache.stats()
    assert (st.hits_ram, st.hits_disk, st.misses) == (1, 1, 2)
    assert st.hit_rate == pytest.approx(0.5)
    assert st.per_kind["frame"].hits_disk == 1 and st.per_kind["frame"].misses == 1
    assert st.per_kind["mask"].hits_ram == 1 and st.per_kind["depth"].hit_rate == 0.0
    assert st.entries == 2 and st.ram_budget == 100 and st.disk_budget == 10_000
    text = st.summary()
    assert "hit rate 50.0%" in text and "mask" in text and "disk" in text
    assert "matte" not in text  # kinds never used stay out of the summary
    cache.close()


def test_clear_discard_and_listener_errors_do_not_break_the_cache(caplog):
    cache = TieredCache(1000)
    seen = []

    def broken(event, key):
        raise RuntimeError("view bug")

    cache.add_listener(broken)
    cache.add_listener(lambda ev, key: seen.append((ev, key)))
    cache.put(k(0), block(10))
    cache.put(k(1), block(10))
    assert cache.discard(k(0)) and not cache.discard(k(0))
    cache.clear()
    assert seen[-2:] == [("evicted", k(0)), ("cleared", None)]
    assert cache.stats().entries == 0 and cache.get(k(1)) is None
    assert "view bug" in caplog.text
    cache.remove_listener(broken)
    cache.put(k(2), block(10))
    assert seen[-1] == ("added", k(2))

    class View:  # a bound method is a new object at each access: removed by equality
        def changed(self, event, key):
            seen.append(("view", event))

    view = View()
    cache.add_listener(view.changed)
    cache.remove_listener(view.changed)
    cache.put(k(3), block(10))
    assert ("view", "added") not in seen


# -- get_or_compute ----------------------------------------------------------------------------
def test_concurrent_get_or_compute_computes_once():
    cache = TieredCache(1 << 20)
    calls = []
    barrier = threading.Barrier(12)
    results = [None] * 12

    def compute():
        calls.append(1)
        time.sleep(0.05)  # widen the window in which the other threads ask for the same key
        return np.arange(10.0)

    def worker(i):
        barrier.wait()
        results[i] = cache.get_or_compute(k(7), compute)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_get_or_compute_error_reaches_waiters_and_is_not_cached():
    cache = TieredCache(1000)
    with pytest.raises(InputError, match="must be a numpy array"):
        cache.get_or_compute(k(0), lambda: [1, 2, 3])
    assert cache.get_or_compute(k(0), lambda: block(4, 5))[0] == 5


def test_compute_asking_for_its_own_key_raises():
    cache = TieredCache(1000)
    with pytest.raises(ProcessingError, match="its own result"):
        cache.get_or_compute(k(0), lambda: cache.get_or_compute(k(0), lambda: block(1)))


def test_reader_and_writer_threads_keep_accounting_consistent(tmp_path):
    cache = TieredCache(1000, tmp_path, 3000)
    errors = []

    def writer():
        for i in range(60):
            cache.put(k(i % 20), block(200, i % 20))

    def reader():
        for i in range(200):
            value = cache.get(k(i % 20))
            if value is not None and value[0] != i % 20:
                errors.append((i, value[0]))

    threads = [threading.Thread(target=f) for f in (writer, reader, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st = cache.stats()
    assert not errors
    assert st.ram_bytes == 200 * st.ram_entries <= 1000
    assert st.disk_bytes == sum(p.stat().st_size for p in npy_files(cache)) <= 3000
    cache.close()


# -- values, kinds, bad input ------------------------------------------------------------------
def test_embedding_tensors_are_stored_as_numpy():
    torch = pytest.importorskip("torch")
    cache = TieredCache(1 << 20)
    tensor = torch.ones(1, 4, 2, 2, requires_grad=True) * 3
    stored = cache.put(k(0, "embedding"), tensor)
    assert isinstance(stored, np.ndarray) and stored.shape == (1, 4, 2, 2)
    assert cache.get(k(0, "embedding"))[0, 0, 0, 0] == 3
    with pytest.raises(InputError, match="numpy array, got Tensor"):
        cache.put(k(0, "frame"), torch.zeros(2))


@pytest.mark.parametrize("value", [[1, 2], 3.0, "x", np.array([object()])])
def test_non_array_values_are_rejected(value):
    with pytest.raises(InputError, match="cache value"):
        TieredCache(1000).put(k(0), value)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((-1,), {}, "ram_bytes"),
        ((True,), {}, "ram_bytes"),
        ((100.5,), {}, "ram_bytes"),
        ((100, None, -5), {}, "disk_bytes"),
        ((100, None, 1000), {}, "no disk_dir"),
        ((100,), {"kind_budgets": {"embedding": -1}}, "embedding"),
        ((100,), {"kind_budgets": {"embeding": 1}}, "did you mean 'embedding'"),
    ],
)
def test_bad_budgets(args, kwargs, match):
    with pytest.raises(InputError, match=match):
        TieredCache(*args, **kwargs)


def test_unknown_kind_has_a_suggestion_and_kinds_can_be_registered():
    with pytest.raises(InputError) as info:
        CacheKey("shot", 1, "frmae")
    assert "unknown cache kind 'frmae'" in str(info.value)
    assert "did you mean 'frame'" in info.value.hint
    register_kind("flow_test")
    assert "flow_test" in registered_kinds()
    cache = TieredCache(100)
    cache.put(CacheKey("shot", 1, "flow_test"), block(4))
    assert cache.frames("shot", "flow_test") == [1]
    with pytest.raises(InputError, match="non-empty"):
        register_kind("")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ((1, 0, "frame", ()), "media_id"),
        (("m", 1.5, "frame", ()), "frame must be an integer"),
        (("m", True, "frame", ()), "frame must be an integer"),
        (("m", 0, "frame", ["list"]), "hashable tuple"),
        (("m", 0, "frame", (["inner"],)), "not hashable"),
    ],
)
def test_bad_keys(fields, match):
    with pytest.raises(InputError, match=match):
        CacheKey(*fields)


def test_numpy_frame_numbers_make_equal_keys():
    assert CacheKey("m", np.int64(3), "mask", "a") == CacheKey("m", 3, "mask", "a")
    assert CacheKey("m", 3, "mask", "a").digest() != CacheKey("m", 3, "mask", "b").digest()

"""SimilarityIndex: correctness of add/remove/replace/rebuild, the automatic switch to an
approximate index, filtering, snapshots, and behaviour under concurrent readers and writers.

Pure numpy + faiss, no Django: `.venv/bin/python -m pytest tests/search/test_index.py -p no:django`.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from search.index import KindSetting, SimilarityIndex

DIM = 48


def descriptors(n: int, seed: int = 0, centres: int = 40) -> np.ndarray:
    """Realistic-ish descriptors: square-rooted histograms drawn around a few centres."""
    rng = np.random.default_rng(seed)
    centre = rng.dirichlet(np.full(DIM, 0.3), size=centres)
    hist = rng.gamma(30 * centre[rng.integers(0, centres, n)] + 0.01)
    vectors = np.sqrt(hist / hist.sum(1, keepdims=True)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return ids[order].tolist()


def hit_ids(hits: list[tuple[int, float]]) -> list[int]:
    return [photo_id for photo_id, _ in hits]


def make(kind: KindSetting, n: int = 2000, seed: int = 0, **kwargs) -> tuple:
    index = SimilarityIndex(DIM, kind=kind, background=False, **kwargs)
    vectors = descriptors(n, seed)
    ids = np.arange(1000, 1000 + n, dtype=np.int64)
    index.add(ids, vectors)
    return index, ids, vectors


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_search_finds_the_nearest(kind):
    index, ids, vectors = make(kind)
    assert index.kind == kind and len(index) == len(ids)
    queries = descriptors(50, seed=1)
    overlap = []
    for query in queries:
        hits = index.search(query, 10)
        expected = exact_top(vectors, ids, query, 10)
        assert len(hits) == 10
        sims = [s for _, s in hits]
        assert sims == sorted(sims, reverse=True)
        if kind == "flat":
            assert hit_ids(hits) == expected
            np.testing.assert_allclose(sims, np.sort(vectors @ query)[::-1][:10], rtol=1e-5)
        overlap.append(len(set(hit_ids(hits)) & set(expected)) / 10)
    assert np.mean(overlap) >= 0.95
    # A stored photo finds itself first, with similarity ~1.
    top_id, top_sim = index.search(vectors[7], 1)[0]
    assert top_id == ids[7] and top_sim == pytest.approx(1.0, abs=2e-3)


def test_search_many_matches_single_searches():
    index, _, _ = make("hnsw")
    queries = descriptors(20, seed=2)
    batch = index.search_many(queries, 5)
    assert len(batch) == 20
    for query, hits in zip(queries, batch, strict=True):
        assert hit_ids(hits) == hit_ids(index.search(query, 5))


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_removed_ids_disappear(kind):
    index, ids, vectors = make(kind)
    gone = ids[[3, 10, 500]]
    index.remove(np.append(gone, 999_999))  # unknown ids are ignored
    assert len(index) == len(ids) - 3
    assert not set(gone.tolist()) & set(index.ids().tolist())
    for i in (3, 10, 500):
        hits = index.search(vectors[i], 20)
        assert ids[i] not in hit_ids(hits)
        assert len(hits) == 20
    for hits in index.search_many(vectors[[3, 10, 500]], 20):
        assert not set(gone.tolist()) & set(hit_ids(hits))


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_readding_an_id_replaces_its_vector(kind):
    index, ids, vectors = make(kind)
    photo = int(ids[42])
    new_vector = vectors[1500]  # reprocessed: now looks like another photo
    index.add([photo], new_vector[None, :])
    assert len(index) == len(ids)
    assert index.stats()["tombstones"] == 1
    found = dict(index.search(new_vector, 2))
    assert photo in found and found[photo] == pytest.approx(1.0, abs=2e-3)
    # The old vector no longer matches it.
    old_hits = dict(index.search(vectors[42], 5))
    assert old_hits.get(photo, 0.0) < 0.999


def test_last_row_wins_for_an_id_repeated_in_one_add():
    index = SimilarityIndex(DIM, kind="flat")
    vectors = descriptors(3, seed=3)
    index.add([7, 8, 7], vectors)
    assert index.ids().tolist() == [7, 8]
    assert index.search(vectors[2], 1)[0][0] == 7
    assert dict(index.search(vectors[0], 2)).get(7, 0.0) < 0.999


def test_rebuild_replaces_contents_and_sets_sequence():
    index, ids, _ = make("hnsw")
    new_ids = np.arange(50_000, 50_300)
    new_vectors = descriptors(300, seed=4)
    index.rebuild(new_ids, new_vectors, sequence=12)
    assert index.ids().tolist() == new_ids.tolist()
    assert index.sequence == 12
    assert index.search(new_vectors[5], 1)[0][0] == new_ids[5]
    # Rebuild chose by size: 300 photos is below the default threshold.
    auto = SimilarityIndex(DIM, background=False)
    auto.rebuild(new_ids, new_vectors)
    assert auto.kind == "flat"


def test_switches_to_approximate_past_the_threshold_and_back():
    index = SimilarityIndex(DIM, approximate_threshold=600, background=False)
    vectors = descriptors(1200, seed=5)
    ids = np.arange(1200)
    index.add(ids[:500], vectors[:500])
    assert index.kind == "flat"
    index.add(ids[500:], vectors[500:], sequence=3)
    assert index.kind == "hnsw"
    assert len(index) == 1200 and index.sequence == 3
    assert index.ids().tolist() == ids.tolist()
    for i in (0, 499, 500, 1199):
        assert index.search(vectors[i], 1)[0][0] == i
    query = descriptors(1, seed=6)[0]
    assert len(set(hit_ids(index.search(query, 10))) & set(exact_top(vectors, ids, query, 10))) >= 9
    # Hysteresis: still approximate just under the threshold, exact again below half of it.
    index.remove(ids[:700])
    assert index.kind == "hnsw"
    index.remove(ids[700:1000])
    assert index.kind == "flat"
    assert index.ids().tolist() == ids[1000:].tolist()
    assert index.search(vectors[1100], 1)[0][0] == 1100


def test_switch_in_background_keeps_serving():
    index = SimilarityIndex(DIM, approximate_threshold=1000, background=True)
    vectors = descriptors(3000, seed=7)
    index.add(np.arange(3000), vectors)
    # Until the background build swaps in, the flat index answers.
    assert index.search(vectors[10], 1)[0][0] == 10
    assert index.wait_for_maintenance(timeout=60)
    assert index.kind == "hnsw"
    assert index.search(vectors[10], 1)[0][0] == 10


def test_tombstones_are_compacted():
    index, ids, vectors = make("hnsw")
    index.remove(ids[:300])
    assert index.stats()["tombstones"] == 300  # under 25% of 2000: kept
    index.remove(ids[300:600])
    stats = index.stats()
    assert stats["tombstones"] == 0 and stats["stored"] == len(ids) - 600
    assert index.kind == "hnsw"
    assert index.ids().tolist() == ids[600:].tolist()
    for i in (600, 1234, 1999):
        assert index.search(vectors[i], 1)[0][0] == ids[i]


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
@pytest.mark.parametrize("share", [0.01, 0.3, 0.9])
def test_allowed_ids_restrict_the_results(kind, share):
    index, ids, vectors = make(kind)
    rng = np.random.default_rng(8)
    allowed = np.sort(rng.choice(ids, int(share * len(ids)), replace=False))
    query = descriptors(1, seed=9)[0]
    mask = np.isin(ids, allowed)
    expected = exact_top(vectors[mask], ids[mask], query, 10)
    hits = index.search(query, 10, allowed_ids=allowed)
    assert set(hit_ids(hits)) <= set(allowed.tolist())
    assert len(hits) == min(10, len(allowed))
    if kind == "flat" or share < 0.1:  # small allowed sets are searched exactly
        assert hit_ids(hits) == expected
    else:
        assert len(set(hit_ids(hits)) & set(expected)) >= 8


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_allowed_ids_ignore_unknown_and_removed(kind):
    index, ids, vectors = make(kind)
    index.remove(ids[:2])
    hits = index.search(vectors[0], 10, allowed_ids=[ids[0], ids[1], ids[2], 10**9])
    assert hit_ids(hits) == [ids[2]]
    assert index.search(vectors[0], 10, allowed_ids=np.array([], np.int64)) == []
    assert index.search(vectors[0], 10, allowed_ids=[ids[0]]) == []


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_exclude_ids(kind):
    index, ids, vectors = make(kind)
    hits = index.search(vectors[5], 5, exclude_ids=[ids[5]])
    assert ids[5] not in hit_ids(hits) and len(hits) == 5
    assert hit_ids(hits) == hit_ids(index.search(vectors[5], 6))[1:]
    # Many exclusions take the selector path rather than over-fetching.
    near = hit_ids(index.search(vectors[5], 100))
    hits = index.search(vectors[5], 10, exclude_ids=near[:60])
    assert len(hits) == 10 and not set(hit_ids(hits)) & set(near[:60])
    # Together with allowed_ids.
    allowed = ids[:20]
    hits = index.search(vectors[5], 30, exclude_ids=[ids[5]], allowed_ids=allowed)
    assert sorted(hit_ids(hits)) == sorted(set(allowed.tolist()) - {ids[5]})


def test_k_beyond_the_collection_returns_everything_live():
    index = SimilarityIndex(DIM, kind="hnsw", background=False)
    vectors = descriptors(5, seed=10)
    index.add([1, 2, 3, 4, 5], vectors)
    index.remove([2])
    assert sorted(hit_ids(index.search(vectors[0], 50))) == [1, 3, 4, 5]
    assert sorted(hit_ids(index.search(vectors[0], 50, exclude_ids=[1]))) == [3, 4, 5]
    assert SimilarityIndex(DIM).search(vectors[0], 3) == []


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_save_load_round_trip(tmp_path, kind):
    index, ids, vectors = make(kind)
    index.remove(ids[:5])
    index.add([ids[10]], vectors[11:12], sequence=99)
    path = tmp_path / "index.snapshot"
    index.save(path)
    assert os.listdir(tmp_path) == ["index.snapshot"]  # no temp file left behind

    loaded = SimilarityIndex(DIM, kind=kind, background=False)
    assert loaded.load(path) == 99
    assert loaded.sequence == 99 and loaded.kind == kind
    assert loaded.ids().tolist() == index.ids().tolist()
    assert loaded.stats()["tombstones"] == index.stats()["tombstones"]
    for query in descriptors(10, seed=11):
        assert loaded.search(query, 10) == index.search(query, 10)
    # Still writable after loading.
    loaded.remove([ids[6]])
    loaded.add([5], vectors[6:7])
    assert loaded.search(vectors[6], 1)[0][0] == 5


def test_load_rejects_foreign_files(tmp_path):
    index, _, _ = make("flat", n=50)
    path = tmp_path / "snap"
    index.save(path)
    with pytest.raises(ValueError):
        SimilarityIndex(DIM + 1).load(path)
    (tmp_path / "junk").write_bytes(b"not an index")
    with pytest.raises(ValueError):
        SimilarityIndex(DIM).load(tmp_path / "junk")


def test_rejects_bad_input():
    index = SimilarityIndex(DIM)
    with pytest.raises(ValueError):
        index.add([1], np.ones((1, DIM + 1), np.float32))
    with pytest.raises(ValueError):
        index.add([1, 2], np.ones((1, DIM), np.float32))
    with pytest.raises(ValueError):
        index.add([-1], np.ones((1, DIM), np.float32))
    with pytest.raises(ValueError):
        index.add([1], np.full((1, DIM), np.nan, np.float32))
    with pytest.raises(ValueError):
        SimilarityIndex(DIM, kind="lsh")  # type: ignore[arg-type]
    assert len(index) == 0


def test_writes_during_a_rebuild_are_not_lost(monkeypatch):
    """A rebuild builds off to the side; writes meanwhile land on the old index and are
    replayed on the new one before the swap. The sequence becomes the older of the two."""
    index, ids, vectors = make("flat", n=500, approximate_threshold=10_000)
    index.sequence = 5
    building = threading.Event()
    release = threading.Event()
    real_build = SimilarityIndex._build

    def slow_build(self, *args, **kwargs):
        store = real_build(self, *args, **kwargs)
        building.set()
        assert release.wait(10)
        return store

    monkeypatch.setattr(SimilarityIndex, "_build", slow_build)
    new_vectors = descriptors(400, seed=12)
    rebuild = threading.Thread(
        target=index.rebuild, args=(np.arange(400), new_vectors), kwargs={"sequence": 20}
    )
    rebuild.start()
    assert building.wait(10)
    # The old contents still serve, and writes go through.
    assert index.search(vectors[3], 1)[0][0] == ids[3]
    extra = descriptors(2, seed=13)
    index.add([7000, 7001], extra, sequence=21)
    index.remove([0, 1], sequence=22)
    index.add([2], extra[:1])  # replaces photo 2 of the rebuild data
    release.set()
    rebuild.join(10)
    assert not rebuild.is_alive()
    assert index.ids().tolist() == list(range(2, 400)) + [7000, 7001]
    assert index.search(extra[1], 1)[0][0] == 7001
    assert set(hit_ids(index.search(extra[0], 2))) == {2, 7000}
    assert index.sequence == 20  # min(rebuild's 20, the writes' 22): catch-up re-applies


def test_concurrent_searches_and_writes():
    """Searches in several threads while one thread adds and removes, crossing the
    threshold (a background switch to HNSW) and triggering compactions. No search may
    return an id whose remove() had already returned when the search started."""
    n0, threshold = 1500, 2500
    vectors = descriptors(6000, seed=14)
    index = SimilarityIndex(DIM, approximate_threshold=threshold, background=True)
    index.add(np.arange(n0), vectors[:n0])
    removed: set[int] = set()
    readded: set[int] = set()
    removed_lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []
    searches = [0] * 4

    def searcher(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                with removed_lock:
                    gone = set(removed)
                query = vectors[rng.integers(0, len(vectors))]
                if rng.random() < 0.3:
                    allowed = rng.choice(6000, 300, replace=False)
                    found = hit_ids(index.search(query, 10, allowed_ids=allowed))
                    assert set(found) <= set(allowed.tolist())
                elif rng.random() < 0.2:
                    found = [i for hits in index.search_many(query[None, :], 10) for i, _ in hits]
                else:
                    found = hit_ids(index.search(query, 10, exclude_ids=[0]))
                assert not gone & set(found), gone & set(found)
                searches[seed] += 1
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def writer() -> None:
        try:
            next_id = n0
            rng = np.random.default_rng(99)
            for step in range(60):
                index.add(np.arange(next_id, next_id + 70), vectors[next_id : next_id + 70])
                next_id += 70
                live = index.ids()
                victims = rng.choice(live[live > 0], 40, replace=False)
                index.remove(victims)
                with removed_lock:
                    removed.update(victims.tolist())
                photo = int(live[-1])
                if step % 10 == 0 and photo not in victims:  # reprocessed: a new vector
                    index.add([photo], vectors[rng.integers(0, 6000)][None, :])
                    readded.add(photo)
                time.sleep(0.002)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=searcher, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    write_thread = threading.Thread(target=writer)
    write_thread.start()
    write_thread.join(120)
    index.wait_for_maintenance(timeout=120)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors[0]
    assert min(searches) > 10  # every searcher really ran alongside the writer
    assert index.kind == "hnsw"
    expected = set(range(n0 + 60 * 70)) - removed
    assert set(index.ids().tolist()) == expected
    assert len(index) == len(expected)
    for photo in sorted(expected - readded)[::100]:
        assert photo in hit_ids(index.search(vectors[photo], 5))


def test_rebuild_without_waiting_serves_exact_then_switches(monkeypatch):
    index = SimilarityIndex(DIM, approximate_threshold=1000, background=True)
    vectors = descriptors(3000, seed=15)
    release = threading.Event()
    real = SimilarityIndex._rebuild_from_storage

    def held_back(self):
        assert release.wait(10)
        real(self)

    monkeypatch.setattr(SimilarityIndex, "_rebuild_from_storage", held_back)
    index.rebuild(np.arange(3000), vectors, sequence=4, wait=False)
    assert index.kind == "flat" and len(index) == 3000 and index.sequence == 4
    assert hit_ids(index.search(vectors[9], 3)) == exact_top(
        vectors, np.arange(3000), vectors[9], 3
    )
    release.set()
    assert index.wait_for_maintenance(timeout=60)
    assert index.kind == "hnsw" and index.sequence == 4
    assert index.search(vectors[9], 1)[0][0] == 9


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_dimension_not_a_multiple_of_the_simd_width(tmp_path, kind):
    """Vectors are zero-padded inside (50 -> 64); callers see only their own dimension."""
    rng = np.random.default_rng(16)
    vectors = rng.random((800, 50)).astype(np.float32) ** 3
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = SimilarityIndex(50, kind=kind, background=False)
    index.add(np.arange(800), vectors)
    query = vectors[17]
    hits = index.search(query, 5)
    assert hit_ids(hits) == exact_top(vectors, np.arange(800), query, 5)
    np.testing.assert_allclose([s for _, s in hits], np.sort(vectors @ query)[::-1][:5], atol=2e-3)
    assert hit_ids(index.search_many(vectors[:3], 1)[0]) == [0]
    index.remove(np.arange(300))  # compaction decodes padded vectors and re-adds them
    assert index.stats()["tombstones"] == 0
    assert index.search(vectors[400], 1)[0][0] == 400
    index.save(tmp_path / "snap")
    loaded = SimilarityIndex(50, kind=kind)
    loaded.load(tmp_path / "snap")
    assert loaded.search(query, 5) == index.search(query, 5)
    with pytest.raises(ValueError):
        index.search(np.ones(64, np.float32), 1)

"""In-memory similarity index over photo colour descriptors, kept in step with the database.

Descriptors are float32, L2-normalised, nonnegative (square-rooted histograms), compared by inner
product (1 = identical). The database is the source of truth: every web process holds one
`SimilarityIndex`, fills it with `rebuild()` (or `load()` of a snapshot) and then catches up
incrementally with `add()` / `remove()`. This module knows nothing about Django.

Design, with the measurements behind it in bench/bench_search.py and the task report:

* Exact `IndexFlatIP` while small; past `approximate_threshold` live photos the index switches
  (in a background thread, built off to the side and swapped in) to HNSW with fp16 storage:
  fp16 halves memory against float32 at no measurable recall cost, whereas SQ8 caps recall@10
  around 0.98 because near neighbours of a photo are only ~0.01 apart in similarity. IVF is
  available as an override (`kind="ivf"`) but is slower for the same recall (bench_search
  --sweep, 100k clustered: IVF needs nprobe 64, 1.2 ms, for recall@10 0.999; HNSW gets there
  at efSearch 32 in 0.18 ms).
* faiss gets sequential *positions* as labels (0..ntotal-1); we map positions to photo ids. A
  delete or a replaced vector only tombstones its position (HNSW cannot remove nodes). Searches
  skip tombstones with an `IDSelectorBitmap` passed in the search parameters, so there is no
  over-fetch and no short result lists; tombstoned nodes still route the HNSW graph, which is why
  recall did not drop even with 50% tombstones. Tombstones cost memory, so once they exceed
  `compact_fraction` of the stored vectors the index rebuilds itself from its own storage.
* One readers-writer lock: searches share it, add/remove/swap take it exclusively. Rebuilds
  never hold it while building; writes that arrive meanwhile are journaled and replayed on the new
  index just before the swap, so a search sees either the old or the new index, never a half-built
  one, and no write is lost.
* `faiss.omp_set_num_threads` is a per-thread setting in the libgomp that faiss-cpu wheels ship:
  setting it once at start-up does not reach the web server's worker threads. So every single
  query sets 1 thread for its own thread (cheap), and `search_many` sets the batch thread count.
"""

from __future__ import annotations

import json
import logging
import math
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import faiss as _faiss
import numpy as np
import numpy.typing as npt

# faiss replaces many SWIG signatures at import with numpy-aware wrappers, so the annotations
# mypy finds in swigfaiss.py are wrong (IDSelectorBitmap(array), search(x, k, params=...)).
faiss: Any = _faiss

logger = logging.getLogger(__name__)

IndexKind = Literal["flat", "hnsw", "ivf"]
KindSetting = Literal["auto", "flat", "hnsw", "ivf"]
Storage = Literal["flat", "fp16", "sq8"]
IdArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
Hits = list[tuple[int, float]]

# Flat single-query latency grows linearly: ~0.07 ms per 1k photos at 500 dims on one core
# (0.36 ms at 5k), so past ~10k it would miss the 1 ms budget. HNSW at 10k is near-exact
# (bench_search, efSearch 64: recall@10 0.990 clustered, 0.977 hard; build 3.7 s on 2 cores).
DEFAULT_APPROXIMATE_THRESHOLD = 10_000
# HNSW, M=32 / efConstruction=40, fp16, clustered descriptors, one thread (bench_search):
# efSearch 64 gave recall@10 0.999 at 100k but only 0.939 at 1M (0.40 ms), below the 0.95
# target; the 1M sweep gave 0.975 at 0.51 ms with efSearch 128 and 0.982 at 0.68 ms with 256.
# 128 is the smallest swept value meeting the target at 1M, well inside the 2 ms budget (the
# default run then gave 0.975 at 0.50 ms median). At 100k it costs time for nothing: 0.82-0.85
# ms against 0.41 ms at 64, recall 0.999 either way, still under the 1 ms target there. The
# hard (barely clustered) set stays below 0.95 at these settings (1M, efSearch 64: 0.842).
DEFAULT_HNSW_M = 32
DEFAULT_EF_CONSTRUCTION = 40
DEFAULT_EF_SEARCH = 128
DEFAULT_IVF_NPROBE = 32
DEFAULT_STORAGE: Storage = "fp16"
# Rebuild once tombstones exceed this share of the stored vectors (memory waste <= 1/3).
DEFAULT_COMPACT_FRACTION = 0.25
# Below this many tombstones a compaction is not worth a rebuild, whatever the fraction.
MIN_TOMBSTONES_TO_COMPACT = 256
# With allowed_ids covering less than this share of the photos, filtered HNSW loses recall
# (0.5% allowed: recall 0.28 at efSearch 64), so scan the stored vectors exactly instead.
FILTER_EXACT_FRACTION = 0.1
# Cap on efSearch when it is raised to compensate for a filter.
MAX_FILTERED_EF = 1024
# IVF and SQ8 need training data; below this the index stays exact.
MIN_TRAINING_SIZE = 1_000
# Retrain IVF / SQ8 once the collection has grown this many times past its training size.
RETRAIN_GROWTH = 4.0
# A few excluded ids are handled by fetching that many more; beyond that, by a selector.
MAX_EXCLUDE_OVERFETCH = 32
# Rebuilds read and add vectors in chunks, so no full float32 copy of the collection is made
# and the read lock is held only briefly at a time.
CHUNK = 65_536

# faiss's scalar-quantiser distance code is SIMD only when the dimension is a multiple of the
# vector width (8 floats for AVX2, 16 for AVX-512); otherwise it falls back to scalar code.
# Measured at 30k vectors, one thread: fp16 scan 37 ms at d=500 vs 2.2 ms at d=504 or 512, and
# HNSW fp16 queries ~10x slower. Zero padding leaves inner products unchanged, so vectors are
# padded to a multiple of 16 inside the index (500 -> 512: +2.4% memory).
_PAD_TO = 16

_SNAPSHOT_MAGIC = b"FOCAL-SIMILARITY-INDEX\n"
_SNAPSHOT_FORMAT = 1


class _ReadWriteLock:
    """Many readers or one writer. A waiting writer holds back new readers, so the catch-up
    cannot be starved by a steady stream of searches. Not reentrant."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class _Params:
    hnsw_m: int
    ef_construction: int
    ef_search: int
    ivf_nprobe: int
    storage: Storage


def _as_ids(ids: Iterable[int] | npt.ArrayLike) -> IdArray:
    """Photo ids as a 1-D int64 array; ids are database keys, so negative ones are refused."""
    arr = np.asarray(ids)
    if arr.size == 0:
        return np.empty(0, np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"ids must be integers, got {arr.dtype}")
    arr = np.ascontiguousarray(arr.reshape(-1), dtype=np.int64)
    if arr.min() < 0:
        raise ValueError("ids must be nonnegative")
    return arr


def _as_vectors(vectors: npt.ArrayLike, dim: int, n: int | None = None) -> FloatArray:
    arr = np.ascontiguousarray(vectors, dtype=np.float32)
    if arr.ndim == 1 and n is None:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"expected vectors of shape (n, {dim}), got {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{n} ids but {arr.shape[0]} vectors")
    if not np.isfinite(arr).all():
        # One NaN would poison every HNSW distance that touches it.
        raise ValueError("vectors must be finite")
    return arr


def _sorted_unique(ids: IdArray) -> IdArray:
    """ids sorted without repeats. Permission lists usually come sorted from the database:
    checking that is O(n); np.unique (hash-based in numpy 2) took ~2 ms for 15k ids."""
    if len(ids) < 2 or bool((ids[1:] > ids[:-1]).all()):
        return ids
    ordered = np.sort(ids)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _last_occurrences(ids: IdArray) -> npt.NDArray[np.intp]:
    """Indexes of the last occurrence of each id, in input order: a later row replaces an
    earlier one for the same photo, as a later add() would."""
    _, first_in_reversed = np.unique(ids[::-1], return_index=True)
    return np.sort(len(ids) - 1 - first_in_reversed)


def _set_bits(bitmap: npt.NDArray[np.uint8], positions: IdArray) -> None:
    np.bitwise_or.at(bitmap, positions >> 3, (1 << (positions & 7)).astype(np.uint8))


def _clear_bits(bitmap: npt.NDArray[np.uint8], positions: IdArray) -> None:
    np.bitwise_and.at(bitmap, positions >> 3, (~(1 << (positions & 7))).astype(np.uint8))


def _bitmap_of(positions: IdArray, size: int) -> npt.NDArray[np.uint8]:
    mask = np.zeros(size, dtype=bool)
    mask[positions] = True
    return np.packbits(mask, bitorder="little")


def _needs_training(kind: IndexKind, storage: Storage) -> bool:
    return kind == "ivf" or (kind == "hnsw" and storage == "sq8")


def _ivf_nlist(n: int) -> int:
    # ~4 sqrt(n) lists, at least 39 training points per list (faiss warns below that).
    return max(1, min(int(4 * math.sqrt(n)), n // 39, 65_536))


def _training_size(kind: IndexKind, n: int) -> int:
    if kind == "ivf":
        return min(n, 40 * _ivf_nlist(n))
    return min(n, 100_000)


class _Store:
    """One faiss index plus the maps between its positions and photo ids.

    Not thread-safe by itself: `SimilarityIndex` calls it under its readers-writer lock.
    """

    def __init__(self, dim: int, kind: IndexKind, index: Any, trained_for: int) -> None:
        self.dim = dim
        self.kind = kind
        self.index = index
        # Collection size when trained (IVF lists, SQ8 ranges); 0 if untrained.
        self.trained_for = trained_for
        # pos2id[p] is the photo id at position p, -1 once tombstoned.
        self.pos2id: IdArray = np.full(0, -1, np.int64)
        # Bit p set iff position p is live; faiss reads it through IDSelectorBitmap.
        self.alive: npt.NDArray[np.uint8] = np.zeros(0, np.uint8)
        # Live ids, sorted, and their positions: vectorised id -> position lookups, and O(n)
        # memmove updates (a few ms at 1M), far cheaper than re-sorting per write.
        self.sorted_ids: IdArray = np.empty(0, np.int64)
        self.sorted_pos: IdArray = np.empty(0, np.int64)
        self.n_dead = 0

    @classmethod
    def create(
        cls,
        dim: int,
        kind: IndexKind,
        params: _Params,
        training: FloatArray | None = None,
        n_expected: int = 0,
    ) -> _Store:
        """An empty index of `kind`; IVF and SQ8 are trained on `training`, drawn from a
        collection of `n_expected` vectors (which sizes the IVF lists)."""
        metric = faiss.METRIC_INNER_PRODUCT
        sq_type = {
            "fp16": faiss.ScalarQuantizer.QT_fp16,
            "sq8": faiss.ScalarQuantizer.QT_8bit,
        }
        index: Any
        trained_for = 0
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            if params.storage == "flat":
                index = faiss.IndexHNSWFlat(dim, params.hnsw_m, metric)
            else:
                index = faiss.IndexHNSWSQ(dim, sq_type[params.storage], params.hnsw_m, metric)
            index.hnsw.efConstruction = params.ef_construction
        else:
            assert training is not None and len(training) > 0
            nlist = _ivf_nlist(max(n_expected, len(training)))
            quantizer = faiss.IndexFlatIP(dim)
            if params.storage == "flat":
                index = faiss.IndexIVFFlat(quantizer, dim, nlist, metric)
            else:
                index = faiss.IndexIVFScalarQuantizer(
                    quantizer, dim, nlist, sq_type[params.storage], metric
                )
        if not index.is_trained:
            assert training is not None and len(training) > 0
            index.train(training)
            trained_for = max(n_expected, len(training))
        return cls(dim, kind, index, trained_for)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def n_live(self) -> int:
        return len(self.sorted_ids)

    def lookup(self, ids: IdArray) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
        """For each id: is it live, and where it sits in sorted_ids (valid where live)."""
        idx = np.searchsorted(self.sorted_ids, ids)
        if self.n_live == 0:
            return np.zeros(len(ids), bool), idx
        present = self.sorted_ids[np.minimum(idx, self.n_live - 1)] == ids
        return present, idx

    def positions(self, ids: IdArray) -> IdArray:
        present, idx = self.lookup(ids)
        return self.sorted_pos[idx[present]]

    def _grow(self, needed: int) -> None:
        if needed <= len(self.pos2id):
            return
        capacity = max(needed, 2 * len(self.pos2id), 1024)
        pos2id = np.full(capacity, -1, np.int64)
        pos2id[: len(self.pos2id)] = self.pos2id
        alive = np.zeros((capacity + 7) // 8, np.uint8)
        alive[: len(self.alive)] = self.alive
        self.pos2id, self.alive = pos2id, alive

    def _kill(self, positions: IdArray) -> None:
        self.pos2id[positions] = -1
        _clear_bits(self.alive, positions)
        self.n_dead += len(positions)

    def add(self, ids: IdArray, vectors: FloatArray) -> None:
        """Append vectors; an id already present is tombstoned at its old position first.
        ids must be unique within the call."""
        if len(ids) == 0:
            return
        present, idx = self.lookup(ids)
        start = self.ntotal
        self.index.add(vectors)  # first: if faiss fails, nothing has changed
        self._kill(self.sorted_pos[idx[present]])
        new_pos = np.arange(start, start + len(ids), dtype=np.int64)
        self._grow(start + len(ids))
        self.pos2id[new_pos] = ids
        _set_bits(self.alive, new_pos)
        # Replaced ids keep their slot in the sorted arrays, only their position changes.
        self.sorted_pos[idx[present]] = new_pos[present]
        fresh = ~present
        order = np.argsort(ids[fresh], kind="stable")
        fresh_ids, fresh_pos = ids[fresh][order], new_pos[fresh][order]
        at = np.searchsorted(self.sorted_ids, fresh_ids)
        self.sorted_ids = np.insert(self.sorted_ids, at, fresh_ids)
        self.sorted_pos = np.insert(self.sorted_pos, at, fresh_pos)

    def remove(self, ids: IdArray) -> int:
        present, idx = self.lookup(_sorted_unique(ids))
        gone = idx[present]
        self._kill(self.sorted_pos[gone])
        self.sorted_ids = np.delete(self.sorted_ids, gone)
        self.sorted_pos = np.delete(self.sorted_pos, gone)
        return len(gone)

    def decode(self, start: int, stop: int) -> FloatArray:
        """Stored vectors at positions [start, stop), tombstones included."""
        # IndexHNSW's own reconstruct goes vector by vector (~6 us each); its storage decodes
        # a whole range at once.
        source = faiss.downcast_index(self.index.storage) if self.kind == "hnsw" else self.index
        return cast(FloatArray, source.reconstruct_n(start, stop - start))

    def raw_search(
        self,
        queries: FloatArray,
        k: int,
        selector: Any | None,
        ef_search: int,
        nprobe: int,
        exact: bool = False,
    ) -> tuple[npt.NDArray[np.float32], IdArray]:
        """faiss search returning (similarities, positions); positions are -1 past the end."""
        if self.kind == "flat" or (exact and self.kind == "hnsw"):
            target = self.index if self.kind == "flat" else self.index.storage
            params = faiss.SearchParameters() if selector is not None else None
        elif self.kind == "hnsw":
            target = self.index
            params = faiss.SearchParametersHNSW()
            params.efSearch = max(ef_search, k)
        else:
            target = self.index
            params = faiss.SearchParametersIVF()
            params.nprobe = self.index.nlist if exact else min(nprobe, self.index.nlist)
        if params is not None and selector is not None:
            params.sel = selector
        distances, positions = target.search(queries, k, params=params)
        return distances, positions

    def query(
        self,
        query: FloatArray,
        k: int,
        exclude: IdArray | None,
        allowed: IdArray | None,
        params: _Params,
    ) -> Hits:
        """One query with the filters; see SimilarityIndex.search."""
        if self.n_live == 0:
            return []
        excluded = self.positions(_sorted_unique(exclude)) if exclude is not None else None
        ef, nprobe, exact = params.ef_search, params.ivf_nprobe, False
        drop: set[int] = set()
        if allowed is not None:
            candidates = self.positions(_sorted_unique(allowed))
            if excluded is not None and len(excluded):
                candidates = np.setdiff1d(candidates, excluded, assume_unique=True)
            if len(candidates) == 0:
                return []
            # A small batch selector (hash set + bloom filter) is cheap to build; for large
            # sets a bitmap is cheaper to build and to probe.
            if len(candidates) * 32 < self.ntotal:
                selector = faiss.IDSelectorBatch(candidates)
            else:
                selector = faiss.IDSelectorBitmap(_bitmap_of(candidates, self.ntotal))
            fetch = min(k, len(candidates))
            fraction = len(candidates) / self.n_live
            if fraction < FILTER_EXACT_FRACTION:
                exact = True
            else:
                # Fewer allowed nodes among those the graph walk visits: widen the walk.
                ef = min(math.ceil(max(ef, fetch) / fraction), max(MAX_FILTERED_EF, fetch))
                nprobe = math.ceil(nprobe / fraction)
        else:
            n_excluded = 0 if excluded is None else len(excluded)
            if self.n_live - n_excluded <= 0:
                return []
            if excluded is not None and n_excluded > MAX_EXCLUDE_OVERFETCH:
                bitmap = self.alive.copy()
                _clear_bits(bitmap, excluded)
                selector = faiss.IDSelectorBitmap(bitmap)
                fetch = min(k, self.n_live - n_excluded)
            else:
                selector = faiss.IDSelectorBitmap(self.alive) if self.n_dead else None
                fetch = min(k + n_excluded, self.n_live)
                if excluded is not None:
                    drop = set(excluded.tolist())
        similarities, positions = self.raw_search(query, fetch, selector, ef, nprobe, exact)
        hits: Hits = []
        for similarity, position in zip(
            similarities[0].tolist(), positions[0].tolist(), strict=True
        ):
            if position < 0 or position in drop:
                continue
            photo_id = int(self.pos2id[position])
            if photo_id >= 0:  # always true: the selector skips tombstones; belt and braces
                hits.append((photo_id, float(similarity)))
        return hits[:k]

    def query_many(self, queries: FloatArray, k: int, params: _Params) -> list[Hits]:
        if self.n_live == 0:
            return [[] for _ in range(len(queries))]
        selector = faiss.IDSelectorBitmap(self.alive) if self.n_dead else None
        fetch = min(k, self.n_live)
        similarities, positions = self.raw_search(
            queries, fetch, selector, params.ef_search, params.ivf_nprobe
        )
        ids = np.where(positions >= 0, self.pos2id[np.maximum(positions, 0)], -1)
        return [
            [(i, s) for i, s in zip(row_ids, row_sims, strict=True) if i >= 0]
            for row_ids, row_sims in zip(ids.tolist(), similarities.tolist(), strict=True)
        ]


_Op = tuple[Literal["add", "remove"], IdArray, FloatArray | None]
ChunkSource = Callable[[], Iterator[tuple[IdArray, FloatArray]]]


class SimilarityIndex:
    """Thread-safe inner-product index over photo descriptors, keyed by photo id.

    kind: "auto" (exact Flat below `approximate_threshold` live photos, `approximate_kind`
    above, with hysteresis: back to Flat below half the threshold), or "flat" / "hnsw" / "ivf"
    to force one (the Django setting overrides this way). `len()` counts live photos.

    Writers (add/remove/rebuild) may run while other threads search. A switch of kind or a
    compaction is started automatically after a write that calls for it; with
    `background=True` (the default, for web servers) it runs in a daemon thread while the old
    index keeps serving, otherwise inline in the writing thread.

    `single_query_threads` (attribute, default 1) is the OpenMP thread count a single
    search() uses; `search_many` and builds use `batch_threads` (default: all cores).
    """

    def __init__(
        self,
        dim: int,
        kind: KindSetting = "auto",
        approximate_threshold: int = DEFAULT_APPROXIMATE_THRESHOLD,
        *,
        approximate_kind: Literal["hnsw", "ivf"] = "hnsw",
        storage: Storage = DEFAULT_STORAGE,
        hnsw_m: int = DEFAULT_HNSW_M,
        ef_construction: int = DEFAULT_EF_CONSTRUCTION,
        ef_search: int = DEFAULT_EF_SEARCH,
        ivf_nprobe: int = DEFAULT_IVF_NPROBE,
        compact_fraction: float = DEFAULT_COMPACT_FRACTION,
        background: bool = True,
        batch_threads: int | None = None,
        single_query_threads: int = 1,
    ) -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        if kind not in ("auto", "flat", "hnsw", "ivf"):
            raise ValueError(f"unknown index kind {kind!r}")
        if approximate_kind not in ("hnsw", "ivf"):
            raise ValueError(f"unknown approximate kind {approximate_kind!r}")
        if storage not in ("flat", "fp16", "sq8"):
            raise ValueError(f"unknown storage {storage!r}")
        self.dim = dim
        self._index_dim = -(-dim // _PAD_TO) * _PAD_TO
        self._kind_setting: KindSetting = kind
        self._approximate_kind: IndexKind = approximate_kind
        self._threshold = approximate_threshold
        self._compact_fraction = compact_fraction
        self._params = _Params(hnsw_m, ef_construction, ef_search, ivf_nprobe, storage)
        self._background = background
        self._batch_threads = batch_threads or os.cpu_count() or 1
        # One thread per single query: a second OpenMP thread gains nothing measurable for one
        # query on 2 cores (bench_search, median 0.85 vs 0.84 ms at 100k, 0.50 vs 0.49 ms at
        # 1M), and a threaded web server already runs queries side by side.
        self.single_query_threads = single_query_threads

        self._lock = _ReadWriteLock()
        self._store = self._empty_store(self._target_kind(0, "flat"))
        self._sequence: int | None = None
        # Non-None while a rebuild is building off to the side: writes to replay on the new
        # index, and whether any of them moved the sequence number.
        self._journal: list[_Op] | None = None
        self._journal_moved_sequence = False
        # One build at a time (caller's rebuild or background maintenance).
        self._build_lock = threading.Lock()
        # Maintenance thread bookkeeping.
        self._maintenance = threading.Condition(threading.Lock())
        self._maintenance_requested = False
        self._maintenance_running = False

    # ----------------------------------------------------------------------------- reading

    def __len__(self) -> int:
        with self._lock.read():
            return self._store.n_live

    @property
    def kind(self) -> IndexKind:
        """The kind of index currently serving searches: "flat", "hnsw" or "ivf"."""
        with self._lock.read():
            return self._store.kind

    @property
    def sequence(self) -> int | None:
        """The database sequence number the contents reflect (set by the writer)."""
        with self._lock.read():
            return self._sequence

    @sequence.setter
    def sequence(self, value: int | None) -> None:
        with self._lock.write():
            self._sequence = value
            if self._journal is not None:
                self._journal_moved_sequence = True

    def ids(self) -> IdArray:
        """Live photo ids, sorted (a copy), for consistency checks against the database."""
        with self._lock.read():
            return self._store.sorted_ids.copy()

    def stats(self) -> dict[str, Any]:
        """Counters for monitoring: stored vectors, tombstones, kind, sequence."""
        with self._lock.read():
            store = self._store
            return {
                "kind": store.kind,
                "live": store.n_live,
                "stored": store.ntotal,
                "tombstones": store.n_dead,
                "trained_for": store.trained_for,
                "sequence": self._sequence,
            }

    def search(
        self,
        query: npt.ArrayLike,
        k: int,
        exclude_ids: npt.ArrayLike | None = None,
        allowed_ids: npt.ArrayLike | None = None,
    ) -> Hits:
        """The k most similar live photos as (photo id, inner product), best first.

        exclude_ids: never returned (e.g. the query photo itself). allowed_ids: if given, only
        these can be returned (a permission filter applied inside faiss, so the k results are
        the best allowed ones, not the allowed part of the best k). Fewer than k results when
        fewer photos qualify.
        """
        q = self._pad(_as_vectors(query, self.dim))
        if q.shape[0] != 1:
            raise ValueError("search() takes one query; use search_many() for a batch")
        if k <= 0:
            return []
        exclude = None if exclude_ids is None else _as_ids(exclude_ids)
        allowed = None if allowed_ids is None else _as_ids(allowed_ids)
        # Per calling thread (libgomp): one query is too small to be worth splitting.
        faiss.omp_set_num_threads(self.single_query_threads)
        with self._lock.read():
            return self._store.query(q, k, exclude, allowed, self._params)

    def search_many(self, queries: npt.ArrayLike, k: int) -> list[Hits]:
        """Batch search: one list of (photo id, inner product) per query row, best first."""
        q = self._pad(_as_vectors(queries, self.dim))
        if k <= 0:
            return [[] for _ in range(len(q))]
        faiss.omp_set_num_threads(self._batch_threads)
        with self._lock.read():
            return self._store.query_many(q, k, self._params)

    @property
    def ef_search(self) -> int:
        """HNSW efSearch: how many candidates a search walks whatever k is (k up to it is
        free), for callers that over-fetch."""
        with self._lock.read():
            return self._params.ef_search

    def set_search_params(
        self, *, ef_search: int | None = None, ivf_nprobe: int | None = None
    ) -> None:
        """Retune the speed/recall trade-off of approximate searches at run time."""
        with self._lock.write():
            self._params = replace(
                self._params,
                ef_search=self._params.ef_search if ef_search is None else ef_search,
                ivf_nprobe=self._params.ivf_nprobe if ivf_nprobe is None else ivf_nprobe,
            )

    # ----------------------------------------------------------------------------- writing

    def add(
        self, ids: npt.ArrayLike, vectors: npt.ArrayLike, *, sequence: int | None = None
    ) -> None:
        """Add photos; an id already present gets its vector replaced (a reprocessed photo).
        If an id repeats within the call, its last row wins. `sequence`, if given, is recorded
        atomically with the change."""
        id_arr = _as_ids(ids)
        vecs = _as_vectors(vectors, self.dim, len(id_arr))
        if len(id_arr) != len(_sorted_unique(id_arr)):
            keep = _last_occurrences(id_arr)
            id_arr, vecs = id_arr[keep], vecs[keep]
        self._write("add", id_arr, self._pad(vecs), sequence)

    def remove(self, ids: npt.ArrayLike, *, sequence: int | None = None) -> None:
        """Remove photos; ids not present are ignored. Once this returns, no search returns
        them."""
        self._write("remove", _as_ids(ids), None, sequence)

    def _write(
        self, op: Literal["add", "remove"], ids: IdArray, vecs: FloatArray | None, seq: int | None
    ) -> None:
        with self._lock.write():
            self._apply(self._store, op, ids, vecs)
            if self._journal is not None:
                self._journal.append((op, ids, vecs))
                self._journal_moved_sequence |= seq is not None
            if seq is not None:
                self._sequence = seq
            needed = self._maintenance_needed(self._store)
        if needed:
            self._request_maintenance()

    @staticmethod
    def _apply(
        store: _Store, op: Literal["add", "remove"], ids: IdArray, vecs: FloatArray | None
    ) -> None:
        if op == "add":
            assert vecs is not None
            store.add(ids, vecs)
        else:
            store.remove(ids)

    def rebuild(
        self,
        ids: npt.ArrayLike,
        vectors: npt.ArrayLike,
        *,
        sequence: int | None = None,
        wait: bool = True,
    ) -> None:
        """Replace the whole contents (e.g. from the database at start-up).

        Built off to the side; searches keep using the old contents until the swap. Writes
        made by other threads meanwhile are replayed on top, and the recorded sequence becomes
        the smaller of `sequence` and theirs, so a catch-up from it re-applies anything the
        rebuild data might have overtaken (add/remove are idempotent).

        wait=False: if the size calls for an approximate index (an HNSW build takes minutes
        at 1M photos on 2 cores), swap in an exact Flat index at once (a copy: seconds) and
        build the approximate one in the background. Searches are correct but slow meanwhile.
        """
        id_arr = _as_ids(ids)
        vecs = _as_vectors(vectors, self.dim, len(id_arr))
        if len(id_arr) != len(_sorted_unique(id_arr)):
            keep = _last_occurrences(id_arr)
            id_arr, vecs = id_arr[keep], vecs[keep]

        def chunks() -> Iterator[tuple[IdArray, FloatArray]]:
            for start in range(0, len(id_arr), CHUNK):
                yield id_arr[start : start + CHUNK], self._pad(vecs[start : start + CHUNK])

        with self._build_lock:
            current = self._start_journal()
            kind = self._target_kind(len(id_arr), current.kind, fresh=True)
            if not wait:
                kind = "flat"  # maintenance switches it once swapped in
            try:
                new = self._build(kind, len(id_arr), chunks)
            except BaseException:
                self._drop_journal()
                raise
            self._swap(new, sequence)
        if self._maintenance_needed_now():
            self._request_maintenance()

    def compact(self) -> None:
        """Rebuild from the stored vectors now, dropping tombstones and switching kind if the
        size calls for it. Normally automatic; blocks until done."""
        with self._build_lock:
            self._rebuild_from_storage()

    # ------------------------------------------------------------------------- snapshot

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a snapshot atomically (temp file + os.replace) with its sequence number.

        The index is serialised in memory under the read lock (memcpy speed; needs as much
        free memory again as the index), then written to disk without holding any lock.
        """
        with self._lock.read():
            store = self._store
            blob = faiss.serialize_index(store.index)
            pos2id = store.pos2id[: store.ntotal].copy()
            header = {
                "format": _SNAPSHOT_FORMAT,
                "dim": self.dim,
                "kind": store.kind,
                "sequence": self._sequence,
                "ntotal": store.ntotal,
                "trained_for": store.trained_for,
            }
        head = json.dumps(header).encode()
        target = os.fspath(path)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", dir=os.path.dirname(os.path.abspath(target))
        )
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_SNAPSHOT_MAGIC)
                f.write(struct.pack("<Q", len(head)))
                f.write(head)
                f.write(pos2id.astype("<i8").tobytes())
                f.write(memoryview(blob))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise

    def load(self, path: str | os.PathLike[str]) -> int | None:
        """Replace the contents with a snapshot; return its sequence number, from which the
        caller catches up. Raises ValueError if the file is not a snapshot of this dimension.
        The snapshot is never trusted over the database: the caller re-syncs from it."""
        with open(path, "rb") as f:
            if f.read(len(_SNAPSHOT_MAGIC)) != _SNAPSHOT_MAGIC:
                raise ValueError(f"{path} is not a similarity index snapshot")
            (head_len,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(head_len))
            if header.get("format") != _SNAPSHOT_FORMAT or header.get("dim") != self.dim:
                raise ValueError(f"{path}: incompatible snapshot {header}")
            ntotal = int(header["ntotal"])
            pos2id = np.frombuffer(f.read(8 * ntotal), dtype="<i8").astype(np.int64)
            blob = np.frombuffer(f.read(), dtype=np.uint8)
        if len(pos2id) != ntotal:
            raise ValueError(f"{path}: truncated snapshot")
        # Already the concrete class. (downcast_index() on this temporary would return a proxy
        # that does not own the index, which dies with the temporary.)
        index = faiss.deserialize_index(blob)
        if index.ntotal != ntotal or index.d != self._index_dim:
            raise ValueError(f"{path}: snapshot index does not match its header")
        kind = cast(IndexKind, header["kind"])
        if kind not in ("flat", "hnsw", "ivf"):
            raise ValueError(f"{path}: unknown index kind {kind!r}")
        store = _Store(self._index_dim, kind, index, int(header["trained_for"]))
        store._grow(ntotal)
        store.pos2id[:ntotal] = pos2id
        live = np.flatnonzero(pos2id >= 0).astype(np.int64)
        _set_bits(store.alive, live)
        order = np.argsort(pos2id[live], kind="stable")
        store.sorted_ids, store.sorted_pos = pos2id[live][order], live[order]
        store.n_dead = ntotal - len(live)
        if len(_sorted_unique(store.sorted_ids)) != len(store.sorted_ids):
            raise ValueError(f"{path}: snapshot has duplicate live ids")
        with self._build_lock, self._lock.write():
            # Writes made before the load are superseded: the caller catches up from here.
            self._store = store
            self._sequence = header["sequence"]
        if self._maintenance_needed_now():
            self._request_maintenance()
        return cast(int | None, header["sequence"])

    # --------------------------------------------------------------------- maintenance

    def wait_for_maintenance(self, timeout: float | None = None) -> bool:
        """Block until no background switch/compaction is running or requested."""
        with self._maintenance:
            return self._maintenance.wait_for(
                lambda: not (self._maintenance_running or self._maintenance_requested), timeout
            )

    def _target_kind(self, n_live: int, current: IndexKind, fresh: bool = False) -> IndexKind:
        """The kind the index should have at n_live photos. `fresh`: no hysteresis (a full
        rebuild from scratch may pick freely)."""
        want: IndexKind
        if self._kind_setting != "auto":
            want = self._kind_setting
        elif current == "flat" or fresh:
            want = self._approximate_kind if n_live >= self._threshold else "flat"
        else:
            # Hysteresis, so deletes around the threshold do not flip the kind back and forth.
            want = "flat" if n_live < self._threshold // 2 else current
        if _needs_training(want, self._params.storage) and n_live < MIN_TRAINING_SIZE:
            return "flat"
        return want

    def _maintenance_needed(self, store: _Store) -> bool:
        if self._target_kind(store.n_live, store.kind) != store.kind:
            return True
        if (
            store.n_dead >= MIN_TOMBSTONES_TO_COMPACT
            and store.n_dead > self._compact_fraction * store.ntotal
        ):
            return True
        return store.trained_for > 0 and store.n_live > RETRAIN_GROWTH * store.trained_for

    def _maintenance_needed_now(self) -> bool:
        with self._lock.read():
            return self._maintenance_needed(self._store)

    def _request_maintenance(self) -> None:
        with self._maintenance:
            self._maintenance_requested = True
            if self._maintenance_running:
                return  # the running loop will see the request
            self._maintenance_running = True
        if self._background:
            threading.Thread(
                target=self._maintenance_loop, name="similarity-index-maintenance", daemon=True
            ).start()
        else:
            self._maintenance_loop()

    def _maintenance_loop(self) -> None:
        while True:
            with self._maintenance:
                if not self._maintenance_requested:
                    self._maintenance_running = False
                    self._maintenance.notify_all()
                    return
                self._maintenance_requested = False
            try:
                with self._build_lock:
                    if self._maintenance_needed_now():
                        self._rebuild_from_storage()
            except Exception:
                # The old index keeps serving; the next write asks again.
                logger.exception("similarity index maintenance failed")

    # ---------------------------------------------------------------------- building

    def _pad(self, vectors: FloatArray) -> FloatArray:
        """Vectors widened with zeros to the index's SIMD-friendly dimension."""
        if self._index_dim == self.dim:
            return vectors
        padded = np.zeros((len(vectors), self._index_dim), np.float32)
        padded[:, : self.dim] = vectors
        return padded

    def _empty_store(self, kind: IndexKind) -> _Store:
        # Kinds needing training are never targeted below MIN_TRAINING_SIZE.
        return _Store.create(self._index_dim, kind, self._params)

    def _rebuild_from_storage(self) -> None:
        """Rebuild from the index's own stored vectors (caller holds _build_lock)."""
        current = self._start_journal()
        try:
            with self._lock.read():
                ntotal, n_live = current.ntotal, current.n_live
            kind = self._target_kind(n_live, current.kind)

            def chunks() -> Iterator[tuple[IdArray, FloatArray]]:
                # Positions only grow and nobody else swaps stores while we hold _build_lock,
                # so reading chunk by chunk is safe; writes meanwhile are in the journal.
                for start in range(0, ntotal, CHUNK):
                    stop = min(start + CHUNK, ntotal)
                    with self._lock.read():
                        ids = current.pos2id[start:stop].copy()
                        live = ids >= 0
                        vectors = current.decode(start, stop)[live] if live.any() else None
                    if vectors is not None:
                        yield ids[live], vectors

            started = time.monotonic()
            new = self._build(kind, n_live, chunks)
        except BaseException:
            self._drop_journal()
            raise
        self._swap(new, None)
        logger.info(
            "similarity index rebuilt as %s: %d photos, %.1fs (was %s, %d stored)",
            kind,
            new.n_live,
            time.monotonic() - started,
            current.kind,
            ntotal,
        )

    def _build(self, kind: IndexKind, n: int, chunks: ChunkSource) -> _Store:
        """A new store holding everything `chunks` yields; no lock is held meanwhile."""
        # Builds parallelise well (HNSW insertion); this thread may have been set to 1.
        faiss.omp_set_num_threads(self._batch_threads)
        training = None
        if _needs_training(kind, self._params.storage):
            training = self._training_sample(chunks, _training_size(kind, n), n)
        store = _Store.create(self._index_dim, kind, self._params, training, n)
        for ids, vectors in chunks():
            store.add(ids, vectors)
        return store

    @staticmethod
    def _training_sample(chunks: ChunkSource, size: int, n: int) -> FloatArray:
        rng = np.random.default_rng(0)
        rate = size / max(n, 1)
        parts = [vectors[rng.random(len(vectors)) < rate] for _, vectors in chunks()]
        return np.ascontiguousarray(np.concatenate(parts)) if parts else np.empty((0, 0), "f4")

    def _start_journal(self) -> _Store:
        with self._lock.write():
            self._journal = []
            self._journal_moved_sequence = False
            return self._store

    def _drop_journal(self) -> None:
        with self._lock.write():
            self._journal = None

    def _swap(self, new: _Store, sequence: int | None) -> None:
        """Replay the writes made during the build onto `new`, then serve from it."""
        with self._lock.write():
            assert self._journal is not None
            for op, ids, vecs in self._journal:
                self._apply(new, op, ids, vecs)
            if sequence is not None:
                moved = self._journal_moved_sequence and self._sequence is not None
                self._sequence = min(sequence, cast(int, self._sequence)) if moved else sequence
            self._journal = None
            self._store = new

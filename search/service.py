"""The similarity index of one serving process, kept in step with the database.

On first use the process loads every stored descriptor of the current version; before each
query it applies the `IndexChange` rows it has not seen (at most every SYNC_INTERVAL seconds),
so a photo that became ready in another process shows up here within a second, with no restart
and no shared file. Results are filtered by `Photo.objects.visible_to(user)`: FAISS is asked for
more than k and hidden photos are dropped; if too few remain, it is asked again for as many as
the visible share seen so far calls for; when most neighbours are hidden from this user the
search runs again restricted to the ids they may see, so nobody gets fewer results than exist.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from gallery.models import Photo
from search.descriptors import DESCRIPTOR_DIM, DESCRIPTOR_VERSION, score_from_similarity
from search.index import KindSetting, SimilarityIndex, Storage
from search.local_features import LOCAL_VERSION
from search.models import Descriptor, IndexChange, LocalDescriptor
from search.object_vectors import shipped_codebook

log = logging.getLogger(__name__)

SYNC_INTERVAL = 0.2  # seconds between catch-up queries; one indexed SELECT each
# A change id below the newest seen may still be in flight (its transaction began earlier and
# commits later). Such gaps are re-checked until they are this old.
GAP_PATIENCE = 300.0
# Past this many candidates, restrict the search to the photos the user may see instead.
OVERFETCH_LIMIT = 2048
# A repeated over-fetch asks for enough candidates to hold this many times k visible ones at
# the visible share seen so far (a margin for chance), and at least twice the last fetch.
FETCH_MARGIN = 1.5
# At start-up, how far back in the log to look for changes still in flight.
RECENT_CHANGES = 1000

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class Match:
    photo: Photo
    score: float  # 0..1, 1 = identical
    kind: str = "colour"  # "object": verified to show the same thing (search.objects)


@dataclass(frozen=True)
class VectorSource:
    """Where an index's vectors live: current-version rows of a model with `photo_id` and a
    binary `vector` column. Both indexes follow the same change log (IndexChange)."""

    name: str
    rows: Callable[[], QuerySet[Any]]
    dim: int
    unpack: Callable[[bytes | memoryview], np.ndarray]
    storage: Storage


def _colour_rows() -> QuerySet[Any]:
    return Descriptor.objects.filter(version=DESCRIPTOR_VERSION)


def _object_rows() -> QuerySet[Any]:
    return LocalDescriptor.objects.filter(version=LOCAL_VERSION).exclude(vector=b"")


COLOUR = VectorSource("colour", _colour_rows, DESCRIPTOR_DIM, Descriptor.unpack, "fp16")
# 4096-d VLAD: 8-bit storage once approximate (half of fp16's 8 KB a photo); exact below.
OBJECT = VectorSource("object", _object_rows, shipped_codebook().dim, LocalDescriptor.unpack, "sq8")


class PhotoIndex:
    def __init__(
        self,
        kind: KindSetting | None = None,
        threshold: int | None = None,
        source: VectorSource = COLOUR,
    ) -> None:
        # The setting is validated against the same choices at start-up (focal.settings).
        self._kind = cast(KindSetting, kind or settings.FOCAL_INDEX_KIND)
        self._threshold = threshold or settings.FOCAL_INDEX_THRESHOLD
        self.source = source
        self.index = SimilarityIndex(
            source.dim,
            kind=self._kind,
            approximate_threshold=self._threshold,
            storage=source.storage,
        )
        self.last_seq = 0
        self._gaps: dict[int, float] = {}  # change id -> when first missed
        self._sync_lock = threading.Lock()
        self._synced_at = 0.0
        self._loaded = False

    # --- keeping up with the database ---------------------------------------------------

    def sync(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._synced_at < SYNC_INTERVAL:
            return
        with self._sync_lock:
            if not force and time.monotonic() - self._synced_at < SYNC_INTERVAL:
                return
            if not self._loaded:
                self._load_everything()
            else:
                self._catch_up()
            self._synced_at = time.monotonic()

    def _load_everything(self) -> None:
        started = time.perf_counter()
        # The log position first: anything logged after it is applied by the next catch-up
        # (re-adding a vector is harmless), so nothing slips between the two reads.
        self.last_seq = (
            IndexChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )
        recent = IndexChange.objects.filter(id__gt=self.last_seq - RECENT_CHANGES)
        self._note_gaps(
            recent.values_list("id", flat=True),
            start=max(1, self.last_seq - RECENT_CHANGES + 1),
            stop=self.last_seq,
        )
        ids, vectors = self._vectors(self.source.rows().filter(photo__trashed_at__isnull=True))
        self.index.rebuild(ids, vectors)
        self._loaded = True
        log.info(
            "loaded %d %s vectors into a %s index in %.0f ms",
            len(ids),
            self.source.name,
            self.index.kind,
            (time.perf_counter() - started) * 1000,
        )

    def _catch_up(self) -> None:
        wanted = Q(id__gt=self.last_seq)
        if self._gaps:
            wanted |= Q(id__in=list(self._gaps))
        changes = list(
            IndexChange.objects.filter(wanted).order_by("id").values_list("id", "photo_id", "added")
        )
        if not changes:
            self._forget_old_gaps()
            return
        latest: dict[int, bool] = {}
        for change_id, photo_id, added in changes:
            latest[photo_id] = added  # in id order: the last word per photo wins
            self._gaps.pop(change_id, None)
        newest = changes[-1][0]
        if newest > self.last_seq:
            self._note_gaps((c for c, _, _ in changes), start=self.last_seq + 1, stop=newest)
            self.last_seq = newest
        self._forget_old_gaps()
        self._apply(latest)

    def _apply(self, latest: dict[int, bool]) -> None:
        added = [photo_id for photo_id, is_added in latest.items() if is_added]
        removed = [photo_id for photo_id, is_added in latest.items() if not is_added]
        if added:
            # A photo in the trash stays out of the index until it is restored.
            rows = self.source.rows().filter(photo_id__in=added, photo__trashed_at__isnull=True)
            ids, vectors = self._vectors(rows)
            if len(ids):
                self.index.add(ids, vectors)
            # Logged as added but gone since (deleted or trashed meanwhile): not indexed.
            removed += sorted(set(added) - set(ids.tolist()))
        if removed:
            self.index.remove(np.asarray(removed, dtype=np.int64))

    def _note_gaps(self, seen_ids: Iterable[int], *, start: int, stop: int) -> None:
        """Remember the ids in [start, stop) not seen: their transactions may commit later."""
        seen = set(seen_ids)
        now = time.monotonic()
        for missing in range(start, stop):
            if missing not in seen:
                self._gaps.setdefault(missing, now)

    def _forget_old_gaps(self) -> None:
        cutoff = time.monotonic() - GAP_PATIENCE
        for change_id in [c for c, since in self._gaps.items() if since < cutoff]:
            del self._gaps[change_id]  # a rolled-back transaction: nothing will ever fill it

    def _vectors(self, rows: QuerySet[Any]) -> tuple[np.ndarray, np.ndarray]:
        pairs = list(rows.values_list("photo_id", "vector"))
        ids = np.fromiter((photo_id for photo_id, _ in pairs), dtype=np.int64, count=len(pairs))
        vectors = np.empty((len(pairs), self.source.dim), dtype=np.float32)
        for row, (_, data) in enumerate(pairs):
            vectors[row] = self.source.unpack(data)
        return ids, vectors

    # --- queries --------------------------------------------------------------------------

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        user: User,
        exclude: Sequence[int] = (),
        among: QuerySet[Photo] | None = None,
    ) -> list[Match]:
        """The k photos most similar to `query` that `user` may see, best first.

        `among` narrows the candidates further (e.g. to a text search's matches); it is
        intersected with what `user` may see, never widened.
        """
        self.sync()
        excluded = np.asarray(exclude, dtype=np.int64)
        size = len(self.index)
        if size == 0:
            return []
        visible = Photo.objects.visible_to(user)
        if among is not None:
            visible = visible.filter(pk__in=among.values("pk"))
        # An HNSW search walks efSearch candidates whatever k is, so fetching that many costs
        # the index nothing and saves a second round trip for users who see a small share
        # (measured at 100k photos: bench/bench_similar_http.py).
        fetch = min(size, max(4 * k + len(excluded) + 16, self.index.ef_search))
        while True:
            hits = self.index.search(query, fetch, exclude_ids=excluded)
            allowed = set(visible.filter(pk__in=[i for i, _ in hits]).values_list("pk", flat=True))
            kept = [(i, s) for i, s in hits if i in allowed]
            if len(kept) >= k or fetch >= size:
                break
            if fetch >= OVERFETCH_LIMIT:
                # Most neighbours are hidden from this user: search only what they may see.
                ids = np.fromiter(visible.values_list("pk", flat=True), dtype=np.int64)
                kept = self.index.search(query, k, exclude_ids=excluded, allowed_ids=ids)
                break
            # The visible share among the hits so far (+1: never zero) predicts how many
            # candidates hold k visible ones; at least double, at most 2 * OVERFETCH_LIMIT.
            share = (len(kept) + 1) / (len(hits) + 1)
            wanted = math.ceil(FETCH_MARGIN * k / share) + len(excluded)
            fetch = min(size, max(2 * fetch, wanted), 2 * OVERFETCH_LIMIT)
        kept = kept[:k]
        photos = Photo.objects.select_related("owner").in_bulk([i for i, _ in kept])
        return [Match(photos[i], float(score_from_similarity(s))) for i, s in kept if i in photos]

    def vector_of(self, photo_id: int) -> np.ndarray | None:
        data = self.source.rows().filter(photo_id=photo_id).values_list("vector", flat=True)
        row = data.first()
        return None if row is None else self.source.unpack(row)


_indexes: dict[str, PhotoIndex] = {}
_index_lock = threading.Lock()


def _index_of(source: VectorSource) -> PhotoIndex:
    index = _indexes.get(source.name)
    if index is None:
        with _index_lock:
            index = _indexes.get(source.name)
            if index is None:
                index = _indexes[source.name] = PhotoIndex(source=source)
    return index


def photo_index() -> PhotoIndex:
    """This process's colour index, created on first use."""
    return _index_of(COLOUR)


def object_index() -> PhotoIndex:
    """This process's object index (VLAD of local features), created on first use."""
    return _index_of(OBJECT)

"""Same subject: photos verified to show the same thing as a photo or an uploaded image.

Candidates come from the object index (VLAD vectors of local features, search.service); the
top CANDIDATES are verified geometrically (search.local_features.verify_many), and only
verified ones are shown. A stored photo's matches are worked out once, by the worker, when the
photo arrives (`match_photo`), and stored in both directions (ObjectMatch), so the photo page
and the API read them with one indexed query; an uploaded image is verified while the user
waits. Permissions are applied on every read (`Photo.objects.visible_to`).
"""

from __future__ import annotations

import logging
import time

from django.db import transaction

from gallery.models import Photo
from search import local_features
from search.local_features import LocalFeatures
from search.models import LocalDescriptor, ObjectMatch
from search.object_vectors import object_vector
from search.service import Match, User, object_index

log = logging.getLogger(__name__)

# How many index candidates are verified. Measured on the same_object development set
# (bench/eval_search.py --candidates): recall of the other photos of an object in the VLAD
# top 20 is 0.95, and verifying 20 costs ~20 ms on one core.
CANDIDATES = 20
# A photo's stored matches read at most (a burst of near-identical shots has many).
MAX_MATCHES_READ = 1000


def features_of(photo_ids: list[int]) -> dict[int, LocalFeatures]:
    rows = LocalDescriptor.objects.filter(
        photo_id__in=photo_ids, version=local_features.LOCAL_VERSION
    ).values_list("photo_id", "data")
    return {photo_id: local_features.from_bytes(data) for photo_id, data in rows}


def verified(
    query: LocalFeatures, candidate_ids: list[int]
) -> list[tuple[int, local_features.Match]]:
    """The candidates that verify against `query`, most inliers first."""
    stored = features_of(candidate_ids)
    ids = [i for i in candidate_ids if i in stored]
    found = local_features.verify_many(query, [stored[i] for i in ids])
    kept = [(i, m) for i, m in zip(ids, found, strict=True) if m.verified]
    return sorted(kept, key=lambda pair: (-pair[1].inliers, pair[0]))


def match_photo(photo_id: int) -> int:
    """Find and store the photo's verified matches among every indexed photo (whoever owns
    them: permissions apply when matches are read). Idempotent; returns how many."""
    started = time.perf_counter()
    row = LocalDescriptor.objects.filter(
        photo_id=photo_id, version=local_features.LOCAL_VERSION
    ).first()
    if row is None or not row.vector:
        return 0
    index = object_index()
    # Forced: this photo's row committed before, so a photo committed before it is seen too
    # (of two photos processed at once, the later to sync finds the earlier).
    index.sync(force=True)
    vector = LocalDescriptor.unpack(row.vector)
    hits = index.index.search(vector, CANDIDATES, exclude_ids=[photo_id])
    found = verified(local_features.from_bytes(row.data), [i for i, _ in hits])
    with transaction.atomic():
        ObjectMatch.objects.filter(photo_id=photo_id).delete()
        ObjectMatch.objects.filter(other_id=photo_id).delete()
        if not Photo.objects.filter(pk=photo_id).exists():
            return 0
        alive = set(Photo.objects.filter(pk__in=[i for i, _ in found]).values_list("pk", flat=True))
        pairs = []
        for other, match in found:
            if other in alive:
                for a, b in ((photo_id, other), (other, photo_id)):
                    pairs.append(
                        ObjectMatch(
                            photo_id=a, other_id=b, inliers=match.inliers, score=match.score
                        )
                    )
        ObjectMatch.objects.bulk_create(pairs, ignore_conflicts=True)
    log.info(
        "photo %s: %d verified matches among %d candidates in %.0f ms",
        photo_id,
        len(pairs) // 2,
        len(hits),
        (time.perf_counter() - started) * 1000,
    )
    return len(pairs) // 2


def same_subject_as_photo(photo: Photo, user: User, k: int) -> list[Match]:
    """The stored verified matches of `photo` that `user` may see, most inliers first."""
    # A photo has few matches: read them all, then ask which of those the user may see (a
    # join against visible_to() made SQLite scan the photos: 76 ms at 100,000).
    rows = list(
        ObjectMatch.objects.filter(photo=photo)
        .order_by("-inliers", "other_id")
        .values_list("other_id", "score")[:MAX_MATCHES_READ]
    )
    ids = [other for other, _ in rows]
    visible = set(Photo.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    kept = [(other, score) for other, score in rows if other in visible][:k]
    photos = Photo.objects.select_related("owner").in_bulk([other for other, _ in kept])
    return [Match(photos[i], score, "object") for i, score in kept if i in photos]


def same_subject_as_image(features: LocalFeatures, user: User, k: int) -> list[Match]:
    """Photos `user` may see that verify against an uploaded image's features."""
    if len(features) == 0:
        return []
    candidates = object_index().search(object_vector(features), CANDIDATES, user=user)
    photos = {m.photo.pk: m.photo for m in candidates}
    found = verified(features, list(photos))
    return [Match(photos[i], m.score, "object") for i, m in found[:k]]

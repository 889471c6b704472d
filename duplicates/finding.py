"""Finding a photo's duplicates among its owner's photos, run by the worker after processing.

For one ready photo: store its fingerprint (signature and small grey picture, from the
thumbnail), take candidates among the owner's other photos in the library (the colour index's
nearest neighbours, and every photo within the signature distance), verify each candidate
not already paired with it (duplicates.matching on local features) and store the pairs found.
A group never mixes owners: candidates come only from the photo's owner. Idempotent: a pair
already stored (or dismissed by the owner) is neither verified again nor proposed again.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from duplicates import matching
from duplicates.features import features_of, homography_b_to_a
from duplicates.models import Fingerprint, Pair
from gallery import files, memory
from gallery.imaging import load_rgb
from gallery.models import Photo, Status
from search import local_features
from search.models import LocalDescriptor

log = logging.getLogger(__name__)

FINGERPRINT_VERSION = 1
COLOUR_CANDIDATES = matching.COLOUR_CANDIDATES
MAX_SIGNATURE_CANDIDATES = matching.MAX_SIGNATURE_CANDIDATES


def fingerprint(photo: Photo) -> Fingerprint:
    """The photo's fingerprint, made from its thumbnail if missing or outdated."""
    current = Fingerprint.objects.filter(photo=photo, version=FINGERPRINT_VERSION).first()
    if current is not None:
        return current
    small = load_rgb(files.media_path(str(photo.thumbnail.name)), hold=memory.for_worker)
    picture = matching.appearance(small)
    made, _ = Fingerprint.objects.update_or_create(
        photo=photo,
        defaults={
            "owner_id": photo.owner_id,
            "version": FINGERPRINT_VERSION,
            "signature": matching.signature(small),
            "grey": picture.tobytes(),
            "grey_width": picture.shape[1],
            "grey_height": picture.shape[0],
        },
    )
    return made


def grey_of(print_: Fingerprint) -> np.ndarray:
    return np.frombuffer(bytes(print_.grey), dtype=np.uint8).reshape(
        print_.grey_height, print_.grey_width
    )


def features_of_photos(
    photos: list[Photo],
) -> dict[int, tuple[local_features.LocalFeatures, tuple[int, int]]]:
    """The photos' local features (as the worker stored them, or made now from the preview
    for a photo processed before they were stored) and the frame they were found in."""
    stored = dict(
        LocalDescriptor.objects.filter(
            photo__in=photos, version=local_features.LOCAL_VERSION
        ).values_list("photo_id", "data")
    )
    found = {}
    for photo in photos:
        if photo.pk in stored:
            loaded = local_features.from_bytes(stored[photo.pk])
            found[photo.pk] = (loaded, loaded.size)
            continue
        try:
            preview = load_rgb(files.media_path(str(photo.preview.name)), hold=memory.for_worker)
        except (FileNotFoundError, files.FolderGone):
            continue  # deleted meanwhile
        found[photo.pk] = features_of(preview)
    return found


def candidates(photo: Photo, print_: Fingerprint) -> list[int]:
    """Ids of the owner's other photos worth verifying against `photo`, not yet paired."""
    from search.service import photo_index

    library = Photo.objects.owned_by(photo.owner).filter(status=Status.READY)
    chosen: list[int] = []
    index = photo_index()
    vector = index.vector_of(photo.pk)
    if vector is not None:
        hits = index.search(
            vector, COLOUR_CANDIDATES, user=photo.owner, exclude=[photo.pk], among=library
        )
        chosen += [hit.photo.pk for hit in hits]
    prints = list(
        Fingerprint.objects.filter(
            owner_id=photo.owner_id, version=FINGERPRINT_VERSION, photo__in=library
        )
        .exclude(photo_id=photo.pk)
        .values_list("photo_id", "signature")
    )
    if prints:
        ids = np.fromiter((i for i, _ in prints), dtype=np.int64, count=len(prints))
        signatures = np.fromiter((s for _, s in prints), dtype=np.int64, count=len(prints))
        distances = matching.signature_distances(print_.signature, signatures)
        near = np.argsort(distances, kind="stable")[:MAX_SIGNATURE_CANDIDATES]
        limit = matching.DEFAULT.max_signature_distance
        chosen += [int(ids[i]) for i in near if distances[i] <= limit]
    paired = set(Pair.objects.filter(first_id=photo.pk).values_list("second_id", flat=True)) | set(
        Pair.objects.filter(second_id=photo.pk).values_list("first_id", flat=True)
    )
    return [i for i in dict.fromkeys(chosen) if i not in paired and i != photo.pk]


def find_for(photo_id: int) -> int:
    """Verify the photo against its candidates; returns how many pairs were stored."""
    photo = (
        Photo.objects.filter(pk=photo_id, status=Status.READY, trashed_at__isnull=True)
        .select_related("owner")
        .first()
    )
    if photo is None or not photo.thumbnail or not photo.preview:
        return 0
    started = time.perf_counter()
    print_ = fingerprint(photo)
    ids = candidates(photo, print_)
    found = _verify(photo, print_, ids) if ids else 0
    Fingerprint.objects.filter(pk=photo.pk).update(checked=timezone.now())
    log.info(
        "photo %s: %d candidates verified, %d duplicates, %.0f ms",
        photo_id,
        len(ids),
        found,
        (time.perf_counter() - started) * 1000,
    )
    return found


def _verify(photo: Photo, print_: Fingerprint, ids: list[int]) -> int:
    others = list(Photo.objects.filter(pk__in=ids, owner_id=photo.owner_id).select_related("owner"))
    features = features_of_photos([photo, *others])
    if photo.pk not in features:
        return 0
    mine, my_frame = features[photo.pk]
    my_grey = grey_of(print_)
    present = [other for other in others if other.pk in features]
    matches = local_features.verify_many(mine, [features[other.pk][0] for other in present])
    prints = {
        p.photo_id: p
        for p in Fingerprint.objects.filter(photo__in=present, version=FINGERPRINT_VERSION)
    }
    found = 0
    for other, match in zip(present, matches, strict=True):
        if match.inliers < matching.DEFAULT.min_inliers:
            continue  # no need for its picture
        try:
            other_print = prints.get(other.pk) or fingerprint(other)
        except (FileNotFoundError, files.FolderGone):
            continue  # deleted meanwhile
        measures = matching.measure(
            match.inliers,
            homography_b_to_a(match),
            my_frame,
            features[other.pk][1],
            my_grey,
            grey_of(other_print),
        )
        if matching.is_duplicate(measures):
            found += _store(photo, other, measures)
    return found


def _store(a: Photo, b: Photo, m: matching.Measures) -> int:
    first, second = sorted((a.pk, b.pk))
    try:
        with transaction.atomic():
            Pair.objects.create(
                owner_id=a.owner_id,
                first_id=first,
                second_id=second,
                score=max(0.0, m.correlation),
                inliers=m.inliers,
                coverage=m.coverage,
            )
    except IntegrityError:
        return 0  # found by another worker at the same time, or one of them deleted
    return 1

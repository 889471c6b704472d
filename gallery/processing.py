"""Turning an uploaded original into a ready photo: thumbnails, metadata, descriptors, faces.

Called by the Celery task with a photo id. Idempotent: running it twice gives the same files
and rows, and it can be killed at any point without leaving a half-written file (files are
written atomically, the row changes last).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO

import numpy as np
from django.db import transaction

from duplicates.tasks import enqueue as enqueue_duplicate_search
from faces.detection import FaceFinding, find_in_decode, store_faces
from focal.leases import new_lease
from gallery import files, memory
from gallery.imaging import Hold, encode_image, fit_long_side, load_rgb
from gallery.models import Photo, Status
from search.indexing import describe, describe_locally, record_descriptor
from search.local_features import LocalFeatures

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 320  # the descriptor is computed from these pixels: changing it changes search
TILE_SIDE = 640  # grid tiles on high-density screens and phones
PREVIEW_SIDE = 1280


@dataclass
class Rendition:
    """What processing produced, before it is recorded on the row."""

    thumbnail: str
    tile: str
    preview: str
    descriptor: np.ndarray
    faces: FaceFinding
    local: LocalFeatures
    timings_ms: dict[str, float] = field(default_factory=dict)


def decode_for_gallery(
    source: str | Path | bytes | IO[bytes], *, hold: Hold | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The preview and thumbnail pixels of an image, from one reduced-size decode.

    Search-by-image runs the same steps on the query, so a photo and its own file give
    identical descriptors.
    """
    preview = load_rgb(source, max_side=PREVIEW_SIDE, hold=hold)
    return preview, fit_long_side(preview, THUMBNAIL_SIDE)


def process_photo(photo_id: int) -> str:
    """Process one photo; returns a word for the log: ready, skipped or gone."""
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            return "gone"
        if photo.status == Status.READY and photo.thumbnail and photo.tile and photo.preview:
            return "skipped"
        if photo.status == Status.FAILED:
            return "skipped"  # a stale message: asking again sets the photo pending first
        photo.status = Status.PROCESSING
        photo.lease_until = new_lease()
        photo.save(update_fields=["status", "lease_until", "updated"])

    started = time.perf_counter()
    try:
        rendition = make_renditions(photo)
    except (FileNotFoundError, files.FolderGone):
        if Photo.objects.filter(pk=photo_id).exists():
            raise  # the original is missing: a real failure
        return _deleted_meanwhile(photo)
    elapsed_ms = round((time.perf_counter() - started) * 1000)

    with transaction.atomic():
        current = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if current is None:
            return _deleted_meanwhile(photo)
        current.thumbnail.name = rendition.thumbnail
        current.tile.name = rendition.tile
        current.preview.name = rendition.preview
        current.status = Status.READY
        current.error = ""
        current.processing_ms = elapsed_ms
        current.lease_until = None
        current.save(
            update_fields=[
                *("thumbnail", "tile", "preview", "status", "error", "processing_ms"),
                *("lease_until", "updated"),
            ]
        )
        record_descriptor(current.pk, rendition.descriptor, rendition.local)
        store_faces(current.pk, rendition.faces)
        # Its duplicates are looked for by a job of their own, so processing stays fast.
        transaction.on_commit(partial(enqueue_duplicate_search, current.pk))
    matching = _match_same_subject(photo_id)
    if matching is not None:
        rendition.timings_ms["same subject"] = matching
    log.info(
        "photo %s ready in %d ms (%s)",
        photo_id,
        elapsed_ms,
        ", ".join(f"{name} {ms:.0f}" for name, ms in rendition.timings_ms.items()),
    )
    return "ready"


def _match_same_subject(photo_id: int) -> float | None:
    """Verify the ready photo against its object-index candidates (search.objects); returns
    the ms taken. A failure here leaves the photo ready without matches (logged), like faces:
    `manage.py rebuild_index --matches` works them out again."""
    from search.objects import match_photo

    started = time.perf_counter()
    try:
        match_photo(photo_id)
    except Exception:
        log.exception("photo %s: same-subject matching failed", photo_id)
        return None
    return (time.perf_counter() - started) * 1000


def _deleted_meanwhile(photo: Photo) -> str:
    # Its folder was removed when the deletion committed, perhaps before our files were
    # written, so remove the folder again: nothing of a deleted photo stays, not even a folder.
    files.delete_tree(photo.folder)
    return "gone"


def make_renditions(photo: Photo) -> Rendition:
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = (now - mark) * 1000
        mark = now

    # One reduced-size decode serves both sizes and the descriptor.
    preview, small = decode_for_gallery(
        files.media_path(str(photo.original.name)), hold=memory.for_worker
    )
    lap("decode")
    thumbnail_name = photo.storage_name("thumb", "webp")
    tile_name = photo.storage_name("tile", "webp")
    preview_name = photo.storage_name("preview", "jpg")
    folder = photo.folder
    files.write_atomic(thumbnail_name, encode_image(small, "WEBP", quality=80), within=folder)
    tile = encode_image(fit_long_side(preview, TILE_SIDE), "WEBP", quality=75)
    files.write_atomic(tile_name, tile, within=folder)
    files.write_atomic(preview_name, encode_image(preview, "JPEG", quality=85), within=folder)
    lap("thumbnails")
    descriptor = describe(small)
    lap("descriptor")
    # Faces on the preview's pixels (1280 px long side): small faces in group photos are still
    # some 15 px there. A failure here leaves the photo without faces, not without thumbnails.
    faces = find_in_decode(preview, photo.width, photo.height)
    lap("faces")
    local = describe_locally(preview)
    lap("local features")
    return Rendition(thumbnail_name, tile_name, preview_name, descriptor, faces, local, timings)

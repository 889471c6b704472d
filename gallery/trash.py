"""The trash: photos leave every list, result, album and similarity index at once, come back with
all of them on restore, and are deleted for good (files too) after FOCAL_TRASH_DAYS.

Trashing only stamps `trashed_at` (every query of what people may see excludes it, see
PhotoQuerySet.visible_to) and logs the photos' removal from the search indexes; nothing on disk
changes until the photo is deleted for good.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gallery import actions
from gallery.actions import User
from gallery.models import Photo
from gallery.tasks import enqueue_match_again
from search.models import IndexChange

log = logging.getLogger(__name__)


def trash(user: User, ids: Iterable[int]) -> list[int]:
    """Move the user's photos among `ids` to the trash; returns the ids moved."""
    with transaction.atomic():
        photos = Photo.objects.owned_by(user).filter(pk__in=list(ids))
        moved = list(photos.values_list("pk", flat=True))
        Photo.objects.filter(pk__in=moved).update(trashed_at=timezone.now())
        IndexChange.objects.bulk_create(IndexChange(photo_id=pk, added=False) for pk in moved)
    return moved


def restore(user: User, ids: Iterable[int]) -> list[int]:
    """Take the user's photos among `ids` out of the trash; returns the ids restored."""
    with transaction.atomic():
        photos = Photo.objects.in_trash_of(user).filter(pk__in=list(ids))
        back = list(photos.values_list("pk", flat=True))
        Photo.objects.filter(pk__in=back).update(trashed_at=None)
        # Indexes add the vector again (a photo with no descriptor yet is simply not found).
        IndexChange.objects.bulk_create(IndexChange(photo_id=pk, added=True) for pk in back)
        # Photos that arrived meanwhile never met these ones: match them again, after commit.
        if back:
            transaction.on_commit(partial(enqueue_match_again, back))
    return back


def delete_for_good(user: User, ids: Iterable[int]) -> int:
    """Delete the user's trashed photos among `ids`, with every file made from them."""
    photos = list(Photo.objects.in_trash_of(user).filter(pk__in=list(ids)))
    for photo in photos:
        actions.delete_photo(user, photo)
    return len(photos)


def time_left(photo: Photo) -> str:
    """How long a trashed photo stays before purge_expired deletes it, in days begun: "30 days
    left" just after trashing, "2 days left", then "Less than a day left" (the purge runs
    hourly)."""
    if photo.trashed_at is None:
        return ""
    left = photo.trashed_at + timedelta(days=settings.FOCAL_TRASH_DAYS) - timezone.now()
    if left < timedelta(days=1):
        return "Less than a day left"
    days = math.ceil(left / timedelta(days=1))
    return f"{days} days left"


def purge_interval() -> float:
    """How often the workers run purge_expired (focal.chores): hourly."""
    return 3600.0


def purge_expired(days: int | None = None) -> int:
    """Delete for good every photo trashed more than `days` (FOCAL_TRASH_DAYS) ago, a thousand
    at a time. Safe to run in several workers at once: deleting a photo twice deletes nothing
    the second time (rows by primary key, folders that may be gone already)."""
    cutoff = timezone.now() - timedelta(days=settings.FOCAL_TRASH_DAYS if days is None else days)
    expired = list(Photo.objects.filter(trashed_at__lt=cutoff).select_related("owner")[:1000])
    for photo in expired:
        actions.delete_photo(photo.owner, photo)
    if expired:
        log.info("deleted %d photos from the trash for good", len(expired))
    return len(expired)

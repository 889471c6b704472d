"""Everything that changes photos. Views and the API call these; they never touch models directly.

Each action validates and checks permissions first, then changes rows inside a transaction and
queues follow-up work with transaction.on_commit, so a worker never sees an uncommitted row.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from focal.leases import new_lease
from focal.quotas import UPLOAD_RETRY_AFTER, check_queued, lock_user
from focal.usererror import UserError
from gallery import files, memory
from gallery.exif import exif_details
from gallery.imaging import CorruptImage, ImageTooLarge, inspect_image
from gallery.models import Moderation, Photo, Status, Visibility
from gallery.uploads import upload_limit_text

log = logging.getLogger(__name__)

User = AbstractBaseUser | AnonymousUser


class PermissionDenied(UserError):
    """The user may see the photo (or variant) but not change it."""

    status = 403
    code = "permission_denied"


@dataclass(frozen=True)
class AddedPhoto:
    photo: Photo
    duplicate: bool


def add_photo(
    owner: AbstractBaseUser,
    upload: UploadedFile,
    *,
    title: str = "",
    visibility: str = Visibility.PRIVATE,
) -> AddedPhoto:
    """Store an uploaded image as a new photo, or return the owner's existing copy of it.

    Raises gallery.imaging.ImageError (with a message for the user) for anything that is not a
    whole JPEG, PNG or WebP within the limits, and focal.quotas.TooMuchQueued when the owner
    already has FOCAL_MAX_QUEUED_UPLOADS photos waiting; in either case nothing is stored.
    """
    size = upload.size or 0
    check_file_size(size)
    digest = _sha256(upload)
    existing = Photo.objects.filter(owner_id=owner.pk, sha256=digest).first()
    if existing is not None:
        if existing.trashed_at is not None:  # uploaded again: the person wants it back
            from gallery.trash import restore

            restore(owner, [existing.pk])
            existing.refresh_from_db()
        return AddedPhoto(existing, duplicate=True)

    _check_upload_queue(owner)  # before the decode: a user over the limit costs nothing
    assert upload.file is not None
    info = inspect_image(upload.file, max_pixels=settings.FOCAL_MAX_PIXELS, hold=memory.for_web)
    photo = Photo(
        owner_id=owner.pk,
        sha256=digest,
        byte_size=size,
        width=info.width,
        height=info.height,
        format=info.format,
        taken_at=info.taken_at,
        camera=info.camera,
        exif=exif_details(upload.file),
        title=(title.strip() or title_from_filename(upload.name or ""))[:200],
        visibility=visibility,
        moderation=Moderation.APPROVED if _auto_approved(owner) else Moderation.PENDING,
        lease_until=new_lease(),  # a worker is to take it by then (focal.leases)
    )
    photo.original.name = photo.storage_name("original", info.extension)
    upload.seek(0)
    files.write_atomic(photo.original.name, upload.chunks())
    try:
        with transaction.atomic():
            lock_user(owner.pk)
            _check_upload_queue(owner)
            photo.save()
            transaction.on_commit(lambda: enqueue_processing(photo.pk))
    except IntegrityError:
        # The same bytes arrived twice at once; the other request won.
        files.delete_tree(photo.folder)
        winner = Photo.objects.get(owner_id=owner.pk, sha256=digest)
        return AddedPhoto(winner, duplicate=True)
    except BaseException:
        files.delete_tree(photo.folder)
        raise
    return AddedPhoto(photo, duplicate=False)


def check_file_size(size: int) -> None:
    """The checks an upload passes on its size alone (a resumable upload, before any byte)."""
    if size > settings.FOCAL_MAX_UPLOAD_BYTES:
        raise ImageTooLarge(
            f"The file is {size / 2**20:.1f} MB; the limit is {upload_limit_text()}."
        )
    if size == 0:
        raise CorruptImage("The file is empty.", code="empty_file")


def _check_upload_queue(owner: AbstractBaseUser) -> None:
    queued = Photo.objects.filter(
        owner_id=owner.pk, status__in=(Status.PENDING, Status.PROCESSING)
    ).count()
    check_queued(
        queued,
        settings.FOCAL_MAX_QUEUED_UPLOADS,
        what="photos",
        retry_after=UPLOAD_RETRY_AFTER,
    )


def title_from_filename(filename: str) -> str:
    """A readable default title: the file's stem, without folders or control characters."""
    stem = PurePath(filename.replace("\\", "/")).stem
    cleaned = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    return cleaned.strip(" .")[:200]


def enqueue_processing(photo_id: int) -> None:
    from gallery.tasks import process_photo

    try:
        process_photo.delay(photo_id)
    except Exception:  # the broker is down: say so on the photo rather than wait forever
        log.exception("could not queue photo %s for processing", photo_id)
        Photo.objects.filter(pk=photo_id).update(
            status=Status.FAILED,
            error="The processing queue is unavailable. Try “Reprocess” in a moment.",
            lease_until=None,
        )


def set_visibility(user: User, photo: Photo, visibility: str) -> Photo:
    """Make the photo private or public. Going public asks for a review again, even after an
    earlier approval: what others are about to see is reviewed as it is now."""
    _require_owner(user, photo)
    if visibility not in Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    if visibility != photo.visibility and visibility == Visibility.PUBLIC:
        _review_again(photo)
    photo.visibility = visibility
    photo.save(update_fields=["visibility", "moderation", "updated"])
    return photo


def set_visibility_of(user: User, ids: Iterable[int], visibility: str) -> int:
    """set_visibility() for each of the user's photos among `ids`; returns how many."""
    photos = list(Photo.objects.owned_by(user).filter(pk__in=list(ids)))
    for photo in photos:
        set_visibility(user, photo, visibility)
    return len(photos)


def set_title(user: User, photo: Photo, title: str) -> Photo:
    """Change the title. Others see titles, so a new one is reviewed again before they do."""
    _require_owner(user, photo)
    title = title.strip()[:200]
    if title != photo.title:
        photo.title = title
        _review_again(photo)
        photo.save(update_fields=["title", "moderation", "updated"])
    return photo


def _review_again(photo: Photo) -> None:
    photo.moderation = Moderation.APPROVED if _auto_approved(photo.owner) else Moderation.PENDING


def delete_photo(user: User, photo: Photo) -> None:
    """Delete the photo, its files and everything derived from it (cascading rows)."""
    _require_owner(user, photo, staff_may=True)
    folder = photo.folder
    with transaction.atomic():
        photo.delete()
        transaction.on_commit(lambda: files.delete_tree(folder))


def moderate(photos: QuerySet[Photo], decision: str, *, note: str = "") -> int:
    """Approve or reject; `note` is the reason for a rejection, shown to the owner."""
    if decision not in (Moderation.APPROVED, Moderation.REJECTED):
        raise ValueError(f"unknown moderation decision {decision!r}")
    note = note.strip()[:300] if decision == Moderation.REJECTED else ""
    return photos.update(moderation=decision, moderation_note=note)


def reprocess(photos: Iterable[Photo]) -> int:
    ids = [photo.pk for photo in photos]
    with transaction.atomic():
        Photo.objects.filter(pk__in=ids).update(
            status=Status.PENDING, error="", lease_until=new_lease(), lost_runs=0
        )
        for photo_id in ids:
            transaction.on_commit(partial(enqueue_processing, photo_id))
    return len(ids)


def _auto_approved(owner: AbstractBaseUser) -> bool:
    return bool(settings.FOCAL_AUTO_APPROVE or getattr(owner, "is_staff", False))


def _require_owner(user: User, photo: Photo, *, staff_may: bool = False) -> None:
    if photo.owner_id == user.pk and user.is_authenticated:
        return
    if staff_may and getattr(user, "is_staff", False):
        return
    raise PermissionDenied("Only the owner can change this photo.")


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()

"""Resumable uploads (tus, /api/uploads/): create one, receive its pieces, make it a photo, end it.

How the bytes are kept, and why it is safe:

- The bytes received so far are in one file per upload (Upload.data_name, under MEDIA_ROOT), only
  ever appended to, in order, at the offset the client named. Every byte in it is therefore
  right, and after a crash between writing and recording the file's size is the truth: the
  row's `offset` is reconciled to it whenever the file is locked.
- One request at a time writes to an upload: an exclusive flock(2) on its file, shared by every
  process on the host (and by hosts sharing an NFS mount), taken without waiting. A second
  writer gets UploadBusy (423) and asks for the offset again; so does a sweep, which skips it.
- The file is created right after its row is committed and is never created again (writers
  open it without O_CREAT), so no request can leave a file behind for a row that is gone; the
  sweep removes files whose row went with its user.
- When the last byte arrives, the file goes through gallery.actions.add_photo, the path every
  upload takes (size, type and pixel checks, sha256 deduplication, processing). A file it
  refuses leaves nothing: the row and the bytes are deleted and its error is the answer. An
  error that passes with time (it carries Retry-After) keeps everything, and a PATCH of no
  bytes at the end tries again.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime
from typing import IO, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.http import Http404
from django.utils import timezone

from focal.usererror import UserError
from gallery import actions, files, tus
from gallery.models import Upload, Visibility

log = logging.getLogger(__name__)

FOLDER = "uploads"  # under MEDIA_ROOT
_PIECE = 256 * 1024  # bytes read from the request and written at a time


class Body(Protocol):
    """A request body to read (an HttpRequest is one)."""

    def read(self, size: int, /) -> bytes: ...


class UploadBusy(UserError):
    status = 423
    code = "upload_busy"

    def __init__(self) -> None:
        super().__init__(
            "Another request is writing to this upload; ask for its offset again in a moment.",
            retry_after=1,
        )


class OffsetMismatch(UserError):
    status = 409
    code = "offset_mismatch"


class UploadGone(UserError):
    status = 410
    code = "upload_gone"


class UploadTooLong(UserError):
    status = 413
    code = "upload_too_long"


class IncompleteBody(UserError):
    status = 400
    code = "incomplete_body"


class TooManyPartialUploads(UserError):
    status = 429
    code = "too_many_partial_uploads"


class NoRoom(UserError):
    status = 507
    code = "insufficient_storage"


def create_upload(owner: AbstractBaseUser, length: int, metadata: str | None) -> Upload:
    """A new upload of `length` bytes, described by a tus Upload-Metadata header (filename,
    title, visibility). Refused as a plain upload of that size would be, or with
    TooManyPartialUploads (429) past the owner's limits."""
    actions.check_file_size(length)
    pairs = tus.parse_metadata(metadata)
    visibility = pairs.get("visibility") or Visibility.PRIVATE
    if visibility not in Visibility.values:
        raise tus.ProtocolError(
            f"Upload-Metadata: visibility must be one of {', '.join(Visibility.values)}.",
            code="invalid_upload_metadata",
        )
    upload = Upload(
        owner_id=owner.pk,
        length=length,
        metadata=(metadata or "").strip(),
        # tus clients say "filename" (tus-js-client) or "name" (Uppy).
        filename=(pairs.get("filename") or pairs.get("name") or "")[:255],
        title=pairs.get("title", "").strip()[:200],
        visibility=visibility,
        expires=_new_expiry(),
    )
    with transaction.atomic():
        # One user's creations one at a time, so two at once cannot both slip under a limit.
        list(get_user_model().objects.select_for_update().filter(pk=owner.pk).values("pk"))
        _check_limits(owner, length)
        upload.save()
    try:
        path = files.media_path(upload.data_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
    except BaseException:
        upload.delete()
        raise
    return upload


def current(upload: Upload) -> Upload:
    """The upload as it stands (HEAD): its row, reconciled with its file unless a request is
    writing to it just now (then the row's offset, the last one recorded)."""
    _refuse_expired(upload)
    if upload.finished is None:
        with suppress(UploadBusy), _locked(upload) as (fresh, _):
            return fresh
    return upload


def receive(upload: Upload, offset: int, body: Body, length: int) -> Upload:
    """Append the piece of `length` bytes that starts at `offset`, read from `body`; make the
    photo when it is the last. Returns the upload as it is after the piece."""
    _refuse_expired(upload)
    if upload.finished is not None:
        return _already_finished(upload, offset, length)
    with _locked(upload) as (upload, handle):
        if handle is None:  # finished by the request that held the lock
            return _already_finished(upload, offset, length)
        if offset != upload.offset:
            raise OffsetMismatch(
                f"This upload has {upload.offset} bytes so far; send the piece that starts "
                f"there (Upload-Offset: {upload.offset}).",
            )
        if offset + length > upload.length:
            raise UploadTooLong(
                f"The piece would end at byte {offset + length}, past the upload's length of "
                f"{upload.length} bytes.",
            )
        received = _append(body, handle, length)
        upload.offset += received
        upload.expires = _new_expiry()
        Upload.objects.filter(pk=upload.pk).update(offset=upload.offset, expires=upload.expires)
        if received < length:
            raise IncompleteBody(
                f"The piece ended after {received} of its {length} bytes; they are kept, "
                f"continue from byte {upload.offset}.",
            )
        if upload.offset == upload.length:
            _finish(upload)
    return upload


def terminate(upload: Upload) -> None:
    """Delete the upload and its bytes (tus termination); a photo it made stays."""
    if upload.finished is not None:
        upload.delete()
        return
    with _locked(upload) as (upload, _):
        _discard(upload)


def remove_expired() -> int:
    """Delete expired uploads and their bytes, and files no unfinished upload owns (left by a
    deleted user, or by a crash just after an upload finished). Skips an upload a request is
    writing to. Safe to run in several processes at once. Returns how many uploads went."""
    removed = 0
    for upload in Upload.objects.filter(expires__lte=timezone.now()).iterator():
        if upload.finished is not None:
            removed += Upload.objects.filter(pk=upload.pk).delete()[0]
            continue
        with suppress(UploadBusy, Http404, UploadGone), _locked(upload) as (fresh, _):
            if fresh.is_expired:  # a piece that just arrived pushed the expiry on
                _discard(fresh)
                removed += 1
    _remove_orphaned_files()
    if removed:
        log.info("removed %d expired uploads", removed)
    return removed


def sweep_interval() -> float:
    """How often workers run remove_expired (focal.chores): a tenth of the expiry time, between
    1 second and 10 minutes, so an expired upload is gone soon after it expires."""
    return min(600.0, max(1.0, settings.FOCAL_PARTIAL_UPLOAD_EXPIRY.total_seconds() / 10))


def _remove_orphaned_files() -> None:
    folder = files.media_path(FOLDER)
    if not folder.is_dir():
        return
    # Files first, rows second: a row is committed before its file is made, so a file listed
    # here either has its row already or never will.
    found = {}
    for path in folder.iterdir():
        with suppress(ValueError):
            found[uuid.UUID(hex=path.name)] = path
    live = set(
        Upload.objects.filter(pk__in=list(found), finished__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for key, path in found.items():
        if key in live:
            continue
        with suppress(FileNotFoundError), _flocked(path):
            path.unlink(missing_ok=True)
            log.info("removed the bytes of upload %s, which has no unfinished row", key)


def _check_limits(owner: AbstractBaseUser, length: int) -> None:
    limit_bytes = settings.FOCAL_PARTIAL_UPLOAD_MB * 2**20
    if length > limit_bytes:  # nothing to wait for: this file alone is over the limit
        raise UploadTooLong(
            f"This file is larger than the {settings.FOCAL_PARTIAL_UPLOAD_MB} MB this site keeps "
            "of one person's unfinished uploads; send it as a plain upload.",
            code="over_partial_upload_limit",
        )
    partial = Upload.objects.owned_by(owner).unfinished()
    totals = partial.aggregate(count=Count("pk"), bytes=Sum("length"), first=Min("expires"))
    count, held, first = totals["count"], totals["bytes"] or 0, totals["first"]
    if count >= settings.FOCAL_PARTIAL_UPLOADS:
        said = f"You have {count} unfinished uploads, the most this site keeps for one person"
    elif held + length > limit_bytes:
        said = (
            f"Your unfinished uploads hold {held / 2**20:.0f} MB; with this one they would pass "
            f"the {settings.FOCAL_PARTIAL_UPLOAD_MB} MB this site keeps for one person"
        )
    else:
        return
    raise TooManyPartialUploads(
        f"{said}. Finish or cancel some of them, or wait until they expire.",
        retry_after=max(1, int((first - timezone.now()).total_seconds()) + 1),
    )


@contextmanager
def _locked(upload: Upload) -> Iterator[tuple[Upload, IO[bytes] | None]]:
    """The upload's file, open for appending and locked, with the row read again under the
    lock and its offset reconciled with the file. The file is None only for an upload that is
    finished (its bytes became a photo). UploadBusy if another request holds the lock; Http404
    if the upload was deleted meanwhile; UploadGone if its bytes are lost."""
    with ExitStack() as stack:
        handle: IO[bytes] | None = None
        with suppress(FileNotFoundError):
            fd = os.open(files.media_path(upload.data_name), os.O_WRONLY | os.O_APPEND)
            handle = stack.enter_context(os.fdopen(fd, "ab"))
            _lock(handle)
        fresh = Upload.objects.filter(pk=upload.pk).first()
        if fresh is None:
            raise Http404("No such upload.")
        if fresh.finished is not None:
            yield fresh, None
            return
        if handle is None or os.fstat(handle.fileno()).st_nlink == 0:
            log.warning("upload %s lost its bytes; removing it", fresh.pk)
            fresh.delete()
            raise UploadGone("The bytes of this upload are gone; start it again.")
        size = os.fstat(handle.fileno()).st_size
        if size != fresh.offset:
            log.warning("upload %s: offset %d reconciled to its file's size", fresh.pk, size)
            fresh.offset = size
            Upload.objects.filter(pk=fresh.pk).update(offset=size)
        yield fresh, handle


@contextmanager
def _flocked(path: os.PathLike[str] | str) -> Iterator[None]:
    with open(path, "rb") as handle:
        _lock(handle)
        yield


def _lock(handle: IO[bytes]) -> None:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UploadBusy() from None


def _append(body: Body, handle: IO[bytes], length: int) -> int:
    """Copy up to `length` bytes from the request to the file; fewer if the client went away.
    The bytes are on disk (fsync) when this returns."""
    received = 0
    try:
        while received < length:
            try:
                piece = body.read(min(_PIECE, length - received))
            except OSError:  # the connection broke: keep what arrived
                piece = b""
            if not piece:
                break
            handle.write(piece)
            received += len(piece)
        handle.flush()
        os.fsync(handle.fileno())
    except OSError as exc:
        log.error("upload write failed: %s", exc)
        said = "could not store this piece"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            said = "has no room for this piece now"
        raise NoRoom(
            f"The server {said}; ask for the offset again later.", retry_after=60
        ) from None
    return received


def _finish(upload: Upload) -> None:
    """Make the photo from the complete file (called with the file locked)."""
    path = files.media_path(upload.data_name)
    with path.open("rb") as data:
        whole = UploadedFile(data, name=upload.filename or "upload", size=upload.length)
        try:
            added = actions.add_photo(
                upload.owner, whole, title=upload.title, visibility=upload.visibility
            )
        except UserError as exc:
            if exc.retry_after is None:  # refused for good: nothing stays
                _discard(upload)
            raise
    upload.finished = timezone.now()
    upload.photo = added.photo
    upload.duplicate = added.duplicate
    upload.expires = _new_expiry()  # the row answers "which photo?" for a while yet
    upload.save(update_fields=["finished", "photo", "duplicate", "expires"])
    files.delete_file(upload.data_name)


def _already_finished(upload: Upload, offset: int, length: int) -> Upload:
    if offset == upload.length and length == 0:
        return upload  # the client asks again how it ended (its last answer was lost)
    raise OffsetMismatch(
        f"This upload is complete ({upload.length} bytes); nothing more can be added.",
    )


def _discard(upload: Upload) -> None:
    files.delete_file(upload.data_name)
    Upload.objects.filter(pk=upload.pk).delete()


def _refuse_expired(upload: Upload) -> None:
    if upload.is_expired:
        raise UploadGone("This upload has expired; start it again.")


def _new_expiry() -> datetime:
    return timezone.now() + settings.FOCAL_PARTIAL_UPLOAD_EXPIRY

"""Photos and who may see them."""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public"


class Moderation(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Status(models.TextChoices):
    PENDING = "pending", "Waiting"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def _shared_q(user: AbstractBaseUser | AnonymousUser | None) -> Q:
    """Whose-ever photos are shared with `user`: public and approved; for staff also public
    ones waiting for review. A rejected photo is shared with nobody, staff included: only its
    owner sees it (with its "Rejected" badge)."""
    if user is not None and user.is_authenticated and getattr(user, "is_staff", False):
        return Q(
            visibility=Visibility.PUBLIC,
            moderation__in=[Moderation.APPROVED, Moderation.PENDING],
        )
    return Q(visibility=Visibility.PUBLIC, moderation=Moderation.APPROVED)


def _visible(user: AbstractBaseUser | AnonymousUser | None) -> Q:
    live = Q(trashed_at__isnull=True)
    if user is None or not user.is_authenticated:
        return live & _shared_q(user)
    return live & (_shared_q(user) | Q(owner_id=user.pk))


class PhotoQuerySet(models.QuerySet["Photo"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> PhotoQuerySet:
        """The photos `user` may see. Every page, API endpoint and search path uses this.

        Anyone: public photos that a moderator approved. Signed-in users: also their own.
        Staff: also public photos still waiting for review (they review them), never rejected
        ones. Nobody sees another user's private photos. Photos in the trash are seen by nobody
        here (their owner finds them with `in_trash_of`).
        """
        return self.filter(_visible(user))

    def hidden_from(self, user: AbstractBaseUser | AnonymousUser | None) -> PhotoQuerySet:
        """Every photo that visible_to(user) leaves out, those in the trash included."""
        return self.exclude(_visible(user))

    def shared_with(self, user: AbstractBaseUser | AnonymousUser | None) -> PhotoQuerySet:
        """Other people's photos that `user` may see (the part of visible_to() not their own)."""
        others = self.filter(_shared_q(user), trashed_at__isnull=True)
        if user is not None and user.is_authenticated:
            others = others.exclude(owner_id=user.pk)
        return others

    def owned_by(self, user: AbstractBaseUser | AnonymousUser) -> PhotoQuerySet:
        """The user's own photos, not in the trash."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk, trashed_at__isnull=True)

    def files_visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> PhotoQuerySet:
        """Photos whose files `user` may fetch: visible_to(), plus their own in the trash (the
        trash page shows them)."""
        if user is None or not user.is_authenticated:
            return self.visible_to(user)
        return self.filter((_shared_q(user) & Q(trashed_at__isnull=True)) | Q(owner_id=user.pk))

    def in_trash_of(self, user: AbstractBaseUser | AnonymousUser) -> PhotoQuerySet:
        """The user's photos in the trash, most recently trashed first."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk, trashed_at__isnull=False).order_by(
            "-trashed_at", "-id"
        )

    def awaiting_review(self) -> PhotoQuerySet:
        """The review queue: public photos waiting for a moderator, oldest first."""
        return self.reviewable().filter(moderation=Moderation.PENDING).order_by("created", "id")

    def reviewable(self) -> PhotoQuerySet:
        """Photos a moderator may approve or reject: public ones waiting for review, and
        approved ones (still open to a rejection). Not rejected ones: no moderator sees those
        (visible_to), so none decides on them again; not those in the trash."""
        return self.filter(
            visibility=Visibility.PUBLIC,
            moderation__in=[Moderation.PENDING, Moderation.APPROVED],
            trashed_at__isnull=True,
        )


class AlbumQuerySet(models.QuerySet["Album"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> AlbumQuerySet:
        """Albums `user` may open: their own, and other people's public ones."""
        public = Q(visibility=Visibility.PUBLIC)
        if user is None or not user.is_authenticated:
            return self.filter(public)
        return self.filter(public | Q(owner_id=user.pk))

    def owned_by(self, user: AbstractBaseUser | AnonymousUser) -> AlbumQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk)


@functools.cache
def _url_around_id(name: str, *rest: str) -> tuple[str, str]:
    """The URL named `name` split around its id: a grid page asks for hundreds of them, and
    reverse() costs more than the rest of a tile together."""
    marker = 918273645
    before, _, after = reverse(name, args=[marker, *rest]).partition(str(marker))
    return before, after


def _original_path(photo: Photo, filename: str) -> str:
    # Never the client's filename: a generated key, sharded by its first two characters.
    return photo.storage_name("original", filename.rsplit(".", 1)[-1].lower())


class Photo(models.Model):
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos"
    )
    original = models.FileField(upload_to=_original_path, max_length=200)
    thumbnail = models.FileField(max_length=200, blank=True)  # ~320 px long side, WebP
    tile = models.FileField(max_length=200, blank=True)  # ~640 px long side, WebP
    preview = models.FileField(max_length=200, blank=True)  # ~1280 px long side, JPEG
    sha256 = models.CharField(max_length=64, db_index=True)
    byte_size = models.BigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=8)
    taken_at = models.DateTimeField(null=True, blank=True)
    # What the gallery sorts and groups by: when the photo was taken, or else when it arrived.
    shot_at = models.DateTimeField(default=timezone.now)
    camera = models.CharField(max_length=120, blank=True)
    # Camera settings read from the file's EXIF at upload (gallery.exif.exif_details).
    exif = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    moderation = models.CharField(
        max_length=8, choices=Moderation.choices, default=Moderation.PENDING
    )
    moderation_note = models.CharField(max_length=300, blank=True)  # why it was rejected
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    # In the trash since then: hidden everywhere, deleted for good after FOCAL_TRASH_DAYS.
    trashed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    processing_ms = models.PositiveIntegerField(null=True, blank=True)
    # While a worker holds the job: when its lease lapses unless renewed (focal.leases).
    lease_until = models.DateTimeField(null=True, blank=True, db_index=True)
    lost_runs = models.PositiveSmallIntegerField(default=0)  # runs lost with their worker
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            # The same bytes uploaded twice by one user are one photo.
            models.UniqueConstraint(fields=["owner", "sha256"], name="unique_photo_per_owner"),
        ]
        indexes = [
            models.Index(fields=["visibility", "moderation", "created"]),
            models.Index(fields=["owner", "created"]),
            # The gallery's keyset pages: one range scan for your own photos, one for shared.
            models.Index(fields=["owner", "shot_at", "id"], name="photo_owner_timeline"),
            models.Index(
                fields=["visibility", "status", "shot_at", "id"], name="photo_public_timeline"
            ),
            # What everyone may see, in timeline order: one backward range scan with a LIMIT
            # for visitors and most users, however many photos are shared or private.
            models.Index(
                fields=["shot_at", "id"],
                name="photo_shared_timeline",
                condition=Q(
                    visibility=Visibility.PUBLIC,
                    moderation=Moderation.APPROVED,
                    status=Status.READY,
                    trashed_at__isnull=True,
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Photo {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.taken_at is not None:
            self.shot_at = self.taken_at
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "taken_at" in update_fields:
                kwargs["update_fields"] = {*update_fields, "shot_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        before, after = _url_around_id("gallery:photo")
        return f"{before}{self.pk}{after}"

    @property
    def folder(self) -> str:
        key = self.key.hex
        return f"photos/{key[:2]}/{key}"

    def storage_name(self, role: str, extension: str) -> str:
        return f"{self.folder}/{role}.{extension}"

    @property
    def is_shared(self) -> bool:
        return self.visibility == Visibility.PUBLIC and self.moderation == Moderation.APPROVED

    @property
    def display_title(self) -> str:
        return self.title or "Untitled"

    @property
    def who_sees_it(self) -> str:
        """Who can see the photo, as its owner is told after saving or sharing it."""
        if self.visibility == Visibility.PRIVATE:
            return "Only you can see it."
        if self.moderation == Moderation.APPROVED:
            return "Everyone can see it."
        if self.moderation == Moderation.REJECTED:
            return "Only you can see it: a moderator rejected it."
        return "Everyone will see it once a moderator approves it."

    def file_name(self, kind: str) -> str | None:
        """The storage name of the original, "thumb", "tile" or "preview", if made."""
        field = {
            "original": self.original,
            "thumb": self.thumbnail,
            "tile": self.tile,
            "preview": self.preview,
        }.get(kind)
        return field.name if field else None

    def fitted_size(self, long_side: int) -> tuple[int, int]:
        """(width, height) of a rendition whose long side is at most `long_side` pixels,
        rounded as gallery.imaging.fit_long_side rounds."""
        largest = max(self.width, self.height, 1)
        if largest <= long_side:
            return self.width, self.height
        scale = long_side / largest
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    def file_url(self, kind: str) -> str | None:
        if not self.file_name(kind):
            return None
        before, after = _url_around_id("gallery:photo-file", "KIND")
        return f"{before}{self.pk}{after.replace('KIND', kind)}?v={self.updated_token}"

    @property
    def updated_token(self) -> str:
        # Cache-busting for file URLs: changes when the photo is reprocessed.
        return format(int(self.updated.timestamp()), "x") if self.updated else "0"


class Album(models.Model):
    """A named set of its owner's photos. Private, or public: then others may open it and see
    the photos in it that they may see anyway (each photo keeps its own visibility and review).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="albums"
    )
    title = models.CharField(max_length=200)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    cover = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    photos = models.ManyToManyField(Photo, through="AlbumPhoto", related_name="albums")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = AlbumQuerySet.as_manager()

    class Meta:
        ordering = ["-updated", "-id"]
        indexes = [models.Index(fields=["owner", "updated"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("gallery:album", args=[self.pk])

    def photos_for(self, user: AbstractBaseUser | AnonymousUser | None) -> PhotoQuerySet:
        """The album's photos that `user` may see, newest first (none of them in the trash)."""
        return Photo.objects.visible_to(user).filter(albums=self).order_by("-shot_at", "-id")

    def cover_for(self, user: AbstractBaseUser | AnonymousUser | None) -> Photo | None:
        """The chosen cover if `user` may see it, else the newest photo they may see."""
        photos = self.photos_for(user).filter(status=Status.READY)
        if self.cover_id is not None:
            chosen = photos.filter(pk=self.cover_id).first()
            if chosen is not None:
                return chosen
        return photos.first()


class AlbumPhoto(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE)
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE)
    added = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["album", "photo"], name="photo_once_per_album")
        ]

    def __str__(self) -> str:
        return f"photo {self.photo_id} in album {self.album_id}"


class UploadQuerySet(models.QuerySet["Upload"]):
    def owned_by(self, user: AbstractBaseUser | AnonymousUser) -> UploadQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk)

    def unfinished(self) -> UploadQuerySet:
        """Still receiving bytes (or complete but not yet a photo) and not expired."""
        return self.filter(finished__isnull=True, expires__gt=timezone.now())


class Upload(models.Model):
    """A resumable upload (tus, /api/uploads/): bytes arriving in pieces, then a photo.

    The bytes received so far are in one file, `data_name`, appended to in order; `offset` is
    how many (the file's size is the truth after a crash: gallery.resumable reconciles). Once
    all `length` bytes are there the upload becomes a photo through gallery.actions.add_photo,
    the file is removed and the row keeps the outcome until it expires.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    # Upload-Metadata as the client sent it (tus: HEAD answers with it), and what Focal reads.
    metadata = models.CharField(max_length=4096, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    created = models.DateTimeField(auto_now_add=True)
    # Pushed forward by every new piece; past it the upload is gone (410), then swept.
    expires = models.DateTimeField(db_index=True)
    finished = models.DateTimeField(null=True, blank=True)
    photo = models.ForeignKey(
        Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    duplicate = models.BooleanField(default=False)  # the photo existed already

    objects = UploadQuerySet.as_manager()

    class Meta:
        ordering = ["created"]
        indexes = [
            models.Index(fields=["owner", "finished", "expires"], name="upload_owner_unfinished")
        ]

    def __str__(self) -> str:
        return f"Upload {self.pk} ({self.offset}/{self.length})"

    def get_absolute_url(self) -> str:
        return reverse("api-upload", args=[self.pk])

    @property
    def data_name(self) -> str:
        """The storage name (under MEDIA_ROOT) of the bytes received so far."""
        return f"uploads/{self.pk.hex}"

    @property
    def is_expired(self) -> bool:
        return self.expires <= timezone.now()

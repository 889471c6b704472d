"""Photos and who may see them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

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


class PhotoQuerySet(models.QuerySet["Photo"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> PhotoQuerySet:
        """The photos `user` may see. Every page, API endpoint and search path uses this.

        Anyone: public photos that a moderator approved. Signed-in users: also their own.
        Staff: also public photos still waiting for review (they review them). Nobody sees
        another user's private photos.
        """
        shared = Q(visibility=Visibility.PUBLIC, moderation=Moderation.APPROVED)
        if user is None or not user.is_authenticated:
            return self.filter(shared)
        if getattr(user, "is_staff", False):
            shared |= Q(visibility=Visibility.PUBLIC)
        return self.filter(shared | Q(owner_id=user.pk))

    def owned_by(self, user: AbstractBaseUser | AnonymousUser) -> PhotoQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk)

    def awaiting_review(self) -> PhotoQuerySet:
        return self.filter(visibility=Visibility.PUBLIC, moderation=Moderation.PENDING).order_by(
            "created", "id"
        )


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
    preview = models.FileField(max_length=200, blank=True)  # ~1280 px long side, JPEG
    sha256 = models.CharField(max_length=64, db_index=True)
    byte_size = models.BigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=8)
    taken_at = models.DateTimeField(null=True, blank=True)
    camera = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    moderation = models.CharField(
        max_length=8, choices=Moderation.choices, default=Moderation.PENDING
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    processing_ms = models.PositiveIntegerField(null=True, blank=True)
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
        ]

    def __str__(self) -> str:
        return self.title or f"Photo {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("gallery:photo", args=[self.pk])

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

    def file_name(self, kind: str) -> str | None:
        """The storage name of the original ("original"), thumbnail or preview, if made."""
        field = {"original": self.original, "thumb": self.thumbnail, "preview": self.preview}.get(
            kind
        )
        return field.name if field else None

    def file_url(self, kind: str) -> str | None:
        if not self.file_name(kind):
            return None
        return reverse("gallery:photo-file", args=[self.pk, kind]) + f"?v={self.updated_token}"

    @property
    def updated_token(self) -> str:
        # Cache-busting for file URLs: changes when the photo is reprocessed.
        return format(int(self.updated.timestamp()), "x") if self.updated else "0"

"""What duplicate detection stores: a fingerprint per photo, verified pairs, and what the owner
decided (so that undo can put everything back).

Groups are not stored: they are the connected sets of an owner's pairs whose two photos are
both in the library (not in the trash) and that the owner has not dismissed, computed when
asked (duplicates.groups). So a photo moved to the trash leaves its group at once and comes
back with it when restored, and a pair is never proposed again once dismissed (its row stays,
with `dismissed`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gallery.models import Photo


class Fingerprint(models.Model):
    """The cheap part of a photo's duplicate check, written by the worker."""

    photo = models.OneToOneField(
        Photo, on_delete=models.CASCADE, primary_key=True, related_name="fingerprint"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveSmallIntegerField()
    signature = models.BigIntegerField()  # duplicates.matching.signature
    grey = models.BinaryField()  # uint8 pixels, duplicates.matching.appearance
    grey_width = models.PositiveSmallIntegerField()
    grey_height = models.PositiveSmallIntegerField()
    # When the photo's own duplicate search last finished (null: made in passing, as another
    # photo's candidate, or the search has not finished).
    checked = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "version"])]

    def __str__(self) -> str:
        return f"fingerprint of photo {self.photo_id}"


class Pair(models.Model):
    """Two of one owner's photos verified as the same shot; `first` has the lower id."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()  # appearance agreement, 0..1
    inliers = models.PositiveIntegerField()
    coverage = models.FloatField()
    # "Not a duplicate": never proposed again (until undone).
    dismissed = models.BooleanField(default=False)
    # The one of the two made from the other by an effect on purpose ("Save as a new photo",
    # the copy with faces hidden shared instead: effects.copies, through resolving.keep_apart),
    # or null for a pair the search found. Such a copy is left out of every duplicate group.
    copy = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="one_pair_per_two_photos"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="pair_ordered"),
        ]
        indexes = [models.Index(fields=["owner", "dismissed"])]

    def __str__(self) -> str:
        return f"photos {self.first_id} and {self.second_id}"


class Resolution(models.Model):
    """One decision on one group, with what it changed, so that it can be undone."""

    class Kind(models.TextChoices):
        KEEP = "keep", "Kept one"
        NOT_DUPLICATE = "not_duplicate", "Not duplicates"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Decisions taken together ("keep the suggested photo in every group") share a batch and
    # are undone together.
    batch = models.UUIDField(db_index=True)
    keeper = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What changed: {"trashed": [ids], "dismissed": [pair ids], "albums": [AlbumPhoto ids
    # added], "covers": {album id: previous cover id}, "title": previous title or null,
    # "moderation": previous moderation or null}.
    changes = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    undone = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "undone", "created"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.batch})"

"""Variants: an effect rendered from a photo, cached by (photo, canonical spec)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.urls import reverse

from gallery.models import Photo, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class VariantQuerySet(models.QuerySet["Variant"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> VariantQuerySet:
        """The variants `user` may see: those whose every source photo they may see.

        A variant shows pixels of each of its sources (the photo, a background photo), so it
        is never more visible than the least visible of them. Every view, the API, the photo
        page and the admin use this; it is evaluated per request, so a source made private or
        deleted hides the variant at once.
        """
        return self.filter(photo__in=Photo.objects.visible_to(user)).exclude(
            sources__in=Photo.objects.hidden_from(user)
        )


class Variant(models.Model):
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="variants")
    # Every photo whose pixels the variant uses, the photo itself included. Deleting any of
    # them deletes the variant (effects.signals).
    sources = models.ManyToManyField(Photo, related_name="used_by_variants")
    effect = models.CharField(max_length=16)
    spec = models.CharField(max_length=200)  # effects.spec canonical form: the cache key
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    # The UserError's code when one stopped the rendering ("no_subject", ...), so a page can
    # say what to do in its own words; blank otherwise.
    error_code = models.CharField(max_length=32, blank=True)
    image = models.FileField(max_length=200, blank=True)  # JPEG, or PNG with alpha (cut-out)
    matte = models.FileField(max_length=200, blank=True)  # 8-bit PNG, 255 = subject
    subject = models.CharField(max_length=20, blank=True)  # the VOC class that was used
    timings = models.JSONField(default=dict, blank=True)  # phase -> milliseconds
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    # While a worker holds the job: when its lease lapses unless renewed (focal.leases).
    lease_until = models.DateTimeField(null=True, blank=True, db_index=True)
    lost_runs = models.PositiveSmallIntegerField(default=0)  # runs lost with their worker
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = VariantQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "spec"], name="one_variant_per_spec"),
        ]

    def __str__(self) -> str:
        return f"{self.spec} of photo {self.photo_id}"

    @property
    def params(self) -> dict[str, object]:
        from effects.spec import parse_canonical

        data = parse_canonical(self.spec).to_dict()
        data.pop("effect")
        return data

    @property
    def title(self) -> str:
        """What kind of effect this is, e.g. "Portrait" (effects.registry)."""
        from effects.registry import EFFECTS

        effect = EFFECTS.get(self.effect)
        return effect.title if effect else "Effect"

    @property
    def details(self) -> str:
        """What makes this variant different from its siblings, e.g.
        "tapped at 52%, 40% (person) · blur 50 · lens bokeh"."""
        from effects.spec import parse_canonical

        return " · ".join(parse_canonical(self.spec).describe(self.subject))

    @property
    def label(self) -> str:
        """A one-line description, e.g. "Portrait · automatic subject (cat) · blur 50 · ..."."""
        return f"{self.title} · {self.details}"

    def storage_name(self, role: str, extension: str) -> str:
        # Inside the photo's folder, so deleting the photo removes its variants' files too.
        return f"{self.photo.folder}/variants/{self.key.hex}-{role}.{extension}"

    @property
    def image_url(self) -> str | None:
        return self.file_url("image")

    @property
    def matte_url(self) -> str | None:
        return self.file_url("matte")

    def file_url(self, kind: str) -> str | None:
        field = {"image": self.image, "matte": self.matte}.get(kind)
        if not field:
            return None
        token = format(int(self.updated.timestamp()), "x") if self.updated else "0"
        return reverse("effects:variant-file", args=[self.pk, kind]) + f"?v={token}"

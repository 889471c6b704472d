"""A deleted photo leaves every index: whichever way it is deleted (page, API, admin, or with
its owner), a removal is logged in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from gallery.models import Photo
from search.models import IndexChange


@receiver(post_delete, sender=Photo, dispatch_uid="search-log-photo-removal")
def log_photo_removal(sender: type[Photo], instance: Photo, **kwargs: Any) -> None:
    IndexChange.objects.create(photo_id=instance.pk, added=False)

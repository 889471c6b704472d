"""A variant goes with any of its sources, and its files go with it, whichever way it is
deleted (the owner, a source photo deleted by page, API or admin, or with its owner)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from effects.models import Variant
from gallery import files
from gallery.models import Photo


@receiver(pre_delete, sender=Photo, dispatch_uid="effects-delete-variants-using-photo")
def delete_variants_using(sender: type[Photo], instance: Photo, **kwargs: Any) -> None:
    # The photo's own variants cascade through Variant.photo; these are other photos'
    # variants that use it as a background.
    Variant.objects.filter(sources=instance).exclude(photo=instance).delete()


@receiver(post_delete, sender=Variant, dispatch_uid="effects-delete-variant-files")
def delete_variant_files(sender: type[Variant], instance: Variant, **kwargs: Any) -> None:
    names = [name for name in (instance.image.name, instance.matte.name) if name]

    def remove() -> None:
        for name in names:
            files.delete_file(name)

    transaction.on_commit(remove)

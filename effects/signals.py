"""A variant goes with any of its sources, and its files go with it, whichever way it is
deleted (the owner, a source photo deleted by page, API or admin, or with its owner); a
variant made from a photo's faces is made again when they change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from effects.models import Variant
from effects.registry import EFFECTS
from faces.models import Face
from focal.leases import new_lease
from gallery import files
from gallery.models import Photo, Status


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


@receiver(post_save, sender=Face, dispatch_uid="effects-rerender-after-face-change")
@receiver(post_delete, sender=Face, dispatch_uid="effects-rerender-after-face-removed")
def rerender_face_variants(sender: type[Face], instance: Face, **kwargs: Any) -> None:
    """The photo's variants made from its faces (gaze, hide_faces) are rendered again when a
    face is corrected, added or removed: their spec (the cache key) says what to do, the
    faces say where, so the same variant is made again from the faces as they now are."""
    face_effects = [name for name, effect in EFFECTS.items() if "faces" in effect.needs]
    stale = Variant.objects.filter(photo_id=instance.photo_id, effect__in=face_effects).exclude(
        status=Status.PENDING
    )
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return
    Variant.objects.filter(pk__in=ids).update(
        status=Status.PENDING, error="", error_code="", lease_until=new_lease(), lost_runs=0
    )

    def enqueue() -> None:
        from effects.actions import enqueue_render

        for variant_id in ids:
            enqueue_render(variant_id)

    transaction.on_commit(enqueue)

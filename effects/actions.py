"""Everything that changes variants. Views and the API call these.

Only a photo's owner makes variants of it (a variant is shown to others who may see the
photo, so nobody else may add pictures to it); the background photo of a `background` effect
must be one of the owner's own photos (effects.sources).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from effects.models import Variant
from effects.sources import usable_backgrounds
from effects.spec import EffectSpec, SpecError
from focal.leases import job_kind, new_lease, requeue_stuck
from focal.quotas import RENDER_RETRY_AFTER, check_queued, lock_user
from focal.usererror import UserError
from gallery.actions import PermissionDenied, User
from gallery.models import Photo, Status

log = logging.getLogger(__name__)


class UnusableBackground(SpecError):
    """A well-formed spec whose background photo cannot be used (422)."""

    status = 422
    code = "unusable_background"


@dataclass(frozen=True)
class RequestedVariant:
    variant: Variant
    queued: bool  # False: an existing variant with the same spec was returned as it is


def request_variant(user: User, photo: Photo, spec: EffectSpec) -> RequestedVariant:
    """The photo's variant for `spec`, queued for rendering if it is new.

    A variant that failed before is queued again (the reason may have been fixed, e.g. the
    models were installed since), and so is one whose worker died (its lease lapsed); a
    pending, processing or ready one is returned as it is. Queuing new work is refused with
    focal.quotas.TooMuchQueued past the owner's FOCAL_MAX_QUEUED_RENDERS, and a new parameter
    set with TooManyVariants past FOCAL_MAX_VARIANTS_PER_PHOTO.
    """
    if not user.is_authenticated or photo.owner_id != user.pk:
        raise PermissionDenied("Only the owner can make variants of this photo.")
    sources = [photo]
    for other in spec.source_photos():
        if other == photo.pk:
            raise UnusableBackground("photo", "choose another photo as the background")
        background = usable_backgrounds(user).filter(pk=other).first()
        if background is None:
            raise UnusableBackground("photo", f"there is no photo {other} among your own photos")
        sources.append(background)
    canonical = spec.canonical()
    existing = Variant.objects.filter(photo=photo, spec=canonical).first()
    if existing is not None and existing.status != Status.FAILED:
        stuck = requeue_stuck(job_kind(Variant), [existing.pk]) > 0
        existing.refresh_from_db()
        return RequestedVariant(existing, queued=stuck)
    try:
        with transaction.atomic():
            lock_user(user.pk)
            _check_render_queue(user)
            if existing is None:
                _check_variant_cap(photo)
            if existing is not None:
                Variant.objects.filter(pk=existing.pk).update(
                    status=Status.PENDING,
                    error="",
                    error_code="",
                    lease_until=new_lease(),
                    lost_runs=0,
                )
                variant = Variant.objects.get(pk=existing.pk)
            else:
                variant = Variant.objects.create(
                    photo=photo, effect=spec.effect, spec=canonical, lease_until=new_lease()
                )
                variant.sources.set(sources)
            transaction.on_commit(lambda: enqueue_render(variant.pk))
    except IntegrityError:
        # The same request arrived twice at once; the other one created it.
        return RequestedVariant(Variant.objects.get(photo=photo, spec=canonical), queued=False)
    return RequestedVariant(variant, queued=True)


class TooManyVariants(UserError):
    status = 409
    code = "too_many_variants"


def _check_render_queue(user: User) -> None:
    queued = Variant.objects.filter(
        photo__owner_id=user.pk, status__in=(Status.PENDING, Status.PROCESSING)
    ).count()
    check_queued(
        queued,
        settings.FOCAL_MAX_QUEUED_RENDERS,
        what="effects",
        retry_after=RENDER_RETRY_AFTER,
    )


def _check_variant_cap(photo: Photo) -> None:
    """Distinct parameter sets per photo are bounded: each is a full-size render and files.
    Beyond the cap nothing is evicted behind the owner's back; they choose what to delete."""
    limit = settings.FOCAL_MAX_VARIANTS_PER_PHOTO
    if Variant.objects.filter(photo=photo).count() >= limit:
        raise TooManyVariants(
            f"This photo has {limit} effects already, the most it may have; "
            "delete one to make another."
        )


def enqueue_render(variant_id: int) -> None:
    from effects.tasks import render_variant

    try:
        render_variant.delay(variant_id)
    except Exception:  # the broker is down: say so rather than spin forever
        log.exception("could not queue variant %s", variant_id)
        Variant.objects.filter(pk=variant_id).update(
            status=Status.FAILED,
            error="The processing queue is unavailable; try again in a moment.",
            lease_until=None,
        )


def delete_variant(user: User, variant: Variant) -> None:
    if not user.is_authenticated or (
        variant.photo.owner_id != user.pk and not getattr(user, "is_staff", False)
    ):
        raise PermissionDenied("Only the owner can delete this variant.")
    variant.delete()  # its files go once the deletion commits (effects.signals)

"""Re-queue jobs that a stopped worker may have taken with it (local broker only).

The filesystem broker deletes a message when a worker fetches it, so `acks_late` cannot bring
back the tasks a killed worker held. When a worker on that broker starts (it is the only one:
`make run`), every photo and variant still pending or processing is queued again; the tasks are
idempotent, so one that was in fact queued already just runs once more and skips.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def requeue_unfinished() -> tuple[int, int]:
    from effects.actions import enqueue_render
    from effects.models import Variant
    from gallery.actions import enqueue_processing
    from gallery.models import Photo, Status

    unfinished = (Status.PENDING, Status.PROCESSING)
    photos = list(Photo.objects.filter(status__in=unfinished).values_list("pk", flat=True))
    variants = list(Variant.objects.filter(status__in=unfinished).values_list("pk", flat=True))
    for photo_id in photos:
        enqueue_processing(photo_id)
    for variant_id in variants:
        enqueue_render(variant_id)
    if photos or variants:
        log.info("queued again after a restart: %d photos, %d variants", len(photos), len(variants))
    return len(photos), len(variants)

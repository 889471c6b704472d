"""Celery tasks for photos. They take ids, not objects, and are safe to run twice."""

from __future__ import annotations

from functools import partial

from celery import Task, shared_task

from focal.jobs import MAX_RETRIES, run_job
from gallery.models import Photo, Status
from gallery.processing import process_photo as run_processing


# The outcome is recorded on the Photo row, so no result is stored for it.
@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def process_photo(self: Task, photo_id: int) -> str:
    return run_job(
        self,
        partial(run_processing, photo_id),
        partial(mark_failed, photo_id),
        name=f"photo {photo_id}",
        gave_up="Processing kept failing; try “Reprocess” later.",
        crashed="The image could not be processed ({exc}).",
    )


def mark_failed(photo_id: int, reason: str) -> str:
    Photo.objects.filter(pk=photo_id).update(
        status=Status.FAILED, error=reason[:500], lease_until=None
    )
    return "failed"

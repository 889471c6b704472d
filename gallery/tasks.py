"""Celery tasks for photos. They take ids, not objects, and are safe to run twice."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from gallery.imaging import ImageError
from gallery.models import Photo, Status
from gallery.processing import process_photo as run_processing

log = logging.getLogger(__name__)

# Errors worth another try: the database or the disk hiccupped. Anything else is final.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, DatabaseError, TimeoutError, ConnectionError)
MAX_RETRIES = 5


# The outcome is recorded on the Photo row, so no result is stored for it.
@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def process_photo(self: Task, photo_id: int) -> str:
    try:
        return run_processing(photo_id)
    except ImageError as exc:
        return mark_failed(photo_id, exc.message)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            return mark_failed(photo_id, "Processing kept failing; try “Reprocess” later.")
        log.warning("photo %s: transient error %r, retrying", photo_id, exc)
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    except Exception as exc:
        log.exception("photo %s: processing failed", photo_id)
        return mark_failed(photo_id, f"The image could not be processed ({exc}).")


def mark_failed(photo_id: int, reason: str) -> str:
    Photo.objects.filter(pk=photo_id).update(status=Status.FAILED, error=reason[:500])
    return "failed"

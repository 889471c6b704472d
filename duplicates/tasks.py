"""The worker's duplicate search: queued on the photos queue once a photo is ready."""

from __future__ import annotations

import logging
from functools import partial

from celery import Task, shared_task

from focal.jobs import MAX_RETRIES, run_job

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def find_duplicates(self: Task, photo_id: int) -> str:
    from duplicates.finding import find_for

    def work() -> str:
        return f"{find_for(photo_id)} found"

    return run_job(
        self,
        work,
        partial(_failed, photo_id),
        name=f"duplicates of photo {photo_id}",
        gave_up="gave up",
        crashed="{exc}",
    )


def _failed(photo_id: int, reason: str) -> str:
    # Nothing to show on the photo: it simply has no duplicates proposed until a rescan
    # (manage.py find_duplicates).
    log.warning("duplicate search for photo %s failed: %s", photo_id, reason)
    return "failed"


def enqueue(photo_id: int) -> None:
    try:
        find_duplicates.delay(photo_id)
    except Exception:  # the broker is down: the photo is ready anyway; a rescan finds them
        log.exception("could not queue the duplicate search of photo %s", photo_id)

"""Celery tasks for photos. They take ids, not objects, and are safe to run twice."""

from __future__ import annotations

import logging
from functools import partial

from celery import Task, shared_task

from focal.jobs import MAX_RETRIES, run_job
from gallery.models import Photo, Status
from gallery.processing import process_photo as run_processing

log = logging.getLogger(__name__)


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


# Photos a restore hands to one job; a bulk restore of 10,000 queues 20 jobs, not 10,000.
MATCH_AGAIN_BATCH = 500


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def match_again(self: Task, photo_ids: list[int]) -> str:
    """Photos back from the trash meet the photos that arrived while they were away: their
    same-subject matches are worked out again (search.objects), then their duplicates are
    looked for (duplicates.tasks). Safe to run twice: both replace what they stored."""
    from duplicates.tasks import enqueue as enqueue_duplicate_search
    from search.objects import match_photo

    def work() -> str:
        found = sum(match_photo(photo_id) for photo_id in photo_ids)
        for photo_id in photo_ids:
            enqueue_duplicate_search(photo_id)
        return f"{found} same-subject matches for {len(photo_ids)} photos"

    return run_job(
        self,
        work,
        partial(_matching_failed, photo_ids),
        name=f"matches of {len(photo_ids)} restored photos",
        gave_up="gave up",
        crashed="{exc}",
    )


def _matching_failed(photo_ids: list[int], reason: str) -> str:
    # The photos are fine; only matches with photos that came while they were in the trash are
    # missing until `manage.py rebuild_index --matches`.
    log.warning("matching restored photos %s failed: %s", photo_ids[:10], reason)
    return "failed"


def enqueue_match_again(photo_ids: list[int]) -> None:
    for start in range(0, len(photo_ids), MATCH_AGAIN_BATCH):
        batch = photo_ids[start : start + MATCH_AGAIN_BATCH]
        try:
            match_again.delay(batch)
        except Exception:  # the broker is down: the restore stands; a rebuild finds the matches
            log.exception("could not queue the matching of restored photos %s", batch[:10])


def mark_failed(photo_id: int, reason: str) -> str:
    Photo.objects.filter(pk=photo_id).update(
        status=Status.FAILED, error=reason[:500], lease_until=None
    )
    return "failed"

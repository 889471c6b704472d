"""Leases on job rows: a job whose worker died, or whose message was lost, runs again, on
every broker.

Every unfinished photo or variant carries `lease_until`, a time a little ahead. Queuing a job
sets it (a worker is to take the job by then); every worker's main process renews the leases of
all the jobs it holds (received, waiting for a pool slot, running, or waiting to retry) every
few seconds and at once when it receives one; a job sets its own lease when it starts. A worker
that dies, however it dies (kill -9 of the main process takes its pool processes with it),
stops renewing; once a lease has lapsed, any worker's sweep puts the row back to `pending` and
queues it again. A lapsed `pending` row may only be waiting its turn in a long queue, so it is
queued again only when its queue is empty (its message is then surely gone: taken by a worker
that died before renewing, or never delivered) and otherwise given more time. Messages are not
trusted to come back: the filesystem broker deletes a message when a worker fetches it, and
Redis keeps a dead worker's messages "unacked" for its visibility timeout (an hour). A message
that does come back later finds its row done and skips, as every job is idempotent.

A job that keeps taking its worker down (it is too big for the memory, say) is not queued
forever: after FOCAL_JOB_MAX_LOST_RUNS runs lost with their worker it fails with a reason (a
job that was only waiting did not run, so it is not counted). A pool process that dies alone is
handled the same way (the task is acknowledged as failed and its lease lapses), which is why
CELERY_TASK_REJECT_ON_WORKER_LOST is off.

Timing: with a lease of L seconds (FOCAL_JOB_LEASE_SECONDS), leases are renewed and lapsed
leases swept every L/3 seconds (focal.chores), so a job whose worker died runs again at most
about 4L/3 after the death, or at once when asked for again (effects.actions.request_variant),
or when a worker starts after that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import ChannelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    task: str  # the Celery task's name; its one argument is the row's id
    model: type[models.Model]
    enqueue: Callable[[int], None]
    lost: str  # the reason recorded when the job keeps taking its worker down


def job_kinds() -> list[JobKind]:
    from effects.actions import enqueue_render
    from effects.models import Variant
    from gallery.actions import enqueue_processing
    from gallery.models import Photo

    return [
        JobKind(
            "gallery.tasks.process_photo",
            Photo,
            enqueue_processing,
            "Processing stopped {n} times with the worker; the image may be too large for this "
            "server. Try “Reprocess” later.",
        ),
        JobKind(
            "effects.tasks.render_variant",
            Variant,
            enqueue_render,
            "Rendering stopped {n} times with the worker; the photo may be too large for this "
            "server. Try again later.",
        ),
    ]


def job_kind(model: type[models.Model]) -> JobKind:
    return next(kind for kind in job_kinds() if kind.model is model)


def lease_seconds() -> float:
    return float(settings.FOCAL_JOB_LEASE_SECONDS)


def new_lease() -> datetime:
    return timezone.now() + timedelta(seconds=lease_seconds())


def _unfinished() -> Q:
    from gallery.models import Status

    return Q(status__in=(Status.PENDING, Status.PROCESSING))


def _stuck(now: datetime) -> Q:
    """Unfinished rows whose lease lapsed, or that have none (rows from before leases)."""
    return _unfinished() & (Q(lease_until__lt=now) | Q(lease_until__isnull=True))


def waiting_messages(kind: JobKind) -> int | None:
    """How many messages wait in the broker queue of `kind`'s task (None: cannot tell)."""
    from focal.celery import app

    queue = app.amqp.router.route({}, kind.task)["queue"].name
    try:
        with app.connection_for_read() as connection:
            channel: Any = connection.default_channel  # kombu's stubs leave queue_declare out
            declared = channel.queue_declare(queue=queue, passive=True)
            return int(declared.message_count)
    except ChannelError as exc:
        if str(getattr(exc, "reply_code", "")) == "404":
            return 0  # no such queue yet: nothing waits in it
        raise
    except Exception:  # the broker is away: the next sweep looks again
        log.warning("cannot count the messages waiting in %s", queue, exc_info=True)
        return None


def renew(held: Iterable[tuple[str, int]]) -> None:
    """Push the leases of the jobs (task name, row id) this worker holds into the future."""
    by_task: dict[str, list[int]] = {}
    for task, row_id in held:
        by_task.setdefault(task, []).append(row_id)
    if not by_task:
        return
    until = new_lease()
    for kind in job_kinds():
        if ids := by_task.get(kind.task):
            kind.model._default_manager.filter(_unfinished(), pk__in=ids).update(lease_until=until)


def requeue_stuck(kind: JobKind, ids: Iterable[int] | None = None) -> int:
    """Queue again every row of `kind` (or of `ids`, asked for again) whose lease lapsed; fail
    those that have lost their worker too often. Returns how many were queued. Safe to run in
    several workers at once: the rows are locked and rows another sweep holds are skipped.

    A lapsed `pending` row may just be waiting its turn in a long queue, so the sweep queues it
    again only when its queue is empty (then its message is surely lost: a worker took it and
    died before renewing, or it never arrived) and otherwise gives it more time. Asked for
    again, it is queued at once (a second message for a job only makes it run sooner)."""
    from gallery.models import Status

    limit = settings.FOCAL_JOB_MAX_LOST_RUNS
    manager = kind.model._default_manager
    with transaction.atomic():
        rows = manager.select_for_update(skip_locked=True).filter(_stuck(timezone.now()))
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        found: list[tuple[int, str, int]] = list(rows.values_list("pk", "status", "lost_runs"))
        # A job that was running counts a lost run; one that was only waiting (in the broker,
        # or in a worker that died or stopped cleanly) is not to blame.
        waited = [pk for pk, status, _ in found if status == Status.PENDING]
        ran = [pk for pk, status, lost in found if status != Status.PENDING and lost + 1 < limit]
        given_up = [
            pk for pk, status, lost in found if status != Status.PENDING and lost + 1 >= limit
        ]
        later: list[int] = []
        if waited and ids is None and waiting_messages(kind) != 0:
            waited, later = [], waited
        manager.filter(pk__in=later + waited).update(lease_until=new_lease())
        manager.filter(pk__in=ran).update(
            status=Status.PENDING, lease_until=new_lease(), lost_runs=models.F("lost_runs") + 1
        )
        manager.filter(pk__in=given_up).update(
            status=Status.FAILED,
            lease_until=None,
            lost_runs=models.F("lost_runs") + 1,
            error=kind.lost.format(n=limit)[:500],
        )
        again = waited + ran
        for pk in again:
            transaction.on_commit(partial(kind.enqueue, pk))
    if again or given_up:
        log.warning(
            "%s: worker or message lost, queued again: %s%s",
            kind.model.__name__,
            again,
            f"; failed after {limit} lost runs: {given_up}" if given_up else "",
        )
    return len(again)


def sweep() -> int:
    """Safe in several workers at once (see requeue_stuck)."""
    return sum(requeue_stuck(kind) for kind in job_kinds())


# The two chores (focal.chores) every worker's main process runs, every interval() seconds.
RENEW_LEASES = "renew the leases of the jobs this worker holds"
SWEEP_LEASES = "queue again the jobs whose lease lapsed"


def interval() -> float:
    return max(lease_seconds() / 3, 0.2)


def renew_held() -> None:
    renew(held_by_this_worker())


def held_by_this_worker() -> list[tuple[str, int]]:
    """(task name, row id) of every job request this worker process holds."""
    from celery.worker import state

    tasks = {kind.task for kind in job_kinds()}
    held = []
    for request in list(state.requests.values()):
        args: Any = getattr(request, "args", None)
        if request.name in tasks and args and isinstance(args[0], int):
            held.append((request.name, args[0]))
    return held

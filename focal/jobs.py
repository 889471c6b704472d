"""How every Celery job ends: done, retried after a transient error, or failed with a reason.

A job records its outcome on its own row (a photo, a variant), so the reason is written for the
person who will read it on the page; a crash is logged with its traceback for the operator.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Task
from django.db import DatabaseError, InterfaceError, OperationalError

from focal.usererror import UserError

log = logging.getLogger(__name__)

# Errors worth another try: the database or the disk hiccupped. Anything else is final.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, DatabaseError, TimeoutError, ConnectionError)
MAX_RETRIES = 5


def run_job(
    task: Task,
    work: Callable[[], str],
    fail: Callable[[str], str],
    *,
    name: str,
    gave_up: str,
    crashed: str,
) -> str:
    """Run `work`; on failure call `fail(reason)` or schedule a retry of `task`.

    A UserError's message is the reason as it is; `crashed` may use `{exc}`.
    """
    try:
        return work()
    except UserError as exc:
        return fail(exc.message)
    except TRANSIENT_ERRORS as exc:
        if task.request.retries >= MAX_RETRIES:
            return fail(gave_up)
        log.warning("%s: transient error %r, retrying", name, exc)
        raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from exc
    except Exception as exc:
        log.exception("%s failed", name)
        return fail(crashed.format(exc=exc))

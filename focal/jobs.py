"""How every Celery job ends: done, retried after a transient error, or failed with a reason.

A job records its outcome on its own row (a photo, a variant), so the reason is written for the
person who will read it on the page; a crash is logged with its traceback for the operator.

Only errors that the same job can get past by waiting are retried: the database connection
dropped or timed out, a lock was not granted, a deadlock or serialisation failure (Django's
OperationalError and InterfaceError), or a network connection failed. IntegrityError,
ProgrammingError, DataError and every other exception are bugs or bad data: retrying would only
hide them, so they fail at once and are logged.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from celery import Task
from django.db import InterfaceError, OperationalError

from focal.usererror import UserError

log = logging.getLogger(__name__)

MAX_RETRIES = 5  # after 2 + 4 + 8 + 16 + 32 s, about a minute, the job fails

# SQLite reports "no such table" and SQL syntax errors as OperationalError too; only these
# primary result codes are about locks, the disk or memory, which pass.
_SQLITE_TRANSIENT = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_PROTOCOL,
}


def is_transient(exc: BaseException) -> bool:
    """Whether the job that raised `exc` may succeed if it runs again a little later."""
    if isinstance(exc, OperationalError | InterfaceError):
        cause = exc.__cause__  # Django re-raises the driver's error `from` it
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            return code is not None and code & 0xFF in _SQLITE_TRANSIENT
        return True
    return isinstance(exc, ConnectionError | TimeoutError)


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
    except Exception as exc:
        if not is_transient(exc):
            log.exception("%s failed", name)
            return fail(crashed.format(exc=exc))
        if task.request.retries >= MAX_RETRIES:
            log.error("%s: still failing after %d retries: %r", name, MAX_RETRIES, exc)
            return fail(gave_up)
        log.warning("%s: transient error %r, retrying", name, exc)
        raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from exc

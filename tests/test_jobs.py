"""focal.jobs.run_job: how a Celery job ends. A readable failure is recorded as it is, a lock or
connection error is retried (and recorded once retries run out), anything else fails at once.

The job here is a real Celery task run in process (`apply`, which also runs its retries), and
its errors are real ones from the test database.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Task, shared_task
from django.contrib.auth.models import User
from django.db import DataError, IntegrityError, OperationalError, connection, transaction
from django.db.utils import ConnectionHandler

from effects.spec import parse_spec
from focal.jobs import MAX_RETRIES, is_transient, run_job

GAVE_UP = "It kept failing; try again later."

# What the current test asks the job to do, and what happened: the task runs in this process.
_work: list[Callable[[], str]] = []
attempts: list[int] = []
failures: list[str] = []


@shared_task(bind=True, max_retries=MAX_RETRIES)
def probe_job(self: Task) -> str:
    def work() -> str:
        attempts.append(self.request.retries)
        return _work[0]()

    def fail(reason: str) -> str:
        failures.append(reason)
        return "failed"

    return run_job(self, work, fail, name="probe", gave_up=GAVE_UP, crashed="Crashed ({exc}).")


@pytest.fixture
def job() -> Iterator[Callable[[Callable[[], str]], str]]:
    def run(work: Callable[[], str]) -> str:
        _work[:] = [work]
        return str(probe_job.apply().get())

    attempts.clear()
    failures.clear()
    yield run
    _work.clear()


def lock_not_granted() -> None:
    """A real transient error from the test database: a query that waits too long."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")
    else:  # SQLite: another connection holds the write lock ("database is locked")
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 1")
                cursor.execute("UPDATE auth_user SET last_login = NULL WHERE id = -1")
        finally:
            other.execute("ROLLBACK")
            other.close()


# Transactional: on SQLite the test's own open transaction would hold the lock otherwise.
@pytest.mark.django_db(transaction=True)
def test_a_lock_or_timeout_is_retried_and_then_succeeds(job, caplog):
    def work() -> str:
        if len(attempts) == 1:
            lock_not_granted()
        return "done"

    assert job(work) == "done"
    assert attempts == [0, 1] and failures == []
    assert "transient error" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_when_retries_run_out_the_job_fails_with_the_gave_up_reason(job, caplog):
    def work() -> str:
        lock_not_granted()
        return "done"

    assert job(work) == "failed"
    assert attempts == list(range(MAX_RETRIES + 1))
    assert failures == [GAVE_UP]
    assert f"still failing after {MAX_RETRIES} retries" in caplog.text


@pytest.mark.django_db
def test_a_readable_failure_is_the_reason_as_it_is(job, caplog):
    def work() -> str:
        parse_spec({"effect": "portrait", "blur": 500})  # a UserError
        return "done"

    assert job(work) == "failed"
    assert attempts == [0]
    assert failures == ["blur: blur is a whole number from 0 (none) to 100 (strongest)"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def duplicate_user() -> str:
    with transaction.atomic():
        User.objects.create(username="twin")
        User.objects.create(username="twin")
    return "done"


def missing_table() -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")  # ProgrammingError; SQLite: Operational
    return "done"


def too_long_value() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce column lengths (no DataError)")
    with transaction.atomic():
        User.objects.create(username="y" * 300)  # the column holds 150
    return "done"


def python_bug() -> str:
    return str(1 // len(""))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "work",
    [duplicate_user, missing_table, too_long_value, python_bug],
    ids=["integrity", "programming", "data", "python"],
)
def test_a_crash_fails_at_once_and_is_logged(job, caplog, work):
    assert job(work) == "failed"
    assert attempts == [0]  # never retried: a bug does not go away by waiting
    assert len(failures) == 1 and failures[0].startswith("Crashed (")
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and logged[0].exc_info is not None  # the traceback is for the operator


def test_the_error_classes_django_raises_are_classified(tmp_path):
    assert is_transient(OperationalError("server closed the connection unexpectedly"))
    assert is_transient(ConnectionResetError())
    assert not is_transient(IntegrityError("duplicate key"))
    assert not is_transient(DataError("value too long"))
    assert not is_transient(ValueError("bug"))


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[ConnectionHandler]:
    """A Django SQLite connection of its own, whatever database the tests run on."""
    path = tmp_path / "jobs.sqlite3"
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}}
    )
    yield handler
    handler.close_all()


@pytest.mark.django_db
def test_sqlite_locked_is_transient_but_no_such_table_is_not(sqlite_file):
    db = sqlite_file["default"]
    with db.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x int)")
    other = sqlite3.connect(db.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with db.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 1")
            with pytest.raises(OperationalError) as locked:
                cursor.execute("INSERT INTO t VALUES (1)")
    finally:
        other.execute("ROLLBACK")
        other.close()
    with db.cursor() as cursor, pytest.raises(OperationalError) as missing:
        cursor.execute("SELECT * FROM no_such_table")
    assert "locked" in str(locked.value) and is_transient(locked.value)
    assert "no such table" in str(missing.value) and not is_transient(missing.value)

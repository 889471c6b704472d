"""Periodic chores run by every worker on a timer (focal.chores). The end-to-end check, a real
`make run` worker removing an expired upload, is in tests/test_resumable_over_http.py."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from focal.chores import Chore, ChoreRunner, chores, runners
from gallery import resumable
from tests.conftest import wait_for


def test_a_chore_runs_at_start_and_then_on_its_interval():
    runs: list[float] = []
    runner = ChoreRunner([Chore("count", lambda: runs.append(time.monotonic()), lambda: 0.2)])
    runner.start()
    try:
        wait_for(lambda: len(runs) >= 3, timeout=5, interval=0.02)
    finally:
        runner.stop()
    gaps = [later - earlier for earlier, later in zip(runs, runs[1:], strict=False)]
    assert all(0.18 < gap < 0.6 for gap in gaps), gaps
    count = len(runs)
    threading.Event().wait(0.5)
    assert len(runs) == count, "a stopped runner runs nothing more"


def test_a_failing_chore_is_logged_and_tried_again(caplog):
    attempts = []

    def broken() -> None:
        attempts.append(1)
        raise RuntimeError("database away")

    runner = ChoreRunner([Chore("broken", broken, lambda: 0.05)])
    with caplog.at_level(logging.ERROR, logger="focal.chores"):
        runner.start()
        try:
            wait_for(lambda: len(attempts) >= 3, timeout=5, interval=0.02)
        finally:
            runner.stop()
    assert "chore 'broken' failed" in caplog.text and "database away" in caplog.text


def test_waking_a_chore_runs_it_at_once_then_on_its_interval_again():
    runs: list[str] = []
    runner = ChoreRunner(
        [Chore("slow", lambda: runs.append("slow"), lambda: 60),
         Chore("other", lambda: runs.append("other"), lambda: 60)]
    )  # fmt: skip
    runner.start()
    try:
        wait_for(lambda: runs == ["slow", "other"], timeout=5, interval=0.02)  # at start
        runner.wake("slow")
        wait_for(lambda: len(runs) == 3, timeout=5, interval=0.02)
    finally:
        runner.stop()
    assert runs == ["slow", "other", "slow"]


def test_job_leases_are_renewed_and_swept_by_every_worker():
    from focal import leases

    by_name = {chore.name: chore for chore in chores()}
    assert by_name[leases.RENEW_LEASES].run is leases.renew_held
    assert by_name[leases.SWEEP_LEASES].run is leases.sweep
    assert by_name[leases.SWEEP_LEASES].interval() == leases.lease_seconds() / 3


def test_expired_uploads_are_swept_every_tenth_of_the_expiry_within_bounds(settings):
    assert resumable.remove_expired in [chore.run for chore in chores()]
    for expiry, every in [("24h", 600), ("1h", 360), ("2s", 1), ("30s", 3)]:
        amount, unit = int(expiry[:-1]), expiry[-1]
        seconds = amount * {"s": 1, "h": 3600}[unit]
        settings.FOCAL_PARTIAL_UPLOAD_EXPIRY = timedelta(seconds=seconds)
        assert resumable.sweep_interval() == every


def test_a_slow_chore_does_not_hold_up_the_others():
    quick_runs: list[float] = []
    release = threading.Event()
    every = [
        Chore("slow", lambda: release.wait(5), lambda: 0.1, slow=True),
        Chore("quick", lambda: quick_runs.append(time.monotonic()), lambda: 0.1),
    ]
    started = runners(every)
    assert len(started) == 2
    for runner in started:
        runner.start()
    try:  # the slow one is still waiting, yet the quick one keeps its time
        wait_for(lambda: len(quick_runs) >= 4, timeout=2, interval=0.02)
    finally:
        release.set()
        for runner in started:
            runner.stop()

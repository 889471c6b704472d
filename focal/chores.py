"""Periodic chores: housekeeping that no request sets off, run by the workers on a timer.

Every worker's main process runs a thread (started by focal.celery when the worker is ready)
that runs each chore once at start and then every `interval` seconds. So the chores go on
wherever a worker does: the one `make run` starts and each worker of the compose deployment,
with nothing else to deploy. Several workers run them at once, so every chore must be safe to
run concurrently (each one says how). A chore that fails is logged and tried at its next time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connections

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chore:
    name: str
    run: Callable[[], object]
    interval: Callable[[], float]  # seconds between runs, read when the runner starts
    # A slow chore (seconds of work, or waiting for memory) runs on a thread of its own, so it
    # never holds up the others: job leases must be renewed on time.
    slow: bool = False


def chores() -> list[Chore]:
    from faces import rescan
    from focal import leases
    from gallery import resumable, trash

    found = [
        Chore("remove expired uploads", resumable.remove_expired, resumable.sweep_interval),
        Chore("empty the trash of old photos", trash.purge_expired, trash.purge_interval),
        # Renewing touches only this worker's jobs; sweeps lock the rows they take.
        Chore(leases.RENEW_LEASES, leases.renew_held, leases.interval),
        Chore(leases.SWEEP_LEASES, leases.sweep, leases.interval),
    ]
    if rescan.interval() > 0:
        found.append(Chore(RESCAN_FACES, rescan.rescan_some, rescan.interval, slow=True))
    return found


RESCAN_FACES = "find faces with the current detector"


def runners(every: list[Chore]) -> list[ChoreRunner]:
    """One runner for the quick chores, and one for each slow chore."""
    quick = [chore for chore in every if not chore.slow]
    groups = ([quick] if quick else []) + [[chore] for chore in every if chore.slow]
    return [ChoreRunner(group) for group in groups]


class ChoreRunner:
    """The thread that runs `chores` on time until stopped."""

    def __init__(self, chores: list[Chore]) -> None:
        self._chores = chores
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._soon: set[str] = set()
        self._soon_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="focal-chores", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._woken.set()
        self._thread.join(timeout=10)

    def wake(self, name: str) -> None:
        """Run the chore called `name` now, rather than at its next time."""
        with self._soon_lock:
            self._soon.add(name)
        self._woken.set()

    def _loop(self) -> None:
        intervals = [max(0.05, chore.interval()) for chore in self._chores]
        due = [time.monotonic()] * len(self._chores)
        while not self._stop.is_set():
            self._woken.clear()
            with self._soon_lock:
                soon, self._soon = self._soon, set()
            now = time.monotonic()
            for i, chore in enumerate(self._chores):
                if now >= due[i] or chore.name in soon:
                    self._run(chore)
                    due[i] = time.monotonic() + intervals[i]
            self._woken.wait(timeout=max(0.0, min(due) - time.monotonic()))
        connections.close_all()  # this thread's connections only

    def _run(self, chore: Chore) -> None:
        close_old_connections()  # the database may have closed an idle connection
        started = time.monotonic()
        try:
            outcome = chore.run()
        except Exception:
            log.exception("chore %r failed; it runs again at its next time", chore.name)
            return
        log.debug("chore %r: %r in %.2f s", chore.name, outcome, time.monotonic() - started)

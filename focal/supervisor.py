"""Keep a few child processes running, and stop them all, quickly, when asked.

What `manage.py serve` (and so `make run`) uses for the web server and the Celery worker:

- A child that dies is started again, after a pause that doubles with each quick death
  (1 s, 2 s, 4 s ... up to 60 s) so a crash loop does not spin; a child that stayed up for a
  minute starts again after 1 s. The other children keep running meanwhile.
- Each child runs in its own session, so a Ctrl-C in the terminal reaches only the supervisor,
  which then stops the children in order; and the whole process group of a child (a Celery
  worker's pool processes too) is killed when it ends, so nothing is left holding the port or
  a task.
- Stopping asks each child to stop (SIGTERM), lets Celery's warm shutdown run for a few
  seconds, then forces (SIGQUIT for Celery's cold shutdown, then SIGKILL for the whole group):
  the supervisor is gone within about 6 s, every time. (An idle Celery worker's warm shutdown
  alone takes about 5 s; its tasks are idempotent and queued again at start.)
- If the supervisor itself is killed, the kernel sends SIGTERM to the children (Linux
  PR_SET_PDEATHSIG), so they do not linger as orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
STABLE_SECONDS = 60.0  # a child up this long is healthy again: the back-off starts over
# Stopping: polite request, then a firmer one, then SIGKILL for the whole process group.
TERM_SECONDS = 3.0
QUIT_SECONDS = 2.0  # so stopping takes at most about 3 + 2 + 1 s: well under 10 s
POLL_SECONDS = 0.1


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    # Sent after SIGTERM when the child is slow to stop (Celery: SIGQUIT = cold shutdown).
    firm_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    restarts: int = 0
    exits: list[int] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    def __init__(self, children: Sequence[Child], *, env: dict[str, str] | None = None) -> None:
        self.children = list(children)
        self.env = env
        self._stop_requested = 0  # how many times SIGINT/SIGTERM arrived

    def run(self) -> int:
        """Start the children and keep them up until SIGINT or SIGTERM; returns an exit code."""
        previous = {
            sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for child in self.children:
                self._start(child)
            while not self._stop_requested:
                self._tend()
                time.sleep(POLL_SECONDS)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _request_stop(self, signum: int, frame: object) -> None:
        self._stop_requested += 1
        if self._stop_requested > 1:
            # A second Ctrl-C: no more waiting.
            for child in self.children:
                _kill_group(child, signal.SIGKILL)

    def _start(self, child: Child) -> None:
        child.process = subprocess.Popen(
            child.argv,
            env=self.env,
            start_new_session=True,
            preexec_fn=partial(_die_with_parent, os.getpid()),
        )
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("started the %s (pid %d)", child.name, child.process.pid)

    def _tend(self) -> None:
        now = time.monotonic()
        for child in self.children:
            process = child.process
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self._start(child)
                continue
            if process is None or process.poll() is None:
                continue
            # It died: clear out anything it left in its group (pool processes), then wait.
            _kill_group(child, signal.SIGKILL)
            child.exits.append(process.returncode)
            if now - child.started_at >= STABLE_SECONDS:
                child.backoff = FIRST_BACKOFF
            delay = child.backoff
            child.backoff = min(MAX_BACKOFF, child.backoff * 2)
            child.restart_at = now + delay
            log.warning(
                "the %s exited with %s; starting it again in %.0f s",
                child.name,
                process.returncode,
                delay,
            )

    def stop(self) -> None:
        """Stop every child and its process group, within TERM + QUIT seconds and one more."""
        live = [child for child in self.children if child.running]
        for child in live:
            _signal(child, signal.SIGTERM)
        deadline = time.monotonic() + TERM_SECONDS
        _wait(live, deadline)
        slow = [child for child in live if child.running]
        for child in slow:
            _signal(child, child.firm_signal)
        _wait(slow, time.monotonic() + QUIT_SECONDS)
        for child in self.children:
            # Also reaches grandchildren (a worker's pool) that outlived their parent.
            _kill_group(child, signal.SIGKILL)
            if child.process is not None:
                try:
                    child.process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    log.error("the %s (pid %d) did not die", child.name, child.process.pid)


def _signal(child: Child, signum: int) -> None:
    if child.process is not None and child.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.process.send_signal(signum)


def _kill_group(child: Child, signum: int) -> None:
    """Signal the child's whole process group (its pid: it leads its own session)."""
    if child.process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)


def _wait(children: Sequence[Child], deadline: float) -> None:
    while any(child.running for child in children) and time.monotonic() < deadline:
        time.sleep(0.05)


def _die_with_parent(parent: int) -> None:
    """In the child before exec: get SIGTERM when the supervisor dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the supervisor died before the line above took effect
        os._exit(1)

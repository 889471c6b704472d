"""A memory budget for decoding and rendering images, shared by every process on one machine.

A 100 MP PNG of a few hundred kilobytes needs 400 MB once decoded, and three of them at once
took a web process past 5 GB. So every decode and render says beforehand how much memory it
will need (`hold(nbytes)`), and all of them together, across the web server's threads, the
worker's processes and any other process using the same data directory, never hold more than
FOCAL_MEMORY_BUDGET_MB at once. An operation that would not fit waits for others to finish
(the web server waits a few seconds, then answers "busy"); one larger than the whole budget is
refused with a message.

How: the budget is cut into 16 MB units, each a file in `<data dir>/locks/memory/`; holding a
unit is holding an flock on its file. The kernel drops the locks of a process that dies, even
by SIGKILL, so a crash never leaks budget. Units are taken under a gate lock by one waiter at a
time (first come, first served: a large request is not overtaken by small ones); giving them
back needs no gate. When a large hold ends, and again when the request or job that made it
has finished (gallery/apps.py), freed memory is handed back to the system (glibc's
malloc_trim: it otherwise keeps it for reuse), so a process's RSS returns near its start.

API for the rest of Focal (the heavy-work queue in effects can wrap its renders the same way):
    with memory.for_web(nbytes): ...      # in a request: waits 15 s at most, then Busy (503)
    with memory.for_worker(nbytes): ...   # in a job: waits its turn
    load_rgb(path, max_side, hold=memory.for_worker)   # imaging estimates the bytes itself
Holds must not be nested (a thread holding units and waiting for more could wait forever).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gallery.imaging import ImageError, ImageTooLarge

UNIT_BYTES = 16 * 2**20
WEB_WAIT_SECONDS = 15.0  # a web request waits this long for memory, then answers "busy"
WORKER_WAIT_SECONDS = 900.0  # a worker waits for its turn; its job is queued work anyway
TRIM_ABOVE_BYTES = 32 * 2**20  # holds at least this large hand memory back as soon as they end
_POLL_SECONDS = 0.02


class Busy(ImageError):
    """The budget stayed full for the whole wait."""

    status = 503
    code = "busy"

    def __init__(self) -> None:
        super().__init__(
            "The server is busy with other large images; try again in a minute.",
            code="busy",
            retry_after=30,
        )


class OverBudget(ImageTooLarge):
    """One operation needs more than the whole budget."""

    def __init__(self, needed: int, budget: int) -> None:
        super().__init__(
            f"This image needs about {needed / 2**20:.0f} MB of memory to open; this server "
            f"allows {budget / 2**20:.0f} MB. Try a smaller image.",
            code="too_much_memory",
        )
        self.needed, self.budget = needed, budget


@dataclass(frozen=True)
class MemoryBudget:
    total_bytes: int
    lock_dir: Path

    @property
    def units(self) -> int:
        return max(1, self.total_bytes // UNIT_BYTES)

    @contextmanager
    def hold(self, nbytes: int, *, timeout: float) -> Iterator[None]:
        need = max(1, -(-nbytes // UNIT_BYTES))
        if need > self.units:
            raise OverBudget(nbytes, self.units * UNIT_BYTES)
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        held = self._take(need, deadline)
        try:
            yield
        finally:
            for fd in held:
                os.close(fd)  # closing the descriptor releases its lock
            global _give_back_due
            _give_back_due = True  # again when the request or job is over (gallery/apps.py)
            if nbytes >= TRIM_ABOVE_BYTES:
                release_free_memory()

    def _take(self, need: int, deadline: float) -> list[int]:
        gate = _open(self.lock_dir / "gate")
        try:
            _lock_before(gate, deadline)
            held: dict[int, int] = {}
            try:
                while True:
                    for unit in range(self.units):
                        if len(held) == need:
                            return list(held.values())
                        if unit in held:
                            continue
                        fd = _open(self.lock_dir / f"unit-{unit:04d}")
                        try:
                            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        except BlockingIOError:
                            os.close(fd)
                        else:
                            held[unit] = fd
                    if len(held) == need:
                        return list(held.values())
                    if time.monotonic() >= deadline:
                        raise Busy()
                    time.sleep(_POLL_SECONDS)
            except BaseException:
                for fd in held.values():
                    os.close(fd)
                raise
        finally:
            os.close(gate)


def hold(nbytes: int, *, timeout: float) -> AbstractContextManager[None]:
    """Hold `nbytes` of this machine's budget while the `with` block runs.

    Raises Busy (503) after `timeout` seconds, OverBudget (413) at once if it can never fit;
    both are gallery.imaging.ImageError, so every caller already shows them to the user.
    """
    return machine_budget().hold(nbytes, timeout=timeout)


def for_web(nbytes: int) -> AbstractContextManager[None]:
    """A hold for a web request: waits WEB_WAIT_SECONDS at most."""
    return hold(nbytes, timeout=WEB_WAIT_SECONDS)


def for_worker(nbytes: int) -> AbstractContextManager[None]:
    """A hold for a worker job: waits its turn (WORKER_WAIT_SECONDS at most)."""
    return hold(nbytes, timeout=WORKER_WAIT_SECONDS)


@cache
def machine_budget() -> MemoryBudget:
    """The budget configured in the settings (FOCAL_MEMORY_BUDGET_MB, FOCAL_DATA_DIR)."""
    from django.conf import settings

    return MemoryBudget(
        settings.FOCAL_MEMORY_BUDGET_MB * 2**20, Path(settings.DATA_DIR) / "locks" / "memory"
    )


_give_back_due = False


def give_back_if_due(*args: object, **kwargs: object) -> None:
    """After a request or a job (signal handler): if a large hold ended in this process since
    the last time, give freed memory back now that the request's own objects are freed too."""
    global _give_back_due
    if _give_back_due:
        _give_back_due = False
        release_free_memory()


def release_free_memory() -> None:
    """Give freed heap memory back to the system (glibc keeps it for reuse otherwise)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    with suppress(OSError, AttributeError):
        return ctypes.CDLL(name).malloc_trim
    return None


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _lock_before(fd: int, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Busy() from None
            time.sleep(_POLL_SECONDS)

"""`make run` (manage.py serve) keeps serving when its worker dies, and stops cleanly every time:
within 10 s of Ctrl-C or SIGTERM, with every process it started gone and its port free.

Real processes on SQLite and the filesystem broker, in a fresh data directory.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import psutil

from tests import images
from tests.http import free_port, request
from tests.localsite import LocalSite, prepare, start

STOP_LIMIT_S = 10.0


def descendants(site: LocalSite) -> list[psutil.Process]:
    return psutil.Process(site.process.pid).children(recursive=True)


def worker_main(site: LocalSite) -> psutil.Process:
    """The main process of the worker that processes uploads (the other one renders)."""
    children = psutil.Process(site.process.pid).children()
    return next(p for p in children if "photos@%h" in p.cmdline())


def port_is_free(port: int) -> bool:
    """A new server could listen on the port (as servers do, despite closed connections
    lingering in TIME_WAIT)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


def upload_until_ready(site: LocalSite, seed: int, timeout: float = 60) -> None:
    status, _, body = request(
        site.url + "/api/photos/",
        token=site.token,
        files={"image": ("p.jpg", images.jpeg(seed=seed))},
    )
    assert status == 201, body
    photo_id = json.loads(body)["id"]
    deadline = time.monotonic() + timeout
    while True:
        _, _, body = request(f"{site.url}/api/photos/{photo_id}/", token=site.token)
        photo = json.loads(body)
        assert photo["status"] != "failed", photo["error"]
        if photo["status"] == "ready":
            return
        assert time.monotonic() < deadline, f"photo {photo_id} never got ready"
        time.sleep(0.2)


def test_it_stops_within_10_seconds_every_time(tmp_path):
    """Ten starts and stops in a row, alternating Ctrl-C (SIGINT to the terminal's process
    group) and SIGTERM, each with a half-sent request open (what used to hang a web thread)."""
    prepared = prepare(tmp_path / "data")
    for attempt in range(10):
        port = free_port()
        site = start(prepared, port=port)
        processes = descendants(site)
        assert len(processes) >= 3, processes  # web server, worker and its pool
        stuck = socket.create_connection(("127.0.0.1", port))
        stuck.sendall(b"POST /api/photos/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Len")
        started = time.monotonic()
        if attempt % 2 == 0:
            os.killpg(site.process.pid, signal.SIGINT)
        else:
            site.process.send_signal(signal.SIGTERM)
        try:
            site.process.wait(timeout=STOP_LIMIT_S)
        finally:
            stuck.close()
            if site.process.poll() is None:
                site.process.kill()
        elapsed = time.monotonic() - started
        assert elapsed < STOP_LIMIT_S, f"attempt {attempt}: stopping took {elapsed:.1f} s"
        _, alive = psutil.wait_procs(processes, timeout=1)
        assert not alive, f"attempt {attempt}: still running: {alive}"
        assert port_is_free(port), f"attempt {attempt}: port {port} is still taken"


def test_the_website_survives_a_killed_worker_and_a_new_worker_takes_over(tmp_path):
    site = start(prepare(tmp_path / "data"))
    try:
        upload_until_ready(site, seed=1)
        old_worker = worker_main(site)
        old_pool = old_worker.children()
        old_worker.send_signal(signal.SIGKILL)
        # The website keeps answering while the worker is down and coming back.
        for _ in range(10):
            status, _, _ = request(site.url + "/")
            assert status == 200
            time.sleep(0.1)
        upload_until_ready(site, seed=2)
        new_worker = worker_main(site)
        assert new_worker.pid != old_worker.pid
        _, alive = psutil.wait_procs(old_pool, timeout=5)
        assert not alive, f"the killed worker's pool processes are still running: {alive}"
        assert b"the worker exited with -9" in site.log_path.read_bytes()
    finally:
        assert site.stop() == 0


def test_children_go_when_the_supervisor_itself_is_killed(tmp_path):
    site = start(prepare(tmp_path / "data"))
    processes = descendants(site)
    site.process.send_signal(signal.SIGKILL)
    site.process.wait(timeout=5)
    # The kernel tells the children (PR_SET_PDEATHSIG); they shut down on their own.
    _, alive = psutil.wait_procs(processes, timeout=15)
    for process in alive:
        process.kill()
    assert not alive, f"orphans left running: {alive}"

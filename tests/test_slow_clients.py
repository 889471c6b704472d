"""Slow clients cannot starve the others: 64 half-sent requests held open against `make run`'s
server while another client keeps being answered quickly, and nothing hangs after they go.

Loopback only, bounded in count and time.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from tests import images
from tests.http import request
from tests.localsite import LocalSite, local_site

SLOW_CLIENTS = 64
BODY_BYTES = 2 * 1024 * 1024
PROBES = 40


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[LocalSite]:
    with local_site(tmp_path_factory.mktemp("slow") / "data") as running:
        yield running


def half_headers(site: LocalSite) -> socket.socket:
    """A request that stops in the middle of its headers."""
    sock = socket.create_connection(("127.0.0.1", int(site.url.rsplit(":", 1)[1])))
    sock.sendall(b"GET /api/photos/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: applica")
    return sock


def half_upload(site: LocalSite) -> socket.socket:
    """An upload whose headers promise 2 MB, of which half is sent."""
    sock = socket.create_connection(("127.0.0.1", int(site.url.rsplit(":", 1)[1])))
    boundary = "slowclientboundary"
    head = (
        f"POST /api/photos/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {site.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {BODY_BYTES}\r\n\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    sock.sendall(head + b"\xff" * (BODY_BYTES // 2))
    return sock


def still_open(sock: socket.socket) -> bool:
    """The server has neither answered nor closed this connection."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True


def probe_latencies(site: LocalSite, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.monotonic()
        status, _, body = request(site.url + "/api/photos/?mine=true", token=site.token)
        latencies.append(time.monotonic() - started)
        assert status == 200, body[:200]
    return latencies


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def test_64_slow_clients_do_not_slow_down_another_client(site):
    slow = [half_headers(site) for _ in range(SLOW_CLIENTS // 2)]
    slow += [half_upload(site) for _ in range(SLOW_CLIENTS // 2)]
    try:
        time.sleep(1)  # let the server take them all in
        latencies = probe_latencies(site, PROBES)
        assert p95(latencies) < 1.0, latencies
        assert all(still_open(sock) for sock in slow), "the slow clients were not held open"
    finally:
        for sock in slow:
            sock.close()


def test_nothing_hangs_after_the_slow_clients_go(site):
    slow = [half_headers(site) for _ in range(SLOW_CLIENTS // 2)]
    slow += [half_upload(site) for _ in range(SLOW_CLIENTS // 2)]
    time.sleep(0.5)
    for sock in slow:
        sock.close()
    assert p95(probe_latencies(site, PROBES)) < 1.0
    status, _, body = request(
        site.url + "/api/photos/", token=site.token, files={"image": ("a.jpg", images.jpeg())}
    )
    assert status == 201, body
    photo_id = json.loads(body)["id"]
    deadline = time.monotonic() + 60
    while True:
        _, _, body = request(f"{site.url}/api/photos/{photo_id}/", token=site.token)
        if json.loads(body)["status"] == "ready":
            break
        assert time.monotonic() < deadline, "the upload after the slow clients never got ready"
        time.sleep(0.2)

"""What `make run` starts: `manage.py serve` with SQLite and the filesystem broker, no servers.

Runs real processes (the web server and a Celery worker) in a fresh data directory and talks HTTP.
"""

from __future__ import annotations

import json
import time

import pytest

from tests import images
from tests.http import get_json, request
from tests.localsite import local_site


@pytest.fixture
def site(tmp_path):
    with local_site(tmp_path / "data") as running:
        yield running


def test_make_run_mode_processes_uploads_without_any_server(site):
    status, _, body = request(
        site.url + "/api/photos/",
        token=site.token,
        files={"image": ("p.jpg", images.jpeg(800, 600))},
    )
    assert status == 201, body
    photo_id = json.loads(body)["id"]
    deadline = time.monotonic() + 60
    while (photo := get_json(f"{site.url}/api/photos/{photo_id}/", site.token))[
        "status"
    ] != "ready":
        assert photo["status"] != "failed", photo["error"]
        assert time.monotonic() < deadline, "the local worker never processed the photo"
        time.sleep(0.2)
    status, headers, thumb = request(photo["thumbnail_url"], token=site.token)
    assert status == 200 and headers["Content-Type"] == "image/webp" and thumb[:4] == b"RIFF"
    assert (site.data_dir / "focal.sqlite3").exists()
    assert (site.data_dir / "broker").is_dir()


def wait_until_done(url: str, token: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while (body := get_json(url, token))["status"] not in ("ready", "failed"):
        assert time.monotonic() < deadline, f"{url} stayed {body['status']}"
        time.sleep(0.2)
    return body


def test_make_run_mode_renders_effects_on_the_render_worker(site):
    status, _, body = request(
        site.url + "/api/photos/",
        token=site.token,
        files={"image": ("me.jpg", images.person_photo())},
    )
    assert status == 201, body
    photo_id = json.loads(body)["id"]
    assert wait_until_done(f"{site.url}/api/photos/{photo_id}/", site.token)["status"] == "ready"
    status, _, body = request(
        f"{site.url}/api/photos/{photo_id}/variants/",
        token=site.token,
        json_body={"effect": "cutout"},
    )
    assert status == 202, body
    variant = wait_until_done(f"{site.url}/api/variants/{json.loads(body)['id']}/", site.token)
    assert variant["status"] == "ready", variant["error"]
    assert b"renders@" in site.log_path.read_bytes()  # the worker that consumes that queue


def test_serve_stops_both_processes_on_sigterm(site):
    assert site.stop() == 0
    time.sleep(0.5)
    with pytest.raises(OSError):
        request(site.url + "/")

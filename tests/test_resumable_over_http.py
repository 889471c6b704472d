"""Resumable uploads against the real server (`manage.py serve`, what `make run` starts): half of
a 30 MB photo, a dropped connection, the offset asked for, the rest sent; and the worker's
periodic sweep removing an upload that expired."""

from __future__ import annotations

import hashlib
import io
import json
import time

import numpy as np
from PIL import Image

from tests.http import get_json
from tests.localsite import local_site
from tests.tus_client import TusClient

MB = 2**20
PIECE = 5 * MB


def noise_png(side: int) -> bytes:
    """An incompressible PNG: side x side x 3 bytes of noise, about that many on disk."""
    pixels = np.random.default_rng(30).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


def test_half_a_30_mb_photo_then_a_dropped_connection_then_the_rest(tmp_path):
    data = noise_png(3240)
    assert 29 * MB < len(data) < 32 * MB
    with local_site(tmp_path / "data") as site:
        client = TusClient(site.url, site.token)
        path = client.create(len(data), filename="night sky.png")
        half = len(data) // 2
        for start in range(0, half, PIECE):
            answer = client.patch(path, start, data[start : min(start + PIECE, half)])
            assert answer.status == 204, answer
        assert client.offset(path) == half

        # The next piece starts, and the connection drops halfway through it.
        client.patch_and_drop(path, half, data[half : half + PIECE], sent=PIECE // 2)
        time.sleep(0.5)
        resumed_at = client.offset(path)
        # Everything acknowledged is kept; bytes of the broken piece that reached the server
        # may be kept too (gunicorn hands them over; a server that buffers bodies would not).
        assert half <= resumed_at <= half + PIECE // 2

        last = client.finish(path, data, PIECE)
        photo_id = int(last.headers["Focal-Photo-Id"])
        assert last.headers["Focal-Photo-Duplicate"] == "false"
        deadline = time.monotonic() + 120
        while (photo := get_json(f"{site.url}/api/photos/{photo_id}/", site.token))[
            "status"
        ] != "ready":
            assert photo["status"] != "failed", photo["error"]
            assert time.monotonic() < deadline, "the worker never processed the photo"
            time.sleep(0.3)
        assert (photo["width"], photo["height"], photo["title"]) == (3240, 3240, "night sky")
        assert photo["byte_size"] == len(data)
        original = client.request("GET", photo["image_url"].removeprefix(site.url))
        assert hashlib.sha256(original.body).digest() == hashlib.sha256(data).digest()
        state = json.loads(client.request("GET", path).body)
        assert state["photo"]["id"] == photo_id and state["offset"] == len(data)
        assert list((site.data_dir / "media" / "uploads").iterdir()) == []


def test_the_worker_removes_an_upload_once_it_expires(tmp_path):
    overrides = {"FOCAL_PARTIAL_UPLOAD_EXPIRY": "2s"}  # swept every second
    with local_site(tmp_path / "data", env_overrides=overrides) as site:
        client = TusClient(site.url, site.token)
        path = client.create(1000, filename="left behind.jpg")
        assert client.patch(path, 0, b"\xff\xd8" + b"x" * 98).status == 204
        folder = site.data_dir / "media" / "uploads"
        assert [p.stat().st_size for p in folder.iterdir()] == [100]
        deadline = time.monotonic() + 30
        while client.request("HEAD", path).status != 404:
            assert time.monotonic() < deadline, "the expired upload was never removed"
            time.sleep(0.3)
        assert list(folder.iterdir()) == []

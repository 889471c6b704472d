"""End to end with a real worker: three uploads, two of them near-copies; the copy comes first."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageEnhance

from tests import images
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def near_copy(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = image.size
    image = image.crop((w // 12, h // 12, w - w // 12, h - h // 12)).resize(
        (w * 2 // 3, h * 2 // 3)
    )
    image = ImageEnhance.Brightness(image).enhance(1.1)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=25)
    return buffer.getvalue()


def test_a_near_copy_is_found_first(celery_worker_process, api, alice):
    original = images.sample_jpeg("astronaut")
    other = images.sample_jpeg("coffee")
    client = api(alice)
    uploaded = {}
    for name, data in [("original", original), ("copy", near_copy(original)), ("other", other)]:
        file = SimpleUploadedFile(f"{name}.jpg", data, "image/jpeg")
        response = client.post("/api/photos/", {"image": file}, format="multipart")
        assert response.status_code == 201, response.json()
        uploaded[name] = response.json()["id"]

    def all_ready() -> bool:
        statuses = [client.get(f"/api/photos/{i}/").json()["status"] for i in uploaded.values()]
        assert "failed" not in statuses
        return statuses == ["ready"] * 3

    wait_for(all_ready)
    # Ready in the worker's database; this process's index catches up within a second.
    url = f"/api/photos/{uploaded['original']}/similar/?mode=colour"
    results = wait_for(lambda: len(found := client.get(url).json()["results"]) == 2 and found, 5)
    assert [r["id"] for r in results] == [uploaded["copy"], uploaded["other"]]
    assert results[0]["score"] > results[1]["score"]


def test_the_worker_finds_the_same_subject(celery_worker_process, api, alice):
    from tests.search.test_same_subject import transformed

    client = api(alice)
    uploaded = {}
    for name, data in [
        ("original", images.sample_jpeg("coffee")),
        ("unrelated", images.sample_jpeg("chelsea")),
        ("copy", transformed("coffee")),
    ]:
        file = SimpleUploadedFile(f"{name}.jpg", data, "image/jpeg")
        response = client.post("/api/photos/", {"image": file}, format="multipart")
        assert response.status_code == 201, response.json()
        uploaded[name] = response.json()["id"]

    def same_subject() -> list:
        url = f"/api/photos/{uploaded['original']}/similar/"
        response = client.get(url, {"mode": "object"})  # 409 until processed
        return response.status_code == 200 and response.json()["results"]

    found = wait_for(same_subject)
    assert [(r["id"], r["match"]) for r in found] == [(uploaded["copy"], "object")]
    both = client.get(f"/api/photos/{uploaded['original']}/similar/").json()["results"]
    assert [r["id"] for r in both][:1] == [uploaded["copy"]]
    assert uploaded["unrelated"] in [r["id"] for r in both]

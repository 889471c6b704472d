"""End to end with a real worker: an uploaded portrait comes back ready with its face."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import images
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_finds_the_face_of_an_uploaded_photo(celery_worker_process, api, alice):
    client = api(alice)
    file = SimpleUploadedFile("astronaut.jpg", images.person_photo(), "image/jpeg")
    photo = client.post("/api/photos/", {"image": file}, format="multipart").json()
    wait_for(lambda: client.get(f"/api/photos/{photo['id']}/").json()["status"] == "ready")
    [face] = client.get(f"/api/photos/{photo['id']}/faces/").json()["faces"]
    assert face["source"] == "detected" and face["expression"] == "smiling"
    (lx, ly), (rx, ry) = face["left_eye"], face["right_eye"]
    x, y, w, h = face["box"]
    assert x < rx < lx < x + w  # the subject's left eye is on the picture's right
    assert y < ly < y + h and y < ry < y + h

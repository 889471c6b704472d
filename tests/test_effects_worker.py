"""Effects end to end: API call → real Celery worker → ready (or failed) variant with its mask."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from effects.models import Variant
from gallery import files
from gallery.models import Status
from tests import images
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def finished(url: str, client):
    body = client.get(url).json()
    return body if body["status"] in (Status.READY, Status.FAILED) else None


def test_a_portrait_is_rendered_by_the_worker(celery_worker_process, api, alice):
    client = api(alice)
    upload = SimpleUploadedFile("me.jpg", images.person_photo(), "image/jpeg")
    photo = client.post("/api/photos/", {"image": upload}, format="multipart").json()
    wait_for(lambda: finished(f"/api/photos/{photo['id']}/", client))

    response = client.post(
        f"/api/photos/{photo['id']}/variants/",
        {"effect": "portrait", "subject": "auto", "blur": 50},
        format="json",
    )
    assert response.status_code == 202
    variant = wait_for(lambda: finished(f"/api/variants/{response.json()['id']}/", client))
    assert variant["status"] == "ready", variant["error"]
    assert variant["subject"] == "person"
    assert client.get(variant["image_url"]).status_code == 200
    row = Variant.objects.get(pk=variant["id"])
    matte = np.asarray(Image.open(files.media_path(str(row.matte.name))))
    assert matte.shape == (photo["height"], photo["width"]) and matte.max() == 255
    assert row.timings["segment"] > 0 and (row.render_ms or 0) > 0


def test_face_effects_are_rendered_by_the_worker(celery_worker_process, api, alice):
    import cv2

    client = api(alice)
    upload = SimpleUploadedFile("astronaut.jpg", images.person_photo(), "image/jpeg")
    photo = client.post("/api/photos/", {"image": upload}, format="multipart").json()
    wait_for(lambda: finished(f"/api/photos/{photo['id']}/", client))
    faces = client.get(f"/api/photos/{photo['id']}/faces/").json()["faces"]
    assert len(faces) == 1  # found at processing
    url = f"/api/photos/{photo['id']}/variants/"
    hidden = client.post(url, {"effect": "hide_faces", "style": "pixelate"}, format="json")
    gaze = client.post(url, {"effect": "gaze", "direction": "left"}, format="json")
    assert hidden.status_code == gaze.status_code == 202
    for variant_id in (hidden.json()["id"], gaze.json()["id"]):
        variant = wait_for(partial(finished, f"/api/variants/{variant_id}/", client))
        assert variant["status"] == "ready", variant["error"]
    row = Variant.objects.get(pk=hidden.json()["id"])
    out = np.asarray(Image.open(files.media_path(str(row.image.name))).convert("RGB"))
    original = images.sample("astronaut")
    x, y, w, h = (round(v) for v in faces[0]["box"])

    def sharpness(image: np.ndarray) -> float:
        grey = cv2.cvtColor(np.ascontiguousarray(image[y : y + h, x : x + w]), cv2.COLOR_RGB2GRAY)
        return float(cv2.Laplacian(grey, cv2.CV_64F).var())

    assert sharpness(out) < sharpness(original) / 5


def test_gaze_without_a_face_fails_with_the_reason(celery_worker_process, api, alice):
    client = api(alice)
    upload = SimpleUploadedFile("pattern.jpg", images.jpeg(160, 120), "image/jpeg")
    photo = client.post("/api/photos/", {"image": upload}, format="multipart").json()
    wait_for(lambda: finished(f"/api/photos/{photo['id']}/", client))
    response = client.post(
        f"/api/photos/{photo['id']}/variants/", {"effect": "gaze", "direction": "up"}, format="json"
    )
    variant = wait_for(lambda: finished(f"/api/variants/{response.json()['id']}/", client))
    assert variant["status"] == "failed" and "No face found" in variant["error"]

"""Portrait mode end to end: API call → real Celery worker → ready variant with its matte."""

from __future__ import annotations

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

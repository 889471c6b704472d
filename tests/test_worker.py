"""End to end with a real Celery worker process on the configured broker and database.

`make test` runs these on PostgreSQL + Redis, then again on SQLite + Redis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery import files
from gallery.models import Photo, Status
from tests import images
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def upload(client, data: bytes, name: str = "photo.jpg"):
    file = SimpleUploadedFile(name, data, "image/jpeg")
    return client.post("/api/photos/", {"image": file}, format="multipart")


def ready_or_failed(photo_id: int) -> Photo | None:
    photo = Photo.objects.get(pk=photo_id)
    return photo if photo.status in (Status.READY, Status.FAILED) else None


def test_an_upload_is_processed_by_the_worker(celery_worker_process, api, alice):
    response = upload(api(alice), images.jpeg(1600, 1200, seed=21))
    assert response.status_code == 201
    photo = wait_for(lambda: ready_or_failed(response.json()["id"]))
    assert photo.status == Status.READY, photo.error
    thumb = Path(files.media_path(photo.thumbnail.name))
    preview = Path(files.media_path(photo.preview.name))
    assert Image.open(thumb).size == (320, 240) and Image.open(preview).size == (1280, 960)
    body = api(alice).get(f"/api/photos/{photo.pk}/").json()
    assert body["status"] == "ready"
    assert api(alice).get(body["thumbnail_url"]).status_code == 200


def test_the_worker_stores_local_features_beside_the_colour_descriptor(
    celery_worker_process, api, alice
):
    from search import local_features
    from search.models import LocalDescriptor

    response = upload(api(alice), images.sample_jpeg("chelsea", scale=2.0))
    photo = wait_for(lambda: ready_or_failed(response.json()["id"]))
    assert photo.status == Status.READY, photo.error
    row = LocalDescriptor.objects.get(photo=photo)
    assert row.version == local_features.LOCAL_VERSION
    stored = local_features.from_bytes(row.data)
    assert max(stored.size) == local_features.WORK_SIDE
    assert len(stored) > 100
    # The same features as extracting from the photo's own preview.
    again = local_features.extract(
        np.asarray(Image.open(files.media_path(photo.preview.name)).convert("L"))
    )
    assert local_features.verify(again, stored).verified


def test_several_uploads_all_become_ready(celery_worker_process, api, alice):
    ids = [upload(api(alice), images.png(300, 200, seed=s)).json()["id"] for s in range(4)]
    done = wait_for(lambda: all(ready_or_failed(i) for i in ids) and ids)
    assert [Photo.objects.get(pk=i).status for i in done] == [Status.READY] * 4


def test_a_photo_that_cannot_be_decoded_fails_visibly(celery_worker_process, api, alice):
    from gallery.actions import add_photo

    # Accepted at upload and processed, then damaged on disk and processed again. (Damaging it
    # before the first run ends races that run: having read the bytes before, it would make
    # the photo ready after reprocess() had set it back to pending.)
    photo = add_photo(alice, SimpleUploadedFile("a.jpg", images.jpeg(seed=22))).photo
    assert wait_for(lambda: ready_or_failed(photo.pk)).status == Status.READY
    files.media_path(str(photo.original.name)).write_bytes(b"\xff\xd8\xff\xe0 broken")
    from gallery.actions import reprocess

    reprocess([photo])
    photo = wait_for(lambda: ready_or_failed(photo.pk))
    assert photo.status == Status.FAILED and "could not be processed" in photo.error

"""End to end with a real worker: an uploaded portrait comes back ready with its face, and a
photo scanned by an older detector gets its faces again without anyone asking."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from effects.faces import FACES_VERSION
from faces.models import FaceScan
from gallery.processing import process_photo
from tests import images
from tests.conftest import wait_for
from tests.workers import WorkerProcess

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


def test_a_worker_finds_faces_again_after_the_detector_changed(
    no_session_worker, tmp_path, alice, add_photo
):
    photo = add_photo(alice, data=images.person_photo())
    assert process_photo(photo.pk) == "ready"
    # As after an upgrade: the photo's faces are from an older detector (or were never found).
    FaceScan.objects.filter(photo=photo).update(version=FACES_VERSION - 1)
    photo.faces.all().delete()
    worker = WorkerProcess(tmp_path / "worker.log", env={"FOCAL_FACES_RESCAN_SECONDS": "1"})
    worker.start()
    try:
        wait_for(lambda: FaceScan.objects.get(photo=photo).version == FACES_VERSION, timeout=60)
    finally:
        worker.stop()
    [face] = photo.faces.all()
    assert face.expression == "smiling"

"""The upload page sends a file's last piece again when the server says the user's earlier photos
are still waiting to be processed (429 with Retry-After), so a big drop of photos all arrives."""

from __future__ import annotations

import pytest

from gallery.models import Photo, Status
from tests import images
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_files_held_back_by_the_queue_limit_are_sent_again(
    celery_worker_process, live_server, open_page, django_user_model, settings, tmp_path
):
    settings.FOCAL_MAX_QUEUED_UPLOADS = 1
    alice = django_user_model.objects.create_user("alice", password="alice-pass-123")
    page = open_page("desktop")
    sign_in(page, live_server.url, "alice", "alice-pass-123", then="/upload/")
    paths = []
    for seed in range(3):
        path = tmp_path / f"beach-{seed}.jpg"
        path.write_bytes(images.jpeg(1600, 1200, seed=60 + seed))
        paths.append(str(path))
    page.set_input_files("#file-input", paths)
    page.wait_for_selector("text=Too many of your photos are waiting for the server")
    page.wait_for_function(
        "() => document.querySelectorAll('#upload-list .upload-item.done').length === 3",
        timeout=60_000,
    )
    assert page.locator("#upload-list .upload-item.error").count() == 0
    assert (
        list(Photo.objects.filter(owner=alice).values_list("status", flat=True))
        == [Status.READY] * 3
    )

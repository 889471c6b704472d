"""The upload page without JavaScript: the form posts files and the page lists each outcome."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from tests import images
from tests.conftest import media_files

pytestmark = pytest.mark.django_db


def post(client, *files: tuple[str, bytes], **fields):
    uploads = [SimpleUploadedFile(name, data, "image/jpeg") for name, data in files]
    return client.post("/upload/", {"image": uploads, **fields})


def test_the_page_offers_drop_picker_and_camera(login, alice):
    html = login(alice).get("/upload/").content.decode()
    assert 'id="dropzone"' in html
    assert 'multiple accept="image/jpeg' in html
    assert 'capture="environment"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_anonymous_visitors_are_sent_to_log_in(login):
    response = login().get("/upload/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_adds_several_files_at_once(login, alice):
    response = post(login(alice), ("a.jpg", images.jpeg(seed=1)), ("b.png", images.png(seed=2)))
    assert response.status_code == 200
    assert Photo.objects.filter(owner=alice).count() == 2
    assert response.content.decode().count("Added:") == 2


def test_it_reports_duplicates_with_a_link(login, alice):
    client = login(alice)
    post(client, ("a.jpg", images.jpeg(seed=1)))
    html = post(client, ("again.jpg", images.jpeg(seed=1))).content.decode()
    photo = Photo.objects.get()
    assert "Already in your photos" in html and f"/photos/{photo.pk}/" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (images.truncated_jpeg(), "damaged or incomplete"),
        (b"just some text\n" * 30, "This is not a JPEG, PNG or WebP image."),
        (images.png_claiming_size(30000, 30000), "the limit is 100 megapixels"),
    ],
)
def test_it_shows_the_reason_for_each_bad_file_and_keeps_nothing(login, alice, data, message):
    response = post(login(alice), ("bad.jpg", data))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Photo.objects.count() == 0 and media_files() == []


def test_good_files_are_kept_when_another_file_is_bad(login, alice):
    response = post(login(alice), ("good.jpg", images.jpeg()), ("bad.jpg", b"nope" * 10))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Added:" in html and "This is not a JPEG, PNG or WebP image." in html
    assert Photo.objects.count() == 1


def test_it_refuses_files_over_the_size_limit(login, alice, settings):
    settings.FOCAL_MAX_UPLOAD_BYTES = 10_000
    response = post(login(alice), ("big.jpg", images.jpeg(300, 300, quality=100) + b"\0" * 10_000))
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert Photo.objects.count() == 0 and media_files() == []


def test_it_asks_for_a_file_when_none_was_sent(login, alice):
    response = login(alice).post("/upload/", {})
    assert response.status_code == 400
    assert "Choose one or more image files" in response.content.decode()


def test_the_form_requires_a_csrf_token(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = post(client, ("a.jpg", images.jpeg()))
    assert response.status_code == 403
    assert Photo.objects.count() == 0

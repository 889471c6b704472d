"""POST /api/photos/: good uploads, duplicates and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Moderation, Photo, Status
from tests import images
from tests.conftest import media_files

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name: str = "photo.jpg", **fields):
    file = SimpleUploadedFile(name, data, "image/jpeg")
    return client.post("/api/photos/", {"image": file, **fields}, format="multipart")


@pytest.mark.parametrize(
    ("maker", "fmt"), [(images.jpeg, "JPEG"), (images.png, "PNG"), (images.webp, "WEBP")]
)
def test_it_accepts_jpeg_png_and_webp(api, alice, maker, fmt):
    response = upload(api(alice), maker(120, 80), title="Beach")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["duplicate"] is False
    assert (body["width"], body["height"], body["title"]) == (120, 80, "Beach")
    assert body["status"] == Status.PENDING and body["thumbnail_url"] is None
    photo = Photo.objects.get(pk=body["id"])
    assert photo.format == fmt and photo.owner == alice
    assert Path(photo.original.path).read_bytes() == maker(120, 80)


def test_it_stores_the_original_under_a_generated_name(api, alice):
    response = upload(api(alice), images.jpeg(), name="../../etc/passwd.jpg")
    assert response.status_code == 201
    photo = Photo.objects.get(pk=response.json()["id"])
    assert "passwd" not in str(photo.original.name) and ".." not in str(photo.original.name)
    assert photo.original.name == f"{photo.folder}/original.jpg"
    assert photo.title == "passwd"  # the stem is only a default title, escaped when shown


@pytest.mark.parametrize("name", ["x" * 1000 + ".jpg", "фото с отпуска 😀.jpg", "a\x00b\nc.jpg"])
def test_it_handles_long_and_unusual_filenames(api, alice, name):
    response = upload(api(alice), images.jpeg(seed=len(name)), name=name)
    assert response.status_code == 201, response.json()
    photo = Photo.objects.get(pk=response.json()["id"])
    assert len(photo.title) <= 200 and "\x00" not in photo.title and "\n" not in photo.title


def test_the_same_bytes_twice_give_the_existing_photo(api, alice):
    first = upload(api(alice), images.jpeg(seed=3)).json()
    again = upload(api(alice), images.jpeg(seed=3), name="copy.jpg")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["id"] == first["id"]
    assert Photo.objects.count() == 1


def test_the_same_bytes_from_another_user_are_their_own_photo(api, alice, bob):
    upload(api(alice), images.jpeg(seed=3))
    response = upload(api(bob), images.jpeg(seed=3))
    assert response.status_code == 201
    assert Photo.objects.count() == 2


def test_staff_uploads_are_approved_and_others_wait_for_review(api, alice, moderator):
    mine = upload(api(alice), images.jpeg(seed=1), visibility="public").json()
    staff = upload(api(moderator), images.jpeg(seed=2), visibility="public").json()
    assert mine["moderation"] == Moderation.PENDING
    assert staff["moderation"] == Moderation.APPROVED


def test_auto_approve_setting_approves_everyone(api, alice, settings):
    settings.FOCAL_AUTO_APPROVE = True
    assert upload(api(alice), images.jpeg(), visibility="public").json()["moderation"] == "approved"


def test_it_reads_exif_metadata(api, alice):
    from datetime import datetime

    data = images.jpeg_with_exif(
        images.pixels(90, 60), orientation=6, taken=datetime(2024, 7, 14, 18, 30), make="Canon",
        model="Canon EOS R6",
    )  # fmt: skip
    body = upload(api(alice), data).json()
    assert (body["width"], body["height"]) == (60, 90)  # rotated by the orientation tag
    assert body["camera"] == "Canon EOS R6"
    assert body["taken_at"].startswith("2024-07-14T18:30")


BAD_INPUTS = [
    (b"", 400, "empty_file", "empty"),
    (images.truncated_jpeg(), 400, "corrupt_image", "damaged or incomplete"),
    (
        b"This is a text file pretending to be a photo.\n" * 20,
        415,
        "unsupported_type",
        "not a JPEG",
    ),
    (images.png_claiming_size(20000, 20000), 413, "too_many_pixels", "megapixels"),
    (b"GIF89a" + images.png(), 415, "unsupported_type", "not a JPEG"),
]


@pytest.mark.parametrize(("data", "status", "code", "words"), BAD_INPUTS)
def test_it_rejects_bad_input_and_keeps_nothing(api, alice, data, status, code, words):
    response = upload(api(alice), data)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"]
    assert Photo.objects.count() == 0
    assert media_files() == []


def test_it_rejects_images_over_the_pixel_limit(api, alice, settings):
    settings.FOCAL_MAX_PIXELS = 5000
    response = upload(api(alice), images.jpeg(100, 100))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_pixels"
    assert Photo.objects.count() == 0 and media_files() == []


def test_it_rejects_files_over_the_size_limit(api, alice, settings):
    settings.FOCAL_MAX_UPLOAD_BYTES = 20_000
    response = upload(api(alice), images.jpeg(400, 300, quality=100) + b"\0" * 20_000)
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "The file is larger than the 0.0191 MB limit.",
    }
    assert Photo.objects.count() == 0 and media_files() == []


def test_it_rejects_a_request_without_a_file(api, alice):
    response = api(alice).post("/api/photos/", {"title": "nothing"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_file"


def test_it_rejects_an_unknown_visibility(api, alice):
    response = upload(api(alice), images.jpeg(), visibility="everyone")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("visibility:")
    assert Photo.objects.count() == 0


def test_anonymous_users_cannot_upload(api):
    response = upload(api(), images.jpeg())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_bad_token_is_refused(api, alice):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = upload(client, images.jpeg())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_hugely_oversized_body_is_refused_without_reading_it(api, alice, settings):
    settings.FOCAL_MAX_UPLOAD_BYTES = 1_000
    response = upload(api(alice), b"\xff\xd8" + b"\0" * 200_000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Photo.objects.count() == 0 and media_files() == []

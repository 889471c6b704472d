"""Resumable uploads over tus 1.0 at /api/uploads/: the protocol, its edge cases, the limits,
expiry, and the photo a finished upload becomes (the same one a plain upload would make)."""

from __future__ import annotations

import fcntl
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from gallery import resumable, tus
from gallery.models import Photo, Upload
from tests import images
from tests.conftest import media_files

pytestmark = pytest.mark.django_db

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"


def create(client, length: int, headers: dict[str, str] | None = None, **metadata: str):
    extra = {**TUS, "HTTP_UPLOAD_LENGTH": str(length)}
    if metadata:
        extra["HTTP_UPLOAD_METADATA"] = tus.format_metadata(metadata)
    return client.generic("POST", "/api/uploads/", b"", **{**extra, **(headers or {})})


def patch(client, url: str, offset: int, data: bytes, **headers: str):
    extra = {**TUS, "HTTP_UPLOAD_OFFSET": str(offset), **headers}
    return client.generic("PATCH", url, data, content_type=OCTETS, **extra)


def head(client, url: str, **headers: str):
    return client.head(url, **{**TUS, **headers})


def send_all(client, url: str, data: bytes, piece: int = 1000):
    response = None
    for start in range(0, len(data), piece):
        response = patch(client, url, start, data[start : start + piece])
        assert response.status_code == 204, response.content
    return response


def started(api, user, data: bytes, **metadata: str) -> str:
    response = create(api(user), len(data), None, **metadata)
    assert response.status_code == 201, response.content
    return response["Location"]


def data_file(url: str) -> Path:
    upload = Upload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1])
    from gallery import files

    return files.media_path(upload.data_name)


def test_options_says_what_the_server_supports_to_anyone(api):
    response = api().options("/api/uploads/")
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0" and response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(response["Tus-Max-Size"]) == 40 * 2**20


def test_an_upload_sent_in_pieces_becomes_the_photo(api, alice):
    data = images.jpeg(400, 300, seed=7)
    client = api(alice)
    response = create(client, len(data), filename="harbour at dawn.jpg", visibility="public")
    assert response.status_code == 201
    url = response["Location"]
    assert url.startswith("http://testserver/api/uploads/") and response.json()["offset"] == 0
    assert response["Upload-Expires"].endswith(" GMT")
    for start in range(0, len(data), 4000):
        piece = data[start : start + 4000]
        response = patch(client, url, start, piece)
        assert response.status_code == 204, response.content
        assert int(response["Upload-Offset"]) == start + len(piece)
        if start + len(piece) < len(data):
            assert "Focal-Photo-Id" not in response
            assert int(head(client, url)["Upload-Offset"]) == start + len(piece)
    photo = Photo.objects.get(pk=response["Focal-Photo-Id"])
    assert response["Focal-Photo-Duplicate"] == "false"
    assert Path(photo.original.path).read_bytes() == data
    assert (photo.owner, photo.title, photo.visibility) == (alice, "harbour at dawn", "public")
    assert (photo.width, photo.height, photo.format) == (400, 300, "JPEG")
    body = client.get(url).json()
    assert body["photo"]["id"] == photo.pk and body["offset"] == body["length"] == len(data)
    assert body["finished"] is not None and body["duplicate"] is False
    assert not data_file(url).exists(), "the received bytes are removed once they are a photo"


def test_a_title_in_the_metadata_wins_over_the_filename(api, alice):
    data = images.png(seed=2)
    url = started(api, alice, data, filename="IMG_0001.png", title="Grandma's garden")
    response = send_all(api(alice), url, data)
    assert Photo.objects.get(pk=response["Focal-Photo-Id"]).title == "Grandma's garden"


def test_every_answer_carries_tus_resumable_errors_included(api, alice, bob):
    url = started(api, alice, images.jpeg())
    answers = [
        head(api(alice), url),
        patch(api(alice), url, 5, b"x"),  # 409
        head(api(bob), url),  # 404
        api(alice).get(url),
        create(api(), 10),  # 401
    ]
    assert [a.status_code for a in answers] == [200, 409, 404, 200, 401]
    assert all(a["Tus-Resumable"] == "1.0.0" for a in answers)


@pytest.mark.parametrize("version", ["0.2.2", "2.0.0", None])
def test_an_unsupported_or_missing_version_is_412_and_does_nothing(api, alice, version):
    headers = {"HTTP_UPLOAD_LENGTH": "100"}
    if version:
        headers["HTTP_TUS_RESUMABLE"] = version
    response = api(alice).generic("POST", "/api/uploads/", b"", **headers)
    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0" and response["Tus-Resumable"] == "1.0.0"
    assert response.json()["error"]["code"] == "unsupported_tus_version"
    assert not Upload.objects.exists()


def test_head_says_the_offset_length_and_metadata_and_is_never_cached(api, alice):
    data = images.jpeg(seed=3)
    url = started(api, alice, data, filename="a.jpg")
    patch(api(alice), url, 0, data[:100])
    response = head(api(alice), url)
    assert response.status_code == 200 and response.content == b""
    assert (response["Upload-Offset"], response["Upload-Length"]) == ("100", str(len(data)))
    assert response["Cache-Control"] == "no-store"
    assert tus.parse_metadata(response["Upload-Metadata"]) == {"filename": "a.jpg"}


def test_a_piece_at_the_wrong_offset_is_a_conflict_and_changes_nothing(api, alice):
    data = images.jpeg(seed=4)
    url = started(api, alice, data)
    patch(api(alice), url, 0, data[:500])
    for wrong in (0, 499, 501):
        response = patch(api(alice), url, wrong, data[wrong : wrong + 100])
        assert response.status_code == 409
        assert "Upload-Offset: 500" in response.json()["error"]["message"]
    assert head(api(alice), url)["Upload-Offset"] == "500"
    assert data_file(url).read_bytes() == data[:500]


def test_a_piece_past_the_length_is_too_long_and_nothing_of_it_is_kept(api, alice):
    data = images.jpeg(seed=5)
    url = started(api, alice, data)
    response = patch(api(alice), url, 0, data + b"extra")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_long"
    assert head(api(alice), url)["Upload-Offset"] == "0"
    assert data_file(url).read_bytes() == b""


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"content_type": "application/octet-stream"}, 415, "unsupported_media_type"),
        ({"HTTP_UPLOAD_OFFSET": "-1"}, 400, "invalid_upload_offset"),
        ({"HTTP_UPLOAD_OFFSET": "ten"}, 400, "invalid_upload_offset"),
        ({"HTTP_TRANSFER_ENCODING": "chunked"}, 411, "length_required"),
    ],
)
def test_a_malformed_patch_is_refused_clearly(api, alice, headers, status, code):
    url = started(api, alice, images.jpeg())
    extra = {**TUS, "HTTP_UPLOAD_OFFSET": "0", "content_type": OCTETS, **headers}
    response = api(alice).generic("PATCH", url, b"abc", **extra)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 400, "missing_upload_length"),
        ({"HTTP_UPLOAD_LENGTH": "12.5"}, 400, "invalid_upload_length"),
        ({"HTTP_UPLOAD_LENGTH": "0"}, 400, "empty_file"),
        ({"HTTP_UPLOAD_LENGTH": str(41 * 2**20)}, 413, "too_large"),
        ({"HTTP_UPLOAD_LENGTH": "9", "HTTP_UPLOAD_DEFER_LENGTH": "1"}, 400, None),
        ({"HTTP_UPLOAD_LENGTH": "9", "HTTP_UPLOAD_METADATA": "filename !!!"}, 400, None),
        ({"HTTP_UPLOAD_LENGTH": "9", "HTTP_UPLOAD_METADATA": "a,a"}, 400, None),
        ({"HTTP_UPLOAD_LENGTH": "9", "HTTP_UPLOAD_METADATA": "visibility ZnJpZW5kcw=="}, 400, None),
    ],
)
def test_a_creation_that_cannot_be_done_is_refused_and_creates_nothing(
    api, alice, headers, status, code
):
    response = api(alice).generic("POST", "/api/uploads/", b"", **{**TUS, **headers})
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    assert not Upload.objects.exists() and media_files() == []


def test_the_size_limit_is_the_one_a_plain_upload_has(api, alice):
    too_big = 41 * 2**20
    tus_error = create(api(alice), too_big).json()["error"]
    assert tus_error["code"] == "too_large" and "41.0 MB" in tus_error["message"]
    assert "the limit is 40 MB" in tus_error["message"]


def test_someone_elses_upload_is_not_found_whatever_they_try(api, alice, bob):
    data = images.jpeg(seed=6)
    url = started(api, alice, data)
    patch(api(alice), url, 0, data[:10])
    for response in (
        head(api(bob), url),
        patch(api(bob), url, 10, data[10:20]),
        api(bob).generic("DELETE", url, **TUS),
        api(bob).get(url),
    ):
        assert response.status_code == 404
    assert head(api(alice), url)["Upload-Offset"] == "10"
    assert api(bob).get("/api/uploads/").json()["results"] == []


def test_nobody_signed_in_can_create_or_write(api, alice):
    url = started(api, alice, images.jpeg())
    assert create(api(), 100).status_code == 401
    assert patch(api(), url, 0, b"abc").status_code == 401
    assert head(api(), url).status_code == 401


def test_the_browser_session_needs_its_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    refused = create(browser, 100)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    browser.get("/upload/")  # the page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    assert create(browser, 100, headers={"HTTP_X_CSRFTOKEN": token}).status_code == 201


def test_termination_deletes_the_upload_and_its_bytes(api, alice):
    data = images.jpeg(seed=8)
    url = started(api, alice, data)
    patch(api(alice), url, 0, data[:50])
    path = data_file(url)
    response = api(alice).generic("DELETE", url, **TUS)
    assert response.status_code == 204 and response["Tus-Resumable"] == "1.0.0"
    assert not path.exists() and not Upload.objects.exists()
    assert head(api(alice), url).status_code == 404
    assert patch(api(alice), url, 50, data[50:]).status_code == 404


def test_a_post_with_method_override_acts_as_that_method(api, alice):
    data = images.jpeg(seed=9)
    url = started(api, alice, data)
    extra = {**TUS, "HTTP_X_HTTP_METHOD_OVERRIDE": "PATCH", "HTTP_UPLOAD_OFFSET": "0"}
    response = api(alice).generic("POST", url, data[:30], content_type=OCTETS, **extra)
    assert response.status_code == 204 and response["Upload-Offset"] == "30"


def test_an_expired_upload_is_gone_and_the_sweep_removes_it_and_its_bytes(api, alice):
    data = images.jpeg(seed=10)
    url = started(api, alice, data)
    patch(api(alice), url, 0, data[:64])
    path = data_file(url)
    Upload.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert head(api(alice), url).status_code == 410
    gone = patch(api(alice), url, 64, data[64:])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "upload_gone"
    assert resumable.remove_expired() == 1
    assert not path.exists() and not Upload.objects.exists()
    assert head(api(alice), url).status_code == 404


def test_each_new_piece_pushes_the_expiry_on(api, alice, settings):
    settings.FOCAL_PARTIAL_UPLOAD_EXPIRY = timedelta(hours=2)
    data = images.jpeg(seed=11)
    url = started(api, alice, data)
    Upload.objects.update(expires=timezone.now() + timedelta(minutes=1))
    patch(api(alice), url, 0, data[:10])
    assert Upload.objects.get().expires > timezone.now() + timedelta(minutes=119)
    assert resumable.remove_expired() == 0 and Upload.objects.exists()


def test_the_sweep_leaves_unexpired_uploads_and_finished_ones_keep_their_photo(api, alice):
    keep = images.jpeg(seed=12)
    kept_url = started(api, alice, keep)
    done = images.jpeg(seed=13)
    photo_id = send_all(api(alice), started(api, alice, done), done)["Focal-Photo-Id"]
    Upload.objects.filter(finished__isnull=False).update(expires=timezone.now())
    assert resumable.remove_expired() == 1
    assert Upload.objects.get().get_absolute_url() in kept_url
    assert Photo.objects.filter(pk=photo_id).exists()


def test_bytes_left_by_a_deleted_user_are_swept(api, alice):
    data = images.jpeg(seed=14)
    url = started(api, alice, data)
    patch(api(alice), url, 0, data[:10])
    path = data_file(url)
    alice.delete()
    assert path.exists()
    resumable.remove_expired()
    assert not path.exists()


def test_too_many_unfinished_uploads_are_refused_with_retry_after(api, alice, bob, settings):
    settings.FOCAL_PARTIAL_UPLOADS = 2
    first = started(api, alice, images.jpeg(seed=1))
    started(api, alice, images.jpeg(seed=2))
    refused = create(api(alice), 1000)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_partial_uploads"
    assert "2 unfinished uploads" in refused.json()["error"]["message"]
    hours = int(refused["Retry-After"]) / 3600
    assert 23.9 < hours <= 24.01  # when the first of them expires
    assert create(api(bob), 1000).status_code == 201, "the limit is per person"
    api(alice).generic("DELETE", first, **TUS)
    assert create(api(alice), 1000).status_code == 201


def test_unfinished_uploads_are_bounded_in_bytes_too(api, alice, settings):
    settings.FOCAL_PARTIAL_UPLOAD_MB = 1
    assert create(api(alice), 600_000).status_code == 201
    refused = create(api(alice), 600_000)
    assert refused.status_code == 429 and "Retry-After" in refused
    assert "would pass the 1 MB" in refused.json()["error"]["message"]
    alone = create(api(alice), 2 * 2**20)
    assert alone.status_code == 413 and "Retry-After" not in alone


def test_finished_and_expired_uploads_do_not_count_against_the_limit(api, alice, settings):
    settings.FOCAL_PARTIAL_UPLOADS = 1
    data = images.jpeg(seed=15)
    send_all(api(alice), started(api, alice, data), data)
    url = started(api, alice, images.jpeg(seed=16))
    Upload.objects.filter(finished__isnull=True).update(expires=timezone.now())
    assert create(api(alice), 1000).status_code == 201
    assert head(api(alice), url).status_code == 410


def test_a_refused_file_gives_the_plain_uploads_error_and_leaves_nothing(api, alice):
    data = b"not an image at all\n" * 100
    plain = api(alice).post(
        "/api/photos/", {"image": SimpleUploadedFile("notes.jpg", data)}, format="multipart"
    )
    url = started(api, alice, data, filename="notes.jpg")
    patch(api(alice), url, 0, data[:1000])
    last = patch(api(alice), url, 1000, data[1000:])
    assert last.status_code == plain.status_code == 415
    assert last.json() == plain.json()
    assert last["Tus-Resumable"] == "1.0.0"
    assert not Upload.objects.exists() and not Photo.objects.exists()
    assert media_files() == []
    assert head(api(alice), url).status_code == 404


def test_a_truncated_image_is_refused_like_a_plain_upload(api, alice):
    data = images.jpeg(800, 600, seed=17)[:-3000]
    plain = api(alice).post(
        "/api/photos/", {"image": SimpleUploadedFile("cut.jpg", data)}, format="multipart"
    )
    last = send_all_expecting_the_end(api(alice), started(api, alice, data), data)
    assert (last.status_code, last.json()) == (plain.status_code, plain.json())
    assert media_files() == []


def send_all_expecting_the_end(client, url: str, data: bytes):
    patch(client, url, 0, data[:-10])
    return patch(client, url, len(data) - 10, data[-10:])


def test_the_same_bytes_again_give_the_existing_photo(api, alice):
    data = images.jpeg(seed=18)
    plain = api(alice).post(
        "/api/photos/", {"image": SimpleUploadedFile("a.jpg", data)}, format="multipart"
    )
    last = send_all(api(alice), started(api, alice, data), data)
    assert last["Focal-Photo-Id"] == str(plain.json()["id"])
    assert last["Focal-Photo-Duplicate"] == "true"
    assert Photo.objects.count() == 1


def test_asking_again_after_the_last_answer_was_lost_names_the_photo(api, alice):
    data = images.jpeg(seed=19)
    url = started(api, alice, data)
    photo_id = send_all(api(alice), url, data)["Focal-Photo-Id"]
    assert head(api(alice), url)["Focal-Photo-Id"] == photo_id
    again = patch(api(alice), url, len(data), b"")
    assert again.status_code == 204 and again["Focal-Photo-Id"] == photo_id
    assert patch(api(alice), url, 0, data[:10]).status_code == 409
    assert Photo.objects.count() == 1


def test_a_second_writer_is_told_the_upload_is_busy(api, alice):
    data = images.jpeg(seed=20)
    url = started(api, alice, data)
    with data_file(url).open("rb") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)  # as a request writing to it would
        busy = patch(api(alice), url, 0, data[:10])
        assert busy.status_code == 423 and busy["Retry-After"] == "1"
        assert head(api(alice), url)["Upload-Offset"] == "0"  # HEAD still answers
        assert api(alice).generic("DELETE", url, **TUS).status_code == 423
    assert patch(api(alice), url, 0, data[:10]).status_code == 204


def test_bytes_written_before_a_crash_count_once_the_file_is_looked_at(api, alice):
    data = images.jpeg(seed=21)
    url = started(api, alice, data)
    patch(api(alice), url, 0, data[:100])
    with data_file(url).open("ab") as file:  # written, then the process died before the row
        file.write(data[100:250])
    assert head(api(alice), url)["Upload-Offset"] == "250"
    assert Upload.objects.get().offset == 250
    last = patch(api(alice), url, 250, data[250:])
    assert Path(Photo.objects.get(pk=last["Focal-Photo-Id"]).original.path).read_bytes() == data


def test_an_upload_whose_bytes_vanished_is_gone(api, alice):
    url = started(api, alice, images.jpeg(seed=22))
    data_file(url).unlink()
    assert head(api(alice), url).status_code == 410
    assert not Upload.objects.exists()


def test_the_list_shows_only_your_unfinished_uploads(api, alice, bob):
    data = images.jpeg(seed=23)
    send_all(api(alice), started(api, alice, data), data)
    waiting = started(api, alice, images.jpeg(seed=24), filename="later.jpg")
    started(api, bob, images.jpeg(seed=25))
    response = api(alice).get("/api/uploads/")
    assert response["Cache-Control"] == "no-store"
    results = response.json()["results"]
    assert [(r["url"], r["filename"], r["photo"]) for r in results] == [
        (waiting, "later.jpg", None)
    ]


def test_the_upload_json_is_in_the_apis_error_shape_when_missing(api, alice):
    response = api(alice).get("/api/uploads/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert json.loads(response.content) == {"error": {"code": "not_found", "message": "Not found."}}


def test_the_schema_documents_every_method_with_the_error_shape(api):
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    one, collection = schema["paths"]["/api/uploads/{id}/"], schema["paths"]["/api/uploads/"]
    assert set(one) >= {"get", "head", "patch", "delete", "options"}
    assert set(collection) >= {"get", "post", "options"}
    error = {"$ref": "#/components/schemas/Error"}
    for status in ("409", "412", "413", "415", "423"):
        assert one["patch"]["responses"][status]["content"]["application/json"]["schema"] == error
    assert collection["post"]["responses"]["429"]["content"]["application/json"]["schema"] == error
    assert "application/offset+octet-stream" in one["patch"]["requestBody"]["content"]
    assert "Upload-Offset" in one["head"]["responses"]["200"]["headers"]
    detail = schema["components"]["schemas"]["Error"]["properties"]["error"]
    assert {"code", "message"} <= set(detail["properties"])

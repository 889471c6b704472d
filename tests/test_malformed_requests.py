"""Malformed requests get a 4xx with a readable reason (the JSON error under /api/), never a
500: ids beyond the database's range, bodies nested too deeply, a file sent twice."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Moderation, Photo
from tests import images

HUGE_ID = "99999999999999999999999"  # SQLite: OverflowError; PostgreSQL: out of bigint range
DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_huge_id_in_the_ids_filter_is_a_400_for_anyone(api):
    error = assert_json_error(api().get("/api/photos/", {"ids": HUGE_ID}), 400, "invalid_id")
    assert HUGE_ID in error["message"]


@pytest.mark.parametrize("ids", ["1,,2", "²", "-1", "0", "1.5", " ", "1;2", "9223372036854775808"])
def test_ids_are_ascii_whole_numbers_in_range(api, alice, ids):
    assert_json_error(api(alice).get("/api/photos/", {"ids": ids}), 400, "invalid_id")


def test_the_ids_filter_takes_the_largest_id_and_up_to_200(api, alice, add_photo):
    photo = add_photo(alice)
    ids = ",".join([str(photo.pk), "9223372036854775807", *map(str, range(10**6, 10**6 + 198))])
    response = api(alice).get("/api/photos/", {"ids": ids})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [photo.pk]
    too_many = ids + ",5"
    assert_json_error(api(alice).get("/api/photos/", {"ids": too_many}), 400, "invalid_id")


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["list", "object"])
def test_a_json_body_nested_100000_deep_is_a_400(api, alice, add_photo, body):
    photo = add_photo(alice)
    client = api(alice)
    for response in (
        client.patch(f"/api/photos/{photo.pk}/", body, content_type="application/json"),
        client.post(f"/api/photos/{photo.pk}/variants/", body, content_type="application/json"),
    ):
        error = assert_json_error(response, 400, "parse_error")
        assert "nested too deeply" in error["message"]
    photo.refresh_from_db()
    assert photo.title == "photo" and not photo.variants.exists()


def test_deeply_nested_values_inside_the_limit_are_refused_as_invalid(api, alice, add_photo):
    photo = add_photo(alice)
    nested = "[" * 500 + "]" * 500
    client = api(alice)
    response = client.patch(
        f"/api/photos/{photo.pk}/", '{"title": ' + nested + "}", content_type="application/json"
    )
    assert_json_error(response, 400, "invalid")
    response = client.post(
        f"/api/photos/{photo.pk}/variants/",
        '{"effect": "portrait", "subject": {"x": ' + nested + ', "y": 0.5}}',
        content_type="application/json",
    )
    assert_json_error(response, 400, "invalid")


def test_review_decide_with_a_huge_id_is_a_400_page(login, moderator, alice, add_photo):
    photo = add_photo(alice, visibility="public")
    response = login(moderator).post(
        "/review/decide", {"photo": [str(photo.pk), HUGE_ID], "decision": "approved"}
    )
    assert response.status_code == 400
    assert HUGE_ID in response.content.decode()
    assert Photo.objects.get(pk=photo.pk).moderation == Moderation.PENDING  # all or nothing


def test_review_decide_with_unicode_digits_is_a_400_page(login, moderator):
    response = login(moderator).post("/review/decide", {"photo": ["²"], "decision": "approved"})
    assert response.status_code == 400


def test_a_timeline_cursor_with_unicode_digits_starts_from_the_top(login, alice, add_photo):
    add_photo(alice)
    for after in ("1.²", "².1", f"1.{HUGE_ID}"):
        assert login(alice).get("/", {"after": after}).status_code == 200


def two_images(name="image"):
    return [
        SimpleUploadedFile("a.jpg", images.jpeg(seed=1), "image/jpeg"),
        SimpleUploadedFile("b.jpg", images.jpeg(seed=2), "image/jpeg"),
    ]


def test_two_image_parts_in_an_upload_are_a_400(api, alice):
    response = api(alice).post("/api/photos/", {"image": two_images()}, format="multipart")
    error = assert_json_error(response, 400, "too_many_files")
    assert "2 times" in error["message"]
    assert not Photo.objects.exists()


def test_two_image_parts_in_a_search_are_a_400(api, alice):
    response = api(alice).post("/api/search/", {"image": two_images()}, format="multipart")
    assert_json_error(response, 400, "too_many_files")

"""GET/PATCH/DELETE /api/photos/, the token command and the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from gallery.models import Photo
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db

PHOTO_FIELDS = {"id", "status", "error", "width", "height", "title", "visibility", "moderation",
                "image_url", "thumbnail_url", "created"}  # fmt: skip


def test_the_photo_json_has_the_documented_fields(api, alice, add_photo):
    photo = add_photo(alice, title="Dunes")
    process_photo(photo.pk)
    body = api(alice).get(f"/api/photos/{photo.pk}/").json()
    assert body.keys() >= PHOTO_FIELDS
    assert body["status"] == "ready" and body["title"] == "Dunes"
    assert body["thumbnail_url"].startswith("http://testserver/photos/")
    assert api(alice).get(body["thumbnail_url"]).status_code == 200


def test_the_list_is_paginated(api, alice, add_photo):
    for seed in range(3):
        add_photo(alice, seed=seed)
    page = api(alice).get("/api/photos/", {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]


def test_patch_changes_title_and_visibility(api, alice, add_photo):
    photo = add_photo(alice)
    response = api(alice).patch(
        f"/api/photos/{photo.pk}/", {"title": "Renamed", "visibility": "public"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Renamed" and response.json()["visibility"] == "public"
    assert response.json()["moderation"] == "pending"


def test_patch_refuses_read_only_and_unknown_fields_naming_them(api, alice, add_photo):
    photo = add_photo(alice)
    response = api(alice).patch(
        f"/api/photos/{photo.pk}/",
        {"title": "New", "moderation": "approved", "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "moderation (read-only)" in error["message"]
    assert "colour (unknown field)" in error["message"]
    assert "title, visibility" in error["message"]
    assert error["fields"]["moderation"] == ["read-only"]
    assert error["fields"]["colour"] == ["unknown field"]
    photo.refresh_from_db()  # nothing changed, not even the valid title
    assert (photo.moderation, photo.title) == ("pending", "photo")


def test_patch_from_a_form_may_carry_the_csrf_field(login, alice, add_photo):
    photo = add_photo(alice)
    response = login(alice).patch(
        f"/api/photos/{photo.pk}/",
        "title=Form&csrfmiddlewaretoken=abc",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and response.json()["title"] == "Form"


def test_patch_validates(api, alice, add_photo):
    photo = add_photo(alice)
    response = api(alice).patch(f"/api/photos/{photo.pk}/", {"visibility": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "visibility" in response.json()["error"]["message"]


def test_put_is_not_allowed(api, alice, add_photo):
    photo = add_photo(alice)
    response = api(alice).put(f"/api/photos/{photo.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_delete_moves_the_photo_to_the_trash_with_204(api, alice, add_photo):
    photo = add_photo(alice)
    assert api(alice).delete(f"/api/photos/{photo.pk}/").status_code == 204
    assert Photo.objects.get(pk=photo.pk).trashed_at is not None
    assert api(alice).get(f"/api/photos/{photo.pk}/").status_code == 404


def test_unknown_api_urls_answer_in_json(api):
    response = api().get("/api/nowhere/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_ids_must_be_numbers(api, alice):
    response = api(alice).get("/api/photos/", {"ids": "1,x"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_id"


def test_api_token_prints_the_key_last(capsys, alice):
    call_command("api_token", "alice")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(key) == 40
    call_command("api_token", "alice")
    assert capsys.readouterr().out.strip().splitlines()[-1] == key


def test_api_token_can_create_the_user(capsys, django_user_model, api):
    call_command("api_token", "dave", "--create")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert django_user_model.objects.filter(username="dave").exists()
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/photos/", {"mine": "true"}).status_code == 200


def test_api_token_refuses_unknown_users_without_create():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("api_token", "nobody")


def test_the_schema_is_openapi_3_and_documents_photos(api):
    response = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/photos/" in schema["paths"] and "/api/photos/{id}/" in schema["paths"]
    assert "Token" in str(schema["components"]["securitySchemes"])


def test_the_interactive_docs_page_works_offline(login):
    html = login().get("/api/docs/").content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()

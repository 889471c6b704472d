"""One user cannot starve everyone: limits on what each user has waiting for the workers, a cap
on variants per photo, and renders on a queue of their own."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from effects.models import Variant
from focal.celery import app
from gallery.models import Photo, Status
from tests import images

pytestmark = pytest.mark.django_db


def upload(client, seed: int, **fields):
    image = SimpleUploadedFile(f"p{seed}.jpg", images.jpeg(seed=seed), "image/jpeg")
    return client.post("/api/photos/", {"image": image, **fields}, format="multipart")


def ask(client, photo: Photo, **spec):
    return client.post(f"/api/photos/{photo.pk}/variants/", spec, format="json")


def assert_refused(response, status: int, code: str, retry_after: str | None) -> None:
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response.get("Retry-After") == retry_after


# --- Uploads waiting to be processed --------------------------------------------------


def test_uploads_past_the_limit_are_refused_with_retry_after(
    api, alice, bob, settings, media_snapshot
):
    settings.FOCAL_MAX_QUEUED_UPLOADS = 2
    client = api(alice)
    first = [upload(client, seed).json()["id"] for seed in (1, 2)]  # no worker: still pending
    before = media_snapshot()
    refused = upload(client, 3)
    assert_refused(refused, 429, "too_many_queued", "5")
    message = refused.json()["error"]["message"]
    assert message == (
        "Too many of your photos are waiting for the server (at most 2 at once); "
        "try again in 5 seconds."
    )
    assert Photo.objects.filter(owner=alice).count() == 2 and media_snapshot() == before
    assert upload(api(bob), 3).status_code == 201  # others are not held back
    assert upload(client, 1).status_code == 200  # the same bytes again queue nothing
    Photo.objects.filter(pk=first[0]).update(status=Status.READY)
    assert upload(client, 3).status_code == 201


def test_the_upload_page_says_why_a_file_waits(login, alice, settings):
    settings.FOCAL_MAX_QUEUED_UPLOADS = 1
    files = [SimpleUploadedFile(f"p{s}.jpg", images.jpeg(seed=s), "image/jpeg") for s in (4, 5)]
    page = login(alice).post("/upload/", {"image": files}).content.decode()
    assert "Too many of your photos are waiting for the server" in page
    assert Photo.objects.filter(owner=alice).count() == 1


def test_search_that_keeps_the_image_counts_as_an_upload(api, alice, settings):
    settings.FOCAL_MAX_QUEUED_UPLOADS = 1
    upload(api(alice), 6)
    image = SimpleUploadedFile("q.jpg", images.jpeg(seed=7), "image/jpeg")
    response = api(alice).post("/api/search/", {"image": image, "add": "true"}, format="multipart")
    assert_refused(response, 429, "too_many_queued", "5")


# --- Renders waiting ------------------------------------------------------------------


def test_renders_past_the_limit_are_refused_with_retry_after(api, alice, bob, add_photo, settings):
    settings.FOCAL_MAX_QUEUED_RENDERS = 2
    photo = add_photo(alice)
    client = api(alice)
    assert ask(client, photo, effect="portrait", blur=10).status_code == 202
    assert ask(client, photo, effect="portrait", blur=20).status_code == 202
    assert_refused(ask(client, photo, effect="portrait", blur=30), 429, "too_many_queued", "15")
    assert Variant.objects.count() == 2
    assert ask(client, photo, effect="portrait", blur=10).status_code == 200  # already queued
    assert ask(api(bob), add_photo(bob, seed=1), effect="cutout").status_code == 202
    Variant.objects.filter(spec__contains="blur=10").update(status=Status.READY)
    assert ask(client, photo, effect="portrait", blur=30).status_code == 202


def test_asking_again_for_a_failed_render_counts_against_the_limit(api, alice, add_photo, settings):
    settings.FOCAL_MAX_QUEUED_RENDERS = 1
    photo = add_photo(alice)
    client = api(alice)
    failed = ask(client, photo, effect="cutout").json()["id"]
    Variant.objects.filter(pk=failed).update(status=Status.FAILED, error="no luck")
    assert ask(client, photo, effect="colorpop").status_code == 202
    assert_refused(ask(client, photo, effect="cutout"), 429, "too_many_queued", "15")
    assert Variant.objects.get(pk=failed).status == Status.FAILED


def test_the_effects_form_says_why_a_render_waits(login, alice, add_photo, settings):
    settings.FOCAL_MAX_QUEUED_RENDERS = 1
    photo = add_photo(alice)
    client = login(alice)
    client.post(f"/photos/{photo.pk}/variants/new", {"action": "cutout"})
    response = client.post(f"/photos/{photo.pk}/variants/new", {"action": "colorpop"})
    assert response.status_code == 429 and response["Retry-After"] == "15"
    assert "Too many of your effects are waiting" in response.content.decode()


# --- Distinct variants per photo ------------------------------------------------------


def test_a_photo_has_at_most_so_many_variants(api, alice, add_photo, settings):
    settings.FOCAL_MAX_VARIANTS_PER_PHOTO = 3
    photo = add_photo(alice)
    client = api(alice)
    ids = [ask(client, photo, effect="portrait", blur=b).json()["id"] for b in (1, 2, 3)]
    Variant.objects.update(status=Status.READY)
    assert_refused(ask(client, photo, effect="portrait", blur=4), 409, "too_many_variants", None)
    assert ask(client, photo, effect="portrait", blur=2).status_code == 200  # an existing one
    assert ask(client, add_photo(alice, seed=1), effect="cutout").status_code == 202
    assert client.delete(f"/api/variants/{ids[0]}/").status_code == 204
    assert ask(client, photo, effect="portrait", blur=4).status_code == 202


# --- Queues ---------------------------------------------------------------------------


def test_renders_have_a_queue_of_their_own():
    route = app.amqp.router.route
    assert route({}, "effects.tasks.render_variant")["queue"].name == "renders"
    assert route({}, "gallery.tasks.process_photo")["queue"].name == "photos"

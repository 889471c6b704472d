"""/api/photos/{id}/variants/ and /api/variants/{id}/: validation, permissions, caching, and
rendering with the real model (in process; tests/test_effects_worker.py runs the worker)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from effects.models import Variant
from effects.rendering import render_variant
from effects.tasks import render_variant as render_task
from gallery import files
from gallery.models import Moderation, Status
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def portrait_of(add_photo):
    """A processed photo of a person, owned by `owner`."""

    def make(owner, **kw):
        photo = add_photo(owner, data=images.person_photo(), **kw)
        process_photo(photo.pk)
        photo.refresh_from_db()
        return photo

    return make


def post(client, target, **data):
    return client.post(f"/api/photos/{target.pk}/variants/", data, format="json")


def test_it_queues_a_portrait_and_answers_202(api, alice, portrait_of):
    photo = portrait_of(alice)
    response = post(api(alice), photo, effect="portrait", subject="auto", blur=50)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["photo"] == photo.pk
    assert body["spec"] == "portrait:subject=auto,blur=50,bokeh=gaussian"
    assert body["params"] == {"subject": "auto", "blur": 50, "bokeh": "gaussian"}


def test_the_same_parameters_return_the_existing_variant(api, alice, portrait_of):
    photo = portrait_of(alice)
    first = post(api(alice), photo, effect="portrait", subject="person", blur=40)
    # Same spec written differently: the default bokeh given explicitly.
    again = post(api(alice), photo, effect="portrait", subject="person", blur=40, bokeh="gaussian")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Variant.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"effect": "PORTRAIT"}, "effect:"),  # the page's form may say it so; the API may not
        ({"effect": "portrait", "subject": " person"}, "subject"),
        ({"effect": "portrait", "blur": "50"}, "blur"),
        ({"effect": "portrait", "blur": 50.5}, "blur"),
        ({"effect": "background", "color": "#00FF00 "}, "color"),
        ({"effect": "background", "photo": "7"}, "photo"),
    ],
)
def test_the_api_takes_exactly_what_its_schema_says(api, alice, add_photo, data, words):
    response = post(api(alice), add_photo(alice), **data)
    assert response.status_code == 400, response.json()
    assert words in response.json()["error"]["message"]
    assert not Variant.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "effect"),
        ({"effect": "sepia"}, "effect"),
        ({"effect": "portrait", "blur": 101}, "blur"),
        ({"effect": "portrait", "blur": "strong"}, "blur"),
        ({"effect": "portrait", "bokeh": "hexagon"}, "bokeh"),
        ({"effect": "portrait", "subject": "unicorn"}, "subject"),
        ({"effect": "portrait", "subject": "1.5,0.2"}, "subject"),
        ({"effect": "colorpop", "blur": 10}, "blur"),
        ({"effect": "background"}, "color"),
        ({"effect": "background", "color": "#12345"}, "color"),
        ({"effect": "background", "color": "#123456", "photo": 3}, "color"),
        ({"effect": "cutout", "sharpen": 1}, "sharpen"),
    ],
)
def test_it_rejects_bad_parameters_with_a_message(api, alice, add_photo, data, field):
    photo = add_photo(alice)
    response = post(api(alice), photo, **data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"].startswith(f"{field}:")
    assert not Variant.objects.exists()


def test_only_the_owner_makes_variants(api, alice, bob, add_photo):
    photo = add_photo(alice, visibility="public", moderation=Moderation.APPROVED)
    assert post(api(bob), photo, effect="portrait").status_code == 403
    assert post(api(), photo, effect="portrait").status_code in (401, 403)
    assert not Variant.objects.exists()


def test_variants_of_a_private_photo_are_invisible_to_others(api, alice, bob, portrait_of):
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="portrait").json()["id"]
    render_variant(variant_id)
    body = api(alice).get(f"/api/variants/{variant_id}/").json()
    for client in (api(bob), api()):
        assert client.get(f"/api/variants/{variant_id}/").status_code == 404
        assert client.get(f"/api/photos/{photo.pk}/variants/").status_code == 404
        assert client.get(body["image_url"]).status_code == 404
        assert client.get(body["mask_url"]).status_code == 404
        assert post(client, photo, effect="cutout").status_code in (401, 403, 404)


def test_others_see_variants_of_a_shared_photo(api, alice, bob, portrait_of):
    photo = portrait_of(alice, visibility="public", moderation=Moderation.APPROVED)
    variant_id = post(api(alice), photo, effect="colorpop").json()["id"]
    render_variant(variant_id)
    listed = api(bob).get(f"/api/photos/{photo.pk}/variants/").json()["results"]
    assert [v["id"] for v in listed] == [variant_id]
    assert api().get(listed[0]["image_url"]).status_code == 200
    assert api(bob).delete(f"/api/variants/{variant_id}/").status_code == 403


def test_a_rendered_portrait_has_an_image_and_a_full_size_matte(api, alice, portrait_of):
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="portrait", subject="person", blur=60).json()["id"]
    assert render_variant(variant_id) == "ready"
    body = api(alice).get(f"/api/variants/{variant_id}/").json()
    assert body["status"] == "ready" and body["subject"] == "person" and body["error"] == ""
    variant = Variant.objects.get(pk=variant_id)
    result = Image.open(files.media_path(str(variant.image.name)))
    matte = Image.open(files.media_path(str(variant.matte.name)))
    assert result.format == "JPEG" and result.size == (photo.width, photo.height)
    assert matte.format == "PNG" and matte.mode == "L" and matte.size == result.size
    alpha = np.asarray(matte)
    assert 0.05 < (alpha > 127).mean() < 0.95  # a subject, not the whole frame or nothing
    assert files.media_path(photo.original.name).read_bytes() == images.person_photo()
    assert api(alice).get(body["mask_url"])["Content-Type"] == "image/png"
    assert render_variant(variant_id) == "skipped"  # idempotent


def test_a_cutout_is_a_png_with_alpha(api, alice, portrait_of):
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="cutout").json()["id"]
    render_variant(variant_id)
    image = Image.open(files.media_path(str(Variant.objects.get(pk=variant_id).image.name)))
    assert image.format == "PNG" and image.mode == "RGBA"


def test_a_missing_subject_fails_with_a_readable_reason(api, alice, portrait_of):
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="portrait", subject="cat").json()["id"]
    assert render_task.apply(args=(variant_id,)).get() == "failed"
    body = api(alice).get(f"/api/variants/{variant_id}/").json()
    assert body["status"] == "failed" and "No cat found" in body["error"]
    assert body["image_url"] is None
    # Asking again queues it again rather than returning the failure forever.
    again = post(api(alice), photo, effect="portrait", subject="cat")
    assert again.status_code == 202 and again.json()["status"] == "pending"


def test_missing_models_fail_with_instructions(api, alice, portrait_of, settings, tmp_path):
    settings.FOCAL_MODEL_DIR = tmp_path / "no-models"
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="portrait").json()["id"]
    assert render_task.apply(args=(variant_id,)).get() == "failed"
    assert "fetch_models" in Variant.objects.get(pk=variant_id).error


def test_background_with_another_photo(api, alice, portrait_of, add_photo):
    photo = portrait_of(alice)
    other = add_photo(alice, data=images.jpeg(400, 300, seed=3))
    variant_id = post(api(alice), photo, effect="background", photo=other.pk).json()["id"]
    assert render_variant(variant_id) == "ready"


def test_deleting_the_photo_deletes_its_variants_and_files(
    api, alice, portrait_of, django_capture_on_commit_callbacks
):
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="portrait").json()["id"]
    render_variant(variant_id)
    variant = Variant.objects.get(pk=variant_id)
    paths = [files.media_path(str(variant.image.name)), files.media_path(str(variant.matte.name))]
    assert all(p.exists() for p in paths)
    assert api(alice).delete(f"/api/photos/{photo.pk}/").status_code == 204  # to the trash
    assert all(p.exists() for p in paths)
    assert api(alice).get(f"/api/variants/{variant_id}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert api(alice).delete(f"/api/trash/{photo.pk}/").status_code == 204
    assert not Variant.objects.exists()
    assert not any(p.exists() for p in paths)


def test_the_owner_deletes_a_variant(api, alice, portrait_of, django_capture_on_commit_callbacks):
    photo = portrait_of(alice)
    variant_id = post(api(alice), photo, effect="colorpop").json()["id"]
    render_variant(variant_id)
    image = files.media_path(str(Variant.objects.get(pk=variant_id).image.name))
    with django_capture_on_commit_callbacks(execute=True):
        assert api(alice).delete(f"/api/variants/{variant_id}/").status_code == 204
    assert not image.exists() and not Variant.objects.exists()
    photo.refresh_from_db()
    assert photo.status == Status.READY  # the photo itself is untouched

"""Saving a ready variant as a new photo: POST /variants/{id}/save-as-photo (the page's form)
and POST /api/variants/{id}/save-as-photo/. alice owns the photo; bob must not save it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import ExifTags, Image

from duplicates.finding import find_for
from duplicates.groups import groups_of
from effects.copies import copy_title, save_as_photo
from effects.models import Variant
from effects.rendering import render_variant
from faces.models import Face
from focal.usererror import UserError
from gallery import actions, files
from gallery.imaging import encode_image, load_rgb
from gallery.models import Moderation, Photo, Status
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db

GPS = ExifTags.IFD.GPSInfo


def variant_of(photo: Photo, *, status: str = Status.READY, seed: int = 7) -> Variant:
    """A hide-faces variant of `photo` whose image is written as the renderer writes one."""
    variant = Variant.objects.create(
        photo=photo, effect="hide_faces", spec="hide_faces:style=blur,faces=all", status=status
    )
    if status == Status.READY:
        name = variant.storage_name("image", "jpg")
        files.write_atomic(name, encode_image(images.pixels(120, 80, seed=seed), "JPEG"))
        Variant.objects.filter(pk=variant.pk).update(image=name)
        variant.refresh_from_db()
    return variant


@pytest.fixture
def ready(alice, add_photo) -> Variant:
    return variant_of(add_photo(alice, title="Beach"))


def with_location(jpeg: bytes) -> bytes:
    """The photo with the EXIF a phone writes: where, when and with what it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Pixel", "Pixel 8"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:07:14 10:30:00"
    exif.get_ifd(GPS).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def test_the_copy_has_the_variants_pixels_and_none_of_the_originals_metadata(alice):
    upload = SimpleUploadedFile("astronaut.jpg", with_location(images.person_photo()))
    photo = actions.add_photo(alice, upload, title="Astronaut").photo
    assert (
        Image.open(files.media_path(str(photo.original.name))).getexif().get_ifd(GPS)
    )  # it has one
    assert photo.camera and photo.taken_at
    assert process_photo(photo.pk) == "ready" and Face.objects.filter(photo=photo).count() == 1
    variant = Variant.objects.create(
        photo=photo, effect="hide_faces", spec="hide_faces:style=blur,faces=all"
    )
    assert render_variant(variant.pk) == "ready"
    variant.refresh_from_db()

    added = save_as_photo(alice, variant)

    copy = added.photo
    assert not added.duplicate and copy.pk != photo.pk and copy.sha256 != photo.sha256
    assert (copy.owner, copy.title, copy.visibility) == (
        alice,
        "Astronaut (faces blurred)",
        "private",
    )
    variant_file = files.media_path(str(variant.image.name))
    copy_file = files.media_path(str(copy.original.name))
    assert copy_file.read_bytes() == variant_file.read_bytes()
    assert np.array_equal(load_rgb(copy_file), load_rgb(variant_file))
    with Image.open(copy_file) as stored:
        assert not stored.getexif() and "exif" not in stored.info and "xmp" not in stored.info
        assert "icc_profile" not in stored.info
    assert (copy.camera, copy.taken_at, copy.exif) == ("", None, {})
    assert (copy.width, copy.height) == (photo.width, photo.height)
    # An upload like any other: processed, with the faces looked for again (they are blurred).
    assert process_photo(copy.pk) == "ready"
    copy.refresh_from_db()
    assert copy.status == Status.READY and copy.preview
    assert Face.objects.filter(photo=copy).count() == 0
    photo.refresh_from_db()
    assert photo.visibility == "private" and photo.status == Status.READY  # untouched
    # The copy matches its original as a duplicate would (appearance 0.997 measured), but
    # keeping one of them must not be proposed: that could trash the shared copy.
    find_for(copy.pk)
    find_for(photo.pk)
    assert groups_of(alice) == []


def test_a_public_copy_waits_for_review_and_the_original_stays_private(api, alice, bob, ready):
    response = api(alice).post(
        f"/api/variants/{ready.pk}/save-as-photo/", {"visibility": "public"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    copy = Photo.objects.get(pk=body["id"])
    assert body["title"] == "Beach (faces blurred)" and body["duplicate"] is False
    assert (copy.visibility, copy.moderation) == ("public", Moderation.PENDING)
    assert body["page_url"].endswith(f"/photos/{copy.pk}/")
    assert not Photo.objects.visible_to(bob).filter(pk=copy.pk).exists()  # until approved
    ready.photo.refresh_from_db()
    assert ready.photo.visibility == "private"


def test_a_copy_is_private_unless_asked(api, alice, ready):
    response = api(alice).post(f"/api/variants/{ready.pk}/save-as-photo/", format="json")
    assert response.status_code == 201
    assert response.json()["visibility"] == "private"
    assert response.json()["who_sees_it"] == "Only you can see it."


def test_saving_a_variant_again_gives_the_same_photo_with_the_visibility_asked_for(
    api, alice, ready
):
    client = api(alice)
    url = f"/api/variants/{ready.pk}/save-as-photo/"
    first = client.post(url, {}, format="json").json()
    again = client.post(url, {"visibility": "public"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["duplicate"] is True
    assert again.json()["visibility"] == "public" and again.json()["moderation"] == "pending"
    assert again.json()["who_sees_it"] == "Everyone will see it once a moderator approves it."
    unchanged = client.post(url, {}, format="json").json()  # not asked: left as it is
    assert unchanged["visibility"] == "public"
    assert Photo.objects.filter(owner=alice).count() == 2


def test_bob_may_not_save_a_variant_of_alices_photo(api, login, alice, bob, add_photo):
    shared = variant_of(add_photo(alice, visibility="public", moderation=Moderation.APPROVED))
    response = api(bob).post(f"/api/variants/{shared.pk}/save-as-photo/", format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    page = login(bob).post(f"/variants/{shared.pk}/save-as-photo")
    assert page.status_code == 403 and "Only the owner" in page.content.decode()
    private = variant_of(add_photo(alice, seed=5), seed=8)
    assert api(bob).post(f"/api/variants/{private.pk}/save-as-photo/").status_code == 404
    assert login(bob).post(f"/variants/{private.pk}/save-as-photo").status_code == 404
    assert not Photo.objects.filter(owner=bob).exists()
    assert Photo.objects.filter(owner=alice).count() == 2


def test_anonymous_visitors_are_refused(api, login, alice, add_photo):
    shared = variant_of(add_photo(alice, visibility="public", moderation=Moderation.APPROVED))
    assert api().post(f"/api/variants/{shared.pk}/save-as-photo/").status_code == 401
    page = login().post(f"/variants/{shared.pk}/save-as-photo")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert Photo.objects.count() == 1


def test_a_variant_must_be_ready(api, alice, add_photo):
    photo = add_photo(alice)
    client = api(alice)
    for status, says in ((Status.PENDING, "still rendering"), (Status.FAILED, "failed")):
        variant = variant_of(photo, status=status)
        response = client.post(f"/api/variants/{variant.pk}/save-as-photo/")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "variant_not_ready"
        assert says in response.json()["error"]["message"]
        variant.delete()
    assert Photo.objects.count() == 1


def test_the_variants_of_a_photo_in_the_trash_cannot_be_saved(api, login, alice, ready):
    Photo.objects.filter(pk=ready.photo_id).update(trashed_at=timezone.now())
    assert api(alice).post(f"/api/variants/{ready.pk}/save-as-photo/").status_code == 404
    assert login(alice).post(f"/variants/{ready.pk}/save-as-photo").status_code == 404
    ready.photo.refresh_from_db()
    with pytest.raises(UserError) as refused:
        save_as_photo(alice, ready)
    assert refused.value.code == "photo_in_trash"


def test_the_upload_limits_apply(api, alice, ready, settings):
    client = api(alice)
    url = f"/api/variants/{ready.pk}/save-as-photo/"
    settings.FOCAL_MAX_QUEUED_UPLOADS = 1  # the photo itself is still waiting to be processed
    response = client.post(url)
    assert response.status_code == 429 and response["Retry-After"] == "5"
    settings.FOCAL_MAX_QUEUED_UPLOADS = 50
    settings.FOCAL_MAX_UPLOAD_BYTES = 1000
    response = client.post(url)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert Photo.objects.count() == 1


def test_the_api_refuses_unknown_fields_and_visibilities(api, alice, ready):
    client = api(alice)
    url = f"/api/variants/{ready.pk}/save-as-photo/"
    assert client.post(url, {"visibility": "friends"}, format="json").status_code == 400
    assert client.post(url, {"title": "Mine"}, format="json").status_code == 400
    assert Photo.objects.count() == 1


def test_the_page_form_saves_the_copy_and_opens_it(login, alice, ready):
    client = login(alice)
    response = client.post(f"/variants/{ready.pk}/save-as-photo", {"visibility": "public"})
    copy = Photo.objects.exclude(pk=ready.photo_id).get()
    assert response.status_code == 302 and response["Location"] == copy.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert "Saved as a new photo, “Beach (faces blurred)”." in page
    assert "Everyone will see it once a moderator approves it." in page
    assert copy.visibility == "public" and copy.moderation == Moderation.PENDING


def test_the_page_form_needs_the_csrf_token(alice, ready):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/variants/{ready.pk}/save-as-photo").status_code == 403
    # The API with the session (the page's script) needs it too.
    api_url = f"/api/variants/{ready.pk}/save-as-photo/"
    assert client.post(api_url, "{}", content_type="application/json").status_code == 403
    assert Photo.objects.count() == 1
    page = client.get(f"/photos/{ready.photo_id}/")
    token = page.cookies["csrftoken"].value
    response = client.post(f"/variants/{ready.pk}/save-as-photo", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Photo.objects.count() == 2


def test_only_the_owner_sees_the_button_and_only_on_ready_variants(login, alice, bob, add_photo):
    photo = add_photo(alice, visibility="public", moderation=Moderation.APPROVED)
    ready = variant_of(photo)
    Variant.objects.create(
        photo=photo, effect="hide_faces", spec="hide_faces:style=emoji,faces=all"
    )
    mine = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert mine.count("Save as a new photo") == 1
    assert f'action="/variants/{ready.pk}/save-as-photo"' in mine
    assert "Save as a new photo" not in login(bob).get(f"/photos/{photo.pk}/").content.decode()


@pytest.mark.parametrize(
    ("spec", "suffix"),
    [
        ("hide_faces:style=blur,faces=all", "(faces blurred)"),
        ("hide_faces:style=pixelate,faces=others", "(faces pixelated)"),
        ("hide_faces:style=emoji,faces=all", "(faces hidden by emoji)"),
        ("portrait:subject=auto,blur=50,bokeh=gaussian", "(portrait)"),
        ("gaze:direction=left,strength=50", "(eyes moved)"),
        ("background:subject=auto,color=#00ff00", "(new background)"),
        ("cutout:subject=auto", "(cut-out)"),
    ],
)
def test_the_copy_is_named_after_the_effect_and_its_style(alice, add_photo, spec, suffix):
    photo = add_photo(alice, title="Harbour")
    variant = Variant(photo=photo, effect=spec.split(":")[0], spec=spec)
    assert copy_title(variant) == f"Harbour {suffix}"


def test_a_long_title_keeps_the_effects_name(alice, add_photo):
    photo = add_photo(alice, title="x" * 200)
    title = copy_title(variant_of(photo))
    assert len(title) == 200 and title.endswith(" (faces blurred)")
    untitled = add_photo(alice, seed=3, title="")
    Photo.objects.filter(pk=untitled.pk).update(title="")
    untitled.refresh_from_db()
    portrait = Variant(
        photo=untitled, effect="portrait", spec="portrait:subject=auto,blur=50,bokeh=gaussian"
    )
    assert copy_title(portrait) == "Untitled (portrait)"

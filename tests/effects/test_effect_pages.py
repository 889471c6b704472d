"""The photo page's effects panel and its form fallback (no JavaScript)."""

from __future__ import annotations

import re

import pytest

from effects.models import Variant
from effects.rendering import render_variant
from gallery.models import Moderation
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db


def test_the_owner_sees_the_portrait_button_and_subject_choices(login, alice, add_photo):
    photo = add_photo(alice)
    page = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert 'value="portrait"' in page and ">Portrait<" in page
    for subject in ("auto", "person", "cat", "dog"):
        assert f'<option value="{subject}"' in page
    assert "effects/effects.js" in page


def test_others_see_no_controls(login, alice, bob, add_photo):
    photo = add_photo(alice, visibility="public", moderation=Moderation.APPROVED)
    page = login(bob).get(f"/photos/{photo.pk}/").content.decode()
    # Nothing made yet: no empty effects box, and no empty same-subject box either.
    assert 'id="effect-form"' not in page and 'id="effects"' not in page
    assert 'id="same-subject"' not in page and 'id="similar"' in page
    Variant.objects.create(
        photo=photo, effect="portrait", spec="portrait:subject=auto,blur=50", status="ready"
    )
    page = login(bob).get(f"/photos/{photo.pk}/").content.decode()
    assert 'id="effects"' in page and 'id="effect-form"' not in page


def test_the_form_makes_a_portrait_with_the_chosen_options(login, alice, add_photo):
    photo = add_photo(alice)
    form = {"action": "portrait", "subject": "dog", "blur": "70", "bokeh": "disc",
            "color": "#ff0000", "photo": ""}  # fmt: skip
    response = login(alice).post(f"/photos/{photo.pk}/variants/new", form)
    variant = Variant.objects.get()
    assert variant.spec == "portrait:subject=dog,blur=70,bokeh=disc"
    assert response.status_code == 302 and f"variant={variant.pk}" in response["Location"]


def test_the_form_makes_a_background_colour_variant(login, alice, add_photo):
    photo = add_photo(alice)
    form = {"action": "background-color", "subject": "auto", "blur": "50", "color": "#00FF00"}
    login(alice).post(f"/photos/{photo.pk}/variants/new", form)
    assert Variant.objects.get().spec == "background:subject=auto,color=#00ff00"


def test_a_bad_form_says_why(login, alice, add_photo):
    photo = add_photo(alice)
    client = login(alice)
    form = {"action": "portrait", "blur": "500"}
    response = client.post(f"/photos/{photo.pk}/variants/new", form)
    assert response.status_code == 400
    assert "blur is a whole number from 0" in response.content.decode()
    assert not Variant.objects.exists()


def test_others_cannot_post_the_form(login, alice, bob, add_photo):
    photo = add_photo(alice, visibility="public", moderation=Moderation.APPROVED)
    response = login(bob).post(f"/photos/{photo.pk}/variants/new", {"action": "portrait"})
    assert response.status_code == 404 and not Variant.objects.exists()
    assert (
        login().post(f"/photos/{photo.pk}/variants/new", {"action": "portrait"}).status_code == 302
    )


def test_the_form_needs_the_csrf_token(alice, add_photo):
    from django.test import Client

    photo = add_photo(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert (
        client.post(f"/photos/{photo.pk}/variants/new", {"action": "portrait"}).status_code == 403
    )


def test_a_ready_variant_shows_in_the_before_after_viewer(login, alice, add_photo, api):
    photo = add_photo(alice, data=images.person_photo())
    process_photo(photo.pk)
    url = f"/api/photos/{photo.pk}/variants/"
    variant_id = api(alice).post(url, {"effect": "portrait"}, format="json").json()["id"]
    render_variant(variant_id)
    page = login(alice).get(f"/photos/{photo.pk}/?variant={variant_id}").content.decode()
    assert f"/variants/{variant_id}/file/image?v=" in page
    assert f'data-current="{variant_id}"' in page
    assert "Portrait" in page and "automatic subject (person) · blur 50 · soft bokeh" in page
    download = login(alice).get(f"/variants/{variant_id}/file/image?download=1")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]


def with_a_face(photo):
    from faces.models import Face

    return Face.objects.create(
        photo=photo, x=10, y=8, w=40, h=40, score=0.9, left_eye_x=38, left_eye_y=22,
        right_eye_x=22, right_eye_y=22, expression="smiling",
    )  # fmt: skip


def test_the_face_effects_show_only_for_a_photo_with_faces(login, alice, add_photo):
    client = login(alice)
    plain = add_photo(alice)
    page = client.get(f"/photos/{plain.pk}/").content.decode()
    assert "No faces were found in this photo" in page and 'value="gaze-direction"' not in page
    assert 'id="hide-faces-offer"' not in page
    photo = add_photo(alice, seed=2)
    face = with_a_face(photo)
    page = client.get(f"/photos/{photo.pk}/").content.decode()
    assert 'value="gaze-direction"' in page and 'value="hide_faces"' in page
    assert '<option value="all">The face</option>' in page
    assert f'<option value="{face.pk}">' not in page  # "Only face 1" would say the same
    assert 'id="hide-faces-offer"' in page  # private with faces: offered when made public


def test_each_face_of_several_is_told_apart_by_its_place_from_the_left(login, alice, add_photo):
    from faces.models import Face

    photo = add_photo(alice)
    faces = [
        Face.objects.create(
            photo=photo,
            x=x,
            y=8,
            w=10,
            h=10,
            score=0.9,
            left_eye_x=x + 7,
            left_eye_y=12,
            right_eye_x=x + 3,
            right_eye_y=12,
            expression="smiling",
        )  # fmt: skip
        for x in (40, 2, 21)  # made out of order: the labels go by place
    ]
    page = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    labels = re.findall(r'<option value="(\d+)">(Only the [^<]*)</option>', page)
    assert labels == [
        (str(faces[1].pk), "Only the 1st from the left (smiling)"),
        (str(faces[2].pk), "Only the 2nd from the left (smiling)"),
        (str(faces[0].pk), "Only the 3rd from the left (smiling)"),
    ]
    assert '<option value="all">All 3 faces</option>' in page


def test_the_form_makes_gaze_and_hide_faces_variants(login, alice, add_photo):
    photo = add_photo(alice)
    face = with_a_face(photo)
    client = login(alice)
    url = f"/photos/{photo.pk}/variants/new"
    form = {"action": "gaze-direction", "direction": "up", "strength": "70", "point": "",
            "style": "blur", "faces": "all", "subject": "auto", "blur": "50"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    form.update(action="hide_faces", style="emoji", faces=str(face.pk))
    assert client.post(url, form).status_code == 302
    specs = set(Variant.objects.values_list("spec", flat=True))
    assert specs == {
        "gaze:direction=up,strength=70",
        f"hide_faces:style=emoji,faces=ids({face.pk})",
    }

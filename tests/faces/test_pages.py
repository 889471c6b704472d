"""The faces parts of the pages: the viewer's panel (owner only) and the labelling page."""

from __future__ import annotations

import json

import pytest

from gallery.models import Photo, Status

pytestmark = pytest.mark.django_db


def ready(photo):
    Photo.objects.filter(pk=photo.pk).update(status=Status.READY, preview="p.jpg")
    photo.refresh_from_db()
    return photo


def test_the_owner_gets_the_eyes_panel(login, alice, add_photo):
    photo = ready(add_photo(alice))
    html = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert 'id="eyes-toggle"' in html
    assert "faces/eyes.js" in html


def test_others_do_not_get_the_eyes_panel(login, alice, bob, add_photo):
    photo = ready(add_photo(alice, visibility="public", moderation="approved"))
    html = login(bob).get(f"/photos/{photo.pk}/").content.decode()
    assert 'id="eyes-toggle"' not in html
    assert "faces/eyes.js" not in html


def queue_of(response) -> list[dict]:
    html = response.content.decode()
    start = html.index('<script id="label-queue" type="application/json">') + len(
        '<script id="label-queue" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_labelling_page_lists_only_your_faces(login, alice, bob, add_photo, add_face):
    mine = add_face(ready(add_photo(alice, seed=1)))
    add_face(ready(add_photo(bob, seed=2, visibility="public", moderation="approved")))
    response = login(alice).get("/faces/label/")
    assert response.status_code == 200
    queue = queue_of(response)
    assert [entry["id"] for entry in queue] == [mine.pk]
    assert queue[0]["left_eye"] == [40.0, 30.0]
    assert "landmarks" not in queue[0]


def test_the_labelling_page_starts_at_the_photo_asked_for(login, alice, add_photo, add_face):
    first = add_face(ready(add_photo(alice, seed=1)))
    second = add_face(ready(add_photo(alice, seed=2)))
    response = login(alice).get(f"/faces/label/?photo={first.photo_id}")
    queue = queue_of(response)
    start = int(response.content.decode().split('data-start="')[1].split('"')[0])
    assert {e["id"] for e in queue} == {first.pk, second.pk}
    assert queue[start]["id"] == first.pk


def test_the_labelling_page_says_when_there_is_nothing_to_label(login, alice):
    response = login(alice).get("/faces/label/")
    assert "None of your photos has a face yet" in response.content.decode()


def test_the_labelling_page_needs_a_signed_in_user(client):
    response = client.get("/faces/label/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

"""Who sees what: alice's private photo is invisible to bob and to anonymous visitors on every
page and endpoint; a pending public photo is invisible to others until a moderator approves it."""

from __future__ import annotations

import pytest

from gallery.models import Moderation, Photo
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db

FILES = ["original", "thumb", "preview"]


@pytest.fixture
def private_photo(alice, add_photo):
    photo = add_photo(alice, seed=11, title="alice-private")
    process_photo(photo.pk)
    return photo


@pytest.fixture
def pending_public_photo(alice, add_photo):
    photo = add_photo(alice, seed=12, title="alice-pending", visibility="public")
    process_photo(photo.pk)
    assert photo.moderation == Moderation.PENDING
    return photo


def page_urls(photo):
    return [f"/photos/{photo.pk}/"] + [f"/photos/{photo.pk}/file/{kind}" for kind in FILES]


def assert_hidden(login, api, viewer, photo):
    """Nothing about `photo` reaches `viewer`: pages 404, lists omit it, writes fail."""
    client = login(viewer)
    for url in page_urls(photo):
        assert client.get(url).status_code == 404, url
    for url in ("/", "/?show=mine", "/?page=1"):
        assert photo.title not in client.get(url).content.decode(), url
    rest = api(viewer)
    assert rest.get(f"/api/photos/{photo.pk}/").status_code == 404
    listing = rest.get("/api/photos/", {"ids": str(photo.pk)}).json()
    assert listing["count"] == 0 and listing["results"] == []
    assert rest.get("/api/photos/").json()["count"] == 0
    for method in ("patch", "delete"):
        assert getattr(rest, method)(f"/api/photos/{photo.pk}/").status_code in (401, 404)
    if viewer is not None:
        for action in ("update", "delete", "reprocess"):
            response = client.post(f"/photos/{photo.pk}/{action}", {"visibility": "public"})
            assert response.status_code == 404, action
    assert Photo.objects.filter(pk=photo.pk, visibility=photo.visibility).exists()


def assert_visible(login, api, viewer, photo):
    client = login(viewer)
    for url in page_urls(photo):
        assert client.get(url).status_code == 200, url
    assert photo.title in client.get("/").content.decode()
    assert api(viewer).get(f"/api/photos/{photo.pk}/").status_code == 200


def test_the_owner_sees_her_private_photo(login, api, alice, private_photo):
    assert_visible(login, api, alice, private_photo)


def test_a_private_photo_is_hidden_from_bob(login, api, bob, private_photo):
    assert_hidden(login, api, bob, private_photo)


def test_a_private_photo_is_hidden_from_anonymous_visitors(login, api, private_photo):
    assert_hidden(login, api, None, private_photo)


def test_a_private_photo_is_hidden_from_staff_too(login, api, moderator, private_photo):
    client = login(moderator)
    for url in page_urls(private_photo):
        assert client.get(url).status_code == 404, url
    assert private_photo.title not in client.get("/review/").content.decode()


def test_a_pending_public_photo_is_hidden_until_approved(
    login, api, alice, bob, moderator, pending_public_photo
):
    photo = pending_public_photo
    assert_hidden(login, api, bob, photo)
    assert_hidden(login, api, None, photo)
    assert photo.title in login(moderator).get("/review/").content.decode()
    assert login(moderator).get(f"/photos/{photo.pk}/").status_code == 200

    response = login(moderator).post(
        "/review/decide", {"photo": [photo.pk], "decision": "approved"}
    )
    assert response.status_code == 302
    assert_visible(login, api, bob, photo)
    assert_visible(login, api, None, photo)


def test_a_rejected_photo_stays_hidden(login, api, bob, pending_public_photo):
    Photo.objects.filter(pk=pending_public_photo.pk).update(moderation=Moderation.REJECTED)
    assert_hidden(login, api, bob, pending_public_photo)


def test_bob_cannot_change_an_approved_public_photo(login, api, bob, pending_public_photo):
    photo = pending_public_photo
    Photo.objects.filter(pk=photo.pk).update(moderation=Moderation.APPROVED)
    rest = api(bob)
    assert rest.patch(f"/api/photos/{photo.pk}/", {"title": "mine now"}).status_code == 403
    assert rest.delete(f"/api/photos/{photo.pk}/").status_code == 403
    assert login(bob).post(f"/photos/{photo.pk}/delete").status_code == 404
    assert Photo.objects.get(pk=photo.pk).title == "alice-pending"


def test_only_staff_reach_the_review_queue(login, bob):
    assert login(bob).get("/review/").status_code == 302
    assert login().get("/review/").status_code == 302
    assert login(bob).post("/review/decide", {"decision": "approved"}).status_code == 302


def test_file_urls_accept_the_api_token(api, alice, bob, private_photo):
    url = f"/photos/{private_photo.pk}/file/thumb"
    assert api(alice).get(url).status_code == 200
    assert api(bob).get(url).status_code == 404
    stranger = api()
    stranger.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert stranger.get(url).status_code == 404

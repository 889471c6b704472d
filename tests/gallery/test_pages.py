"""Gallery pages: grid, detail, editing, deleting, accounts."""

from __future__ import annotations

import re

import pytest

from gallery import files
from gallery.models import Moderation, Photo, Status
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db


def test_the_grid_shows_my_photos_and_shared_ones(login, alice, bob, add_photo):
    mine = add_photo(alice, seed=1, title="alice-own")
    shared = add_photo(bob, seed=2, title="bob-shared", visibility="public", moderation="approved")
    hidden = add_photo(bob, seed=3, title="bob-private")
    for photo in (mine, shared, hidden):
        process_photo(photo.pk)
    html = login(alice).get("/").content.decode()
    assert "alice-own" in html and "bob-shared" in html and "bob-private" not in html
    mine_only = login(alice).get("/?show=mine").content.decode()
    assert "alice-own" in mine_only and "bob-shared" not in mine_only


def test_others_photos_appear_only_when_ready(login, alice, bob, add_photo):
    add_photo(bob, seed=2, title="bob-processing", visibility="public", moderation="approved")
    own = add_photo(alice, seed=1, title="alice-processing")
    html = login(alice).get("/").content.decode()
    assert "bob-processing" not in html
    assert "alice-processing" in html and "Processing…" in html
    assert own.status == Status.PENDING


def test_the_grid_continues_page_by_page_from_a_cursor(login, alice, add_photo, settings):
    settings.FOCAL_PAGE_SIZE = 2
    for seed in range(5):
        add_photo(alice, seed=seed, title=f"p{seed}")
    client = login(alice)
    html = client.get("/").content.decode()
    seen = []
    for _ in range(3):
        seen += re.findall(r'title="(p\d)"', html)
        more = re.search(r'data-next="\?after=([0-9.]+)"', html)
        if more is None:
            break
        html = client.get("/", {"after": more[1], "fragment": "1"}).content.decode()
        assert "<html" not in html  # scrolling fetches only the next photos
    assert seen == ["p4", "p3", "p2", "p1", "p0"]
    assert "That is everything" in html


def test_the_grid_is_built_for_phones(login):
    html = login().get("/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_the_detail_page_shows_metadata(login, alice, add_photo):
    photo = add_photo(alice, title="Harbour")
    process_photo(photo.pk)
    html = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert "Harbour" in html and "96 × 64" in html and "JPEG" in html
    assert f"/photos/{photo.pk}/file/preview" in html and "Move to trash" in html


def test_the_detail_page_explains_a_failure(login, alice, add_photo):
    photo = add_photo(alice)
    Photo.objects.filter(pk=photo.pk).update(status=Status.FAILED, error="Bad pixels.")
    html = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert "could not be processed" in html and "Bad pixels." in html and "Process again" in html


def test_the_owner_can_rename_and_share(login, alice, add_photo):
    photo = add_photo(alice)
    client = login(alice)
    client.post(f"/photos/{photo.pk}/update", {"title": "New name", "visibility": "public"})
    photo.refresh_from_db()
    assert (photo.title, photo.visibility, photo.moderation) == (
        "New name",
        "public",
        Moderation.PENDING,
    )


def test_deleting_removes_the_row_and_every_file(
    login, alice, add_photo, django_capture_on_commit_callbacks
):
    photo = add_photo(alice)
    process_photo(photo.pk)
    photo.refresh_from_db()
    folder = files.media_path(photo.folder)
    assert len(list(folder.iterdir())) == 4  # original, thumbnail, tile, preview
    client = login(alice)
    assert client.post(f"/photos/{photo.pk}/delete").status_code == 302  # to the trash
    assert folder.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/trash/delete", {"photo": [photo.pk]})
    assert response.status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert not folder.exists()


def test_reprocess_queues_the_photo_again(login, alice, add_photo):
    photo = add_photo(alice)
    Photo.objects.filter(pk=photo.pk).update(status=Status.FAILED, error="x")
    login(alice).post(f"/photos/{photo.pk}/reprocess")
    photo.refresh_from_db()
    assert (photo.status, photo.error) == (Status.PENDING, "")


def test_file_downloads_are_attachments_when_asked(login, alice, add_photo):
    photo = add_photo(alice, title="Sunset")
    response = login(alice).get(f"/photos/{photo.pk}/file/original?download=1")
    assert response["Content-Disposition"].startswith('attachment; filename="Sunset.jpg"')
    assert response["Content-Type"] == "image/jpeg"


def test_sign_up_log_in_and_out(login, django_user_model):
    client = login()
    response = client.post(
        "/accounts/signup/",
        {"username": "carol", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302 and response["Location"] == "/upload/"
    assert django_user_model.objects.filter(username="carol").exists()
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/upload/").status_code == 302
    client.post("/accounts/login/", {"username": "carol", "password": "a-long-pass-phrase"})
    assert client.get("/upload/").status_code == 200


def test_sign_up_can_be_turned_off(login, settings):
    settings.FOCAL_SIGNUP_ENABLED = False
    assert login().get("/accounts/signup/").status_code == 404
    assert "Sign up" not in login().get("/").content.decode()


def test_log_in_rejects_a_wrong_password(login, alice):
    response = login().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_renaming_a_shared_photo_says_it_goes_back_to_review(login, alice, add_photo):
    photo = add_photo(alice, title="old", visibility="public", moderation="approved")
    response = login(alice).post(
        f"/photos/{photo.pk}/update", {"title": "new", "visibility": "public"}, follow=True
    )
    html = response.content.decode()
    assert "Title saved." in html and "once a moderator approves the change" in html
    photo.refresh_from_db()
    assert photo.moderation == "pending"
    quiet = login(alice).post(
        f"/photos/{photo.pk}/update", {"title": "new", "visibility": "private"}, follow=True
    )
    assert "Only you can see it." in quiet.content.decode()


def test_the_photo_page_shows_a_message_once(login, alice, add_photo):
    photo = add_photo(alice, title="old")
    html = login(alice).post(f"/photos/{photo.pk}/update", {"title": "new"}, follow=True)
    assert html.content.decode().count("Title saved.") == 1

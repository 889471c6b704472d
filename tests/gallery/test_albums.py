"""Albums through the API and the pages, with who may see and change what."""

from __future__ import annotations

import io
import zipfile

import pytest

from gallery.albums import Reach
from gallery.models import Album, Photo
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(add_photo):
    def make(owner, seed, **kw):
        photo = add_photo(owner, seed=seed, **kw)
        process_photo(photo.pk)
        return photo

    return make


def test_alice_makes_renames_fills_and_deletes_an_album(api, alice, ready):
    photos = [ready(alice, s) for s in range(3)]
    client = api(alice)
    made = client.post("/api/albums/", {"title": "Lisbon", "ids": [photos[0].pk]}, format="json")
    assert made.status_code == 201 and made.json()["count"] == 1
    album_id = made.json()["id"]
    url = f"/api/albums/{album_id}/"
    added = client.post(f"{url}photos/", {"ids": [p.pk for p in photos]}, format="json")
    assert added.json() == {"added": 2}
    assert (
        client.patch(url, {"title": "Lisbon 2026"}, format="json").json()["title"] == "Lisbon 2026"
    )
    assert client.patch(url, {"cover": photos[2].pk}, format="json").status_code == 200
    assert [p["id"] for p in client.get(url).json()["photos"]] == [p.pk for p in photos[::-1]]
    removed = client.delete(f"{url}photos/", {"ids": [photos[1].pk]}, format="json")
    assert removed.json() == {"removed": 1}
    assert [a["id"] for a in client.get("/api/albums/").json()["results"]] == [album_id]
    assert client.delete(url).status_code == 204
    assert all(type(p).objects.filter(pk=p.pk).exists() for p in photos)  # photos stay


def test_nobody_puts_someone_elses_photo_in_an_album(api, alice, bob, ready):
    theirs = ready(bob, 1, visibility="public", moderation="approved")
    album = api(alice).post("/api/albums/", {"title": "Mine"}, format="json").json()
    added = api(alice).post(
        f"/api/albums/{album['id']}/photos/", {"ids": [theirs.pk]}, format="json"
    )
    assert added.json() == {"added": 0}
    # bob cannot change alice's album, private or public
    assert (
        api(bob)
        .post(f"/api/albums/{album['id']}/photos/", {"ids": [theirs.pk]}, format="json")
        .status_code
        == 404
    )
    api(alice).patch(f"/api/albums/{album['id']}/", {"visibility": "public"}, format="json")
    assert (
        api(bob).patch(f"/api/albums/{album['id']}/", {"title": "x"}, format="json").status_code
        == 403
    )
    assert api(bob).delete(f"/api/albums/{album['id']}/").status_code == 403


def test_a_public_album_shows_others_only_the_photos_they_may_see(api, login, alice, bob, ready):
    shared = ready(alice, 1, visibility="public", moderation="approved", title="shared-one")
    private = ready(alice, 2, title="private-one")
    waiting = ready(alice, 3, visibility="public", title="waiting-one")
    client = api(alice)
    album = client.post(
        "/api/albums/",
        {"title": "Mixed", "ids": [shared.pk, private.pk, waiting.pk]},
        format="json",
    ).json()
    url = f"/api/albums/{album['id']}/"
    assert api(bob).get(url).status_code == 404  # private album
    assert api().get(url).status_code == 404
    client.patch(url, {"visibility": "public", "cover": private.pk}, format="json")
    for visitor in (api(bob), api()):
        body = visitor.get(url).json()
        assert [p["id"] for p in body["photos"]] == [shared.pk] and body["count"] == 1
        assert f"/photos/{private.pk}/" not in (body["cover_url"] or "")
    page = login(bob).get(f"/albums/{album['id']}/").content.decode()
    assert "shared-one" in page and "private-one" not in page and "waiting-one" not in page
    zip_bytes = b"".join(login(bob).get(f"/albums/{album['id']}/download").streaming_content)
    assert zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist() == ["shared-one.jpg"]


def test_album_pages_make_and_list_albums(login, alice, ready):
    photo = ready(alice, 1, title="harbour")
    client = login(alice)
    response = client.post("/albums/new", {"title": "  Summer  ", "photo": [photo.pk]})
    album = Album.objects.get()
    assert response.status_code == 302 and album.title == "Summer"
    listing = client.get("/albums/").content.decode()
    assert "Summer" in listing and "1 photo" in listing
    client.post("/albums/add", {"photo": [photo.pk], "new_album": "Second"})
    assert Album.objects.count() == 2
    assert "harbour" in client.get(f"/albums/{album.pk}/").content.decode()
    assert client.post("/albums/new", {"title": "   "}).status_code == 400


def test_bulk_actions_set_visibility_and_fill_albums(api, alice, ready):
    photos = [ready(alice, s) for s in range(4)]
    ids = [p.pk for p in photos]
    client = api(alice)
    done = client.post(
        "/api/photos/bulk/", {"ids": ids, "action": "set_visibility", "visibility": "public"},
        format="json",
    )  # fmt: skip
    assert done.json() == {"done": 4}
    assert {type(p).objects.get(pk=p.pk).visibility for p in photos} == {"public"}
    album = client.post("/api/albums/", {"title": "A"}, format="json").json()
    into = client.post(
        "/api/photos/bulk/", {"ids": ids, "action": "add_to_album", "album": album["id"]},
        format="json",
    )  # fmt: skip
    assert into.json() == {"done": 4}
    bad = client.post("/api/photos/bulk/", {"ids": ids, "action": "set_visibility"}, format="json")
    assert bad.status_code == 400 and "visibility" in bad.json()["error"]["message"]
    assert (
        client.post("/api/photos/bulk/", {"ids": [], "action": "trash"}, format="json").status_code
        == 400
    )


def test_download_streams_a_zip_of_the_originals_one_may_see(login, alice, bob, ready):
    from gallery import files

    mine = [ready(alice, s, title="same") for s in range(2)]
    theirs = ready(bob, 5, title="bobs")
    response = login(alice).get(
        "/photos/download", {"ids": f"{mine[0].pk},{mine[1].pk},{theirs.pk}"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["same (2).jpg", "same.jpg"]
    originals = {files.media_path(p.original.name).read_bytes() for p in mine}
    assert {archive.read(name) for name in archive.namelist()} == originals
    assert archive.testzip() is None


def make_shared_album(login, owner, photos, title="Trip"):
    client = login(owner)
    client.post("/albums/new", {"title": title, "photo": [p.pk for p in photos]})
    album = Album.objects.get(title=title)
    saved = client.post(f"/albums/{album.pk}/update", {"visibility": "public"}, follow=True)
    return album, saved.content.decode()


def test_the_owner_of_a_shared_album_of_private_photos_is_told_others_see_none(login, alice, ready):
    photos = [ready(alice, s) for s in range(4)]
    client = login(alice)
    client.post("/albums/new", {"title": "Mine", "photo": [photos[0].pk]})
    page = client.get(f"/albums/{Album.objects.get().pk}/").content.decode()
    assert "only you can see this album" in page and "Others see" not in page
    album, page = make_shared_album(login, alice, photos)
    assert "Album saved: anyone with the link can open it." in page
    assert "Others see 0 of 4 photos: the other 4 are private." in page
    assert "select them and choose “Who sees them”, then “Everyone”" in page


def test_the_owner_is_told_why_each_hidden_photo_is_hidden(login, alice, ready):
    photos = [
        ready(alice, 1, visibility="public", moderation="approved"),
        ready(alice, 2),
        ready(alice, 3),
        ready(alice, 4, visibility="public"),
    ]
    album, page = make_shared_album(login, alice, photos)
    expected = (
        "Others see 1 of 4 photos: of the other 3, 2 are private and 1 is waiting for review."
    )
    assert expected in page
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
        visibility="public", moderation="approved"
    )
    page = login(alice).get(f"/albums/{album.pk}/").content.decode()
    assert "Others see all 4 photos." in page and "Others see 4 of" not in page


def test_the_api_tells_the_owner_what_others_see_as_the_page_does(api, alice, bob, ready):
    photos = [
        ready(alice, 1, visibility="public", moderation="approved"),
        ready(alice, 2),
        ready(alice, 3),
        ready(alice, 4, visibility="public"),
    ]
    client = api(alice)
    made = client.post(
        "/api/albums/", {"title": "Trip", "ids": [p.pk for p in photos]}, format="json"
    ).json()
    url = f"/api/albums/{made['id']}/"
    # Private, others see nothing of it: as on the page, there is nothing to count.
    assert made["others_see"] is None and client.get(url).json()["others_see"] is None
    shared = client.patch(url, {"visibility": "public"}, format="json").json()
    expected = {
        "seen": 1,
        "total": 4,
        "private": 2,
        "pending": 1,
        "rejected": 0,
        "sentence": "Others see 1 of 4 photos: of the other 3, "
        "2 are private and 1 is waiting for review.",
    }
    assert shared["others_see"] == expected
    assert client.get(url).json()["others_see"] == expected
    assert client.get("/api/albums/").json()["results"][0]["others_see"] == expected
    # Visitors get what they see (count, photos) and nothing about the photos they do not.
    for visitor in (api(bob), api()):
        body = visitor.get(url).json()
        assert body["others_see"] is None and body["count"] == 1


def test_visitors_are_told_there_is_nothing_they_may_see_not_that_it_is_empty(
    login, alice, bob, ready
):
    album, _ = make_shared_album(login, alice, [ready(alice, s) for s in range(4)])
    for visitor in (login(bob), login()):
        page = visitor.get(f"/albums/{album.pk}/").content.decode()
        assert "No photos here that you can see" in page
        assert "This album is empty" not in page
        assert "Others see" not in page and " 4 " not in page and "of 4" not in page
    empty, _ = make_shared_album(login, alice, [], title="Nothing yet")
    page = login(bob).get(f"/albums/{empty.pk}/").content.decode()
    assert "This album is empty" in page and "No photos here that you can see" not in page


@pytest.mark.parametrize(
    ("reach", "sentence"),
    [
        (Reach(total=1, seen=0, private=0, pending=0, rejected=1),
         "Others see 0 of 1 photo: it is rejected by a moderator."),
        (Reach(total=3, seen=2, private=1, pending=0, rejected=0),
         "Others see 2 of 3 photos: the other one is private."),
        (Reach(total=4, seen=0, private=2, pending=1, rejected=1),
         "Others see 0 of 4 photos: of the other 4, 2 are private, 1 is waiting for review "
         "and 1 is rejected by a moderator."),
        (Reach(total=1, seen=1, private=0, pending=0, rejected=0), "Others see its photo."),
        (Reach(total=0, seen=0, private=0, pending=0, rejected=0), ""),
    ],
)  # fmt: skip
def test_the_owner_reads_what_others_see_in_a_sentence(reach, sentence):
    assert reach.sentence() == sentence

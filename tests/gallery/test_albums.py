"""Albums through the API and the pages, with who may see and change what."""

from __future__ import annotations

import io
import zipfile

import pytest

from gallery.models import Album
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

"""The trash: a trashed photo is in no list, result, album or index; restore brings it all back;
delete for good removes every file; the periodic purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gallery import albums, trash
from gallery.models import Photo
from gallery.processing import process_photo
from search import queries
from search.service import photo_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(add_photo):
    def make(owner, seed, **kw):
        photo = add_photo(owner, seed=seed, **kw)
        process_photo(photo.pk)
        photo.refresh_from_db()
        return photo

    return make


def similar_ids(photo, user) -> set[int]:
    photo_index().sync(force=True)
    return {m.photo.pk for m in queries.similar_to_photo(photo, user, 10)}


def test_a_trashed_photo_leaves_every_list_result_album_and_index_and_comes_back(
    api, login, alice, bob, ready
):
    photos = [ready(alice, s, visibility="public", moderation="approved") for s in range(3)]
    gone = photos[1]
    album = albums.create_album(alice, "Trip", [p.pk for p in photos])
    assert gone.pk in similar_ids(photos[0], bob)

    assert api(alice).delete(f"/api/photos/{gone.pk}/").status_code == 204
    gone.refresh_from_db()
    assert gone.trashed_at is not None
    assert gone.pk not in similar_ids(photos[0], alice) | similar_ids(photos[0], bob)
    assert gone.pk not in photo_index().index.ids()
    listed = {p["id"] for p in api(alice).get("/api/photos/").json()["results"]}
    assert gone.pk not in listed
    assert api(bob).get(f"/api/photos/{gone.pk}/").status_code == 404
    assert login(alice).get(f"/photos/{gone.pk}/").status_code == 404
    assert gone.pk not in set(album.photos_for(alice).values_list("pk", flat=True))
    assert f'data-photo="{gone.pk}"' not in login(alice).get("/").content.decode()
    assert [p["id"] for p in api(alice).get("/api/trash/").json()["results"]] == [gone.pk]
    assert api(bob).get("/api/trash/").json()["results"] == []

    assert api(alice).post(f"/api/photos/{gone.pk}/restore/").status_code == 200
    assert gone.pk in similar_ids(photos[0], bob)
    assert gone.pk in set(album.photos_for(bob).values_list("pk", flat=True))
    assert f'data-photo="{gone.pk}"' in login(alice).get("/").content.decode()


def test_bob_cannot_trash_restore_or_delete_alices_photos(api, alice, bob, ready):
    photo = ready(alice, 1, visibility="public", moderation="approved")
    assert api(bob).delete(f"/api/photos/{photo.pk}/").status_code == 403
    response = api(bob).post(
        "/api/photos/bulk/", {"ids": [photo.pk], "action": "trash"}, format="json"
    )
    assert response.status_code == 200 and response.json()["done"] == 0
    trash.trash(alice, [photo.pk])
    assert api(bob).post(f"/api/photos/{photo.pk}/restore/").status_code == 404
    assert api(bob).delete(f"/api/trash/{photo.pk}/").status_code == 404
    assert Photo.objects.filter(pk=photo.pk, trashed_at__isnull=False).exists()


def test_delete_for_good_removes_the_rows_and_every_file(api, alice, ready, media_snapshot):
    photo = ready(alice, 1)
    assert media_snapshot()
    trash.trash(alice, [photo.pk])
    assert media_snapshot(), "trashing keeps the files"
    assert api(alice).delete(f"/api/trash/{photo.pk + 1000}/").status_code == 404
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api(alice).delete(f"/api/trash/{photo.pk}/").status_code == 204
    assert not Photo.objects.filter(pk=photo.pk).exists()
    assert media_snapshot() == []


def test_the_purge_deletes_only_what_has_been_in_the_trash_long_enough(alice, ready, settings):
    settings.FOCAL_TRASH_DAYS = 30
    old, recent, kept = ready(alice, 1), ready(alice, 2), ready(alice, 3)
    trash.trash(alice, [old.pk, recent.pk])
    Photo.objects.filter(pk=old.pk).update(trashed_at=timezone.now() - timedelta(days=31))
    assert trash.purge_expired() == 1
    assert set(Photo.objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}


def test_each_trashed_photo_says_how_long_it_has_left(login, alice, ready, settings):
    settings.FOCAL_TRASH_DAYS = 30
    fresh, older, last = ready(alice, 1), ready(alice, 2), ready(alice, 3)
    trash.trash(alice, [fresh.pk, older.pk, last.pk])
    now = timezone.now()
    Photo.objects.filter(pk=older.pk).update(trashed_at=now - timedelta(days=28, hours=1))
    Photo.objects.filter(pk=last.pk).update(trashed_at=now - timedelta(days=29, hours=23))
    html = login(alice).get("/trash/").content.decode()

    def label(photo: Photo) -> str:
        tile = html[html.index(f'data-photo="{photo.pk}"') :]
        return tile[
            tile.index('class="tile-label">') + 19 : tile.index(
                "</span>", tile.index('class="tile-label">')
            )
        ]

    assert label(fresh) == "30 days left"  # trashed a moment ago
    assert label(older) == "2 days left"  # 1 day 23 hours
    assert label(last) == "Less than a day left"
    # The purge agrees: none of them is due yet.
    assert trash.purge_expired() == 0


def test_uploading_a_trashed_photo_again_brings_it_back(api, alice, add_photo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import images

    photo = add_photo(alice, seed=9)
    trash.trash(alice, [photo.pk])
    upload = SimpleUploadedFile("again.jpg", images.jpeg(seed=9), "image/jpeg")
    response = api(alice).post("/api/photos/", {"image": upload}, format="multipart")
    assert response.status_code == 200 and response.json()["duplicate"] is True
    photo.refresh_from_db()
    assert photo.trashed_at is None


def test_trash_and_undo_on_the_pages(login, alice, ready):
    photo = ready(alice, 1, title="beach")
    client = login(alice)
    response = client.post(f"/photos/{photo.pk}/delete", follow=True)
    html = response.content.decode()
    assert "moved to the trash" in html and 'action="/trash/restore"' in html
    assert f'name="photo" value="{photo.pk}"' in html
    assert "beach" in client.get("/trash/").content.decode()
    client.post("/trash/restore", {"photo": [photo.pk]})
    photo.refresh_from_db()
    assert photo.trashed_at is None


def test_the_owner_still_sees_the_thumbnails_of_trashed_photos_and_nobody_else(
    login, alice, bob, ready
):
    photo = ready(alice, 1, visibility="public", moderation="approved")
    trash.trash(alice, [photo.pk])
    url = f"/photos/{photo.pk}/file/thumb"
    assert login(alice).get(url).status_code == 200
    assert login(bob).get(url).status_code == 404
    assert login().get(url).status_code == 404


def test_the_workers_purge_the_trash_among_their_chores():
    from focal.chores import chores

    purge = [chore for chore in chores() if chore.run is trash.purge_expired]
    assert len(purge) == 1 and purge[0].interval() == 3600.0

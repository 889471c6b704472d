"""Keep / not duplicates / undo, through the API and the page, with what the kept photo inherits,
and who may see and change a group."""

from __future__ import annotations

import pytest

from duplicates.groups import groups_of
from duplicates.models import Pair
from duplicates.resolving import keep_apart
from gallery import trash
from gallery.models import Album, AlbumPhoto, Moderation, Photo
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_photo(add_photo):
    def make(owner, seed, *, size=(96, 64), title="", **kw):
        data = images.jpeg(width=size[0], height=size[1], seed=seed)
        photo = add_photo(owner, data=data, **kw)
        Photo.objects.filter(pk=photo.pk).update(title=title)  # not the file's name
        process_photo(photo.pk)
        photo.refresh_from_db()
        return photo

    return make


def pair(a: Photo, b: Photo) -> Pair:
    first, second = sorted((a.pk, b.pk))
    return Pair.objects.create(
        owner_id=a.owner_id, first_id=first, second_id=second, score=0.97, inliers=80, coverage=0.9
    )


@pytest.fixture
def group(alice, ready_photo):
    """alice's three copies of one shot: the big one is the suggested keeper."""
    big = ready_photo(alice, 1, size=(192, 128))
    small = ready_photo(alice, 2, title="Beach day")
    smaller = ready_photo(alice, 3, size=(48, 32))
    pair(big, small)
    pair(small, smaller)
    return big, small, smaller


def ids(*photos: Photo) -> list[int]:
    return [p.pk for p in photos]


def test_groups_join_pairs_and_suggest_the_largest(alice, group, api):
    big, small, smaller = group
    body = api(alice).get("/api/duplicates/").json()
    assert body["count"] == 1
    (only,) = body["results"]
    assert sorted(p["id"] for p in only["photos"]) == sorted(ids(*group))
    assert only["suggested"] == big.pk
    # Photos are numbered oldest first, as on the page: big is 1, small 2, smaller 3.
    assert only["suggested_reason"] == "Suggested: more pixels (192×128) than photos 2 and 3."


def test_keep_trashes_the_others_and_the_keeper_inherits(alice, group, api):
    big, small, smaller = group
    album = Album.objects.create(owner=alice, title="Holiday", cover=small)
    AlbumPhoto.objects.create(album=album, photo=small)
    response = api(alice).post(
        "/api/duplicates/keep/", {"photos": ids(*group), "keeper": big.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["trashed"]) == sorted(ids(small, smaller))
    assert set(Photo.objects.in_trash_of(alice).values_list("pk", flat=True)) == {
        small.pk,
        smaller.pk,
    }
    big.refresh_from_db()
    album.refresh_from_db()
    assert big.trashed_at is None
    assert big.title == "Beach day"
    assert list(album.photos_for(alice).values_list("pk", flat=True)) == [big.pk]
    assert AlbumPhoto.objects.filter(album=album, photo=big).exists()
    assert album.cover_id == big.pk
    assert groups_of(alice) == []  # trashed photos leave the group


def test_undo_puts_everything_back(alice, group, api):
    big, small, smaller = group
    album = Album.objects.create(owner=alice, title="Holiday", cover=small)
    AlbumPhoto.objects.create(album=album, photo=small)
    before = Photo.objects.get(pk=big.pk).moderation
    client = api(alice)
    client.post("/api/duplicates/keep/", {"photos": ids(*group), "keeper": big.pk}, format="json")
    assert client.post("/api/duplicates/undo/").status_code == 200
    big.refresh_from_db()
    album.refresh_from_db()
    assert not Photo.objects.in_trash_of(alice).exists()
    assert big.title == "" and big.moderation == before
    assert not AlbumPhoto.objects.filter(album=album, photo=big).exists()
    assert album.cover_id == small.pk
    assert len(groups_of(alice)) == 1  # the group is back
    assert client.post("/api/duplicates/undo/").status_code == 409  # nothing more to undo


def test_keeping_never_widens_visibility(alice, ready_photo, api):
    private = ready_photo(alice, 1, size=(192, 128))
    shared = ready_photo(alice, 2, visibility="public", moderation=Moderation.APPROVED)
    pair(private, shared)
    response = api(alice).post(
        "/api/duplicates/keep/", {"photos": ids(private, shared), "keeper": private.pk},
        format="json",
    )  # fmt: skip
    assert "stays private" in response.json()["message"]
    private.refresh_from_db()
    assert private.visibility == "private"


def test_a_new_title_is_reviewed_again(alice, ready_photo, api):
    keeper = ready_photo(alice, 1, size=(192, 128), visibility="public",
                         moderation=Moderation.APPROVED)  # fmt: skip
    copy = ready_photo(alice, 2, title="Seen by nobody yet")
    pair(keeper, copy)
    api(alice).post(
        "/api/duplicates/keep/", {"photos": ids(keeper, copy), "keeper": keeper.pk}, format="json"
    )
    keeper.refresh_from_db()
    assert keeper.title == "Seen by nobody yet"
    assert keeper.moderation == Moderation.PENDING


def test_not_duplicates_is_remembered_and_undone(alice, group, api):
    client = api(alice)
    response = client.post("/api/duplicates/not-duplicates/", {"photos": ids(*group)},
                           format="json")  # fmt: skip
    assert response.status_code == 200
    assert client.get("/api/duplicates/").json()["count"] == 0
    assert Pair.objects.filter(dismissed=True).count() == 2
    client.post("/api/duplicates/undo/")
    assert client.get("/api/duplicates/").json()["count"] == 1


def test_keep_suggested_everywhere_is_one_undo(alice, group, ready_photo, api):
    other_a = ready_photo(alice, 7, size=(160, 120))
    other_b = ready_photo(alice, 8)
    pair(other_a, other_b)
    client = api(alice)
    response = client.post("/api/duplicates/keep-suggested/")
    assert response.json()["groups"] == 2
    assert sorted(response.json()["trashed"]) == sorted(ids(*group[1:], other_b))
    client.post("/api/duplicates/undo/")
    assert not Photo.objects.in_trash_of(alice).exists()
    assert client.get("/api/duplicates/").json()["count"] == 2


def test_a_photo_trashed_elsewhere_leaves_its_group_and_comes_back(alice, ready_photo):
    a, b = ready_photo(alice, 1), ready_photo(alice, 2)
    pair(a, b)
    trash.trash(alice, [b.pk])
    assert groups_of(alice) == []
    trash.restore(alice, [b.pk])
    assert [sorted(p.pk for p in g.photos) for g in groups_of(alice)] == [sorted(ids(a, b))]


def test_nobody_sees_or_acts_on_another_users_group(alice, bob, group, api, login):
    big, *_ = group
    assert api(bob).get("/api/duplicates/").json() == {"count": 0, "results": []}
    for url, body in [
        ("/api/duplicates/keep/", {"photos": ids(*group), "keeper": big.pk}),
        ("/api/duplicates/not-duplicates/", {"photos": ids(*group)}),
    ]:
        assert api(bob).post(url, body, format="json").status_code == 404
    assert api(bob).post("/api/duplicates/undo/").status_code == 409
    assert api().get("/api/duplicates/").status_code == 401
    page = login(bob).get("/duplicates/")
    assert page.status_code == 200
    assert f'data-photo="{big.pk}"' not in page.content.decode()
    response = login(bob).post("/duplicates/keep", {"photo": ids(*group), "keeper": big.pk})
    assert response.status_code == 404
    assert not Photo.objects.in_trash_of(alice).exists()


def test_a_keeper_outside_the_group_is_refused(alice, group, ready_photo, api):
    stranger = ready_photo(alice, 9)
    body = {"photos": [*ids(*group), stranger.pk], "keeper": stranger.pk}
    assert api(alice).post("/api/duplicates/keep/", body, format="json").status_code == 404
    body = {"photos": ids(*group), "keeper": stranger.pk}
    assert api(alice).post("/api/duplicates/keep/", body, format="json").status_code == 404
    assert not Photo.objects.in_trash_of(alice).exists()


def test_the_page_says_why_a_photo_is_suggested(alice, group, login):
    page = login(alice).get("/duplicates/").content.decode()
    assert "Suggested: more pixels (192×128) than photos 2 and 3." in page


def test_the_page_keeps_and_undoes_without_scripts(alice, group, login):
    big, small, smaller = group
    client = login(alice)
    page = client.get("/duplicates/").content.decode()
    assert "1 · suggested" in page and f'value="{big.pk}" checked' in page
    response = client.post("/duplicates/keep", {"photo": ids(*group), "keeper": small.pk},
                           follow=True)  # fmt: skip
    assert "moved to the trash" in response.content.decode()
    assert set(Photo.objects.in_trash_of(alice).values_list("pk", flat=True)) == {
        big.pk,
        smaller.pk,
    }
    client.post("/duplicates/undo")
    assert not Photo.objects.in_trash_of(alice).exists()
    client.post("/duplicates/not-duplicates", {"photo": ids(*group)})
    assert groups_of(alice) == []


def test_a_copy_made_by_an_effect_is_in_no_group_and_never_trashed(alice, ready_photo, api):
    # The "faces hidden" copy of a group photo, shared, looks like alice's portraits of one of
    # its people (found by the search); the original is kept apart from it as it was saved.
    original = ready_photo(alice, 1, size=(192, 64))
    copy = ready_photo(alice, 2, size=(192, 64), visibility="public")
    portrait, smaller = ready_photo(alice, 3, size=(128, 128)), ready_photo(alice, 4)
    keep_apart(alice.pk, original.pk, copy.pk)
    pair(copy, portrait)
    pair(portrait, smaller)
    assert [sorted(p.pk for p in g.photos) for g in groups_of(alice)] == [
        sorted(ids(portrait, smaller))
    ]
    response = api(alice).post("/api/duplicates/keep-suggested/")
    assert response.json()["trashed"] == [smaller.pk]
    # Not even named together with a photo it was found with.
    body = {"photos": ids(copy, portrait), "keeper": portrait.pk}
    assert api(alice).post("/api/duplicates/keep/", body, format="json").status_code == 404
    assert set(Photo.objects.in_trash_of(alice).values_list("pk", flat=True)) == {smaller.pk}


def test_keep_suggested_everywhere_never_trashes_a_shared_photo_for_a_private_one(
    alice, group, ready_photo, api, login
):
    private = ready_photo(alice, 7, size=(160, 120))
    shared = ready_photo(alice, 8, visibility="public", moderation=Moderation.APPROVED)
    pair(private, shared)
    page = login(alice).get("/duplicates/").content.decode()
    assert "Keep the suggested photo in 1 of 2 groups and move 2 photos to the trash?" in page
    assert (
        "Photo 2 is shared and the suggested photo is private: "
        "“Keep suggested in all groups” leaves this group to you."
    ) in page
    response = api(alice).post("/api/duplicates/keep-suggested/")
    assert response.json()["groups"] == 1
    assert sorted(response.json()["trashed"]) == sorted(ids(*group[1:]))
    assert response.json()["message"] == (
        "Kept one photo in each of 1 group; 2 photos moved to the trash. 1 group left for you "
        "to decide: keeping the suggested photo would trash a shared one and keep a private one."
    )
    assert [sorted(p.pk for p in g.photos) for g in groups_of(alice)] == [ids(private, shared)]
    # Chosen explicitly, it is done (and the page says the kept one stays private).
    body = {"photos": ids(private, shared), "keeper": private.pk}
    assert (
        "stays private"
        in api(alice).post("/api/duplicates/keep/", body, format="json").json()["message"]
    )
    assert shared.pk in Photo.objects.in_trash_of(alice).values_list("pk", flat=True)

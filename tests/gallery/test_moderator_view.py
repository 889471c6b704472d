"""What a moderator sees of other people's public photos: those waiting for review, marked
"Pending review", never the ones rejected (only their owner sees those); bob sees neither."""

from __future__ import annotations

import pytest

from gallery.models import Moderation, Photo
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db

PENDING_BADGE = '<span class="badge pending">Pending review</span>'


@pytest.fixture
def reviewed(alice, add_photo):
    """alice's public photos: one waiting for review, one rejected, one approved."""
    made = {}
    for seed, state in enumerate(Moderation.values):
        photo = add_photo(
            alice, seed=20 + seed, title=f"Kitchen {state}", visibility="public", moderation=state
        )
        process_photo(photo.pk)
        made[state] = photo
    return made


def tile_of(html: str, photo: Photo) -> str:
    start = html.index(f'data-photo="{photo.pk}"')
    return html[start : html.index("</a>", start)]


def test_a_moderator_never_sees_a_rejected_photo_of_someone_else(moderator, reviewed):
    rejected = reviewed[Moderation.REJECTED]
    for photos in (
        Photo.objects.visible_to(moderator),
        Photo.objects.shared_with(moderator),
        Photo.objects.files_visible_to(moderator),
    ):
        assert not photos.filter(pk=rejected.pk).exists()
    assert Photo.objects.hidden_from(moderator).filter(pk=rejected.pk).exists()


def test_the_moderators_timeline_badges_pending_photos_and_leaves_out_rejected_ones(
    login, moderator, reviewed
):
    html = login(moderator).get("/").content.decode()
    assert "Kitchen rejected" not in html
    assert PENDING_BADGE in tile_of(html, reviewed[Moderation.PENDING])
    assert "badge" not in tile_of(html, reviewed[Moderation.APPROVED])


def test_the_photos_api_leaves_rejected_photos_out_for_a_moderator(login, api, moderator, reviewed):
    rest = api(moderator)
    listed = {photo["id"] for photo in rest.get("/api/photos/").json()["results"]}
    assert listed == {reviewed[Moderation.PENDING].pk, reviewed[Moderation.APPROVED].pk}
    rejected = reviewed[Moderation.REJECTED]
    assert rest.get(f"/api/photos/{rejected.pk}/").status_code == 404
    assert rest.delete(f"/api/photos/{rejected.pk}/").status_code == 404
    client = login(moderator)
    for url in (f"/photos/{rejected.pk}/", f"/photos/{rejected.pk}/file/thumb"):
        assert client.get(url).status_code == 404, url


def test_search_and_similar_leave_rejected_photos_out_for_a_moderator(login, moderator, reviewed):
    client = login(moderator)
    found = client.get("/search/", {"q": "kitchen"}).content.decode()
    assert "Kitchen rejected" not in found
    assert PENDING_BADGE in tile_of(found, reviewed[Moderation.PENDING])
    similar = client.get(f"/photos/{reviewed[Moderation.APPROVED].pk}/similar/").content.decode()
    assert "Kitchen pending" in similar and "Kitchen rejected" not in similar


def test_the_review_page_still_shows_pending_photos_to_the_moderator(login, moderator, reviewed):
    client = login(moderator)
    page = client.get("/review/").content.decode()
    assert "Kitchen pending" in page and "Kitchen rejected" not in page
    pending = reviewed[Moderation.PENDING]
    assert client.get(f"/photos/{pending.pk}/file/thumb").status_code == 200


def test_bob_sees_neither_pending_nor_rejected_photos(login, api, bob, reviewed):
    client = login(bob)
    for html in (
        client.get("/").content.decode(),
        client.get("/search/", {"q": "kitchen"}).content.decode(),
    ):
        assert "Kitchen pending" not in html and "Kitchen rejected" not in html
        assert "Kitchen approved" in html and PENDING_BADGE not in html
    listed = {photo["id"] for photo in api(bob).get("/api/photos/").json()["results"]}
    assert listed == {reviewed[Moderation.APPROVED].pk}


@pytest.mark.parametrize(
    ("visibility", "moderation", "said"),
    [
        ("private", "pending", "Only you can see it."),
        ("public", "approved", "Everyone can see it."),
        ("public", "pending", "Everyone will see it once a moderator approves it."),
        ("public", "rejected", "Only you can see it: a moderator rejected it."),
    ],
)
def test_the_owner_is_told_who_sees_a_photo_in_each_state(visibility, moderation, said):
    assert Photo(visibility=visibility, moderation=moderation).who_sees_it == said

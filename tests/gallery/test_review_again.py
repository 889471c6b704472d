"""A change to what others see of a photo (its title, or its becoming public again) goes back
to a moderator before they see it."""

from __future__ import annotations

import pytest

from gallery.models import Moderation, Photo, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(add_photo, alice):
    return add_photo(alice, visibility=Visibility.PUBLIC, moderation=Moderation.APPROVED)


def shown_to_anonymous(api, photo: Photo) -> bool:
    return api().get(f"/api/photos/{photo.pk}/").status_code == 200


def test_a_new_title_goes_back_to_review(api, alice, approved):
    response = api(alice).patch(f"/api/photos/{approved.pk}/", {"title": "Look at this"})
    assert response.status_code == 200 and response.json()["moderation"] == "pending"
    assert not shown_to_anonymous(api, approved)
    assert [p.pk for p in Photo.objects.awaiting_review()] == [approved.pk]


def test_the_same_title_again_keeps_the_approval(api, alice, approved):
    response = api(alice).patch(f"/api/photos/{approved.pk}/", {"title": approved.title + "  "})
    assert response.json()["moderation"] == "approved" and shown_to_anonymous(api, approved)


def test_a_title_changed_on_the_page_goes_back_to_review(login, alice, approved):
    login(alice).post(f"/photos/{approved.pk}/update", {"title": "New words"})
    approved.refresh_from_db()
    assert approved.title == "New words" and approved.moderation == Moderation.PENDING


def test_a_rejected_photo_with_a_new_title_is_reviewed_again(api, alice, add_photo):
    photo = add_photo(alice, visibility=Visibility.PUBLIC, moderation=Moderation.REJECTED)
    api(alice).patch(f"/api/photos/{photo.pk}/", {"title": "Fixed"})
    photo.refresh_from_db()
    assert photo.moderation == Moderation.PENDING


def test_making_a_photo_public_again_goes_back_to_review(api, alice, approved):
    client = api(alice)
    client.patch(f"/api/photos/{approved.pk}/", {"visibility": "private"})
    approved.refresh_from_db()
    assert approved.moderation == Moderation.APPROVED  # nobody else sees it meanwhile
    body = client.patch(f"/api/photos/{approved.pk}/", {"visibility": "public"}).json()
    assert body["moderation"] == "pending" and not shown_to_anonymous(api, approved)


def test_staff_changes_need_no_review(api, moderator, add_photo):
    photo = add_photo(moderator, visibility=Visibility.PUBLIC)
    assert photo.moderation == Moderation.APPROVED
    body = api(moderator).patch(f"/api/photos/{photo.pk}/", {"title": "Staff pick"}).json()
    assert body["moderation"] == "approved"

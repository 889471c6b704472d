"""Approve and reject on the photo page: a moderator decides there as on /review/ (the same form
fields, view and action); alice (the owner), bob and visitors get no controls and cannot post."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from gallery.models import Moderation, Photo

pytestmark = pytest.mark.django_db

DECIDE = 'action="/review/decide"'
APPROVE = '<button type="submit" name="decision" value="approved"'
REJECT = '<button type="submit" name="decision" value="rejected"'


@pytest.fixture
def pending(alice, add_photo):
    return add_photo(alice, seed=31, title="Harbour at dusk", visibility="public")


@pytest.fixture
def approved(alice, add_photo):
    return add_photo(alice, seed=32, title="Old town", visibility="public", moderation="approved")


def page(client: Client, photo: Photo) -> str:
    response = client.get(photo.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def decide(client: Client, photo: Photo, decision: str, **fields: str):
    data = {"photo": str(photo.pk), "decision": decision, "next": photo.get_absolute_url()}
    return client.post("/review/decide", {**data, **fields})


def state(photo: Photo) -> tuple[str, str]:
    photo.refresh_from_db()
    return photo.moderation, photo.moderation_note


def test_a_moderator_gets_approve_and_reject_with_the_reasons_of_the_review_page(
    login, moderator, pending
):
    html = page(login(moderator), pending)
    assert DECIDE in html and f'name="photo" value="{pending.pk}"' in html
    assert APPROVE in html and REJECT in html
    assert '<span class="badge pending">Pending review</span>' in html
    queue = login(moderator).get("/review/").content.decode()
    for wording in ("Reason…", "Not suitable for everyone", 'placeholder="or write a reason"'):
        assert wording in html and wording in queue


def test_an_approved_photo_offers_the_moderator_reject_only(login, moderator, approved):
    html = page(login(moderator), approved)
    assert DECIDE in html and REJECT in html and APPROVE not in html


def test_the_decision_comes_before_the_info_only_while_the_photo_waits(
    login, moderator, pending, approved
):
    client = login(moderator)
    waiting, shared = page(client, pending), page(client, approved)
    assert waiting.index('id="review"') < waiting.index('id="info"')
    assert shared.index('id="info"') < shared.index('id="review"')


def test_the_owner_bob_and_visitors_get_no_review_controls(login, alice, bob, pending, approved):
    assert DECIDE not in page(login(alice), pending)
    for viewer in (alice, bob, None):
        assert DECIDE not in page(login(viewer), approved)


def test_a_private_photo_in_the_trash_or_rejected_offers_its_staff_owner_nothing(
    login, django_user_model, add_photo
):
    staff = django_user_model.objects.create_user("carol", password="carol-pass-1", is_staff=True)
    private = add_photo(staff, seed=33)
    rejected = add_photo(staff, seed=34, visibility="public", moderation="rejected")
    for photo in (private, rejected):
        assert DECIDE not in page(login(staff), photo)


def test_approving_returns_to_the_photo_which_everyone_now_sees(login, moderator, pending):
    client = login(moderator)
    response = decide(client, pending, "approved")
    assert response.status_code == 302 and response.url == pending.get_absolute_url()
    assert state(pending) == (Moderation.APPROVED, "")
    html = page(client, pending)
    assert "Approved 1 photo." in html
    assert "Pending review" not in html and "Everyone, once a moderator approves it" not in html
    assert APPROVE not in html and REJECT in html
    assert page(Client(), pending)  # a visitor opens it now


def test_rejecting_someone_elses_photo_goes_back_to_the_queue(login, moderator, pending):
    client = login(moderator)
    response = decide(client, pending, "rejected", note="Spam or advertising")
    assert response.status_code == 302 and response.url == "/review/"
    assert state(pending) == (Moderation.REJECTED, "Spam or advertising")
    queue = client.get("/review/").content.decode()
    assert "Rejected 1 photo: only its owner sees it now." in queue
    assert client.get(pending.get_absolute_url()).status_code == 404


def test_a_written_reason_wins_over_the_chosen_one(login, alice, moderator, pending):
    decide(login(moderator), pending, "rejected", note="Spam or advertising", note_other=" Blurry ")
    assert state(pending) == (Moderation.REJECTED, "Blurry")
    assert "Rejected by a moderator: Blurry." in page(login(alice), pending)


def test_a_moderator_can_still_reject_an_approved_photo(login, bob, moderator, approved):
    decide(login(moderator), approved, "rejected")
    assert state(approved) == (Moderation.REJECTED, "")
    assert login(bob).get(approved.get_absolute_url()).status_code == 404


def test_a_moderator_reviewing_their_own_photo_stays_on_it(login, moderator, add_photo):
    # Staff uploads are approved at once; one made public before they were staff still waits,
    # and the review queue has always listed it to them as well.
    own = add_photo(moderator, seed=35, visibility="public", moderation="pending")
    client = login(moderator)
    assert DECIDE in page(client, own)
    response = decide(client, own, "rejected", note="Not suitable for everyone")
    assert response.url == own.get_absolute_url()
    assert "Rejected by a moderator: Not suitable for everyone." in page(client, own)


@pytest.mark.parametrize("who", ["alice", "bob", "anonymous"])
def test_only_staff_can_decide(who, request, login, pending, approved):
    client = login(None if who == "anonymous" else request.getfixturevalue(who))
    for photo, decision in ((pending, "approved"), (approved, "rejected")):
        before = state(photo)
        response = decide(client, photo, decision)
        # staff_member_required sends everyone else to the admin's log-in, as for /review/.
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
        assert state(photo) == before


def test_deciding_needs_the_csrf_token(moderator, pending):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    assert "csrfmiddlewaretoken" in page(client, pending)
    assert decide(client, pending, "approved").status_code == 403
    assert state(pending) == (Moderation.PENDING, "")


def test_photos_a_moderator_does_not_see_cannot_be_decided(login, alice, moderator, add_photo):
    private = add_photo(alice, seed=36)
    rejected = add_photo(alice, seed=37, visibility="public", moderation="rejected")
    trashed = add_photo(alice, seed=38, visibility="public")
    Photo.objects.filter(pk=trashed.pk).update(trashed_at=timezone.now())
    client = login(moderator)
    for photo in (private, rejected, trashed):
        before = state(photo)
        response = decide(client, photo, "approved")
        assert response.url == "/review/"  # not back to a page they cannot open
        assert state(photo) == before


def test_an_address_elsewhere_is_not_followed(login, moderator, pending):
    response = decide(login(moderator), pending, "approved", next="https://example.org/")
    assert response.url == "/review/"

"""A moderator on the page of a photo waiting for review, at desktop and phone sizes: the Review
section's controls are shown whole, inside the panel and big enough to tap, the page passes the
layout, axe-core and CSP checks; Approve comes back to the photo (no longer pending), Reject with
a reason goes to the review queue."""

from __future__ import annotations

import pytest

from gallery.demo import seed
from gallery.models import Moderation, Photo, Visibility
from tests.browser.checks import check_page, small_tap_targets
from tests.browser.conftest import screenshot, wait_for_layout, wait_until
from tests.browser.test_narrow_layout import PANEL_FAULTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTROLS = "#review button, #review select, #review input:not([type=hidden])"


@pytest.fixture
def waiting():
    """Two of alice's public photos in the seeded demo gallery, made to wait for review again
    (the seed approves hers)."""
    users = seed(24)
    shared = Photo.objects.filter(owner=users["alice"], visibility=Visibility.PUBLIC)
    photos = list(shared.order_by("created")[:2])
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(moderation=Moderation.PENDING)
    return photos


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_moderator_reviews_a_photo_on_its_page(size, waiting, open_page, live_server):
    first, second = waiting
    page = open_page(size, "mod")
    assert page.goto(f"{live_server.url}/photos/{first.pk}/").status == 200
    wait_until(page, "() => document.querySelector('#similar .jrow')")  # the strip is laid out
    wait_for_layout(page)  # and laid out again if its column changed
    review = page.locator("#review")
    review.scroll_into_view_if_needed()
    for control in (
        page.get_by_role("button", name="Approve", exact=True),
        page.get_by_role("button", name="Reject", exact=True),
        page.get_by_label("Reason for rejecting", exact=True),
        page.get_by_placeholder("or write a reason"),
    ):
        assert control.is_visible()
    assert review.get_by_text("Pending review", exact=True).is_visible()
    assert page.evaluate(PANEL_FAULTS) == {"wide": 0, "outside": [], "bar": 0}
    report = check_page(page, "photo-review", size)
    assert report.faults == []
    if size == "phone":
        assert small_tap_targets(page, CONTROLS) == []
    page.evaluate("() => scrollTo(0, 0)")  # a full-page shot draws the sticky bar where it is
    screenshot(page, f"photo-review-{size}")
    if size == "phone":  # and what the phone shows once scrolled to the decision
        review.scroll_into_view_if_needed()
        screenshot(page, "photo-review-phone-scrolled", full_page=False)

    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(f"**/photos/{first.pk}/")
    screenshot(page, f"photo-review-approved-{size}")
    assert page.get_by_text("Approved 1 photo.").is_visible()
    assert page.locator("#review .badge.pending").count() == 0
    assert page.get_by_role("button", name="Approve", exact=True).count() == 0
    assert review.get_by_text("Approved", exact=True).is_visible()
    first.refresh_from_db()
    assert first.moderation == Moderation.APPROVED

    page.goto(f"{live_server.url}/photos/{second.pk}/")
    page.get_by_label("Reason for rejecting", exact=True).select_option("Spam or advertising")
    page.get_by_role("button", name="Reject", exact=True).click()
    page.wait_for_url(f"{live_server.url}/review/")
    assert page.get_by_text("Rejected 1 photo: only its owner sees it now.").is_visible()
    second.refresh_from_db()
    assert (second.moderation, second.moderation_note) == ("rejected", "Spam or advertising")

"""The face effects on the photo page: "Hide faces first?" when a photo is made public (and
sharing that copy instead of the photo), and "Tap where they look" for gaze."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from effects.models import Variant
from effects.spec import parse_canonical
from faces.models import Face
from gallery import actions
from gallery.models import Moderation, Photo
from gallery.processing import process_photo
from tests import images
from tests.browser.checks import check_page
from tests.browser.conftest import screenshot, wait_until
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The photo in view and no longer moving.
STILL_IN_VIEW = """async () => {
  const top = () => document.getElementById('photo-image').getBoundingClientRect().top;
  const before = top();
  await new Promise((done) => setTimeout(done, 150));
  return before === top() && before >= 0;
}"""


@pytest.fixture
def astronaut(alice):
    upload = SimpleUploadedFile("astronaut.jpg", images.person_photo(), "image/jpeg")
    photo = actions.add_photo(alice, upload, title="Astronaut").photo
    assert process_photo(photo.pk) == "ready"
    assert Face.objects.filter(photo=photo).count() == 1  # found by processing
    return photo


def test_going_public_offers_to_hide_the_faces_first(astronaut, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/photos/{astronaut.pk}/")
    offer = page.locator("#hide-faces-offer")
    assert offer.is_hidden()
    page.select_option("#edit select[name=visibility]", "public")
    assert offer.is_visible()
    offer.get_by_role("button", name="Hide faces first?").click()
    wait_until(page, "() => document.querySelector('#variant-list [data-variant]')")
    assert list(Variant.objects.values_list("spec", flat=True)) == [
        "hide_faces:style=blur,faces=all"
    ]
    page.select_option("#edit select[name=visibility]", "private")
    assert offer.is_hidden()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_tap_on_the_photo_says_where_the_eyes_look(size, astronaut, open_page, live_server):
    page = open_page(size, "alice")
    page.goto(f"{live_server.url}/photos/{astronaut.pk}/?effects=faces")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    page.click("#gaze-tap")
    wait_until(page, STILL_IN_VIEW)  # on a phone the page scrolls up to the photo
    box = page.locator("#photo-image").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.25)
    wait_until(page, "() => document.querySelector('#variant-list [data-variant]')")
    spec = parse_canonical(Variant.objects.get().spec)
    assert spec.effect == "gaze" and spec.direction is None and spec.strength == 50
    assert (spec.point.x, spec.point.y) == pytest.approx((0.1, 0.25), abs=0.003)


@pytest.fixture
def processed_astronaut(alice, celery_worker_process):
    """Alice's private photo of the astronaut, processed by the real worker (her face found)."""
    upload = SimpleUploadedFile("astronaut.jpg", images.person_photo(), "image/jpeg")
    photo = actions.add_photo(alice, upload, title="Astronaut").photo
    wait_for(lambda: Photo.objects.get(pk=photo.pk).status == "ready")
    assert Face.objects.filter(photo=photo).count() == 1
    return photo


# Whether a <progress> ever showed in the offer (the render may take under a second).
WATCH_PROGRESS = """() => {
  window.__offerProgress = false;
  const box = document.getElementById('offer-status');
  new MutationObserver(() => { if (box.querySelector('progress')) window.__offerProgress = true; })
    .observe(box, { childList: true, subtree: true });
}"""
IN_VIEW = """(id) => {
  const r = document.getElementById(id).getBoundingClientRect();
  return r.top >= 0 && r.bottom <= innerHeight && r.height > 0;
}"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_sharing_a_copy_with_the_faces_hidden_keeps_the_photo_private(
    size, processed_astronaut, open_page, live_server
):
    photo = processed_astronaut
    page = open_page(size, "alice")
    page.goto(f"{live_server.url}/photos/{photo.pk}/")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    page.select_option("#edit select[name=visibility]", "public")
    offer = page.locator("#hide-faces-offer")
    assert offer.is_visible() and "while this photo stays private" in offer.inner_text()
    reports = [check_page(page, "hide-faces-offer", size)]
    screenshot(page, f"hide-faces-offer-{size}")

    page.evaluate(WATCH_PROGRESS)
    offer.get_by_role("button", name="Hide faces first?").click()
    page.wait_for_selector("#offer-copy:not([hidden])", timeout=60_000)
    wait_until(page, "() => document.getElementById('offer-thumb').naturalWidth > 0")
    assert page.evaluate("window.__offerProgress"), "no progress was shown while it rendered"
    share = page.get_by_role("button", name="Share this copy instead")
    assert share.is_visible() and share.is_enabled()
    assert page.evaluate(IN_VIEW, "offer-copy"), "the copy is not where the person is looking"
    reports.append(check_page(page, "hide-faces-copy-ready", size))
    screenshot(page, f"hide-faces-copy-ready-{size}")

    share.click()
    link = page.locator("#offer-status a")
    link.wait_for()
    assert page.evaluate(IN_VIEW, "offer-status")
    copy = Photo.objects.exclude(pk=photo.pk).get()
    assert link.inner_text() == "Astronaut (faces blurred)"
    assert (copy.owner_id, copy.visibility, copy.moderation) == (
        photo.owner_id,
        "public",
        Moderation.PENDING,
    )
    text = page.inner_text("#hide-faces-offer")
    assert "once a moderator approves it" in text and "This photo stays private." in text
    assert page.locator("#offer-copy").is_hidden()
    # The choice is back to this photo's own: saving the form now does not share it.
    assert page.input_value("#edit select[name=visibility]") == "private"
    photo.refresh_from_db()
    assert photo.visibility == "private"
    reports.append(check_page(page, "hide-faces-shared", size))
    screenshot(page, f"hide-faces-shared-{size}")
    faults = [str(report) for report in reports if report.faults]
    assert not faults, "\n".join(faults)

    link.click()
    page.wait_for_url(f"**/photos/{copy.pk}/")
    wait_for(lambda: Photo.objects.get(pk=copy.pk).status == "ready")
    page.reload()
    assert "Everyone, once a moderator approves it" in page.inner_text("#info")
    assert page.locator("#hide-faces-offer").count() == 0  # no faces left to offer to hide


# The hide-faces button's place on screen, and whether it is inside the viewport.
BUTTON = "document.querySelector('#face-effects button[value=hide_faces]')"
BUTTON_TOP = f"() => Math.round({BUTTON}.getBoundingClientRect().top)"


def test_a_face_effect_tells_its_progress_under_its_button_without_scrolling_away(
    processed_astronaut, open_page, live_server
):
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/photos/{processed_astronaut.pk}/?effects=faces")
    button = page.locator("#face-effects button[value=hide_faces]")
    page.evaluate(f"() => {BUTTON}.scrollIntoView({{ block: 'center' }})")
    top = page.evaluate(BUTTON_TOP)
    page.evaluate(
        """() => {
          window.__nearProgress = false;
          new MutationObserver(() => {
            const near = document.querySelector('.effect-status-near progress');
            if (near) window.__nearProgress = true;
          }).observe(document.getElementById('effects'), { childList: true, subtree: true });
        }"""
    )
    button.click()
    wait_until(page, "() => document.querySelector('#variant-list [data-variant]')")
    wait_until(page, "() => window.__nearProgress")  # progress was told under the button
    page.wait_for_timeout(400)  # a smooth scroll would have moved it by now
    assert abs(page.evaluate(BUTTON_TOP) - top) <= 2  # the button stayed where it was
    status = page.locator(".effect-status-near")
    assert status.count() == 1
    status_box, button_box = status.bounding_box(), button.bounding_box()
    assert status_box is not None and button_box is not None
    assert 0 <= status_box["y"] - (button_box["y"] + button_box["height"]) <= 40
    # The panel's own status line (above the Portrait button) was not used.
    assert page.locator("#effect-status progress").count() == 0
    screenshot(page, "face-effect-done-desktop")

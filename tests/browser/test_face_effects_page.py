"""The face effects on the photo page: "Hide faces first?" when a photo is made public, and
"Tap where they look" for gaze."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from effects.models import Variant
from effects.spec import parse_canonical
from faces.models import Face
from gallery import actions
from gallery.processing import process_photo
from tests import images
from tests.browser.conftest import wait_until

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

"""Faces in the browser: correcting a pupil on the viewer by dragging it, and the labelling page
with the keyboard alone."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from faces.models import Face
from gallery import actions
from gallery.models import Photo
from tests import images
from tests.browser.conftest import screenshot, wait_until
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# About where the detector puts the astronaut's pupils (512 x 512 pixels).
LEFT, RIGHT = (246.4, 104.0), (203.9, 101.6)


@pytest.fixture
def astronaut(alice, celery_worker_process):
    """Alice's photo of the astronaut, processed by the real worker: her face as it found it."""
    upload = SimpleUploadedFile("astronaut.jpg", images.person_photo(), "image/jpeg")
    photo = actions.add_photo(alice, upload, title="Astronaut").photo
    wait_for(lambda: Photo.objects.get(pk=photo.pk).status == "ready")
    face = Face.objects.get(photo=photo)  # found by processing
    assert face.left_eye == pytest.approx(LEFT, abs=3)
    assert face.right_eye == pytest.approx(RIGHT, abs=3)
    return face


MARKER_CENTRE = """(side) => {
  const r = document.querySelector(`.eye-marker.${side}`).getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
}"""
IMAGE_POINT = """([x, y]) => {
  const r = document.getElementById('photo-image').getBoundingClientRect();
  return [r.left + x / 512 * r.width, r.top + y / 512 * r.height];
}"""

# The photo in view and no longer moving (showing the eyes on a phone scrolls up to it).
STILL_IN_VIEW = """async () => {
  const top = () => document.getElementById('photo-image').getBoundingClientRect().top;
  const before = top();
  await new Promise((done) => setTimeout(done, 150));
  return before === top() && before >= 0;
}"""


def show_eyes(page):
    page.click("#eyes-toggle")
    page.wait_for_selector(".eye-marker.left")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_pupil_dragged_on_the_viewer_is_saved(size, astronaut, open_page, live_server):
    left, right = astronaut.left_eye, astronaut.right_eye
    page = open_page(size, "alice")
    page.goto(f"{live_server.url}/photos/{astronaut.photo_id}/")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    show_eyes(page)
    wait_until(page, STILL_IN_VIEW)
    # The marker's centre is the pupil, at the photo's scale and also under zoom.
    page.evaluate("() => document.activeElement.blur()")
    for zoomed in (False, True):
        expected = page.evaluate(IMAGE_POINT, [astronaut.left_eye_x, astronaut.left_eye_y])
        assert page.evaluate(MARKER_CENTRE, "left") == pytest.approx(expected, abs=1.5)
        marker = page.locator(".eye-marker.left").bounding_box()
        assert marker is not None and marker["width"] == pytest.approx(32, abs=1)  # any zoom
        if not zoomed:
            page.keyboard.press("+")
            assert page.inner_text("#zoom-label") == "150%"
    page.keyboard.press("0")
    screenshot(page, f"viewer-eyes-{size}")
    x, y = page.evaluate(MARKER_CENTRE, "left")
    scale = page.evaluate(
        "() => 512 / document.getElementById('photo-image').getBoundingClientRect().width"
    )
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y + 6, steps=4)
    page.mouse.move(x + 20, y + 12, steps=4)
    page.mouse.up()
    page.wait_for_selector("#eyes-hint:has-text('Saved')")
    astronaut.refresh_from_db()
    assert astronaut.source == "corrected"
    assert astronaut.left_eye_x == pytest.approx(left[0] + 20 * scale, abs=1.5 * scale)
    assert astronaut.left_eye_y == pytest.approx(left[1] + 12 * scale, abs=1.5 * scale)
    assert astronaut.right_eye == right  # untouched
    assert (astronaut.detected_left_x, astronaut.detected_left_y) == left  # kept beside
    # After a reload the marker is where it was dropped.
    page.reload()
    wait_until(page, "() => document.getElementById('photo-image').complete")
    show_eyes(page)
    wait_until(page, STILL_IN_VIEW)
    expected = page.evaluate(IMAGE_POINT, [astronaut.left_eye_x, astronaut.left_eye_y])
    assert page.evaluate(MARKER_CENTRE, "left") == pytest.approx(expected, abs=1.5)
    assert page.evaluate("() => window.__cspViolations") == []


def test_a_pupil_is_moved_with_the_keyboard_and_a_face_added_and_removed(
    astronaut, open_page, live_server
):
    right = astronaut.right_eye
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/photos/{astronaut.photo_id}/")
    page.focus("#eyes-toggle")
    page.keyboard.press("Enter")
    page.wait_for_selector(".eye-marker.right")
    page.keyboard.press("Tab")  # the add button
    page.keyboard.press("Shift+Tab")
    page.focus(".eye-marker.right")
    for _ in range(3):
        page.keyboard.press("Shift+ArrowUp")
    page.wait_for_selector("#eyes-hint:has-text('Saved')")
    astronaut.refresh_from_db()
    assert astronaut.right_eye_y < right[1] - 10
    assert astronaut.right_eye_x == pytest.approx(right[0], abs=0.01)  # sent to 0.01 px
    # Add a face with the keyboard: it appears in the middle, its markers take the focus.
    page.focus("#face-add")
    page.keyboard.press("Enter")
    page.wait_for_selector("#eyes-hint:has-text('Face 2 added')")
    assert Face.objects.filter(photo_id=astronaut.photo_id).count() == 2
    assert page.evaluate("() => document.activeElement.classList.contains('eye-marker')")
    page.locator("#face-list button").nth(1).click()
    page.wait_for_selector("#eyes-hint:has-text('Face removed')")
    assert Face.objects.filter(photo_id=astronaut.photo_id).count() == 1
    # Esc leaves a selected marker before it would close the viewer.
    page.click(".eye-marker.left")
    assert page.get_attribute(".eye-marker.left", "aria-pressed") == "true"
    page.keyboard.press("Escape")
    assert page.get_attribute(".eye-marker.left", "aria-pressed") == "false"
    assert f"/photos/{astronaut.photo_id}/" in page.url


def test_a_face_is_added_by_tapping_its_pupils(astronaut, open_page, live_server):
    page = open_page("phone", "alice")
    page.goto(f"{live_server.url}/photos/{astronaut.photo_id}/")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    show_eyes(page)
    page.click("#face-add")
    page.locator("#photo-image").scroll_into_view_if_needed()
    left = page.evaluate(IMAGE_POINT, [400, 300])
    right = page.evaluate(IMAGE_POINT, [360, 300])
    page.touchscreen.tap(*left)
    page.wait_for_selector("#eyes-hint:has-text('right pupil')")
    page.touchscreen.tap(*right)
    page.wait_for_selector("#eyes-hint:has-text('added')")
    added = Face.objects.filter(photo_id=astronaut.photo_id).exclude(pk=astronaut.pk).get()
    assert added.source == "corrected" and added.added_by_hand
    assert added.left_eye == pytest.approx((400, 300), abs=2)
    assert added.right_eye == pytest.approx((360, 300), abs=2)
    assert f"/photos/{astronaut.photo_id}/" in page.url  # a tap did not step to another photo


def test_the_labelling_page_works_with_the_keyboard_alone(astronaut, open_page, live_server):
    left, right = astronaut.left_eye, astronaut.right_eye
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/faces/label/")
    wait_until(page, "() => document.getElementById('label-image').complete")
    assert page.inner_text("#label-progress").startswith("Face 1 of 1")
    assert page.evaluate("() => document.activeElement.id") == "label-view"
    screenshot(page, "label-desktop")
    scale = page.evaluate(
        "() => 512 / document.getElementById('label-canvas').getBoundingClientRect().width"
    )
    # The cross starts on the left pupil: 5 px right, place. It moves to the right pupil: 10 px
    # down, place; undo (the cross stays there), 1 px up, place.
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Backspace")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_selector("#label-step:has-text('Saved')")
    astronaut.refresh_from_db()
    assert astronaut.source == "corrected"
    assert astronaut.left_eye_x == pytest.approx(left[0] + 5 * scale, abs=0.05)
    assert astronaut.left_eye_y == pytest.approx(left[1], abs=0.05)
    assert astronaut.right_eye_y == pytest.approx(right[1] + 9 * scale, abs=0.05)
    assert page.evaluate("() => window.__cspViolations") == []


def test_the_labelling_buttons_give_the_focus_back_and_the_end_says_all_done(
    astronaut, open_page, live_server
):
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/faces/label/")
    wait_until(page, "() => document.getElementById('label-image').complete")
    assert page.is_visible(".label-keys")  # a keyboard and a mouse: the shortcuts show
    page.keyboard.press("Space")
    page.click("#label-undo")  # the focus goes back to the face: Space places, not undoes
    assert page.evaluate("() => document.activeElement.id") == "label-view"
    page.keyboard.press("Space")
    assert page.inner_text("#label-step").startswith("Click or tap the right pupil")
    # Skip on the only face: the end, with a way back to the photos and to the face.
    page.click("#label-skip")
    page.wait_for_selector("#label-done h2:has-text('All done')")
    assert page.is_hidden("#label-view")
    assert page.evaluate("() => document.activeElement.id") == "label-done"
    assert page.inner_text("#label-progress") == "Done: the only face"
    assert page.is_disabled("#label-next") and page.is_disabled("#label-skip")
    assert page.get_attribute("#label-done a", "href") == "/"
    screenshot(page, "label-done-desktop")
    page.keyboard.press("PageUp")
    assert page.is_visible("#label-view") and page.is_hidden("#label-done")
    assert page.evaluate("() => document.activeElement.id") == "label-view"
    page.keyboard.press("PageDown")
    page.wait_for_selector("#label-done:not([hidden])")
    page.click("#label-again")
    assert page.inner_text("#label-progress").startswith("Face 1 of 1")
    assert page.evaluate("() => document.activeElement.id") == "label-view"
    assert page.evaluate("() => window.__cspViolations") == []


def test_the_labelling_page_takes_taps_on_a_phone(astronaut, open_page, live_server):
    page = open_page("phone", "alice")
    page.goto(f"{live_server.url}/faces/label/")
    wait_until(page, "() => document.getElementById('label-image').complete")
    screenshot(page, "label-phone")
    assert page.is_hidden(".label-keys")  # no keyboard shortcuts on a touch screen
    point = """([x, y]) => {
        const r = document.getElementById('label-canvas').getBoundingClientRect();
        return [r.left + x / 512 * r.width, r.top + y / 512 * r.height]; }"""
    page.touchscreen.tap(*page.evaluate(point, [250, 105]))
    page.touchscreen.tap(*page.evaluate(point, [205, 100]))
    page.click("#label-next")
    page.wait_for_selector("#label-step:has-text('Saved')")
    page.wait_for_selector("#label-done:not([hidden])")  # it was the only face
    screenshot(page, "label-done-phone")
    astronaut.refresh_from_db()
    assert astronaut.left_eye == pytest.approx((250, 105), abs=1)
    assert astronaut.right_eye == pytest.approx((205, 100), abs=1)


def test_a_pupil_corrected_on_the_viewer_is_used_by_the_gaze_variant(
    astronaut, open_page, live_server
):
    """With the real worker: it finds the face, renders a gaze variant, and renders it again
    from the corrected pupil once the owner drags it."""
    from effects.models import Variant
    from effects.rendering import stored_faces
    from gallery import files
    from gallery.imaging import load_rgb

    face, photo = astronaut, astronaut.photo

    def rendered(variant_id: int, after=None) -> np.ndarray:
        def done():
            variant = Variant.objects.get(pk=variant_id)
            assert variant.status != "failed", variant.error
            return variant.status == "ready" and (after is None or variant.updated > after)

        wait_for(done)
        return load_rgb(files.media_path(str(Variant.objects.get(pk=variant_id).image.name)))

    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/photos/{photo.pk}/")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    asked = page.evaluate(
        """async (url) => {
          const csrf = document.querySelector('[name=csrfmiddlewaretoken]').value;
          const response = await fetch(url, {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
            body: JSON.stringify({effect: 'gaze', direction: 'left', strength: 100})});
          return [response.status, (await response.json()).id];
        }""",
        f"/api/photos/{photo.pk}/variants/",
    )
    assert asked[0] == 202, asked
    before = rendered(asked[1])
    first_render = Variant.objects.get(pk=asked[1]).updated

    show_eyes(page)
    x, y = page.evaluate(MARKER_CENTRE, "left")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 3, steps=4)
    page.mouse.up()
    page.wait_for_selector("#eyes-hint:has-text('Saved')")
    face.refresh_from_db()
    corrected = face.left_eye
    assert corrected != pytest.approx((face.detected_left_x, face.detected_left_y))
    page.reload()
    show_eyes(page)
    expected = page.evaluate(IMAGE_POINT, list(corrected))
    assert page.evaluate(MARKER_CENTRE, "left") == pytest.approx(expected, abs=1.5)

    # The correction sent the variant back to the worker, which renders the corrected point.
    assert stored_faces(photo, 1.0)[face.pk].left_eye == corrected
    after = rendered(asked[1], after=first_render)
    changed = np.argwhere(np.abs(after.astype(int) - before.astype(int)).max(axis=2) > 12)
    assert len(changed) >= 10, f"{len(changed)} pixels changed"  # the left iris moved anew
    # Only around the left eye (the right pupil was not corrected).
    ys, xs = changed[:, 0], changed[:, 1]
    assert np.hypot(xs - corrected[0], ys - corrected[1]).max() < 20

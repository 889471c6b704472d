"""The Camera page in headless Chromium with a fake camera playing a clip of scikit-image's
`astronaut`: the preview blurs or replaces the background and keeps the person sharp, computed
in the browser; the shutter adds a photo and its effect variant; a refused camera is explained."""

from __future__ import annotations

import base64
import io
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
import numpy as np
import pytest
from django.db import connections
from PIL import Image

from effects.models import Variant
from gallery.models import Photo, Status
from tests import images
from tests.browser import fakecamera
from tests.browser.checks import ARGS, CHROMIUM, CSP_LISTENER, check_page
from tests.browser.conftest import screenshot, sign_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Any:
    return fakecamera.write_clip(tmp_path_factory.mktemp("camera") / "astronaut.y4m")


def launch(clip: Any, allow: bool = True) -> Iterator[Any]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = fakecamera.camera_args(clip, allow=allow)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield browser
        browser.close()
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def camera_browser(clip) -> Iterator[Any]:
    yield from launch(clip)


@pytest.fixture
def refusing_browser(clip) -> Iterator[Any]:
    yield from launch(clip, allow=False)


def camera_page(browser: Any, base: str, size: tuple[int, int] = (1366, 900)) -> Any:
    phone = size[0] < 500  # a touch screen, as on a real phone
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, is_mobile=phone, has_touch=phone
    )
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(60_000)
    sign_in(page, base, "alice", "alice-pass-123", then="/camera/")
    return page


def wait_for_frames(page: Any, more: int = 15) -> None:
    wait_until(page, "() => window.focalCamera && window.focalCamera.stats.frames > 0", timeout=60)
    start = page.evaluate("window.focalCamera.stats.frames")
    wait_until(page, "(n) => window.focalCamera.stats.frames > n", start + more, timeout=60)


def preview(page: Any) -> np.ndarray:
    """The preview's pixels (RGB) as drawn, before the page mirrors it for a front camera."""
    url = page.evaluate("document.getElementById('camera-view').toDataURL('image/png')")
    data = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def sharpness(pixels: np.ndarray, region: np.ndarray) -> float:
    """Variance of the Laplacian over `region`: how much fine detail is left there."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F)[region].var())


def test_the_preview_blurs_the_background_and_keeps_the_person_sharp(
    alice, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    page.fill("#camera-blur", "100")
    wait_for_frames(page)
    shown = preview(page)
    assert shown.shape == (fakecamera.HEIGHT, fakecamera.WIDTH, 3)
    source = fakecamera.frame(0, 30)
    person = fakecamera.boxes_in_frame(images.ASTRONAUT_PERSON)
    background = fakecamera.boxes_in_frame(images.ASTRONAUT_BACKGROUND)
    assert sharpness(shown, background) <= sharpness(source, background) / 5
    assert sharpness(shown, person) >= 0.8 * sharpness(source, person)
    screenshot(page, "camera-portrait-desktop")
    assert page.evaluate("window.__cspViolations") == []
    # The counter shows frames per second once a second of frames has been drawn.
    fps = wait_until(page, "() => document.getElementById('camera-fps').textContent", timeout=60)
    assert fps.endswith("fps") and int(fps.split()[0]) > 0


def test_a_colour_background_shows_that_colour_behind_the_person(
    alice, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    page.check("input[name=effect][value=background-color]")
    page.locator("input[name=color]").evaluate(
        "(el) => { el.value = '#00ff00'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    wait_for_frames(page)
    shown = preview(page).astype(int)
    background = fakecamera.boxes_in_frame(images.ASTRONAUT_BACKGROUND)
    person = fakecamera.boxes_in_frame(images.ASTRONAUT_PERSON)
    green = np.abs(shown - (0, 255, 0)).sum(axis=2) < 30
    assert green[background].mean() > 0.95
    assert green[person].mean() < 0.05
    # The person is the camera's own picture: it matches one of the clip's frames.
    difference = min(
        np.abs(shown - fakecamera.frame(i, 30).astype(int)).sum(axis=2)[person].mean()
        for i in range(30)
    )
    assert difference < 30


def test_hide_faces_blurs_the_face_in_the_preview_and_nothing_else(
    alice, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    page.check("input[name=effect][value=background-color]")  # the person whole, from the frame
    wait_for_frames(page)
    source = fakecamera.frame(0, 30)
    face = fakecamera.boxes_in_frame(images.ASTRONAUT_FACE)
    suit = fakecamera.boxes_in_frame(images.ASTRONAUT_SUIT)
    before = preview(page)
    assert sharpness(before, face) >= 0.8 * sharpness(source, face)

    page.check("#camera-hide-faces")
    assert page.locator("#camera-faces-note").is_visible()
    wait_until(page, "() => window.focalCamera.stats.faces === 1", timeout=60)
    wait_for_frames(page, 5)
    hidden = preview(page)
    assert sharpness(hidden, face) <= sharpness(source, face) / 10
    assert sharpness(hidden, suit) >= 0.8 * sharpness(source, suit)
    # The blurred face is not simply blanked: it keeps the face's average colour.
    assert np.abs(hidden[face].mean(axis=0) - source[face].mean(axis=0)).max() < 25
    assert page.evaluate("window.__cspViolations") == []

    page.uncheck("#camera-hide-faces")
    wait_for_frames(page, 5)
    assert sharpness(preview(page), face) >= 0.8 * sharpness(source, face)


def test_with_hide_faces_on_the_uploaded_photo_has_the_face_blurred(
    alice, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    page.check("#camera-hide-faces")
    wait_until(page, "() => window.focalCamera.stats.faces === 1", timeout=60)
    uploads = []
    page.on("request", lambda r: uploads.append(r) if r.url.endswith("/api/photos/") else None)
    page.click("#camera-shutter")
    page.wait_for_selector("#camera-result a")
    assert len(uploads) == 1  # one photo went up, and only the one below
    photo = Photo.objects.get(owner=alice)
    with photo.original.open("rb") as stream:
        stored = np.asarray(Image.open(stream).convert("RGB"))
    source = fakecamera.frame(0, 30)
    face = fakecamera.boxes_in_frame(images.ASTRONAUT_FACE)
    suit = fakecamera.boxes_in_frame(images.ASTRONAUT_SUIT)
    assert stored.shape == source.shape
    assert sharpness(stored, face) <= sharpness(source, face) / 10
    assert sharpness(stored, suit) >= 0.5 * sharpness(source, suit)  # JPEG, the rest intact


def test_the_shutter_waits_for_face_detection_when_hide_faces_is_on(
    alice, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    wait_for_frames(page, 2)

    # Slow the detector's model down: until it is loaded, no shot may be taken.
    def slowly(route: Any) -> None:
        time.sleep(3)
        route.continue_()

    page.route("**/face_detection_short_range.tflite", slowly)
    page.check("#camera-hide-faces")
    assert page.locator("#camera-shutter").is_disabled()
    page.locator("body").press("Space")
    wait_until(page, "() => !document.getElementById('camera-shutter').disabled", timeout=60)
    assert not Photo.objects.filter(owner=alice).exists()


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_the_camera_page_passes_the_layout_checks_while_live(
    alice, camera_browser, live_server, size
):
    page = camera_page(camera_browser, live_server.url, size)
    wait_for_frames(page, 5)
    name = "desktop" if size[0] > 1000 else "phone"
    report = check_page(page, "camera-live", name)
    screenshot(page, f"camera-live-{name}")
    assert not report.faults, str(report)
    page.check("#camera-hide-faces")
    wait_until(page, "() => window.focalCamera.stats.faces === 1", timeout=60)
    report = check_page(page, "camera-hide-faces", name)
    screenshot(page, f"camera-hide-faces-{name}")
    assert not report.faults, str(report)


def test_the_shutter_adds_the_photo_and_its_effect_becomes_ready(
    alice, celery_worker_process, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    wait_for_frames(page)
    page.locator("body").press("Space")
    link = page.wait_for_selector("#camera-result a[data-status=ready]", timeout=120_000)
    photo = Photo.objects.get(owner=alice)
    assert (photo.width, photo.height) == (fakecamera.WIDTH, fakecamera.HEIGHT)
    variant = Variant.objects.get(photo=photo)
    assert variant.status == Status.READY
    assert variant.spec.startswith("portrait:subject=")
    assert variant.subject == "person"
    # Titled as the gallery writes dates ("30 November 2026, 19:36"), not in a US format.
    taken = datetime.strptime(photo.title, "Camera %d %B %Y, %H:%M").replace(tzinfo=UTC)
    assert abs(taken - photo.created.replace(second=0, microsecond=0)) <= timedelta(minutes=1)
    assert link.get_attribute("href") == f"/photos/{photo.pk}/?variant={variant.pk}#effects"
    page.click("#camera-result a")
    page.wait_for_url(f"{live_server.url}/photos/{photo.pk}/**")


def test_when_nothing_is_found_where_the_preview_pointed_the_server_chooses_the_subject(
    alice, celery_worker_process, camera_browser, live_server
):
    page = camera_page(camera_browser, live_server.url)
    wait_for_frames(page)
    sent = []

    def find_nothing_there(route: Any) -> None:
        # As if the server's model saw nothing where the preview pointed: a subject that is
        # surely not in the shot fails the same way ("no_subject"). (A spot on the flag in the
        # corner did too, but not every time: DeepLab now and then found something there.)
        spec = json.loads(route.request.post_data)
        sent.append(spec["subject"])
        if spec["subject"] != "auto":
            spec["subject"] = "bus"
        route.continue_(post_data=json.dumps(spec))

    page.route("**/variants/", find_nothing_there)
    page.locator("body").press("Space")
    page.wait_for_selector("#camera-result a[data-status=ready]", timeout=120_000)
    assert len(sent) == 2 and sent[0] != "auto" and sent[1] == "auto"
    photo = Photo.objects.get(owner=alice)
    # The failed try at the point is deleted once the retry is asked for: the photo's effects
    # list only the one that worked.
    (ready,) = Variant.objects.filter(photo=photo)
    assert (ready.status, ready.subject) == (Status.READY, "person")
    assert "subject=auto" in ready.spec


@pytest.fixture(scope="module")
def empty_clip(tmp_path_factory) -> Any:
    folder = tmp_path_factory.mktemp("camera-empty")
    return fakecamera.write_clip(folder / "wall.y4m", scene=fakecamera.empty_frame)


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_a_shot_with_no_subject_is_saved_and_the_camera_says_so_in_its_own_words(
    alice, celery_worker_process, empty_clip, live_server, size
):
    for browser in launch(empty_clip):
        page = camera_page(browser, live_server.url, size)
        wait_for_frames(page)
        page.click("#camera-shutter")
        message = page.wait_for_selector("#camera-result .camera-error", timeout=120_000)
        text = message.inner_text()
        assert "no person, animal or vehicle was recognised" in text
        assert "click" not in text and "auto" not in text
        assert page.get_attribute("#camera-result a", "href") == (
            f"/photos/{Photo.objects.get(owner=alice).pk}/"
        )
        variant = Variant.objects.get(photo__owner=alice)
        assert (variant.status, variant.error_code) == (Status.FAILED, "no_subject")
        screenshot(page, f"camera-no-subject-{'desktop' if size[0] > 1000 else 'phone'}")


def test_a_refused_camera_is_explained(alice, refusing_browser, live_server):
    page = camera_page(refusing_browser, live_server.url)
    message = page.wait_for_selector("#camera-message:not([hidden])")
    wait_until(
        page, "() => !document.getElementById('camera-message').textContent.includes('Starting')"
    )
    assert "Camera access was refused" in message.inner_text()
    assert "set Camera to Allow" in message.inner_text()
    assert page.locator("#camera-shutter").is_disabled()
    # The next step: the page offers uploading instead, and no longer talks of the shutter.
    assert page.get_attribute("#camera-fallback a", "href") == "/upload/"
    assert page.is_visible("#camera-fallback") and page.is_hidden("#camera-hint")


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_with_no_camera_the_page_says_so_and_offers_uploading(alice, live_server, size):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = [*ARGS, "--use-fake-ui-for-media-stream"]  # allowed, but there is no camera
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        page = camera_page(browser, live_server.url, size)
        page.wait_for_selector("#camera-fallback:not([hidden])")
        assert "No camera was found" in page.inner_text("#camera-message")
        page.click("#camera-fallback a")
        page.wait_for_url(f"{live_server.url}/upload/")
        page.go_back()
        page.wait_for_selector("#camera-fallback:not([hidden])")
        # Nothing that needs a camera is left on show: no black preview, no effect choices,
        # no disabled shutter; the reason heads the card with the way without a camera.
        for hidden in ("#camera-view", ".camera-effects", "#camera-shutter", "#camera-hide-faces"):
            assert page.is_hidden(hidden), hidden
        message = page.locator("#camera-message").bounding_box()
        offer = page.locator("#camera-fallback").bounding_box()
        assert message is not None and offer is not None
        assert message["y"] == offer["y"] and message["x"] == offer["x"]
        assert message["width"] == pytest.approx(offer["width"], abs=1)
        name = "desktop" if size[0] > 1000 else "phone"
        report = check_page(page, "camera-none", name)
        screenshot(page, f"camera-none-{name}")
        assert not report.faults, str(report)
        browser.close()
    connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)])
def test_the_space_bar_is_mentioned_only_where_there_is_a_keyboard(
    alice, camera_browser, live_server, size
):
    page = camera_page(camera_browser, live_server.url, size)
    assert page.is_visible("#camera-hint")
    assert page.is_visible(".camera-keys") == (size[0] > 1000)

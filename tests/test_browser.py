"""In headless Chromium (Debian's package, driven by Playwright): sign in, choose and drop
images, watch their progress and thumbnails appear, open one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from tests import images

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does).")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 412, "height": 915})  # a phone
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()
        # ORM calls made while Playwright runs get their own connection (its greenlet has its
        # own context); close it here, or the test database cannot be dropped at the end.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/upload/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/upload/")


def test_upload_three_photos_and_open_one(
    celery_worker_process, live_server, browser_page, django_user_model, tmp_path
):
    django_user_model.objects.create_user("alice", password="alice-pass-123")
    page = browser_page
    sign_in(page, live_server.url, "alice", "alice-pass-123")

    paths = []
    for seed in range(3):
        path = tmp_path / f"holiday-{seed}.jpg"
        path.write_bytes(images.jpeg(1600, 1200, seed=40 + seed))
        paths.append(str(path))
    page.set_input_files("#file-input", paths[:2])

    # The third arrives by drag and drop onto the drop zone.
    data = Path(paths[2]).read_bytes()
    transfer = page.evaluate_handle(
        """(bytes) => {
            const dt = new DataTransfer();
            dt.items.add(new File([new Uint8Array(bytes)], "dropped.jpg", {type: "image/jpeg"}));
            return dt;
        }""",
        list(data),
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})

    items = page.locator("#upload-list .upload-item")
    assert items.count() == 3
    page.wait_for_function(
        """() => {
            const thumbs = [...document.querySelectorAll('.upload-item.done img.mini')];
            return thumbs.length === 3 && thumbs.every(img => img.complete && img.naturalWidth);
        }"""
    )
    widths = items.locator("img.mini").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [320, 320, 320]
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    if shots := os.environ.get("FOCAL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/upload.png", full_page=True)

    items.nth(0).locator("a", has_text="Open").click()
    page.wait_for_url("**/photos/*/")
    page.wait_for_function("document.getElementById('photo-image').complete")
    assert page.locator("#photo-image").evaluate("img => img.naturalWidth") == 1280
    assert "Ready" in page.inner_text("aside")
    if shots:
        page.screenshot(path=f"{shots}/photo.png", full_page=True)


def test_a_bad_file_shows_its_error_in_the_list(
    celery_worker_process, live_server, browser_page, django_user_model, tmp_path
):
    django_user_model.objects.create_user("bob", password="bob-pass-123")
    page = browser_page
    sign_in(page, live_server.url, "bob", "bob-pass-123")
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image at all\n" * 10)
    page.set_input_files("#file-input", [str(bad)])
    page.wait_for_selector("#upload-list .upload-item.error")
    assert "This is not a JPEG, PNG or WebP image." in page.inner_text("#upload-list")


def test_one_click_portrait_then_compare_before_and_after(
    celery_worker_process, live_server, browser_page, django_user_model
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gallery.actions import add_photo
    from tests.conftest import wait_for

    alice = django_user_model.objects.create_user("carol", password="carol-pass-123")
    upload = SimpleUploadedFile("me.jpg", images.person_photo(), "image/jpeg")
    photo = add_photo(alice, upload).photo
    wait_for(lambda: type(photo).objects.get(pk=photo.pk).status == "ready")
    page = browser_page
    sign_in(page, live_server.url, "carol", "carol-pass-123")
    page.goto(f"{live_server.url}/photos/{photo.pk}/")

    # Tap the person on the photo to choose the subject, then one click on Portrait.
    page.click("#photo-image", position={"x": 200, "y": 150})
    assert page.eval_on_selector("#effect-subject", "s => s.value").count(",") == 1
    page.click("button[value=portrait]")
    page.wait_for_selector("#effect-status progress", state="attached")
    page.wait_for_selector("#compare:not([hidden])", timeout=60_000)
    page.wait_for_function("document.getElementById('compare-after').naturalWidth > 0")
    assert page.locator("#variant-list .variant").count() == 1
    assert "person" in page.inner_text("#compare-label")

    # The slider moves the split between before and after.
    page.fill(".compare-range", "80")
    split = page.eval_on_selector(".compare-after", "e => e.style.getPropertyValue('--split')")
    assert split == "80%"
    if shots := os.environ.get("FOCAL_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/portrait.png", full_page=True)

    # A subject that is not there fails with the reason, in the page.
    page.select_option("#effect-subject", "cat")
    page.click("button[value=portrait]")
    page.wait_for_selector("#effect-status .error", timeout=60_000)
    assert "No cat found" in page.inner_text("#effect-status")
    if shots:
        page.screenshot(path=f"{shots}/portrait-failed.png", full_page=True)

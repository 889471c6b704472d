"""In headless Chromium (Debian's package, driven by Playwright): sign in, choose and drop
images, watch their progress and thumbnails appear, open one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import images
from tests.browser.conftest import screenshot, wait_until
from tests.browser.conftest import sign_in as signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(open_page):
    return open_page("phone")


def sign_in(page, base: str, username: str, password: str) -> None:
    signed_in(page, base, username, password, then="/upload/")


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
    # The newest batch on top, and each batch's files in the order they were chosen.
    names = items.locator(".name").all_inner_texts()
    assert names == ["dropped.jpg", "holiday-0.jpg", "holiday-1.jpg"]
    wait_until(
        page,
        """() => {
            const thumbs = [...document.querySelectorAll('.upload-item.done img.mini')];
            return thumbs.length === 3 && thumbs.every(img => img.complete && img.naturalWidth);
        }""",
    )
    widths = items.locator("img.mini").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [320, 320, 320]
    screenshot(page, "upload-progress-phone")

    items.nth(0).locator("a", has_text="Open").click()
    page.wait_for_url("**/photos/*/")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    assert page.locator("#photo-image").evaluate("img => img.naturalWidth") == 1280
    assert "Only you" in page.inner_text("#info")


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
    # In place of the thumbnail: a warning sign, not a blank square.
    sign = page.evaluate(
        "() => getComputedStyle(document.querySelector('.upload-item.error .mini'), '::after')"
        ".content"
    )
    assert sign == '"!"'


# Every change to the list: the summary line, and how many rows are still sent or processed.
WATCH_THE_SUMMARY = """() => {
  window.__seen = [];
  const look = () => window.__seen.push([
    document.getElementById('upload-summary').textContent,
    document.querySelectorAll('.upload-item:not(.done):not(.error)').length]);
  new MutationObserver(look).observe(document.getElementById('upload-list'),
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def test_the_same_picture_twice_under_two_names_both_rows_finish_and_the_count_holds(
    celery_worker_process, live_server, browser_page, django_user_model, tmp_path
):
    django_user_model.objects.create_user("alice", password="alice-pass-123")
    page = browser_page
    sign_in(page, live_server.url, "alice", "alice-pass-123")
    data = images.jpeg(1600, 1200, seed=7)
    paths = [tmp_path / "cat.jpg", tmp_path / "chelsea.jpg"]
    for path in paths:
        path.write_bytes(data)
    page.evaluate(WATCH_THE_SUMMARY)
    page.set_input_files("#file-input", [str(p) for p in paths])
    wait_until(page, "() => document.querySelectorAll('.upload-item.done').length === 2")
    states = page.locator(".upload-item .state").all_inner_texts()
    assert sorted(states) == ["Added. Open", "Already in your photos. Open"]
    assert page.inner_text("#upload-summary") == ""
    seen = page.evaluate("() => window.__seen")
    # While a row was not finished, the summary never went blank.
    assert [text for text, open_rows in seen if open_rows and not text] == []


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

    # Tapping the photo does nothing by surprise: no subject is chosen, no marker appears.
    page.click("#photo-image", position={"x": 150, "y": 120})
    assert page.eval_on_selector("#effect-subject", "s => s.value") == "auto"
    assert page.locator(".tap-marker").count() == 0

    # In tap mode, a tap on the person chooses the subject and leaves a marker there.
    page.click("#tap-toggle")
    assert page.get_attribute("#tap-toggle", "aria-pressed") == "true"
    page.click("#photo-image", position={"x": 150, "y": 120})
    assert page.eval_on_selector("#effect-subject", "s => s.value").count(",") == 1
    marker = page.locator(".tap-marker").bounding_box()
    image = page.locator("#photo-image").bounding_box()
    assert abs(marker["x"] + marker["width"] / 2 - (image["x"] + 150)) < 3
    assert abs(marker["y"] + marker["height"] / 2 - (image["y"] + 120)) < 3
    assert page.get_attribute("#tap-toggle", "aria-pressed") == "false"

    page.click("button[value=portrait]")
    page.wait_for_selector("#effect-status progress", state="attached")
    page.wait_for_selector(".compare-after:not([hidden])", timeout=60_000)
    wait_until(page, "() => document.getElementById('compare-after').naturalWidth > 0")
    # On a phone the panel is below the photo: the page scrolls back up to show the result.
    wait_until(
        page,
        """async () => {
      const top = () => document.getElementById('compare-after').getBoundingClientRect().top;
      const before = top();
      await new Promise((done) => setTimeout(done, 200));
      return before === top() && before >= 0 && before < innerHeight / 2;
    }""",
    )
    rows = page.locator("#variant-list .variant")
    assert rows.count() == 1
    label = rows.first.inner_text()
    assert "Portrait" in label and "tapped at" in label and "(person)" in label
    assert "Ready" in label and "Delete" in label

    # The slider moves the divider between before and after; its handle shows where.
    page.fill(".compare-range", "80")
    split = page.eval_on_selector("#frame", "e => e.style.getPropertyValue('--split')")
    assert split == "80%"
    handle = page.locator(".compare-handle").bounding_box()
    assert abs(handle["x"] + handle["width"] / 2 - (image["x"] + 0.8 * image["width"])) < 3
    screenshot(page, "portrait-phone")

    # A subject that is not there fails with the reason, in the page.
    page.select_option("#effect-subject", "cat")
    page.click("button[value=portrait]")
    page.wait_for_selector("#effect-status .error", timeout=60_000)
    assert "No cat found" in page.inner_text("#effect-status")
    assert "Failed" in page.locator("#variant-list .variant").first.inner_text()

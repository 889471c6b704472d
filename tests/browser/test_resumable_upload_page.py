"""The upload page over tus, in headless Chromium: a reload in the middle of a file asks first,
says what stopped, and choosing the file again continues it from the server's offset (seen on
the server: the first piece after the reload starts past 0) until the photo appears. Also the
page's layout, accessibility and CSP with uploads listed and one stopped, at both sizes."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from django.core.signals import request_started
from PIL import Image

from gallery.models import Photo, Upload
from gallery.views import UPLOAD_PIECE_BYTES
from tests.browser.checks import check_page
from tests.browser.conftest import screenshot, wait_until
from tests.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MB = 2**20
PIECE = UPLOAD_PIECE_BYTES  # what the page sends per PATCH
THUMBNAIL_SHOWN = """() => { const img = document.querySelector('.upload-item.done img.mini');
                             return img && img.complete && img.naturalWidth > 0; }"""


def noise_png(side: int, seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    return out.getvalue()


@pytest.fixture
def patches():
    """The Upload-Offset of every PATCH the server receives, in order (recorded as each
    request starts, by Django's own signal)."""
    seen: list[int] = []

    def record(sender, environ, **kwargs):
        if environ["REQUEST_METHOD"] == "PATCH" and environ["PATH_INFO"].startswith(
            "/api/uploads/"
        ):
            seen.append(int(environ.get("HTTP_UPLOAD_OFFSET", "-1")))

    request_started.connect(record)
    yield seen
    request_started.disconnect(record)


def slow_network(page, bytes_per_second: int, *, offline: bool = False):
    """Chromium's network emulation for this page: uploads at `bytes_per_second`, or none."""
    cdp = getattr(page, "_focal_cdp", None)
    if cdp is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        page._focal_cdp = cdp
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 20, "downloadThroughput": -1,
         "uploadThroughput": bytes_per_second},
    )  # fmt: skip


def test_a_reload_mid_file_resumes_from_the_servers_offset(
    celery_worker_process, live_server, open_page, django_user_model, tmp_path, patches
):
    django_user_model.objects.create_user("alice", password="alice-pass-123")
    data = noise_png(2000, seed=9)  # about 11.5 MB: three pieces
    path = tmp_path / "night sky.png"
    path.write_bytes(data)
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/upload/")
    assert "choose the same files again" in page.inner_text("#resume-hint")
    page.click("h1")  # the browser asks before leaving only a page someone has used
    slow_network(page, 3 * MB)
    page.set_input_files("#file-input", str(path))

    # The first piece is on the server; the second is on its way when the page reloads.
    wait_for(lambda: Upload.objects.filter(offset__gte=PIECE).exists(), timeout=60)
    wait_for(lambda: len(patches) >= 2, timeout=10)
    dialogs: list[str] = []

    def leave_anyway(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave_anyway)
    sent_before_reload = len(patches)
    page.reload()
    assert dialogs == ["beforeunload"], "leaving while a file is uploading asks first"
    note = page.locator("#resume-note")
    note.wait_for()
    assert "1 upload stopped before it finished" in note.inner_text()
    assert "night sky.png" in note.inner_text()
    screenshot(page, "upload-stopped-desktop")
    kept = Upload.objects.get().offset
    assert kept >= PIECE

    page.set_input_files("#file-input", str(path))
    wait_until(page, THUMBNAIL_SHOWN, timeout=120)
    after_reload = patches[sent_before_reload:]
    assert after_reload and after_reload[0] >= kept > 0, (kept, patches)
    assert page.locator("#resume-note").is_hidden()
    photo = Photo.objects.get()
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.title == "night sky"
    assert Upload.objects.get().photo == photo
    assert "Added." in page.inner_text("#upload-list")
    assert page.evaluate("localStorage.length") == 1  # only the visibility choice is left
    screenshot(page, "upload-resumed-desktop")


def test_a_lost_connection_is_retried_and_the_file_continues_where_it_was(
    celery_worker_process, live_server, open_page, django_user_model, tmp_path, patches
):
    django_user_model.objects.create_user("alice", password="alice-pass-123")
    data = noise_png(2000, seed=11)  # about 11.5 MB: three pieces
    path = tmp_path / "harbour.png"
    path.write_bytes(data)
    page = open_page("phone", "alice")
    page.goto(live_server.url + "/upload/")
    slow_network(page, 3 * MB)
    page.set_input_files("#file-input", str(path))
    wait_for(lambda: Upload.objects.filter(offset__gte=PIECE).exists(), timeout=60)

    # The connection goes: the browser says it is offline and every request to the server
    # fails (Chromium's offline emulation alone lets requests to 127.0.0.1 through).
    page.context.set_offline(True)
    page.route("**/api/uploads/**", lambda route: route.abort("internetdisconnected"))
    page.wait_for_selector(".upload-item .state:has-text('Offline')", timeout=60_000)
    screenshot(page, "upload-offline-phone")
    stored = Upload.objects.get().offset
    assert PIECE <= stored < len(data)
    sent_before = len(patches)
    page.unroute("**/api/uploads/**")
    page.context.set_offline(False)  # the page hears "online" and tries again at once
    wait_until(page, THUMBNAIL_SHOWN, timeout=120)
    assert patches[sent_before] == stored, (stored, patches)
    assert Upload.objects.count() == 1, "the same upload continued; none was started again"
    assert Photo.objects.get().sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_upload_page_with_a_stopped_upload_and_files_in_progress_looks_right(
    size, live_server, open_page, django_user_model, tmp_path
):
    django_user_model.objects.create_user("alice", password="alice-pass-123")
    page = open_page(size, "alice")
    page.goto(live_server.url + "/upload/")
    slow_network(page, 200_000)
    big = tmp_path / "a long file name from a camera roll IMG_20240611_183012.png"
    big.write_bytes(noise_png(1200, seed=3))
    page.set_input_files("#file-input", str(big))
    wait_for(lambda: Upload.objects.exists(), timeout=30)
    # The row says how far the file has gone, in per cent and in MB.
    shown = wait_until(
        page,
        """() => (document.querySelector('.upload-item .state').textContent
                  .match(/^Uploading… \\d+% \\([\\d.]+ of [\\d.]+ MB\\)$/) || [null])[0]""",
    )
    assert shown.startswith("Uploading…"), shown
    page.on("dialog", lambda dialog: dialog.accept())
    page.reload()
    page.locator("#resume-note").wait_for()
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo\n" * 50)
    small = tmp_path / "small.png"
    small.write_bytes(noise_png(300, seed=4))
    page.set_input_files("#file-input", [str(notes), str(small)])
    page.wait_for_selector(".upload-item.error")
    report = check_page(page, "upload-in-progress", size)
    assert not report.faults, str(report)
    screenshot(page, f"upload-in-progress-{size}")

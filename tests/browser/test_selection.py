"""Selecting many photos: mouse, Shift+click, keyboard, long press on a phone; the bar's actions."""

from __future__ import annotations

import pytest

from gallery.demo import seed
from gallery.models import Album, Photo
from tests.browser.checks import small_tap_targets
from tests.browser.conftest import screenshot, wait_for_layout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    return seed(14)


def own_ids(page) -> list[int]:
    return page.eval_on_selector_all(
        ".tile[data-mine]", "ts => ts.map(t => Number(t.dataset.photo))"
    )


# Labels of the bar's buttons that break over lines, and how far the bar sticks out.
BAR_FAULTS = """() => {
  const bar = document.getElementById('selection-bar').getBoundingClientRect();
  const wrapped = [...document.querySelectorAll('#selection-bar button .label')]
    .filter(label => label.getClientRects().length > 1).map(label => label.textContent);
  return { wrapped, outside: Math.max(0, -bar.left, bar.right - innerWidth) };
}"""


def test_select_with_the_mouse_and_shift_then_trash_with_undo(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/")
    ids = own_ids(page)
    assert page.locator("#selection-bar").is_hidden()
    page.hover(f".tile[data-photo='{ids[0]}']")
    page.click(f".tile[data-photo='{ids[0]}'] .tile-check")
    assert page.inner_text("#selection-count") == "1"
    # Every label on one line, the bar inside the window: at full size and in a narrow window.
    assert page.evaluate(BAR_FAULTS) == {"wrapped": [], "outside": 0}
    screenshot(page, "selection-desktop")
    page.set_viewport_size({"width": 760, "height": 900})
    assert page.evaluate(BAR_FAULTS) == {"wrapped": [], "outside": 0}
    screenshot(page, "selection-760")
    page.set_viewport_size({"width": 1366, "height": 900})
    wait_for_layout(page)  # tiles move when the grid is laid out again
    page.click(f".tile[data-photo='{ids[3]}'] .tile-link", modifiers=["Shift"])
    assert page.inner_text("#selection-count") == "4"
    assert page.url == live_server.url + "/"  # selecting never opened a photo
    page.click(f".tile[data-photo='{ids[2]}'] .tile-link")  # a click toggles while selecting
    assert page.inner_text("#selection-count") == "3"
    page.click("[data-bulk-action=trash]")
    page.wait_for_selector("#toast:not([hidden])")
    assert "Moved 3 photos to the trash" in page.inner_text("#toast")
    toast = page.locator("#toast").bounding_box()
    assert toast is not None and toast["width"] >= 22 * 16 and toast["height"] < 60
    screenshot(page, "trashed-desktop")
    for photo_id in (ids[0], ids[1], ids[3]):
        assert page.locator(f".tile[data-photo='{photo_id}']").count() == 0
    assert (
        Photo.objects.filter(pk__in=[ids[0], ids[1], ids[3]], trashed_at__isnull=False).count() == 3
    )
    with page.expect_navigation():
        page.click("#toast button")
    assert Photo.objects.filter(trashed_at__isnull=False).count() == 0
    assert page.locator(f".tile[data-photo='{ids[0]}']").count() == 1
    page.wait_for_selector("#toast:not([hidden])")  # and it says so
    assert page.inner_text("#toast") == "Restored 3 photos from the trash."
    screenshot(page, "restored-desktop")


def test_keyboard_selection_and_a_new_album(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/")
    ids = own_ids(page)
    page.focus(f".tile[data-photo='{ids[0]}'] .tile-link")
    page.keyboard.press("x")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("x")
    assert page.inner_text("#selection-count") == "2"
    page.click("[data-menu=album-menu]")
    page.fill("#new-album-title", "Weekend")
    page.click("[data-new-album]")
    page.wait_for_selector("#toast:not([hidden])")
    album = Album.objects.get(title="Weekend")
    assert set(album.photos.values_list("pk", flat=True)) == set(ids[:2])
    assert page.locator("#selection-bar").is_hidden()
    page.keyboard.press("Escape")


def test_a_long_press_starts_a_selection_on_a_phone(demo, open_page, live_server):
    page = open_page("phone", "alice")
    page.goto(live_server.url + "/")
    ids = own_ids(page)
    tile = page.locator(f".tile[data-photo='{ids[0]}']")
    box = tile.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    point = [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point})
    page.wait_for_timeout(700)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_selector("#selection-bar:not([hidden])")
    assert page.inner_text("#selection-count") == "1"
    assert page.url == live_server.url + "/"
    page.tap(f".tile[data-photo='{ids[1]}'] .tile-link")  # a tap adds while selecting
    assert page.inner_text("#selection-count") == "2"
    assert page.evaluate(BAR_FAULTS) == {"wrapped": [], "outside": 0}
    page.tap("[data-bulk-action=trash]")
    page.wait_for_selector("#toast:not([hidden])")
    # The message spans the phone's width, at most two lines, not a narrow column over tiles.
    toast = page.locator("#toast").bounding_box()
    assert toast is not None and toast["width"] >= 390 - 16 - 1 and toast["height"] <= 70
    screenshot(page, "trashed-phone")
    assert small_tap_targets(page, "#toast button") == []

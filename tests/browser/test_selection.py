"""Selecting many photos: mouse, Shift+click, keyboard, long press on a phone; the bar's actions."""

from __future__ import annotations

import pytest

from gallery.demo import seed
from gallery.models import Album, Photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    return seed(14)


def own_ids(page) -> list[int]:
    return page.eval_on_selector_all(
        ".tile[data-mine]", "ts => ts.map(t => Number(t.dataset.photo))"
    )


def test_select_with_the_mouse_and_shift_then_trash_with_undo(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/")
    ids = own_ids(page)
    assert page.locator("#selection-bar").is_hidden()
    page.hover(f".tile[data-photo='{ids[0]}']")
    page.click(f".tile[data-photo='{ids[0]}'] .tile-check")
    assert page.inner_text("#selection-count") == "1"
    page.click(f".tile[data-photo='{ids[3]}'] .tile-link", modifiers=["Shift"])
    assert page.inner_text("#selection-count") == "4"
    assert page.url == live_server.url + "/"  # selecting never opened a photo
    page.click(f".tile[data-photo='{ids[2]}'] .tile-link")  # a click toggles while selecting
    assert page.inner_text("#selection-count") == "3"
    page.click("[data-bulk-action=trash]")
    page.wait_for_selector("#toast:not([hidden])")
    assert "Moved 3 photos to the trash" in page.inner_text("#toast")
    for photo_id in (ids[0], ids[1], ids[3]):
        assert page.locator(f".tile[data-photo='{photo_id}']").count() == 0
    assert (
        Photo.objects.filter(pk__in=[ids[0], ids[1], ids[3]], trashed_at__isnull=False).count() == 3
    )
    with page.expect_navigation():
        page.click("#toast button")
    assert Photo.objects.filter(trashed_at__isnull=False).count() == 0
    assert page.locator(f".tile[data-photo='{ids[0]}']").count() == 1


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

"""The viewer and the grid with keyboard, mouse and touch: opening, stepping, zooming, closing,
scrolling for more photos."""

from __future__ import annotations

import pytest

from gallery.demo import seed
from gallery.models import Photo
from tests.browser.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    return seed(14)


def timeline_ids(page) -> list[int]:
    return page.eval_on_selector_all(".jgrid .tile", "ts => ts.map(t => Number(t.dataset.photo))")


def test_arrow_keys_move_through_the_grid_and_enter_opens_the_viewer(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/")
    ids = timeline_ids(page)
    page.focus(f".tile[data-photo='{ids[0]}'] .tile-link")
    focused = "document.activeElement.closest('.tile').dataset.photo"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) == str(ids[1])
    page.keyboard.press("ArrowDown")
    below = int(page.evaluate(focused))
    first_row = page.eval_on_selector_all(
        ".jrow:first-child .tile", "ts => ts.map(t => Number(t.dataset.photo))"
    )
    assert below not in first_row and below in ids
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/photos/{below}/")
    assert page.locator("#photo-image").is_visible()


def test_the_viewer_steps_with_arrow_keys_and_closes_back_to_the_grid(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/")
    page.mouse.wheel(0, 300)
    ids = timeline_ids(page)
    page.click(f".tile[data-photo='{ids[1]}']")
    page.wait_for_url(f"**/photos/{ids[1]}/")
    page.keyboard.press("ArrowRight")  # older: the next tile in the grid
    page.wait_for_url(f"**/photos/{ids[2]}/")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/photos/{ids[1]}/")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/photos/{ids[0]}/")
    assert page.locator("#viewer-prev").count() == 0  # the newest photo has no newer one
    # Stepping replaced the history entry: Esc (like Back) returns to the grid.
    page.keyboard.press("Escape")
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".jgrid .tile").count() == len(ids)
    # The keyboard goes on from the photo seen last, not from the top of the page.
    focused = "() => document.activeElement.closest('.tile')?.dataset.photo"
    assert wait_until(page, focused, timeout=5) == str(ids[0])


def test_zoom_with_keys_wheel_and_double_click_then_reset(demo, open_page, live_server):
    photo = Photo.objects.get(title="Old town 2")
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/photos/{photo.pk}/")
    wait_until(page, "() => document.getElementById('photo-image').complete")
    frame = "document.getElementById('frame').getBoundingClientRect().width"
    shown = page.evaluate(frame)
    page.keyboard.press("+")
    assert page.inner_text("#zoom-label") == "150%"
    assert page.evaluate(frame) == pytest.approx(1.5 * shown, rel=0.01)
    page.keyboard.press("0")
    assert page.locator("#zoom-label").is_hidden()
    box = page.locator("#photo-image").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    assert page.evaluate(frame) > 1.5 * shown
    page.keyboard.press("Escape")  # the first Esc leaves the zoom, not the viewer
    assert page.locator("#zoom-label").is_hidden()
    assert f"/photos/{photo.pk}/" in page.url
    page.dblclick("#photo-image")
    assert page.inner_text("#zoom-label") == "250%"
    # Zoomed past the preview's pixels, the original is loaded in its place.
    wait_until(page, "() => document.getElementById('photo-image').src.includes('/original')")


def test_a_swipe_on_a_phone_goes_to_the_next_photo(demo, open_page, live_server):
    page = open_page("phone", "alice")
    page.goto(live_server.url + "/")
    ids = timeline_ids(page)
    page.click(f".tile[data-photo='{ids[0]}']")
    page.wait_for_url(f"**/photos/{ids[0]}/")
    box = page.locator("#stage").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.8, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=4)
    page.mouse.up()
    page.wait_for_url(f"**/photos/{ids[1]}/")


def test_scrolling_down_loads_older_photos_without_repeats(demo, open_page, live_server, settings):
    settings.FOCAL_PAGE_SIZE = 5
    page = open_page("phone", "alice")
    page.goto(live_server.url + "/")
    # The first page holds 5; the next may already be on its way (it loads well before the end).
    assert page.locator(".jgrid .tile").count() >= 5
    expected = Photo.objects.visible_to(demo["alice"]).count()
    for _ in range(20):
        if page.locator(".timeline-end").count():
            break
        shown = page.locator(".jgrid .tile").count()
        page.mouse.wheel(0, 4000)
        wait_until(
            page,
            "(n) => document.querySelectorAll('.jgrid .tile').length > n"
            " || document.querySelector('.timeline-end') !== null",
            shown,
        )
    ids = timeline_ids(page)
    assert len(ids) == len(set(ids)) == expected
    shot_at = dict(Photo.objects.values_list("pk", "shot_at"))
    assert [shot_at[i] for i in ids] == sorted((shot_at[i] for i in ids), reverse=True)
    # A day continued across pages has one heading (a row that goes on with it beside the next
    # day repeats it only for the eye), and every row is still justified.
    days = page.eval_on_selector_all(".day-title:not(.again)", "hs => hs.map(h => h.dataset.day)")
    assert len(days) == len(set(days))
    assert page.locator(".day-title.again:not([aria-hidden=true])").count() == 0
    assert page.locator(".jrow").count() >= expected // 3

"""Long names and narrow phones: nothing wider than the window, every control of a bar or panel
inside it and big enough to tap; the viewer's keys and arrows on a phone."""

from __future__ import annotations

import re

import pytest

from gallery import albums
from gallery.demo import seed
from gallery.models import Photo
from tests.browser.checks import small_tap_targets
from tests.browser.conftest import screenshot, wait_for_layout, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_NAME = "Space & cats — a very long album name to see how titles wrap on small screens"


@pytest.fixture
def demo():
    users = seed(24)
    mine = list(Photo.objects.filter(owner=users["alice"]).order_by("-shot_at"))
    albums.create_album(users["alice"], LONG_NAME, [mine[0].pk])
    return {"users": users, "photo": mine[3]}  # a photo not in the album


# Controls of the photo page's panel that stick out of their section, and the page's width.
PANEL_FAULTS = """() => {
  const view = document.documentElement.clientWidth;
  const controls = '#viewer-panel :is(button, select, input:not([type=hidden]), a, .jrow)';
  const outside = [...document.querySelectorAll(controls)].filter(el => {
    const r = el.getBoundingClientRect(), box = el.closest('.panel-section');
    if (!box || r.width === 0) return false;
    const b = box.getBoundingClientRect();
    return r.left < b.left - 0.5 || r.right > b.right + 0.5;
  }).map(el => el.outerHTML.slice(0, 70));
  return { wide: document.scrollingElement.scrollWidth - view, outside,
    bar: [...document.querySelectorAll('.viewer-bar > *')].filter(el =>
      el.getBoundingClientRect().right > view + 0.5).length };
}"""


@pytest.mark.parametrize("size", ["small-phone", "phone", "desktop"])
def test_a_long_album_name_does_not_widen_the_photo_page(size, demo, open_page, live_server):
    page = open_page(size, "alice")
    assert page.goto(f"{live_server.url}/photos/{demo['photo'].pk}/").status == 200
    wait_until(page, "() => document.querySelector('#similar .jrow')")  # the strip is laid out
    wait_for_layout(page)  # and laid out again if its column changed
    assert page.evaluate(PANEL_FAULTS) == {"wide": 0, "outside": [], "bar": 0}
    # The album menu keeps the whole name at hand, in a title when the option is cut.
    option = page.locator("select[name=album] option").first
    assert option.get_attribute("title") == LONG_NAME
    # The album controls are set apart from the title and visibility form, under a heading.
    save = page.get_by_role("button", name="Save changes").bounding_box()
    heading = page.locator("#edit h3", has_text="Albums").bounding_box()
    assert save is not None and heading is not None
    assert heading["y"] >= save["y"] + save["height"] + 16
    screenshot(page, f"photo-long-album-{size}")


def test_the_similar_strips_are_laid_out_again_when_the_panel_narrows(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/photos/{demo['photo'].pk}/")
    wait_until(page, "() => document.querySelector('#similar .jrow')")
    page.set_viewport_size({"width": 390, "height": 844})  # the panel moves under the photo
    wait_until(
        page,
        """() => [...document.querySelectorAll('#similar .jrow')].every(row =>
            Math.abs(row.getBoundingClientRect().width - row.parentElement.clientWidth) < 2)
          && document.querySelector('#similar .jgrid').clientWidth > 300""",
    )
    assert page.evaluate(PANEL_FAULTS) == {"wide": 0, "outside": [], "bar": 0}


# Every control of the selection bar (and of an open menu) inside the window.
OUTSIDE = """(selector) => [...document.querySelectorAll(selector)].filter(el => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && (r.left < 0 || r.right > document.documentElement.clientWidth
    || r.bottom > innerHeight);
}).map(el => el.textContent.trim() || el.outerHTML.slice(0, 60))"""


@pytest.mark.parametrize("width", [320, 360, 1366])
def test_the_selection_bar_and_its_album_menu_fit_the_window(width, demo, open_page, live_server):
    page = open_page("desktop" if width > 1000 else "small-phone", "alice")
    page.set_viewport_size({"width": width, "height": 900 if width > 1000 else 720})
    page.goto(live_server.url + "/")
    page.locator(".tile[data-mine] .tile-check").first.click(force=True)
    assert page.evaluate(OUTSIDE, "#selection-bar > *, #selection-bar button") == []
    page.click("[data-menu=album-menu]")
    menu = page.locator("#album-menu")
    assert page.evaluate(OUTSIDE, "#album-menu, #album-menu > *") == []
    assert menu.get_by_role("button", name=LONG_NAME).is_visible()
    if width < 1000:  # a finger's size
        bar = "#selection-bar > button, #selection-bar > .selection-menu-wrap > button"
        assert small_tap_targets(page, bar) == []
    screenshot(page, f"selection-long-album-{width}")


# The bar's shown controls that do not share one row with the rest, and its actions' names.
BAR_ROWS = """() => {
  const shown = [...document.querySelectorAll(
    '#selection-bar > *, #selection-bar > .selection-menu-wrap > button')]
    .filter(el => el.getBoundingClientRect().width > 0 && !el.matches('.selection-menu-wrap'))
    .map(el => el.getBoundingClientRect());
  const top = Math.max(...shown.map(r => r.top)), bottom = Math.min(...shown.map(r => r.bottom));
  return top < bottom;
}"""
ALBUM_ACTIONS = {"Remove from album", "Make cover", "Who sees them", "Download", "Move to trash"}


@pytest.mark.parametrize("width", [320, 390, 1366])
def test_the_album_pages_selection_bar_is_one_row_with_every_action_at_hand(
    width, demo, open_page, live_server
):
    alice = demo["users"]["alice"]
    mine = Photo.objects.filter(owner=alice).order_by("-shot_at")
    album = albums.create_album(alice, "Walks", [p.pk for p in mine[4:16]])
    page = open_page("desktop" if width > 1000 else "phone", "alice")
    page.set_viewport_size({"width": width, "height": 900 if width > 1000 else 720})
    page.goto(f"{live_server.url}/albums/{album.pk}/")
    wait_for_layout(page)  # a click before the grid is laid out may land between tiles
    ids = page.eval_on_selector_all(".tile[data-mine]", "ts => ts.map(t => t.dataset.photo)")
    page.locator(f".tile[data-photo='{ids[0]}'] .tile-check").click(force=True)
    for photo in ids[1:10]:
        page.click(f".tile[data-photo='{photo}'] .tile-link")
    assert page.inner_text("#selection-count") == "10"  # two digits: the widest count likely
    assert page.evaluate(BAR_ROWS), "the selection bar wraps to a second row"
    assert page.evaluate(OUTSIDE, "#selection-bar > *, #selection-bar button") == []
    if width < 1000:
        bar = "#selection-bar > button, #selection-bar > .selection-menu-wrap > button"
        assert small_tap_targets(page, bar) == []
    screenshot(page, f"album-selection-{width}", full_page=False)  # the bar where it sits
    # Every action is on the bar or in one of its menus, by name (icons alone on a phone).
    bar = page.locator("#selection-bar")
    at_hand = {name for name in ALBUM_ACTIONS if bar.get_by_role("button", name=name).is_visible()}
    for opener in bar.locator("[data-menu]").all():
        if not opener.is_visible():
            continue
        opener.click()
        for name in ALBUM_ACTIONS - at_hand:
            if bar.get_by_role("button", name=name).is_visible():
                at_hand.add(name)
                assert page.evaluate(OUTSIDE, f"#{opener.get_attribute('data-menu')} *") == []
                if width < 1000:
                    screenshot(page, f"album-selection-menu-{width}", full_page=False)
        opener.click()
    assert at_hand == ALBUM_ACTIONS
    # Make cover from wherever it is: the menu's copy does what the bar's button does.
    for photo in [ids[0], *ids[2:10]]:
        page.click(f".tile[data-photo='{photo}'] .tile-link")
    assert page.inner_text("#selection-count") == "1"
    cover = bar.get_by_role("button", name="Make cover")
    if not cover.is_visible():
        bar.get_by_role("button", name="This album").click()
    cover.click()
    page.locator("#toast", has_text="now the album's cover").wait_for()
    album.refresh_from_db()
    assert album.cover_id == int(ids[1])


def test_day_headings_on_a_phone_name_the_month_instead_of_being_cut(demo, open_page, live_server):
    page = open_page("phone")  # a visitor: days of one or two photos, narrow headings
    page.goto(live_server.url + "/")
    headings = page.evaluate(
        """() => [...document.querySelectorAll('.jrow > .day-title')].map(h => ({
            text: h.textContent, cut: h.scrollWidth > h.clientWidth + 1 }))"""
    )
    assert [h for h in headings if h["cut"]] == []
    # Every heading names its month; where "Tue 24 Nov" did not fit, it says "24 Nov".
    assert [h["text"] for h in headings if not re.search(r"\d+ (Oct|Nov)$", h["text"])] == []
    assert any(re.fullmatch(r"\d+ Nov", h["text"]) for h in headings)
    screenshot(page, "timeline-visitor-390")


def test_esc_and_the_arrows_work_while_a_panel_button_has_focus(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/")
    ids = page.eval_on_selector_all(".jgrid .tile", "ts => ts.map(t => Number(t.dataset.photo))")
    page.goto(f"{live_server.url}/photos/{ids[1]}/")
    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/photos/{ids[2]}/")
    page.get_by_role("button", name="Save changes").focus()
    page.keyboard.press("Escape")
    page.wait_for_url(live_server.url + "/")
    # Typing in a field is left alone: Esc in the title box does not close the photo.
    page.goto(f"{live_server.url}/photos/{ids[1]}/")
    page.focus("input[name=title]")
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/photos/{ids[1]}/")


def test_on_a_touch_phone_the_arrows_stay_off_the_middle_of_the_photo(demo, open_page, live_server):
    page = open_page("small-phone", "alice")
    page.goto(f"{live_server.url}/photos/{demo['photo'].pk}/")
    photo = page.locator("#photo-image").bounding_box()
    assert photo is not None
    for arrow in ("#viewer-prev", "#viewer-next"):
        box = page.locator(arrow).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44
        middle = (photo["y"] + photo["height"] * 0.2, photo["y"] + photo["height"] * 0.8)
        assert box["y"] >= middle[1] or box["y"] + box["height"] <= middle[0], arrow
    assert small_tap_targets(page, "#viewer-prev, #viewer-next") == []
    screenshot(page, "viewer-arrows-360")


def test_the_review_bars_reason_is_not_cut_on_a_small_phone(demo, open_page, live_server):
    page = open_page("small-phone", "mod")
    page.goto(live_server.url + "/review/")
    # The text the select shows, against the room it has (less its arrow).
    room, text = page.evaluate(
        """() => {
          const select = document.querySelector('.review-reason'), style = getComputedStyle(select);
          const probe = document.createElement('span');
          probe.style.font = style.font;
          probe.style.whiteSpace = 'pre';
          probe.textContent = select.selectedOptions[0].text;
          document.body.append(probe);
          const text = probe.getBoundingClientRect().width;
          probe.remove();
          const room = select.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight) - 20;
          return [room, text];
        }"""
    )
    assert text <= room

"""Every page type at desktop (1366x900) and phone (390x844) sizes, in a seeded demo gallery:
photos at their own aspect ratio and big enough to see, nothing broken or overflowing, nothing
hidden shown, no serious accessibility fault (axe-core), no Content-Security-Policy violation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from duplicates.models import Pair
from effects.models import Variant
from effects.rendering import render_variant
from gallery.demo import seed
from gallery.models import Photo, Visibility
from tests.browser.checks import check_page, small_tap_targets
from tests.browser.conftest import screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    users = seed(24)
    alice = users["alice"]
    astronaut = Photo.objects.get(owner=alice, title="Old town 2")
    variant = Variant.objects.create(
        photo=astronaut, effect="portrait", spec="portrait:subject=auto,blur=50,bokeh=gaussian"
    )
    assert render_variant(variant.pk) == "ready"
    hidden = Variant.objects.create(
        photo=astronaut, effect="hide_faces", spec="hide_faces:style=emoji,faces=all"
    )
    assert render_variant(hidden.pk) == "ready"  # her face, found at processing
    from gallery import albums, trash

    mine = list(Photo.objects.filter(owner=alice).order_by("-shot_at"))
    album = albums.create_album(alice, "Summer walks", [p.pk for p in mine[:7]])
    trash.trash(alice, [mine[-1].pk, mine[-2].pk])
    # Two duplicate groups of alice's (pairs stored as the worker stores them).
    live = mine[:-2]
    for a, b in [(live[0], live[1]), (live[1], live[2]), (live[3], live[4])]:
        first, second = sorted((a.pk, b.pk))
        Pair.objects.create(owner=alice, first_id=first, second_id=second, score=0.97,
                            inliers=90, coverage=0.9)  # fmt: skip
    shared = Photo.objects.filter(owner=users["bob"], moderation="approved").first()
    pending = Photo.objects.filter(visibility=Visibility.PUBLIC, moderation="pending").first()
    assert shared is not None and pending is not None
    alice.email, alice.first_name, alice.last_name = "alice@example.org", "Alice", "Liddell"
    alice.save()
    return {
        "users": users,
        "own": astronaut,
        "variant": variant,
        "hidden": hidden,
        "shared": shared,
        "album": album,
    }


def reset_link(user) -> str:
    """The address in a password-reset mail (made when visited: a log-in ends older links)."""
    user.refresh_from_db()  # the token covers the last log-in
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/"


# (name, who is signed in, address or a function making it)
def page_types(demo) -> list[tuple[str, str | None, str | Callable[[], str]]]:
    own, shared, variant = demo["own"], demo["shared"], demo["variant"]
    return [
        ("gallery", "alice", "/"),
        ("gallery-mine", "alice", "/?show=mine"),
        ("gallery-visitor", None, "/"),
        ("viewer", "alice", f"/photos/{own.pk}/"),
        ("viewer-visitor", None, f"/photos/{shared.pk}/"),
        ("effects", "alice", f"/photos/{own.pk}/?variant={variant.pk}#effects"),
        (
            "effects-faces",
            "alice",
            f"/photos/{own.pk}/?variant={demo['hidden'].pk}&effects=faces#face-effects",
        ),
        ("viewer-eyes", "alice", f"/photos/{own.pk}/"),
        ("label-faces", "alice", f"/faces/label/?photo={own.pk}"),
        ("search", "alice", "/search/?q=harbour&color=%231e90ff"),
        ("search-start", None, "/search/"),
        ("similar", "alice", f"/photos/{own.pk}/similar/"),
        ("upload", "alice", "/upload/"),
        ("camera", "alice", "/camera/"),
        ("albums", "alice", "/albums/"),
        ("album", "alice", f"/albums/{demo['album'].pk}/"),
        ("trash", "alice", "/trash/"),
        ("duplicates", "alice", "/duplicates/"),
        ("duplicates-none", "bob", "/duplicates/"),
        ("review", "mod", "/review/"),
        ("login", None, "/accounts/login/"),
        ("signup", None, "/accounts/signup/"),
        ("password-reset", None, "/accounts/password/reset/"),
        ("password-reset-sent", None, "/accounts/password/reset/sent/"),
        ("password-reset-confirm", None, lambda: reset_link(demo["users"]["alice"])),
        ("password-reset-bad-link", None, "/accounts/password/reset/MQ/cxyz-0123456789abcdef/"),
        ("password-reset-complete", None, "/accounts/password/reset/complete/"),
        ("password-change", "alice", "/accounts/password/change/"),
        ("password-change-done", "alice", "/accounts/password/change/done/"),
        ("email-address", "alice", "/accounts/email/"),
        ("not-found", None, "/no/such/page/"),
        ("not-found-photo", "bob", f"/photos/{own.pk}/"),
    ]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_type_looks_right(size, demo, open_page, live_server):
    reports = []
    pages = {}
    for name, user, path in page_types(demo):
        if user not in pages:
            pages[user] = open_page(size, user)
        page = pages[user]
        response = page.goto(live_server.url + (path() if callable(path) else path))
        assert response is not None
        if name.startswith("not-found"):
            assert response.status == 404
            assert page.locator("a[href='/']").count() >= 1, "an error page needs a way back"
            assert page.locator(".topbar").count() == 1, "error pages keep the site's header"
        else:
            assert response.status == 200, (name, response.status)
        if name == "password-reset-confirm":  # a valid link (after Django's redirect)
            assert page.url.endswith("/set-password/")
            assert page.locator("input[name=new_password1]").count() == 1
        if name in ("effects", "effects-faces"):
            page.wait_for_selector(".compare-after:not([hidden])")
            wait_until(page, "() => document.getElementById('compare-after').naturalWidth > 0")
        if name == "viewer-eyes":  # the astronaut's face, found at processing
            page.focus("#eyes-toggle")
            page.keyboard.press("Enter")
            page.wait_for_selector(".eye-marker.left")
        if name == "label-faces":
            wait_until(page, "() => document.getElementById('label-image').naturalWidth > 0")
        reports.append(check_page(page, name, size))
        screenshot(page, f"{name}-{size}")
    faults = [str(report) for report in reports if report.faults]
    assert not faults, "\n".join(faults)
    # The grids really showed photos (not an empty page that trivially passes).
    tiles = {report.name: report.tiles for report in reports}
    assert tiles["gallery"] >= 20 and tiles["gallery-visitor"] >= 5 and tiles["search"] >= 1


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_grid_rows_are_justified_and_photos_uncropped(size, demo, open_page, live_server):
    page = open_page(size, "alice")
    page.goto(live_server.url + "/")
    rows = page.evaluate(
        """() => [...document.querySelectorAll('.jrow')].map(row => {
            const tiles = [...row.querySelectorAll('.tile')].map(t => t.getBoundingClientRect());
            return {left: tiles[0].left, right: tiles[tiles.length - 1].right,
                    heights: tiles.map(r => r.height), grid: row.parentElement.clientWidth,
                    start: row.parentElement.getBoundingClientRect().left};
        })"""
    )
    assert len(rows) >= 4
    for row in rows[:-1]:  # every full row spans the grid's width, tiles of one height
        assert max(row["heights"]) - min(row["heights"]) < 1
        assert abs(row["right"] - row["start"] - row["grid"]) < 2
    heights = [h for row in rows for h in row["heights"]]
    assert min(heights) >= (100 if size == "phone" else 160)
    # Day headings sit above the row, never over a photo.
    overlaps = page.evaluate(
        """() => [...document.querySelectorAll('.jrow > .day-title')].filter(h => {
            const r = h.getBoundingClientRect();
            return [...h.parentElement.querySelectorAll('.tile')].some(t => {
                const b = t.getBoundingClientRect(); return r.bottom > b.top + 1; });
        }).length"""
    )
    assert overlaps == 0
    # A row with day headings names the day of its first photo at its left edge, also when
    # it goes on with the day before: no photo sits unlabelled under the next day's heading.
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('.jrow.with-heads')].filter(row => {
            const first = row.querySelector('.tile').getBoundingClientRect();
            return ![...row.querySelectorAll(':scope > .day-title')].some(h =>
                Math.abs(h.getBoundingClientRect().left - first.left) < 1);
        }).length"""
    )
    assert unnamed == 0


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_account_menu_and_logging_out(size, demo, open_page, live_server):
    page = open_page(size, "alice")
    page.click(".account-menu summary")
    menu = page.locator(".account-menu .menu")
    assert "Signed in as Alice Liddell (alice)" in menu.inner_text()
    box = menu.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    report = check_page(page, "account-menu", size)
    screenshot(page, f"account-menu-{size}")
    page.get_by_role("link", name="Change password").click()
    page.wait_for_url(live_server.url + "/accounts/password/change/")
    page.click(".account-menu summary")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".messages").inner_text().strip() == "You are logged out."
    assert page.locator(".account-menu").count() == 0
    logged_out = check_page(page, "logged-out", size)
    screenshot(page, f"logged-out-{size}")
    assert not report.faults and not logged_out.faults, f"{report}\n{logged_out}"


def test_the_csrf_failure_page_is_in_the_sites_frame(demo, open_page, live_server):
    page = open_page("desktop", "alice")
    page.goto(live_server.url + "/upload/")
    page.evaluate(
        """() => { const f = document.createElement('form'); f.method = 'post';
        f.action = '/photos/1/delete'; document.body.append(f); f.submit(); }"""
    )
    page.wait_for_load_state()
    assert "You cannot do that here" in page.inner_text("main")
    assert page.locator(".topbar a[href='/']").count() >= 1


def test_the_admin_and_the_api_docs_work_under_the_csp(demo, open_page, live_server):
    from django.contrib.auth.models import Permission

    moderator = demo["users"]["mod"]
    moderator.user_permissions.add(*Permission.objects.filter(codename__endswith="_photo"))
    page = open_page("desktop")
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "mod")
    page.fill("#id_password", "mod-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    pages = [
        "/admin/gallery/photo/",
        f"/admin/gallery/photo/{demo['shared'].pk}/change/",
        "/api/docs/",
    ]
    violations = {}
    for path in pages:
        assert page.goto(live_server.url + path).status == 200
        page.wait_for_load_state("networkidle")
        violations[path] = page.evaluate("window.__cspViolations")
    assert page.locator(".swagger-ui").count() == 1  # the docs page ran its script
    assert violations == {path: [] for path in pages}


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_photo_page_shows_same_subject_above_similar_colours(
    size, demo, open_page, live_server, add_photo
):
    from gallery.processing import process_photo
    from tests.search.test_same_subject import transformed

    own = demo["own"]  # the astronaut
    copy = add_photo(own.owner, data=transformed("astronaut"), title="Astronaut again")
    assert process_photo(copy.pk) == "ready"
    page = open_page(size, "alice")
    assert page.goto(f"{live_server.url}/photos/{own.pk}/").status == 200
    same, colours = page.locator("#same-subject"), page.locator("#similar")
    assert same.locator("h2").inner_text() == "Same subject"
    assert colours.locator("h2").inner_text() == "Similar colours"
    assert same.locator(f"a[href='/photos/{copy.pk}/']").count() == 1
    assert colours.locator(".tile").count() >= 4
    same_box, colours_box = same.bounding_box(), colours.bounding_box()
    assert same_box is not None and colours_box is not None
    assert same_box["y"] + same_box["height"] <= colours_box["y"] + 1
    # On a desktop the side panel scrolls on its own; its tiles load when scrolled to.
    colours.scroll_into_view_if_needed()
    same.scroll_into_view_if_needed()
    wait_until(
        page,
        """() => [...document.querySelectorAll('#same-subject img, #similar img')]
            .every(img => img.complete && img.naturalWidth > 0)""",
    )
    report = check_page(page, "viewer-both-strips", size)
    assert not report.faults, report
    screenshot(page, f"viewer-both-strips-{size}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_search_by_image_shows_same_subject_then_similar_colours(
    size, demo, open_page, live_server, tmp_path
):
    from tests.search.test_same_subject import transformed

    query = tmp_path / "query.jpg"
    query.write_bytes(transformed("astronaut"))
    page = open_page(size, "alice")
    assert page.goto(f"{live_server.url}/search/").status == 200
    with page.expect_navigation():
        page.set_input_files("#search-file", str(query))  # choosing the image searches
    same = page.locator("#same-subject")
    assert same.locator(f"a[href='/photos/{demo['own'].pk}/']").count() == 1
    assert page.locator("#results .tile").count() >= 4
    heading = page.get_by_role("heading", name="Similar colours")
    same_box, heading_box = same.bounding_box(), heading.bounding_box()
    assert same_box is not None and heading_box is not None
    assert same_box["y"] + same_box["height"] <= heading_box["y"] + 1
    wait_until(
        page,
        "() => [...document.querySelectorAll('#same-subject img')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
    )
    report = check_page(page, "search-by-image", size)
    assert not report.faults, report
    screenshot(page, f"search-by-image-{size}")


# What in the header a person sees, left to right: pieces that overlap, or stick out.
HEADER_FAULTS = """() => {
  const pieces = [...document.querySelectorAll(
      '.topbar .brand img, .topbar .brand-name, .nav > a, .nav > details > summary')]
    .map(el => ({ name: el.textContent.trim() || el.className, r: el.getBoundingClientRect() }))
    .filter(p => p.r.width > 1).sort((a, b) => a.r.left - b.r.left);
  const faults = [], view = document.documentElement.clientWidth;  // innerWidth grows to fit
  pieces.forEach((p, i) => {
    if (p.r.left < 0 || p.r.right > view) faults.push(`${p.name} outside the window`);
    const before = pieces[i - 1];
    if (before && p.r.left < before.r.right - 0.5) faults.push(`${p.name} over ${before.name}`);
  });
  const brand = document.querySelector('.topbar .brand');
  if (brand.scrollWidth > brand.clientWidth + 1) faults.push('the brand is cut');
  const wide = document.scrollingElement.scrollWidth;
  if (wide > view) faults.push(`page ${wide}px wide in ${view}px`);
  return faults;
}"""


def test_the_header_fits_a_phone(demo, open_page, live_server):
    """A moderator's header has the most in it; 360px is the narrowest phone we design for."""
    faults, reports = {}, []
    for size in ("small-phone", "phone"):
        for user in ("mod", "alice", None):
            page = open_page(size, user)
            page.goto(live_server.url + ("/review/" if user == "mod" else "/"))
            faults[(size, user)] = page.evaluate(HEADER_FAULTS)
            assert page.get_by_role("link", name="Focal", exact=True).count() == 1  # if unseen
            if size == "small-phone":  # the whole page too
                name = f"{'review' if user == 'mod' else 'gallery'}-{user or 'visitor'}"
                reports.append(check_page(page, name, size))
                screenshot(page, f"{name}-{size}")
            page.context.close()
    assert {where: found for where, found in faults.items() if found} == {}
    assert not [report for report in reports if report.faults], "\n".join(map(str, reports))


def test_what_a_finger_taps_on_a_phone_is_big_enough(demo, open_page, live_server):
    alice, moderator = open_page("phone", "alice"), open_page("phone", "mod")
    where = [
        (alice, "/", [".tile[data-mine] .tile-check"]),
        (alice, "/search/?q=harbour&color=%231e90ff", [".colour-slot .clear"]),
        (alice, "/duplicates/", [".dup-choice input", ".dup-actions button"]),
        (moderator, "/review/", [".review-item input[type=checkbox]", ".review-bar button"]),
    ]
    faults = []
    for page, path, selectors in where:
        page.goto(live_server.url + path)
        for selector in selectors:
            faults += small_tap_targets(page, selector)
    assert faults == [], "\n".join(faults)
    # The review page's decision bar stays on top of the photos: two rows, not four.
    bar = moderator.locator(".review-bar").bounding_box()
    assert bar is not None and bar["height"] <= 110

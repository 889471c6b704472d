"""The duplicates review page in a real browser, with the keyboard, at both sizes."""

from __future__ import annotations

import pytest

from duplicates.groups import groups_of
from duplicates.models import Pair
from gallery.demo import seed
from gallery.models import Photo
from tests.browser.checks import check_page
from tests.browser.conftest import screenshot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def groups():
    """alice's photos in three groups of two; the suggested keeper is the larger one."""
    users = seed(16)
    alice = users["alice"]
    mine = list(Photo.objects.filter(owner=alice).order_by("pk"))[:6]
    made = []
    for a, b in zip(mine[::2], mine[1::2], strict=True):
        Pair.objects.create(owner=alice, first_id=a.pk, second_id=b.pk, score=0.96, inliers=80,
                            coverage=0.9)  # fmt: skip
        made.append((a, b))
    return alice, made


def in_trash(alice) -> set[int]:
    return set(Photo.objects.in_trash_of(alice).values_list("pk", flat=True))


def shown_group(page) -> list[int]:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-dup-group]:not([hidden]) .tile')]
                 .map(t => Number(t.dataset.photo))"""
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_review_with_the_keyboard(size, groups, open_page, live_server):
    alice, made = groups
    page = open_page(size, "alice")
    page.goto(f"{live_server.url}/duplicates/")
    assert page.locator("[data-dup-group]:not([hidden])").count() == 1
    report = check_page(page, "duplicates-review", size)
    assert not report.faults, str(report)
    screenshot(page, f"duplicates-review-{size}")
    why = page.locator("[data-dup-group]:not([hidden]) .dup-why")
    assert why.is_visible() and why.inner_text().startswith("Suggested: ")
    first = shown_group(page)
    assert page.locator("[data-dup-position]").inner_text() == "1"

    # Arrows move between groups.
    page.keyboard.press("ArrowRight")
    second = shown_group(page)
    assert second != first and page.locator("[data-dup-position]").inner_text() == "2"
    page.keyboard.press("ArrowLeft")
    assert shown_group(page) == first

    # A number chooses the keeper (marked on its tile), K keeps it, the other goes to the trash.
    page.keyboard.press("2")
    keeper = first[1]
    assert page.locator(f".tile.keeper[data-photo='{keeper}']").count() == 1
    page.keyboard.press("k")
    page.wait_for_selector(".message")
    assert in_trash(alice) == {first[0]}
    assert len(page.locator("[data-dup-group]").all()) == 2
    assert first[0] not in shown_group(page)
    report = check_page(page, "duplicates-after-keep", size)
    assert not report.faults, str(report)
    screenshot(page, f"duplicates-after-keep-{size}")

    # U undoes it: the group is back.
    page.keyboard.press("u")
    page.wait_for_selector(".message:has-text('Undone')")
    assert in_trash(alice) == set()
    assert len(page.locator("[data-dup-group]").all()) == 3

    # N: not duplicates; that group is not proposed again.
    shown = shown_group(page)
    page.keyboard.press("n")
    page.wait_for_selector(".message:has-text('not be proposed again')")
    assert len(page.locator("[data-dup-group]").all()) == 2
    assert Pair.objects.filter(dismissed=True).count() == 1
    assert set(shown) == set(
        Pair.objects.filter(dismissed=True).values_list("first_id", "second_id").get()
    )


def test_keep_suggested_in_all_groups_asks_first_and_can_be_undone(groups, open_page, live_server):
    alice, made = groups
    # All private: a group where the suggested photo is private and another shared is left out.
    Photo.objects.filter(pk__in=[p.pk for pair in made for p in pair]).update(visibility="private")
    page = open_page("desktop", "alice")
    page.goto(f"{live_server.url}/duplicates/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Keep suggested in all groups")
    assert in_trash(alice) == set()  # refused in the confirmation: nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Keep suggested in all groups")
    page.wait_for_selector(".empty")
    assert len(in_trash(alice)) == 3
    page.click("button:has-text('Undo')")
    page.wait_for_selector("[data-dup-group]")
    wait_until(page, "() => document.querySelectorAll('[data-dup-group]').length === 3")
    assert in_trash(alice) == set()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_keep_suggested_in_all_groups_leaves_a_shared_photo_to_the_owner(
    size, groups, open_page, live_server
):
    alice, made = groups
    Photo.objects.filter(pk__in=[p.pk for pair in made for p in pair]).update(visibility="private")
    first = groups_of(alice)[-1]  # one group: the suggested photo private, the other shared
    private = first.suggested
    (shared,) = [p for p in first.photos if p != private]
    Photo.objects.filter(pk=shared.pk).update(visibility="public")
    number = first.photos.index(shared) + 1
    page = open_page(size, "alice")
    page.goto(f"{live_server.url}/duplicates/")
    groups_shown = page.locator("[data-dup-group]")
    wait_until(page, "() => document.querySelectorAll('[data-dup-group]').length === 3")
    group = groups_shown.filter(has=page.locator(f".tile[data-photo='{shared.pk}']"))
    for _ in range(2):
        if not group.is_visible():
            page.keyboard.press("ArrowRight")
    note = group.locator(".dup-shared")
    assert note.is_visible()
    assert note.inner_text() == (
        f"Photo {number} is shared and the suggested photo is private: "
        "“Keep suggested in all groups” leaves this group to you."
    )
    report = check_page(page, "duplicates-shared", size)
    assert not report.faults, str(report)
    screenshot(page, f"duplicates-shared-{size}")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.click("text=Keep suggested in all groups")
    page.wait_for_selector(".message:has-text('left for you')")
    assert asked == [
        "Keep the suggested photo in 2 of 3 groups and move 2 photos to the trash? The 1 group "
        "with a shared photo and a private suggested one is left for you. Undo puts them back."
    ]
    assert len(in_trash(alice)) == 2
    assert shared.pk not in in_trash(alice) and private.pk not in in_trash(alice)
    assert set(shown_group(page)) == {private.pk, shared.pk}  # the group left
    report = check_page(page, "duplicates-shared-after", size)
    assert not report.faults, str(report)
    screenshot(page, f"duplicates-shared-after-{size}")

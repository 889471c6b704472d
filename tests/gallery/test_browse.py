"""The timeline: keyset pages newest first by date taken, what each user sees, days, neighbours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from gallery import browse
from gallery.browse import Cursor
from gallery.models import Photo, Status

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def dated(add_photo):
    """A photo of `owner` taken `days` days after START, ready unless said otherwise."""

    def make(owner, days: float, *, seed: int, status=Status.READY, **kw):
        photo = add_photo(owner, seed=seed, **kw)
        when = START + timedelta(days=days)
        Photo.objects.filter(pk=photo.pk).update(shot_at=when, status=status)
        photo.refresh_from_db()
        return photo

    return make


def walk(user, *, mine=False, limit=3) -> list[int]:
    """Every photo id of the timeline, page by page."""
    ids: list[int] = []
    after = None
    for _ in range(100):
        page = browse.timeline(user, mine=mine, after=after, limit=limit)
        ids += [p.pk for p in page.photos]
        if page.next_cursor is None:
            return ids
        after = Cursor.parse(str(page.next_cursor))
    raise AssertionError("the timeline never ended")


def test_pages_run_newest_first_by_date_taken_without_gaps_or_repeats(alice, dated):
    photos = [dated(alice, days, seed=i) for i, days in enumerate([5, 1, 9, 3, 3, 7, 0])]
    expected = [p.pk for p in sorted(photos, key=lambda p: (p.shot_at, p.pk), reverse=True)]
    assert walk(alice, limit=2) == expected
    assert walk(alice, limit=7) == expected
    assert walk(alice, limit=50) == expected


def test_alice_sees_her_own_and_shared_ready_photos_but_not_bobs_private_ones(alice, bob, dated):
    own_pending = dated(alice, 1, seed=1, status=Status.PENDING)
    own = dated(alice, 2, seed=2)
    shared = dated(bob, 3, seed=3, visibility="public", moderation="approved")
    dated(bob, 4, seed=4)  # private
    dated(bob, 5, seed=5, visibility="public")  # waiting for review
    dated(bob, 6, seed=6, visibility="public", moderation="approved", status=Status.PROCESSING)
    assert walk(alice, limit=2) == [shared.pk, own.pk, own_pending.pk]
    assert walk(alice, mine=True) == [own.pk, own_pending.pk]


def test_anonymous_visitors_see_only_shared_ready_photos(alice, dated):
    shared = dated(alice, 1, seed=1, visibility="public", moderation="approved")
    dated(alice, 2, seed=2)
    anonymous = AnonymousUser()
    assert walk(anonymous) == [shared.pk]
    assert walk(anonymous, mine=True) == []


def test_neighbours_are_the_photos_just_newer_and_just_older(alice, bob, dated):
    old = dated(alice, 1, seed=1)
    middle = dated(alice, 2, seed=2)
    dated(bob, 2.5, seed=3)  # bob's private photo is not alice's neighbour
    new = dated(alice, 3, seed=4)
    assert browse.neighbours(alice, middle) == (new, old)
    assert browse.neighbours(alice, new) == (None, middle)
    assert browse.neighbours(alice, old) == (middle, None)


def test_months_and_days_group_consecutive_photos(alice, dated):
    photos = [dated(alice, d, seed=i) for i, d in enumerate([40, 31.2, 31.1, 30])]
    page = browse.timeline(alice, limit=10)
    months = browse.by_month(page.photos)
    assert [m.month for m in months] == [date(2026, 4, 1), date(2026, 3, 1)]
    assert [[d.day for d in m.days] for m in months] == [
        [date(2026, 4, 10), date(2026, 4, 1)],
        [date(2026, 3, 31)],
    ]
    assert [len(d.photos) for d in months[0].days] == [1, 2]
    assert [m.continued for m in months] == [False, False]
    assert len(photos) == 4
    # A later page that starts inside April continues the April shown before.
    later = browse.by_month(page.photos[1:], previous=date(2026, 4, 10))
    assert [m.continued for m in later] == [True, False]


def test_cursors_survive_the_round_trip_exactly_and_bad_ones_mean_the_first_page():
    when = datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)
    cursor = Cursor(when, 2**62)
    assert Cursor.parse(str(cursor)) == cursor
    for bad in ["", "x", "1.2.3", "12", "-.5", "9" * 39 + ".1", "1." + "9" * 30, None]:
        assert Cursor.parse(bad) is None


def test_a_photo_taken_long_ago_sorts_by_its_exif_date(alice, add_photo):
    from tests import images

    taken = datetime(2001, 5, 6, 7, 8, 9)
    data = images.jpeg_with_exif(images.pixels(64, 48, 1), taken=taken)
    photo = add_photo(alice, data=data)
    assert photo.shot_at == taken.replace(tzinfo=UTC)
    newer = add_photo(alice, seed=3)
    assert newer.shot_at > photo.shot_at

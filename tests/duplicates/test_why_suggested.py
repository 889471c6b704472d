"""The duplicates page says why a photo is suggested: the rule that set it above each other."""

from __future__ import annotations

from datetime import UTC, datetime

from duplicates.groups import suggested_keeper, why_suggested
from gallery.models import Photo

DAY = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def photo(pk: int, width: int = 4000, height: int = 3000, size: int = 2_000_000, day: int = 1):
    return Photo(pk=pk, width=width, height=height, byte_size=size, created=DAY.replace(day=day))


def reason(*photos: Photo) -> str:
    group = list(photos)
    return why_suggested(group, suggested_keeper(group))


def test_the_one_with_the_most_pixels_says_so():
    assert reason(photo(1, 1600, 1200), photo(2)) == (
        "Suggested: more pixels (4000×3000) than photo 1."
    )


def test_a_tie_on_pixels_is_decided_by_the_larger_file():
    assert reason(photo(1, size=900_000), photo(2), photo(3, 800, 600)) == (
        "Suggested: more pixels (4000×3000) than photo 3; "
        "the same pixels as photo 1 but a larger file, so less compressed."
    )


def test_then_by_the_date_and_last_by_the_order_added():
    assert reason(photo(1, day=2), photo(2, day=3), photo(3, day=1)) == (
        "Suggested: the same pixels and file size as photos 1 and 2, but older."
    )
    assert reason(photo(4), photo(5)) == (
        "Suggested: the same pixels, file size and date as photo 2, but added first."
    )


def test_the_date_taken_counts_before_the_date_added():
    taken_early = photo(2, day=9)
    taken_early.taken_at = DAY.replace(year=2020)
    assert suggested_keeper([photo(1), taken_early]) == taken_early
    assert reason(photo(1), taken_early).endswith("as photo 1, but older.")

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


def test_a_tie_on_pixels_is_decided_by_the_larger_file_with_the_exact_sizes():
    # The page shows sizes rounded to kB or to 0.1 MB: the reason gives them exactly.
    assert reason(photo(1, size=1_950_000), photo(2), photo(3, 800, 600)) == (
        "Suggested: more pixels (4000×3000) than photo 3; the same pixels as photo 1 but a "
        "larger file (2,000,000 bytes against 1,950,000), so less compressed."
    )
    assert reason(photo(1, size=900_000), photo(2, size=800_000), photo(3)).endswith(
        "photos 1 and 2 but a larger file (2,000,000 bytes against 900,000 and 800,000), "
        "so less compressed."
    )


def test_files_a_few_bytes_apart_count_as_the_same_size():
    # Both show as 259 kB; 48 bytes say nothing about compression: the older one is kept.
    newer, older = photo(1, size=258_722, day=3), photo(2, size=258_674, day=2)
    assert suggested_keeper([newer, older]) == older
    assert reason(newer, older) == (
        "Suggested: the same pixels and about the same file size as photo 1, but older."
    )
    # Within 2% of the largest is the same size; beyond, the larger file wins.
    assert suggested_keeper([photo(1, size=1_000_000, day=3), photo(2, size=985_000)]).pk == 2
    assert suggested_keeper([photo(1, size=1_000_000, day=3), photo(2, size=979_000)]).pk == 1


def test_then_by_the_date_and_last_by_the_order_added():
    assert reason(photo(1, day=2), photo(2, day=3), photo(3, day=1)) == (
        "Suggested: the same pixels and about the same file size as photos 1 and 2, but older."
    )
    assert reason(photo(4), photo(5)) == (
        "Suggested: the same pixels, about the same file size and the same date as photo 2, "
        "but added first."
    )


def test_the_date_taken_counts_before_the_date_added():
    taken_early = photo(2, day=9)
    taken_early.taken_at = DAY.replace(year=2020)
    assert suggested_keeper([photo(1), taken_early]) == taken_early
    assert reason(photo(1), taken_early).endswith("as photo 1, but older.")


def at(pk: int, hour: int, minute: int, second: int = 0, day: int = 1) -> Photo:
    shot = photo(pk, day=day)
    shot.created = DAY.replace(day=day, hour=hour, minute=minute, second=second)
    return shot


def test_on_the_same_day_it_gives_the_times_the_page_does_not_show():
    # The page shows only the day: "older" alone would not say which of two photos that day.
    assert reason(at(1, 10, 2), at(2, 10, 5)) == (
        "Suggested: the same pixels and about the same file size as photo 2, "
        "but earlier on the same day (10:02 against 10:05)."
    )
    # A burst within one minute is told apart by the seconds.
    assert reason(at(1, 10, 2, 40), at(2, 10, 2, 12), at(3, 10, 3)).endswith(
        "as photos 1 and 3, but earlier on the same day (10:02:12 against 10:02:40 and 10:03:00)."
    )
    # Only the photos of the same day need the time.
    assert reason(at(1, 9, 0, day=3), at(2, 10, 2), at(3, 10, 5)).endswith(
        "as photos 1 and 3, but older than photo 1 and earlier on the same day as photo 3 "
        "(10:02 against 10:05)."
    )


def test_the_day_is_the_one_the_page_shows(settings):
    # 23:30 UTC on 1 May is already 2 May in Berlin, where the page shows both on 2 May.
    settings.TIME_ZONE = "Europe/Berlin"
    assert reason(at(1, 23, 30), at(2, 6, 0, day=2)).endswith(
        "as photo 2, but earlier on the same day (01:30 against 08:00)."
    )
    settings.TIME_ZONE = "UTC"
    assert reason(at(1, 23, 30), at(2, 6, 0, day=2)).endswith("as photo 2, but older.")


def test_files_added_within_one_second_are_as_old_as_each_other():
    # Their times would read alike: the one added first is kept, and the reason says so.
    first, second = at(1, 10, 2, 12), at(2, 10, 2, 12)
    first.created, second.created = (
        first.created.replace(microsecond=900_000),
        second.created.replace(microsecond=100_000),
    )
    assert suggested_keeper([first, second]) == first
    assert reason(first, second).endswith("the same date as photo 2, but added first.")

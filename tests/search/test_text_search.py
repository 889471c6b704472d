"""Searching by words: titles, camera names and dates, alone or with colours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from gallery.models import Photo
from gallery.processing import process_photo
from search import queries
from search.text import DateRange, MonthOfAnyYear, parse_text_query
from search.wording import similarity_word


@pytest.mark.parametrize(
    ("text", "words", "dates", "months"),
    [
        ("beach", ["beach"], [], []),
        ("Beach  Sunset", ["beach", "sunset"], [], []),
        ("2024", [], [DateRange(date(2024, 1, 1), date(2025, 1, 1))], []),
        ("pixel 2023-07", ["pixel"], [DateRange(date(2023, 7, 1), date(2023, 8, 1))], []),
        ("2021-07-14", [], [DateRange(date(2021, 7, 14), date(2021, 7, 15))], []),
        ("May 2023", [], [DateRange(date(2023, 5, 1), date(2023, 6, 1))], []),
        ("3 may 2023", [], [DateRange(date(2023, 5, 3), date(2023, 5, 4))], []),
        ("july", [], [], [MonthOfAnyYear(7)]),
        ("2023-13", ["2023-13"], [], []),
        ("31 feb 2023", [], [DateRange(date(2023, 2, 1), date(2023, 3, 1))], []),
    ],
)
def test_it_reads_words_and_dates(text, words, dates, months):
    query = parse_text_query(text)
    assert (query.words, query.dates, query.months) == (words, dates, months)


def test_it_says_how_it_understood_the_query():
    assert parse_text_query("harbour May 2023").describe() == "“harbour”, taken in May 2023"
    assert not parse_text_query("   ")


@pytest.mark.django_db
def test_words_and_dates_find_the_photos_a_user_may_see(alice, bob, add_photo):
    def photo(owner, seed, title, when, **kw):
        made = add_photo(owner, seed=seed, title=title, **kw)
        Photo.objects.filter(pk=made.pk).update(shot_at=when, camera="Pixel 9")
        process_photo(made.pk)
        return made

    beach = photo(alice, 1, "Beach day", datetime(2023, 5, 3, 12, tzinfo=UTC))
    city = photo(alice, 2, "City lights", datetime(2024, 5, 3, 12, tzinfo=UTC))
    hidden = photo(bob, 3, "Beach secret", datetime(2023, 5, 4, 12, tzinfo=UTC))
    shared = photo(
        bob, 4, "Beach party", datetime(2023, 6, 1, tzinfo=UTC), visibility="public",
        moderation="approved",
    )  # fmt: skip

    def found(text, user=alice):
        return set(queries.matching_text(parse_text_query(text), user).values_list("pk", flat=True))

    assert found("beach") == {beach.pk, shared.pk}
    assert hidden.pk not in found("secret")
    assert found("beach may 2023") == {beach.pk}
    assert found("may") == {beach.pk, city.pk}
    assert found("2024 pixel") == {city.pk}
    assert found("beach", AnonymousUser()) == {shared.pk}


@pytest.mark.django_db
def test_the_search_page_combines_words_and_a_colour(login, alice, add_photo):
    photos = [add_photo(alice, seed=s, title=t) for s, t in [(1, "red boat"), (2, "red car")]]
    other = add_photo(alice, seed=3, title="blue boat")
    for made in [*photos, other]:
        process_photo(made.pk)
    html = login(alice).get("/search/", {"q": "red", "color": "#ff0000"}).content.decode()
    assert html.count('class="tile"') == 2 and "blue boat" not in html
    assert "2 photos “red”, most like" in html
    words_only = login(alice).get("/search/", {"q": "boat"}).content.decode()
    assert words_only.count('class="tile"') == 2 and "red car" not in words_only


def test_similarity_words_follow_the_calibrated_thresholds():
    assert similarity_word(1.0) == "Near-identical"
    assert similarity_word(0.96) == "Very similar"
    assert similarity_word(0.92) == "Similar"
    assert similarity_word(0.85) == ""

"""Reading a text search: words to find in titles and camera names, and dates.

Pure functions, no Django. "beach 2024", "Pixel May 2023", "2021-07-14", "july" are all
understood: years, months (by name or number with a year) and days become date ranges on when
the photo was taken; every other word must appear in the title or the camera name.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_WORDS = 8

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(1[89]\d\d|2\d\d\d)$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


@dataclass(frozen=True)
class DateRange:
    """Photos taken on or after `start` and before `end` (dates, end exclusive)."""

    start: date
    end: date


@dataclass(frozen=True)
class MonthOfAnyYear:
    month: int


@dataclass
class TextQuery:
    words: list[str] = field(default_factory=list)
    dates: list[DateRange] = field(default_factory=list)
    months: list[MonthOfAnyYear] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.words or self.dates or self.months)

    def describe(self) -> str:
        """How the query was understood, for the results heading."""
        parts = [f"“{word}”" for word in self.words]
        for span in self.dates:
            parts.append(_describe_range(span))
        for month in self.months:
            parts.append(f"taken in {calendar.month_name[month.month]}")
        return ", ".join(parts)


def parse_text_query(text: str) -> TextQuery:
    tokens = [t for t in re.split(r"[\s,]+", text.strip().lower()) if t][: MAX_WORDS * 2]
    query = TextQuery()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1 : i + 3]
        consumed = _date_at(token, following, query)
        if consumed:
            i += consumed
            continue
        if len(query.words) < MAX_WORDS:
            query.words.append(token[:50])
        i += 1
    return query


def _date_at(token: str, following: list[str], query: TextQuery) -> int:
    """Read a date starting at `token`; returns how many tokens it used (0: not a date)."""
    if match := _ISO_DAY.match(token):
        day = _safe_date(int(match[1]), int(match[2]), int(match[3]))
        if day:
            query.dates.append(DateRange(day, day + timedelta(days=1)))
            return 1
    if match := _ISO_MONTH.match(token):
        span = _month_range(int(match[1]), int(match[2]))
        if span:
            query.dates.append(span)
            return 1
    if _YEAR.match(token):
        year = int(token)
        query.dates.append(DateRange(date(year, 1, 1), date(year + 1, 1, 1)))
        return 1
    # "3 May 2024", "May 2024", "may"
    day_number = None
    if (match := _DAY.match(token)) and following and following[0] in _MONTHS:
        day_number = int(match[1])
        token, following = following[0], following[1:]
    if token in _MONTHS:
        month = _MONTHS[token]
        used = 1 + (day_number is not None)
        if following and _YEAR.match(following[0]):
            year = int(following[0])
            used += 1
            if day_number is not None and (day := _safe_date(year, month, day_number)):
                query.dates.append(DateRange(day, day + timedelta(days=1)))
            elif span := _month_range(year, month):
                query.dates.append(span)
        else:
            query.months.append(MonthOfAnyYear(month))
        return used
    return 0


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_range(year: int, month: int) -> DateRange | None:
    if not 1 <= month <= 12 or not 1800 <= year <= 2999:
        return None
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return DateRange(date(year, month, 1), end)


def _describe_range(span: DateRange) -> str:
    days = (span.end - span.start).days
    if days == 1:
        return f"taken on {span.start.day} {span.start:%B %Y}"
    if span.start.day == 1 and days <= 31:
        return f"taken in {span.start:%B %Y}"
    return f"taken in {span.start.year}"

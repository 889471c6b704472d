"""The gallery's timeline: photos newest first by when they were taken, in keyset pages.

A page is asked for by a cursor (the sort key of the last photo seen), never by an offset, so
the 2,000th page costs what the first does. What a person may see is two index range scans,
merged here: their own photos (any status: they see their uploads progress) and other people's
ready photos shared with them (`Photo.objects.shared_with`). Each scan walks its own index
(`photo_owner_timeline`, `photo_shared_timeline`) in order and stops after one page, so the cost
does not depend on how many photos exist or how few of them a user may see.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from focal.ids import is_id
from gallery.models import Photo, Status

User = AbstractBaseUser | AnonymousUser

MAX_PAGE = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MICROS = re.compile(r"-?[0-9]{1,19}")  # ASCII digits: str.isdigit() also accepts "²"


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in the timeline: the sort key (shot_at, id) of a photo."""

    shot_at: datetime
    id: int

    def __str__(self) -> str:
        micros = (self.shot_at - _EPOCH) // _MICROSECOND  # exact: no float rounding
        return f"{micros}.{self.id}"

    @classmethod
    def of(cls, photo: Photo) -> Cursor:
        return cls(photo.shot_at, photo.pk)

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor in `text`, or None for a missing or malformed one (the first page)."""
        if not text:
            return None
        micros, _, pk = text.partition(".")
        if len(text) > 40 or not (_MICROS.fullmatch(micros) and is_id(pk)):
            return None
        try:
            when = _EPOCH + int(micros) * _MICROSECOND
        except OverflowError:
            return None
        return cls(when, int(pk))


@dataclass(frozen=True)
class TimelinePage:
    photos: list[Photo]
    next_cursor: Cursor | None  # None: this is the last page


@dataclass(frozen=True)
class Day:
    """Photos of one calendar day (UTC date of `shot_at`)."""

    day: date
    photos: list[Photo]


@dataclass(frozen=True)
class Month:
    """Consecutive days of one month; `continued` when an earlier page showed its start."""

    month: date  # the first of the month
    days: list[Day]
    continued: bool


def timeline(
    user: User, *, mine: bool = False, after: Cursor | None = None, limit: int = 48
) -> TimelinePage:
    """Up to `limit` photos older than `after` (or the newest), newest first."""
    limit = max(1, min(limit, MAX_PAGE))
    photos = _merged(_sources(user, mine), after, older=True, limit=limit + 1)
    more = len(photos) > limit
    photos = photos[:limit]
    return TimelinePage(photos, Cursor.of(photos[-1]) if more and photos else None)


def neighbours(
    user: User, photo: Photo, *, mine: bool = False
) -> tuple[Photo | None, Photo | None]:
    """The photos just newer and just older than `photo` in the same timeline."""
    here = Cursor.of(photo)
    sources = _sources(user, mine)
    newer = _merged(sources, here, older=False, limit=1)
    older = _merged(sources, here, older=True, limit=1)
    return (newer[0] if newer else None, older[0] if older else None)


def by_month(photos: Iterable[Photo], previous: date | None = None) -> list[Month]:
    """Consecutive photos grouped by month, then by the day they were taken (UTC dates).

    `previous` is the day of the photo before these (from an earlier page): a month that
    started there is marked `continued`, so its heading is not repeated.
    """
    months: list[Month] = []
    for photo in photos:
        when = photo.shot_at.astimezone(UTC).date()
        first = when.replace(day=1)
        if not months or months[-1].month != first:
            continued = not months and previous is not None and previous.replace(day=1) == first
            months.append(Month(first, [], continued))
        days = months[-1].days
        if days and days[-1].day == when:
            days[-1].photos.append(photo)
        else:
            days.append(Day(when, [photo]))
    return months


def _sources(user: User, mine: bool) -> list[QuerySet[Photo]]:
    """The querysets whose union is the timeline; each is one ordered index range scan."""
    sources: list[QuerySet[Photo]] = []
    if user.is_authenticated:
        sources.append(Photo.objects.filter(owner_id=user.pk, trashed_at__isnull=True))
    if not mine:
        sources.append(Photo.objects.shared_with(user).filter(status=Status.READY))
    return sources


def _merged(
    sources: list[QuerySet[Photo]], cursor: Cursor | None, *, older: bool, limit: int
) -> list[Photo]:
    # The first condition alone bounds the index range scan (a plain OR of the two would make
    # SQLite walk the index from its end to the cursor); the second excludes the cursor's own
    # photo and those before it at the same instant.
    beyond = Q()
    if older:
        order = ("-shot_at", "-id")
        if cursor:
            beyond = Q(shot_at__lte=cursor.shot_at) & (
                Q(shot_at__lt=cursor.shot_at) | Q(id__lt=cursor.id)
            )
    else:
        order = ("shot_at", "id")
        if cursor:
            beyond = Q(shot_at__gte=cursor.shot_at) & (
                Q(shot_at__gt=cursor.shot_at) | Q(id__gt=cursor.id)
            )
    runs: list[Iterator[Photo]] = [
        iter(source.filter(beyond).order_by(*order)[:limit]) for source in sources
    ]
    merged = heapq.merge(*runs, key=Cursor.of, reverse=older)
    seen: set[int] = set()
    photos: list[Photo] = []
    for photo in merged:
        if photo.pk not in seen:  # a photo is in at most one source, but be sure
            seen.add(photo.pk)
            photos.append(photo)
        if len(photos) == limit:
            break
    return photos

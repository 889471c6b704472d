"""The three questions users ask, with their validation; pages and the API both call these."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet

from focal import colours
from focal.usererror import UserError
from gallery import memory
from gallery.imaging import CorruptImage, ImageTooLarge, inspect_image
from gallery.models import Photo, Status
from gallery.processing import decode_for_gallery
from gallery.uploads import upload_limit_text
from search import objects
from search.descriptors import colour_query_descriptor
from search.indexing import describe, describe_locally
from search.local_features import LocalFeatures
from search.service import Match, User, photo_index
from search.text import TextQuery

MAX_K = 100
# mode=object: verified same-subject matches only; mode=colour: colour similarity only;
# no mode: both, same-subject matches first.
MODES = ("object", "colour")
MAX_COLOURS = 3
_K = re.compile(r"[0-9]{1,3}")
# What the API's schema says of these parameters (search/api.py); the parsers below agree.
K_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}
COLOR_SCHEMA = {"type": "string", "pattern": "^#?[0-9a-fA-F]{6}(,#?[0-9a-fA-F]{6}){0,2}$"}


class QueryError(UserError):
    """A question we cannot answer as asked; the message is for the user."""

    code = "invalid_query"


def parse_k(value: str | None, default: int = 10) -> int:
    if value is None:
        return default
    k = int(value) if _K.fullmatch(value) else 0  # int() would also take " 5", "+5" or "٥"
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k must be a whole number from 1 to {MAX_K}.", code="invalid_k")
    return k


def parse_colours(values: Iterable[str]) -> list[tuple[int, int, int]]:
    """Colours given as #RRGGBB, repeated or comma-separated, one to three of them."""
    parts = [part for value in values for part in value.split(",")]
    if not parts or parts == [""]:
        raise QueryError("Give a colour as #RRGGBB, for example #1e90ff.", code="invalid_color")
    if len(parts) > MAX_COLOURS:
        raise QueryError(f"Give at most {MAX_COLOURS} colours.", code="invalid_color")
    found = []
    for part in parts:
        try:
            found.append(colours.parse_hex_colour(part, hash_optional=True))
        except ValueError:
            raise QueryError(
                f"“{part[:20]}” is not a colour; use #RRGGBB, like #1e90ff.", code="invalid_color"
            ) from None
    return found


@dataclass(frozen=True)
class QueryImage:
    """An uploaded image described as a stored photo would be; nothing is stored."""

    colour: np.ndarray
    local: LocalFeatures
    thumbnail: np.ndarray  # RGB pixels of the thumbnail size


def parse_mode(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in MODES:
        raise QueryError('mode must be "object" or "colour".', code="invalid_mode")
    return value


def describe_upload(upload: UploadedFile) -> QueryImage:
    """The descriptors of an uploaded query image and its thumbnail pixels.

    Raises gallery.imaging.ImageError for anything add_photo() would refuse.
    """
    if (upload.size or 0) > settings.FOCAL_MAX_UPLOAD_BYTES:
        raise ImageTooLarge(f"The file is larger than {upload_limit_text()}.")
    if not upload.size:
        raise CorruptImage("The file is empty.", code="empty_file")
    assert upload.file is not None
    inspect_image(upload.file, max_pixels=settings.FOCAL_MAX_PIXELS, hold=memory.for_web)
    upload.seek(0)
    preview, small = decode_for_gallery(upload.file, hold=memory.for_web)
    return QueryImage(describe(small), describe_locally(preview), small)


def excluding(matches: list[Match], shown: list[Match], k: int) -> list[Match]:
    """The first k of `matches` that are not among `shown` (a list already on the page)."""
    seen = {m.photo.pk for m in shown}
    return [m for m in matches if m.photo.pk not in seen][:k]


def _combined(first: list[Match], then: list[Match], k: int) -> list[Match]:
    """Same-subject matches, then colour matches not already listed, k in all."""
    return (first + excluding(then, first, k))[:k]


def similar_to_photo(photo: Photo, user: User, k: int, mode: str | None = "colour") -> list[Match]:
    """Photos like `photo` that `user` may see; mode as in MODES (None: both)."""
    index = photo_index()
    vector = index.vector_of(photo.pk)
    if vector is None:
        raise QueryError("This photo is still being processed.", code="not_ready", status=409)
    same = objects.same_subject_as_photo(photo, user, k) if mode != "colour" else []
    if mode == "object":
        return same
    colour = index.search(vector, k + len(same), user=user, exclude=[photo.pk])
    return _combined(same, colour, k)


def similar_to_image(query: QueryImage, user: User, k: int, mode: str | None = None) -> list[Match]:
    """Photos like an uploaded image that `user` may see; mode as in MODES (None: both)."""
    same = objects.same_subject_as_image(query.local, user, k) if mode != "colour" else []
    if mode == "object":
        return same
    colour = photo_index().search(query.colour, k + len(same), user=user)
    return _combined(same, colour, k)


def dominated_by(
    colours: list[tuple[int, int, int]],
    user: User,
    k: int,
    among: QuerySet[Photo] | None = None,
) -> list[Match]:
    return photo_index().search(colour_query_descriptor(colours), k, user=user, among=among)


def matching_text(query: TextQuery, user: User) -> QuerySet[Photo]:
    """Photos `user` may see whose title or camera holds every word, taken on the dates given.

    Like the gallery: other people's photos once ready, one's own in any state.
    """
    photos = Photo.objects.visible_to(user).filter(Q(status=Status.READY) | Q(owner_id=user.pk))
    for word in query.words:
        photos = photos.filter(Q(title__icontains=word) | Q(camera__icontains=word))
    if query.dates:
        spans = Q()
        for span in query.dates:
            spans |= Q(shot_at__gte=_midnight(span.start), shot_at__lt=_midnight(span.end))
        photos = photos.filter(spans)
    if query.months:
        photos = photos.filter(shot_at__month__in=[m.month for m in query.months])
    return photos


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)

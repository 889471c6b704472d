from __future__ import annotations

import logging

from django import template
from django.http import HttpRequest

from gallery.models import Photo
from search import queries
from search.service import Match
from search.wording import similarity_word

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def similar_photos(
    context: template.Context, photo: Photo, k: int = 8, shown: list[Match] | None = None
) -> list[Match] | None:
    """Colour matches for the photo page's strip, leaving out those `shown` already (the same
    subject strip above it); None while the photo has no descriptor yet."""
    request: HttpRequest = context["request"]
    shown = shown or []
    try:
        colour = queries.similar_to_photo(photo, request.user, k + len(shown))
    except queries.QueryError:
        return None
    return queries.excluding(colour, shown, k)


@register.simple_tag(takes_context=True)
def same_subject_photos(context: template.Context, photo: Photo, k: int = 8) -> list[Match] | None:
    """Verified same-subject matches for the photo page; None while it is being processed."""
    request: HttpRequest = context["request"]
    try:
        return queries.similar_to_photo(photo, request.user, k, "object")
    except queries.QueryError:
        return None


@register.filter
def similarity(score: float) -> str:
    """The word for a similarity score ("Very similar"), calibrated in search.wording."""
    return similarity_word(score)

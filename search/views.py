"""Search pages: photos like this one, and search by image or by colour."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from focal.auth import signed_in_user
from focal.usererror import UserError
from gallery import actions
from gallery.imaging import encode_image
from gallery.models import Photo
from gallery.uploads import single_upload
from search import queries
from search.service import Match
from search.text import TextQuery, parse_text_query
from search.wording import similarity_word

PAGE_RESULTS = 60


def similar_page(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
    context: dict[str, object] = {
        "photo": photo,
        "matches": None,
        "error": None,
        "selectable": request.user.is_authenticated,
    }
    try:
        context.update(by_likeness(queries.similar_to_photo(photo, request.user, PAGE_RESULTS)))
    except queries.QueryError as exc:  # not processed yet: the page says so in place
        context["error"] = exc.message
    return render(request, "search/similar.html", context)


def search_page(request: HttpRequest) -> HttpResponse:
    """Search by words (titles, cameras, dates) and colours together, or by an image."""
    text = request.GET.get("q", "").strip()[:200]
    context: dict[str, object] = {
        "matches": None,
        "error": None,
        "q": text,
        "colours": [],
        "selectable": request.user.is_authenticated,
    }
    try:
        if request.method == "POST":
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            context.update(_search_by_image(request))
        else:
            colours = _requested_colours(request)
            context["colours"] = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in colours]
            understood = parse_text_query(text)
            context["understood"] = understood.describe()
            if understood or colours:
                context["matches"] = _search(request, understood, colours)
    except UserError as exc:  # shown in the search form, which keeps what was typed
        context["error"] = exc.message
        status = exc.status
    else:
        status = 200
    return render(request, "search/search.html", context, status=status)


def _search(
    request: HttpRequest, understood: TextQuery, colours: list[tuple[int, int, int]]
) -> list[Result]:
    among = queries.matching_text(understood, request.user) if understood else None
    if colours:
        return labelled(queries.dominated_by(colours, request.user, PAGE_RESULTS, among))
    assert among is not None
    newest = among.select_related("owner").order_by("-shot_at", "-id")[:PAGE_RESULTS]
    return [Result(photo, "") for photo in newest]


@dataclass(frozen=True)
class Result:
    """A photo in a results grid, with the word for how similar it is (if ranked by that)."""

    photo: Photo
    label: str


def labelled(matches: list[Match]) -> list[Result]:
    return [Result(match.photo, similarity_word(match.score)) for match in matches]


def by_likeness(matches: list[Match]) -> dict[str, list[Result]]:
    """Photo-to-photo matches split where the words stop: "matches" have a similarity word,
    "less_alike" (the nearest of the rest, still most similar first) have none."""
    results = labelled(matches)
    cut = next((i for i, result in enumerate(results) if not result.label), len(results))
    return {"matches": results[:cut], "less_alike": results[cut:]}


def _search_by_image(request: HttpRequest) -> dict[str, object]:
    """Both questions at once: photos of the same subject, then photos of similar colours."""
    upload = single_upload(request, what="an image to search with")
    query = queries.describe_upload(upload)
    same = queries.similar_to_image(query, request.user, PAGE_RESULTS, "object")
    colour = queries.similar_to_image(query, request.user, PAGE_RESULTS + len(same), "colour")
    found: dict[str, object] = {
        "same_subject": [m.photo for m in same],  # the heading names the match; no labels
        **by_likeness(queries.excluding(colour, same, PAGE_RESULTS)),
        "query_thumb": "data:image/jpeg;base64,"
        + base64.b64encode(encode_image(query.thumbnail, "JPEG", quality=80)).decode(),
    }
    if request.POST.get("add"):
        try:
            added = actions.add_photo(signed_in_user(request), upload)
        except UserError as exc:  # the search itself worked: show its results and this
            messages.error(request, exc.message)
        else:
            verb = "was already" if added.duplicate else "is now"
            messages.success(request, f"The image {verb} in your gallery.")
    return found


def _requested_colours(request: HttpRequest) -> list[tuple[int, int, int]]:
    """Colours as `color=#rrggbb` (repeated or comma-separated, as in the API)."""
    values = [value for value in request.GET.getlist("color") if value.strip()]
    return queries.parse_colours(values) if values else []

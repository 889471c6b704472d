"""Search pages: photos like this one, and search by image or by colour."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from gallery import actions
from gallery.imaging import ImageError, encode_image
from gallery.models import Photo
from gallery.uploads import upload_limit_text, upload_too_large
from search import queries

PAGE_RESULTS = 60
DEFAULT_COLOURS = ["#1e90ff", "#ffd700", "#228b22"]


def similar_page(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
    context: dict[str, object] = {"photo": photo, "matches": None, "error": None}
    try:
        context["matches"] = queries.similar_to_photo(photo, request.user, PAGE_RESULTS)
    except queries.QueryError as exc:
        context["error"] = exc.message
    return render(request, "search/similar.html", context)


def search_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"matches": None, "error": None}
    try:
        if request.method == "POST":
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            context.update(_search_by_image(request))
        elif "color" in request.GET or "use" in request.GET:
            colours = _requested_colours(request)
            context["query_colours"] = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in colours]
            context["matches"] = queries.dominated_by(colours, request.user, PAGE_RESULTS)
    except queries.QueryError as exc:
        context["error"] = exc.message
    context["colour_inputs"] = _colour_inputs(request)
    status = 400 if context["error"] else 200
    return render(request, "search/search.html", context, status=status)


def _search_by_image(request: HttpRequest) -> dict[str, object]:
    upload = request.FILES.get("image")
    if upload_too_large(request):
        raise queries.QueryError("too_large", f"The file is larger than {upload_limit_text()}.")
    if upload is None:
        raise queries.QueryError("missing_file", "Choose an image to search with.")
    vector, small = queries.describe_upload(upload)
    found: dict[str, object] = {
        "matches": queries.similar_to_vector(vector, request.user, PAGE_RESULTS),
        "query_thumb": "data:image/jpeg;base64,"
        + base64.b64encode(encode_image(small, "JPEG", quality=80)).decode(),
    }
    if request.POST.get("add"):
        try:
            added = actions.add_photo(request.user, upload)  # type: ignore[arg-type]
        except ImageError as exc:
            messages.error(request, exc.message)
        else:
            verb = "was already" if added.duplicate else "is now"
            messages.success(request, f"The image {verb} in your gallery.")
    return found


def _requested_colours(request: HttpRequest) -> list[tuple[int, int, int]]:
    if "color" in request.GET:  # ?color=#rrggbb links, as in the API
        return queries.parse_colours(request.GET.getlist("color"))
    used = request.GET.getlist("use")
    values = [request.GET.get(f"color{i}", "") for i in range(3) if str(i) in used]
    return queries.parse_colours(values)


def _colour_inputs(request: HttpRequest) -> list[dict[str, object]]:
    used = request.GET.getlist("use") or ["0"]
    inputs = []
    for i, default in enumerate(DEFAULT_COLOURS):
        value = request.GET.get(f"color{i}", default)
        valid = queries.is_hex_colour(value) and value.startswith("#")
        inputs.append({"hex": value if valid else default, "used": str(i) in used})
    return inputs

"""Request checks that apply before any view."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from focal.api_errors import error_body

# Path and query string together. Browsers and proxies handle about this much everywhere; our
# longest real URL (a gallery page with a page of ids) is a few hundred bytes.
MAX_URL_BYTES = 8192


def limit_url_length(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Answer 414 to over-long URLs, in the API's error format under /api/."""

    def middleware(request: HttpRequest) -> HttpResponse:
        path = request.META.get("PATH_INFO", "")
        if len(path) + len(request.META.get("QUERY_STRING", "")) > MAX_URL_BYTES:
            message = f"The URL is longer than {MAX_URL_BYTES} bytes."
            if path.startswith("/api/"):
                return JsonResponse(error_body("url_too_long", message), status=414)
            return HttpResponse(message, status=414, content_type="text/plain; charset=utf-8")
        return get_response(request)

    return middleware

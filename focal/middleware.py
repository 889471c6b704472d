"""Turns a UserError raised by a page view into a page that says what went wrong.

Page views raise focal.usererror.UserError (or a subclass) like the API does and let it
propagate: the answer has the error's status (4xx), its message and a link back. Under /api/ a
plain Django view gets the JSON error shape instead (DRF views never reach this: their
exception handler answers first).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from focal.api_errors import error_body
from focal.usererror import UserError


class UserErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UserError):
            return None
        return user_error_page(request, exception)


def user_error_page(request: HttpRequest, error: UserError) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body(error.code, error.message), status=error.status)
    else:
        context = {"error": error, "back_url": _back_url(request)}
        response = render(request, "user_error.html", context, status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _back_url(request: HttpRequest) -> str | None:
    """The page the request came from, if it is one of ours."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return None

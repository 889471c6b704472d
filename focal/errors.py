"""Error pages: JSON in the API's error shape under /api/, the site's own pages elsewhere
(templates 400.html, 403.html, 404.html and 500.html, with the header and a way back)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from focal.api_errors import error_body


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's answer to a SuspiciousOperation: bodies over the limits, too many fields, ..."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        size = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20:.3g} MB"
        message = f"The request body is larger than {size} (files aside)."
        return JsonResponse(error_body("too_large", message), status=413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        count = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        message = f"The request has more than {count} fields or files."
        return JsonResponse(error_body("too_many_fields", message), status=400)
    return JsonResponse(error_body("bad_request", "The request was refused."), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        message = "You do not have permission to do this."
        return JsonResponse(error_body("permission_denied", message), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        message = "Something went wrong on our side; it has been logged."
        return JsonResponse(error_body("server_error", message), status=500)
    return defaults.server_error(request)

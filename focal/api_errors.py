"""One error shape for the whole JSON API: {"error": {"code": "...", "message": "..."}}.

Views raise focal.usererror.UserError (or a subclass) for anything the client caused; DRF's own
exceptions (validation, authentication, throttling, 404) get the same shape here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from focal.usererror import UserError


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def _first_message(detail: Any, prefix: str = "") -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            label = "" if key == "non_field_errors" else f"{key}: "
            return _first_message(value, prefix + label)
        return prefix.rstrip(": ")
    if isinstance(detail, list):
        return _first_message(detail[0], prefix) if detail else prefix.rstrip(": ")
    return f"{prefix}{detail}"


def user_error_response(exc: UserError) -> Response:
    response = Response(error_body(exc.code, exc.message), status=exc.status)
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, UserError):
        set_rollback()  # as DRF does for its own exceptions: nothing half-done is committed
        return user_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler takes it
    extra: dict[str, Any] = {}
    if isinstance(exc, Http404):
        code, message = "not_found", "Not found."
    elif isinstance(exc, DjangoPermissionDenied):
        code, message = "permission_denied", "You do not have permission to do this."
    elif isinstance(exc, exceptions.APIException):
        code = str(exc.default_code)
        if isinstance(exc, exceptions.ValidationError):
            code = "invalid"
            if isinstance(exc.detail, dict):
                extra["fields"] = exc.detail
        message = _first_message(exc.detail)
    else:
        code, message = "error", _first_message(response.data)
    response.data = error_body(code, message, **extra)
    return response

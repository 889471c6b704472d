"""One error shape for the whole JSON API: {"error": {"code": "...", "message": "..."}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApiError(exceptions.APIException):
    """An error a client caused, with a stable machine-readable code and a readable message."""

    def __init__(self, code: str, message: str, status_code: int = status.HTTP_400_BAD_REQUEST):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code


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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler takes it
    extra: dict[str, Any] = {}
    if isinstance(exc, Http404):
        code, message = "not_found", "Not found."
    elif isinstance(exc, DjangoPermissionDenied):
        code, message = "permission_denied", "You do not have permission to do this."
    elif isinstance(exc, exceptions.APIException):
        code = exc.error_code if isinstance(exc, ApiError) else str(exc.default_code)
        if isinstance(exc, exceptions.ValidationError):
            code = "invalid"
            if isinstance(exc.detail, dict):
                extra["fields"] = exc.detail
        message = _first_message(exc.detail)
    else:
        code, message = "error", _first_message(response.data)
    response.data = error_body(code, message, **extra)
    return response

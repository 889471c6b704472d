"""Conventions of the OpenAPI schema (/api/schema/), applied to every operation in one place.

The API answers errors as `{"error": {"code": "...", "message": "..."}}` (focal.api_errors), so
every error response is documented with the `Error` component, and apply_conventions (a
drf-spectacular postprocessing hook) adds the ones any operation may give:

    400 invalid request        every operation (a bad parameter or body; the message says which)
    401 bad credentials        every operation (a wrong token is refused even where none is needed)
    403 not allowed            every operation that changes something
    404 not found              every operation (an unknown id, a photo you may not see, a page
                               past the end)
    413 too large, 415 wrong media type
                               every operation with a request body
    429 too many requests      every operation, with Retry-After (brute-force and per-user limits)

An operation that can answer more declares it next to its view, and nothing else:

    @extend_schema(..., extensions=errors(409, 422))

Every query parameter and body field states its constraints (type, range, pattern, enum, length),
request bodies take no other fields (`additionalProperties: false`; the serializers use
focal.serializers.RejectUnknownFields), and the view refuses what the schema excludes:
tests/test_api_schema.py runs schemathesis with
every check against the schema to keep both in step.
"""

from __future__ import annotations

import re
from typing import Any

ERROR_COMPONENT = "Error"
_EXTENSION = "x-focal-errors"

DESCRIPTIONS = {
    400: "The request is not valid; `error.message` says what to change.",
    401: "The credentials (token or session) are missing or wrong.",
    403: "You may not do this (for example, change someone else's photo).",
    404: "Not found: an unknown id, something you may not see, or a page past the end.",
    409: "Not possible in the current state (for example, the photo is still being processed).",
    410: "Gone: it expired (for example, an unfinished upload).",
    411: "The body needs a Content-Length.",
    412: "A precondition failed (for example, another version of the tus protocol).",
    413: "The request body or the uploaded file is too large.",
    415: "The media type of the body, or of the uploaded file, is not supported.",
    422: "Well formed, but it refers to something that cannot be used here.",
    423: "Busy: another request is changing it; try again in a moment.",
    429: "Too many requests; try again after `Retry-After` seconds.",
    507: "The server has no room to store it now; try again later.",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable."},
                "message": {"type": "string", "description": "For people to read."},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Per-field messages of a validation error.",
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def errors(*statuses: int) -> dict[str, Any]:
    """`extensions` for extend_schema: error statuses this operation adds to the standard ones."""
    unknown = set(statuses) - set(DESCRIPTIONS)
    if unknown:
        raise ValueError(f"no description for status {sorted(unknown)}: add it to DESCRIPTIONS")
    return {_EXTENSION: list(statuses)}


def standard_errors(method: str, operation: dict[str, Any]) -> list[int]:
    statuses = [400, 401, 404, 429]
    if method.lower() not in ("get", "head", "options"):
        statuses.append(403)
    if "requestBody" in operation:
        statuses += [413, 415]
    return statuses


def apply_conventions(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: error responses, closed request bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    for name, component in schemas.items():
        # Request serializers refuse unknown fields (focal.serializers.RejectUnknownFields).
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
        for field, field_schema in component.get("properties", {}).items():
            component["properties"][field] = _without_redundant_blank(field_schema)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = operation.pop(_EXTENSION, [])
            if method == "post" and "requestBody" in operation:
                operation["requestBody"]["required"] = True  # every POST here needs its body
            responses = operation["responses"]
            for status in sorted({*standard_errors(method, operation), *extra}):
                responses.setdefault(str(status), _error_response(status))
    return result


def _without_redundant_blank(schema: dict[str, Any]) -> dict[str, Any]:
    """drf-spectacular writes a blank-allowed string with a pattern as oneOf [the string, a
    blank string]; when the pattern takes "" too, "" matches both and oneOf refuses it."""
    alternatives = schema.get("oneOf")
    if not alternatives or len(alternatives) != 2 or alternatives[1] != _BLANK:
        return schema
    first = alternatives[0]
    if first.get("minLength", 0) == 0 and re.search(first.get("pattern", ""), ""):
        return {**first, **{k: v for k, v in schema.items() if k != "oneOf"}}
    return schema


_BLANK = {"type": "string", "maxLength": 0}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}
        },
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return response

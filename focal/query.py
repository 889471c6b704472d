"""Query-string values read as strictly as the OpenAPI schema states them."""

from __future__ import annotations

from focal.usererror import UserError

_BOOLEANS = {"true": True, "false": False}


def parse_bool(value: str | None, name: str, default: bool = False) -> bool:
    """true or false, as OpenAPI clients send booleans; anything else is a 400."""
    if value is None:
        return default
    if value not in _BOOLEANS:
        raise UserError(f"{name} must be true or false.")
    return _BOOLEANS[value]

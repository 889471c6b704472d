"""Typed readers for the environment variables that configure Focal.

A bad value stops start-up with ImproperlyConfigured naming the variable, instead of a
confusing failure later. Every reader also accepts NAME_FILE (a path whose content is the
value), the usual way to hand secrets to containers.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RATE = re.compile(r"[1-9][0-9]*/[1-9]?[0-9]*[smhd]")
_DURATION = re.compile(r"([1-9][0-9]*)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return None


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env_str(name) or default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = env_str(name)
    return (Path(value) if value else default).expanduser().resolve()


def env_rate(name: str, default: str) -> str | None:
    """A rate such as "10/15m" (10 per 15 minutes; units s, m, h, d), or None for "off"."""
    value = (env_str(name) or default).strip().lower()
    if value == "off":
        return None
    if not _RATE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: use COUNT/PERIOD such as 10/15m or 100/h, or off."
        )
    return value


def env_duration(name: str, default: str) -> timedelta:
    """A length of time such as "30s", "15m", "24h" or "7d"."""
    value = (env_str(name) or default).strip().lower()
    match = _DURATION.fullmatch(value)
    if not match:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a duration: use a number and a unit, such as 30s, 15m, "
            "24h or 7d."
        )
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])

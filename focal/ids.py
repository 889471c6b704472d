"""Ids that users send (in query strings and forms): whole numbers that fit a database id.

A value beyond the database's range would make SQLite raise OverflowError, so it is refused
here with a readable error, like any other malformed id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from focal.usererror import UserError

MAX_ID = 2**63 - 1  # BigAutoField / SQLite INTEGER
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also accepts "²"


def is_id(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None and 1 <= int(text) <= MAX_ID


def parse_ids(values: Iterable[str], *, name: str, limit: int) -> list[int]:
    """The ids in `values`, in order and without repeats; UserError for anything else."""
    values = list(values)
    if len(values) > limit:
        raise UserError(f"{name}: at most {limit} ids at a time.", code="invalid_id")
    ids: list[int] = []
    for value in values:
        text = value.strip()
        if not is_id(text):
            raise UserError(
                f"{name}: “{text[:24]}” is not an id (a whole number from 1 to {MAX_ID}).",
                code="invalid_id",
            )
        if int(text) not in ids:
            ids.append(int(text))
    return ids

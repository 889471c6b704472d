"""The kinds of parameter an effect takes, each with its validation, canonical text, JSON form,
JSON Schema and wording. The effects table (effects.registry) is made of these; nothing here
knows about any one effect.

A field's `parse` takes what a person or client sent (JSON values, or the form's strings) and
returns the value, or raises SpecError naming the field. `text` gives the value's canonical
spelling in a variant's spec string (no "," outside parentheses: the spec grammar splits on
it), `json` its form in API answers (which `parse` takes back).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from focal import colours
from focal.usererror import UserError

POINT_DECIMALS = 3  # 1/1000 of the frame: clicks closer than that render the same variant
_DIGITS = re.compile(r"[0-9]{1,19}")  # 2**63 - 1 has 19 digits
_POINT = re.compile(r"point\((?P<x>[^,()]*),(?P<y>[^,()]*)\)")
_IDS = re.compile(r"ids\((?P<ids>[^()]*)\)")
# Points as the API takes them in strings: "x,y" fractions with at most 6 decimals.
_FRACTION = r"(0(\.[0-9]{1,6})?|1(\.0{1,6})?)"
POINT_TEXT_PATTERN = f"^{_FRACTION},{_FRACTION}$"
MAX_FACE_IDS = 100


class SpecError(UserError, ValueError):
    """Invalid effect parameters: `message` ("field: reason") is for the person who sent them."""

    code = "invalid"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Point:
    """A click in relative image coordinates: (0, 0) top left, (1, 1) bottom right."""

    x: float
    y: float


Subject = str | Point  # "auto", a VOC class name, or a Point


def _same(value: Any) -> Any:
    return value


def _nothing(value: Any, found: str) -> str | None:
    return None


@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[Any], Any]
    schema: Mapping[str, Any]  # JSON Schema of the value in an API body
    default: Any = None  # None: the field must be given (or, in a one-of group, may be)
    text: Callable[[Any], str] = str
    json: Callable[[Any], Any] = _same
    # The words for the variant list, e.g. "blur 50"; `found` is what the render recorded
    # (the subject class for a point or "auto"), None to say nothing.
    describe: Callable[[Any, str], str | None] = _nothing
    # How the page's script sends the form's value: "number", "text", or "ids" (a word as
    # text, digits as a list of numbers).
    form: str = "text"
    # The value is the id of another photo whose pixels the variant uses (effects.sources).
    source_photo: bool = field(default=False)


# --- numbers --------------------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A finite number from a JSON number or a string; None for anything else (booleans too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def whole_number(name: str, low: int, high: int, default: int, reason: str, describe: str) -> Field:
    """An integer from `low` to `high`; `describe` is a format string such as "blur {}"."""

    def parse(value: Any) -> int:
        found = number(value)
        if found is None or found != int(found) or not low <= found <= high:
            raise SpecError(name, reason)
        return int(found)

    return Field(
        name,
        parse,
        {"type": "integer", "minimum": low, "maximum": high, "default": default},
        default=default,
        describe=lambda value, found: describe.format(value),
        form="number",
    )


def choice(
    name: str,
    options: Sequence[str],
    default: str | None,
    words: Mapping[str, str] | None = None,
    description: str | None = None,
) -> Field:
    """One of `options` (case and surrounding spaces ignored); `words` describe each."""

    def parse(value: Any) -> str:
        text = value.strip().lower() if isinstance(value, str) else None
        if text is None or text not in options:
            raise SpecError(name, f"choose one of: {', '.join(options)}")
        return text

    schema: dict[str, Any] = {"type": "string", "enum": list(options)}
    if default is not None:
        schema["default"] = default
    if description:
        schema["description"] = description
    return Field(
        name,
        parse,
        schema,
        default=default,
        describe=lambda value, found: str((words or {}).get(value, value)),
    )


# --- colours and photos ---------------------------------------------------------------------


def colour(name: str, describe: str = "colour {}") -> Field:
    def parse(value: Any) -> str:
        try:
            return colours.hex_colour(colours.parse_hex_colour(value.strip()))
        except (ValueError, AttributeError):
            raise SpecError(name, "expected a colour in the form #rrggbb, e.g. #00ff00") from None

    return Field(
        name,
        parse,
        {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "description": "#rrggbb"},
        describe=lambda value, found: describe.format(value),
    )


def photo_id(name: str, description: str, describe: str) -> Field:
    """The id of another photo whose pixels go into the variant."""

    def parse(value: Any) -> int:
        # Integers (and digit strings) stay exact: through float, ids above 2**53 would change.
        found: float | int | None
        if isinstance(value, int) and not isinstance(value, bool):
            found = value
        elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            found = int(value.strip())
        else:
            found = number(value)
        if found is None or found != int(found) or found < 1 or found > 2**63 - 1:
            raise SpecError(name, "expected the id of one of your photos (a positive number)")
        return int(found)

    return Field(
        name,
        parse,
        {"type": "integer", "minimum": 1, "maximum": 2**63 - 1, "description": description},
        describe=lambda value, found: describe.format(value),
        form="number",
        source_photo=True,
    )


# --- points ---------------------------------------------------------------------------------


def make_point(name: str, x: Any, y: Any) -> Point:
    coordinates = []
    for value in (x, y):
        found = number(value)
        if found is None or not 0.0 <= found <= 1.0:
            raise SpecError(name, "point coordinates are fractions of the image between 0 and 1")
        # round() then float(): canonical text and the stored value agree exactly.
        coordinates.append(float(round(found, POINT_DECIMALS)) + 0.0)  # -0.0 becomes 0.0
    return Point(coordinates[0], coordinates[1])


def parse_point(name: str, value: Any) -> Point | None:
    """A point from {"x", "y"}, [x, y], "x,y" or "point(x,y)"; None when `value` is no point
    at all (a string without a comma), so a caller can try other readings."""
    if isinstance(value, Mapping):
        if set(value) != {"x", "y"}:
            raise SpecError(name, 'a point needs exactly "x" and "y"')
        return make_point(name, value["x"], value["y"])
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise SpecError(name, "a point is two numbers [x, y]")
        return make_point(name, value[0], value[1])
    if isinstance(value, str):
        text = value.strip().lower()
        match = _POINT.fullmatch(text)
        if match is not None:
            return make_point(name, match["x"], match["y"])
        if text.count(",") == 1:
            x, y = text.split(",")
            return make_point(name, x, y)
    return None


def point_text(point: Point) -> str:
    return f"point({_decimal(point.x)},{_decimal(point.y)})"


def point_words(point: Point) -> str:
    return f"{round(point.x * 100)}%, {round(point.y * 100)}%"


def _decimal(value: float) -> str:
    text = f"{value:.{POINT_DECIMALS}f}".rstrip("0").rstrip(".")
    return text or "0"


def point(name: str, description: str, describe: str) -> Field:
    """A point of the photo, as [x, y] fractions of its width and height."""

    def parse(value: Any) -> Point:
        found = parse_point(name, value)
        if found is None:
            raise SpecError(name, "expected a point [x, y], fractions of the width and height")
        return found

    return Field(
        name,
        parse,
        {
            "description": description,
            "anyOf": [
                {
                    "type": "array",
                    "items": {"type": "number", "minimum": 0, "maximum": 1},
                    "minItems": 2,
                    "maxItems": 2,
                },
                {"type": "string", "pattern": POINT_TEXT_PATTERN},
            ],
        },
        text=point_text,
        json=lambda value: [value.x, value.y],
        describe=lambda value, found: describe.format(point_words(value)),
    )


# --- lists of ids ---------------------------------------------------------------------------


def words_or_ids(
    name: str, words: Mapping[str, str], default: str, what: str, description: str
) -> Field:
    """One of a few words (e.g. "all"), or a list of ids of `what` (e.g. faces), kept sorted
    and without repeats so the same choice is the same variant."""

    def parse(value: Any) -> str | tuple[int, ...]:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in words:
                return text
            match = _IDS.fullmatch(text)
            items: Any = (match["ids"] if match else text).split(",")
        else:
            items = value
        if not isinstance(items, list | tuple) or not items:
            raise SpecError(name, f"choose {' or '.join(words)}, or give a list of {what} ids")
        if len(items) > MAX_FACE_IDS:
            raise SpecError(name, f"at most {MAX_FACE_IDS} {what} ids")
        ids = set()
        for item in items:
            if isinstance(item, bool) or not (
                isinstance(item, int) or (isinstance(item, str) and _DIGITS.fullmatch(item.strip()))
            ):
                raise SpecError(name, f"{what} ids are positive whole numbers")
            found = int(item)
            if not 1 <= found <= 2**63 - 1:
                raise SpecError(name, f"{what} ids are positive whole numbers")
            ids.add(found)
        return tuple(sorted(ids))

    def text(value: str | tuple[int, ...]) -> str:
        return value if isinstance(value, str) else f"ids({','.join(map(str, value))})"

    def describe(value: str | tuple[int, ...], found: str) -> str:
        if isinstance(value, str):
            return words[value]
        return f"{len(value)} chosen {what}{'s' if len(value) != 1 else ''}"

    return Field(
        name,
        parse,
        {
            "description": description,
            "default": default,
            "anyOf": [
                {"type": "string", "enum": list(words)},
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                    "minItems": 1,
                    "maxItems": MAX_FACE_IDS,
                },
            ],
        },
        default=default,
        text=text,
        json=lambda value: value if isinstance(value, str) else list(value),
        describe=describe,
        form="ids",
    )

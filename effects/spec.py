"""The serialisable description of one effect variant, e.g. `portrait:subject=auto,blur=50,...`.

Two ways in: `parse_spec(dict)` for API/form input (JSON-like, validated field by field) and
`parse_canonical(str)` for stored specs. `EffectSpec.canonical()` is the cache key of a variant:
defaults are filled in, fields come in a fixed order and click coordinates are rounded, so two
requests that would render the same image get the same string.

Grammar of the canonical form (fields always in this order, all present):
    portrait:subject=<S>,blur=<0..100>,bokeh=<gaussian|disc>
    background:subject=<S>,color=#rrggbb    |    background:subject=<S>,photo=<id>
    colorpop:subject=<S>
    cutout:subject=<S>
    <S> := auto | <VOC class name> | point(<x>,<y>)    with x, y in [0, 1], at most 3 decimals
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from effects.segmentation import VOC_LABELS
from focal.usererror import UserError

EFFECTS = ("portrait", "background", "colorpop", "cutout")
BOKEH_SHAPES = ("gaussian", "disc")
SUBJECT_CLASSES = VOC_LABELS[1:]  # "background" cannot be a subject
DEFAULT_SUBJECT = "auto"  # one click works on a cat as on a person
DEFAULT_BLUR = 50
DEFAULT_BOKEH = "gaussian"
POINT_DECIMALS = 3  # 1/1000 of the frame: clicks closer than that render the same variant

_FIELDS: dict[str, tuple[str, ...]] = {
    "portrait": ("subject", "blur", "bokeh"),
    "background": ("subject", "color", "photo"),
    "colorpop": ("subject",),
    "cutout": ("subject",),
}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_DIGITS = re.compile(r"[0-9]{1,19}")  # 2**63 - 1 has 19 digits
_POINT = re.compile(r"point\((?P<x>[^,()]*),(?P<y>[^,()]*)\)")
_CANONICAL_PARAM = re.compile(r"(?P<key>[a-z]+)=(?P<value>point\([^()]*\)|[^,]*)(?:,|$)")


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


@dataclass(frozen=True)
class EffectSpec:
    effect: str
    subject: Subject = DEFAULT_SUBJECT
    blur: int | None = None  # portrait only
    bokeh: str | None = None  # portrait only
    color: str | None = None  # background only, "#rrggbb"
    photo: int | None = None  # background only, a Photo id

    @property
    def output_format(self) -> str:
        """Cut-outs need an alpha channel; everything else is a photo."""
        return "PNG" if self.effect == "cutout" else "JPEG"

    def canonical(self) -> str:
        values = {
            "subject": _subject_text(self.subject),
            "blur": None if self.blur is None else str(self.blur),
            "bokeh": self.bokeh,
            "color": self.color,
            "photo": None if self.photo is None else str(self.photo),
        }
        params = [f"{key}={values[key]}" for key in _FIELDS[self.effect] if values[key] is not None]
        return f"{self.effect}:{','.join(params)}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that parse_spec() turns back into an equal spec."""
        data: dict[str, Any] = {"effect": self.effect}
        if isinstance(self.subject, Point):
            data["subject"] = {"x": self.subject.x, "y": self.subject.y}
        else:
            data["subject"] = self.subject
        for key in ("blur", "bokeh", "color", "photo"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def __str__(self) -> str:
        return self.canonical()


def parse_spec(data: Mapping[str, Any]) -> EffectSpec:
    """Validate a JSON-like dict such as {"effect": "portrait", "subject": "auto", "blur": 50}."""
    if not isinstance(data, Mapping):
        raise SpecError("effect", "the effect parameters must be an object")
    effect = data.get("effect")
    if not isinstance(effect, str) or effect.strip().lower() not in EFFECTS:
        raise SpecError("effect", f"choose one of: {', '.join(EFFECTS)}")
    effect = effect.strip().lower()
    allowed = _FIELDS[effect]
    for key in data:
        if key != "effect" and key not in allowed:
            if key in {"subject", "blur", "bokeh", "color", "photo"}:
                raise SpecError(str(key), f"{key} does not apply to the {effect} effect")
            raise SpecError(str(key), f"unknown parameter; {effect} takes: {', '.join(allowed)}")
    subject = _parse_subject(data.get("subject", DEFAULT_SUBJECT))
    if effect == "portrait":
        return EffectSpec(
            effect,
            subject,
            blur=_parse_blur(data.get("blur", DEFAULT_BLUR)),
            bokeh=_parse_bokeh(data.get("bokeh", DEFAULT_BOKEH)),
        )
    if effect == "background":
        has_color = data.get("color") is not None
        has_photo = data.get("photo") is not None
        if has_color == has_photo:
            raise SpecError(
                "color", "give exactly one background: a color (#rrggbb) or a photo (its id)"
            )
        if has_color:
            return EffectSpec(effect, subject, color=_parse_color(data["color"]))
        return EffectSpec(effect, subject, photo=_parse_photo(data["photo"]))
    return EffectSpec(effect, subject)


def parse_canonical(text: str) -> EffectSpec:
    """Parse `effect:key=value,...` (any field order, defaults allowed) into a validated spec."""
    if not isinstance(text, str) or ":" not in text:
        raise SpecError("spec", "expected the form effect:key=value,...")
    effect, _, rest = text.strip().partition(":")
    data: dict[str, Any] = {"effect": effect}
    position = 0
    while position < len(rest):
        match = _CANONICAL_PARAM.match(rest, position)
        if match is None or match.end() == position:
            raise SpecError("spec", f"cannot read the parameters at {rest[position:]!r}")
        key = match["key"]
        if key in data:
            raise SpecError(key, "given twice")
        data[key] = match["value"]
        position = match.end()
    if rest.endswith(","):
        raise SpecError("spec", "trailing comma")
    return parse_spec(data)


def _parse_subject(value: Any) -> Subject:
    if isinstance(value, Mapping):
        if set(value) != {"x", "y"}:
            raise SpecError("subject", 'a point needs exactly "x" and "y"')
        return _point(value["x"], value["y"])
    if not isinstance(value, str):
        raise SpecError("subject", "expected auto, a class name such as person, or a point x,y")
    text = value.strip().lower()
    if text == "auto" or text in SUBJECT_CLASSES:
        return text
    point = _POINT.fullmatch(text)
    if point is not None:
        return _point(point["x"], point["y"])
    if text.count(",") == 1:
        x, y = text.split(",")
        return _point(x, y)
    raise SpecError(
        "subject",
        f"unknown subject {value.strip()[:40]!r}; use auto, a point x,y, or one of: "
        + ", ".join(SUBJECT_CLASSES),
    )


def _point(x: Any, y: Any) -> Point:
    coordinates = []
    for value in (x, y):
        number = _number(value)
        if number is None or not 0.0 <= number <= 1.0:
            raise SpecError(
                "subject", "point coordinates are fractions of the image between 0 and 1"
            )
        # round() then float(): canonical text and the stored value agree exactly.
        coordinates.append(float(round(number, POINT_DECIMALS)) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return Point(coordinates[0], coordinates[1])


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _parse_blur(value: Any) -> int:
    number = _number(value)
    if number is None or number != int(number) or not 0 <= number <= 100:
        raise SpecError("blur", "blur is a whole number from 0 (none) to 100 (strongest)")
    return int(number)


def _parse_bokeh(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in BOKEH_SHAPES:
        raise SpecError("bokeh", f"choose one of: {', '.join(BOKEH_SHAPES)}")
    return text


def _parse_color(value: Any) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value.strip()):
        raise SpecError("color", "expected a colour in the form #rrggbb, e.g. #00ff00")
    return value.strip().lower()


def _parse_photo(value: Any) -> int:
    # Integers (and digit strings) stay exact: through float, ids above 2**53 would change.
    number: float | int | None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        number = _number(value)
    if number is None or number != int(number) or number < 1 or number > 2**63 - 1:
        raise SpecError("photo", "expected the id of one of your photos (a positive number)")
    return int(number)


def _subject_text(subject: Subject) -> str:
    if isinstance(subject, Point):
        return f"point({_decimal(subject.x)},{_decimal(subject.y)})"
    return subject


def _decimal(value: float) -> str:
    text = f"{value:.{POINT_DECIMALS}f}".rstrip("0").rstrip(".")
    return text or "0"


# Points as the API takes them: "x,y" fractions with at most 6 decimals, or {"x": .., "y": ..}.
_FRACTION = r"(0(\.[0-9]{1,6})?|1(\.0{1,6})?)"
_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "subject": {
        "description": "auto (the most prominent subject), a PASCAL VOC class, or a point "
        'of the photo: "x,y" or {"x", "y"}, fractions of the width and height (default auto).',
        "anyOf": [
            {"type": "string", "enum": ["auto", *SUBJECT_CLASSES]},
            {"type": "string", "pattern": f"^{_FRACTION},{_FRACTION}$"},
            {
                "type": "object",
                "properties": {
                    "x": {"type": "number", "minimum": 0, "maximum": 1},
                    "y": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["x", "y"],
                "additionalProperties": False,
            },
        ],
    },
    "blur": {"type": "integer", "minimum": 0, "maximum": 100, "default": DEFAULT_BLUR},
    "bokeh": {"type": "string", "enum": list(BOKEH_SHAPES), "default": DEFAULT_BOKEH},
    "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "description": "#rrggbb"},
    "photo": {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**63 - 1,
        "description": "The id of one of your own photos to put behind the subject.",
    },
}


def request_json_schema() -> dict[str, Any]:
    """The JSON Schema of what the API accepts for a new variant, derived from the effects
    table: one alternative per effect (two for background: a colour or a photo), exact types,
    no other fields. The OpenAPI schema shows it and the API validates bodies against it;
    parse_spec() then reads the (valid) body, as it reads the page's form."""

    def alternative(effect: str, fields: tuple[str, ...], required: tuple[str, ...] = ()) -> Any:
        return {
            "title": effect if not required else f"{effect} ({required[0]})",
            "type": "object",
            "properties": {
                "effect": {"type": "string", "enum": [effect]},
                **{name: _FIELD_SCHEMAS[name] for name in fields},
            },
            "required": ["effect", *required],
            "additionalProperties": False,
        }

    alternatives = []
    for effect, fields in _FIELDS.items():
        if effect == "background":  # exactly one of color and photo
            alternatives.append(alternative(effect, ("subject", "color"), ("color",)))
            alternatives.append(alternative(effect, ("subject", "photo"), ("photo",)))
        else:
            alternatives.append(alternative(effect, fields))
    return {"oneOf": alternatives}

"""The serialisable description of one effect variant, e.g. `portrait:subject=auto,blur=50,...`.

Two ways in: `parse_spec(dict)` for API/form input (JSON-like, validated field by field) and
`parse_canonical(str)` for stored specs. `EffectSpec.canonical()` is the cache key of a variant:
defaults are filled in, fields come in a fixed order and click coordinates are rounded, so two
requests that would render the same image get the same string. The fields of each effect, and
their order, come from the effects table (effects.registry).

Grammar of the canonical form (fields always in the table's order, all present):
    portrait:subject=<S>,blur=<0..100>,bokeh=<gaussian|disc>
    background:subject=<S>,color=#rrggbb    |    background:subject=<S>,photo=<id>
    colorpop:subject=<S>
    cutout:subject=<S>
    <S> := auto | <VOC class name> | point(<x>,<y>)    with x, y in [0, 1], at most 3 decimals
A value never holds a "," except inside parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from effects.fields import POINT_DECIMALS, Point, SpecError
from effects.registry import (
    DEFAULT_BLUR,
    DEFAULT_BOKEH,
    DEFAULT_SUBJECT,
    EFFECTS,
    SUBJECT_CLASSES,
    Effect,
    all_fields,
)

__all__ = [
    "DEFAULT_BLUR",
    "DEFAULT_BOKEH",
    "DEFAULT_SUBJECT",
    "EFFECT_NAMES",
    "POINT_DECIMALS",
    "SUBJECT_CLASSES",
    "EffectSpec",
    "Point",
    "SpecError",
    "parse_canonical",
    "parse_spec",
    "request_json_schema",
]

EFFECT_NAMES = tuple(EFFECTS)
_KNOWN_FIELDS = frozenset(all_fields())
_CANONICAL_PARAM = re.compile(r"(?P<key>[a-z]+)=(?P<value>[a-z]*\([^()]*\)|[^,]*)(?:,|$)")


class EffectSpec:
    """An effect and its validated parameters; equal specs render equal images.

    Parameters read as attributes (`spec.blur`); a field the effect does not take reads None.
    Build one with parse_spec() or parse_canonical(); the constructor trusts its input.
    """

    __slots__ = ("effect", "_params")
    effect: str
    _params: tuple[tuple[str, Any], ...]

    def __init__(self, effect: str, **params: Any) -> None:
        object.__setattr__(self, "effect", effect)
        object.__setattr__(self, "_params", tuple(sorted(params.items())))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("an EffectSpec cannot be changed")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _KNOWN_FIELDS:
            raise AttributeError(name)
        return self.params.get(name)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def definition(self) -> Effect:
        return EFFECTS[self.effect]

    @property
    def output_format(self) -> str:
        return self.definition.output_format

    def source_photos(self) -> list[int]:
        """Ids of the other photos whose pixels this variant uses (e.g. the background)."""
        params = self.params
        return [
            params[f.name]
            for f in self.definition.fields
            if f.source_photo and params.get(f.name) is not None
        ]

    def canonical(self) -> str:
        params = self.params
        text = [
            f"{f.name}={f.text(params[f.name])}"
            for f in self.definition.fields
            if params.get(f.name) is not None
        ]
        return f"{self.effect}:{','.join(text)}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that parse_spec() turns back into an equal spec."""
        params = self.params
        data: dict[str, Any] = {"effect": self.effect}
        for f in self.definition.fields:
            if params.get(f.name) is not None:
                data[f.name] = f.json(params[f.name])
        return data

    def describe(self, found: str = "") -> list[str]:
        """The words that set this variant apart, e.g. ["automatic subject (cat)", "blur 50"];
        `found` is what the render recorded (the subject class)."""
        params = self.params
        words = []
        for f in self.definition.fields:
            if params.get(f.name) is not None:
                said = f.describe(params[f.name], found)
                if said:
                    words.append(said)
        return words

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EffectSpec):
            return NotImplemented
        return (self.effect, self._params) == (other.effect, other._params)

    def __hash__(self) -> int:
        return hash((self.effect, self._params))

    def __repr__(self) -> str:
        return f"EffectSpec({self.canonical()!r})"

    def __str__(self) -> str:
        return self.canonical()


def parse_spec(data: Mapping[str, Any]) -> EffectSpec:
    """Validate a JSON-like dict such as {"effect": "portrait", "subject": "auto", "blur": 50}."""
    if not isinstance(data, Mapping):
        raise SpecError("effect", "the effect parameters must be an object")
    name = data.get("effect")
    if not isinstance(name, str) or name.strip().lower() not in EFFECTS:
        raise SpecError("effect", f"choose one of: {', '.join(EFFECTS)}")
    effect = EFFECTS[name.strip().lower()]
    allowed = [f.name for f in effect.fields]
    for key in data:
        if key != "effect" and key not in allowed:
            if key in _KNOWN_FIELDS:
                raise SpecError(str(key), f"{key} does not apply to the {effect.name} effect")
            raise SpecError(
                str(key), f"unknown parameter; {effect.name} takes: {', '.join(allowed)}"
            )
    if effect.one_of:
        given = [key for key in effect.one_of if data.get(key) is not None]
        if len(given) != 1:
            reason = effect.one_of_reason or f"give exactly one of: {', '.join(effect.one_of)}"
            raise SpecError(effect.one_of[0], reason)
    params: dict[str, Any] = {}
    for f in effect.fields:
        if f.name in effect.one_of:
            if data.get(f.name) is not None:
                params[f.name] = f.parse(data[f.name])
        elif f.name in data or f.default is None:
            params[f.name] = f.parse(data.get(f.name))
        else:
            params[f.name] = f.default
    return EffectSpec(effect.name, **params)


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


def request_json_schema() -> dict[str, Any]:
    """The JSON Schema of what the API accepts for a new variant, derived from the effects
    table: one alternative per effect (one per field of its one-of group, e.g. a background
    colour or photo), exact types, no other fields. The OpenAPI schema shows it and the API
    validates bodies against it; parse_spec() then reads the (valid) body, as it reads the
    page's form."""
    alternatives = []
    for effect in EFFECTS.values():
        for chosen in effect.one_of or (None,):
            fields = [f for f in effect.fields if f.name not in effect.one_of or f.name == chosen]
            alternatives.append(
                {
                    "title": effect.name if chosen is None else f"{effect.name} ({chosen})",
                    "type": "object",
                    "properties": {
                        "effect": {"type": "string", "enum": [effect.name]},
                        **{f.name: dict(f.schema) for f in fields},
                    },
                    "required": ["effect", *([chosen] if chosen else [])],
                    "additionalProperties": False,
                }
            )
    return {"oneOf": alternatives}

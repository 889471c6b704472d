"""The effects table: every effect Focal can render, in one place.

Each entry says the effect's name, its fields (validation, defaults, canonical text, schema,
wording), its title, the format of its output, what it needs to be rendered, and its pure
apply function, in the manner of wagtail's image operations. Everything else derives from
this table: spec parsing and the canonical cache key (effects.spec), the render dispatch
(effects.pipeline), the variant labels (effects.models), the photo page's form actions
(effects.views) and the API schema of a new variant (effects.api). Adding an effect is one
entry here, its pure function and its tests.

Pure: no Django. Heavy work happens in the apply functions only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from effects import compose
from effects.faces import FoundFace
from effects.fields import (
    POINT_TEXT_PATTERN,
    Field,
    Point,
    SpecError,
    choice,
    colour,
    parse_point,
    photo_id,
    point,
    point_text,
    point_words,
    whole_number,
    words_or_ids,
)
from effects.segmentation import VOC_LABELS, Segmenter
from focal.colours import parse_hex_colour

SUBJECT_CLASSES = VOC_LABELS[1:]  # "background" cannot be a subject
DEFAULT_SUBJECT = "auto"  # one click works on a cat as on a person
DEFAULT_BLUR = 50
DEFAULT_BOKEH = "gaussian"


@dataclass
class Inputs:
    """What an apply function may use besides its parameters. The caller provides what the
    effect's `needs` name: "segmenter" (the loaded models), "photo" (the decoded photo of a
    source_photo field, e.g. the background), "faces" (the photo's faces, as stored)."""

    image: np.ndarray  # RGB uint8, never written to
    segmenter: Segmenter | None = None
    photo: np.ndarray | None = None
    # "faces": the photo's stored faces by id, in the pixels of `image`.
    faces: Mapping[int, FoundFace] | None = None


@dataclass
class Applied:
    pixels: np.ndarray  # RGB uint8, or RGBA for PNG output
    mask: np.ndarray  # uint8 (H, W), 255 = where the effect acts (the subject's matte)
    subject: str = ""  # what the render found to work on, e.g. the VOC class "person"
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Effect:
    name: str
    title: str  # what the page and the variant list call it, e.g. "Portrait"
    fields: tuple[Field, ...]  # in canonical order
    apply: Callable[[Inputs, Mapping[str, Any]], Applied]
    output_format: str = "JPEG"  # or "PNG"
    # Exactly one of these fields is given (e.g. a background colour or a background photo);
    # the API schema has one alternative for each, the form one action for each.
    one_of: tuple[str, ...] = ()
    one_of_reason: str = ""  # what to say when not exactly one of them is given
    needs: frozenset[str] = frozenset()
    # How the title of a photo saved from a variant names the effect, "Beach (eyes moved)"
    # (else by its title); "{field}" stands for how that field describes its value, so the
    # words can name the style: "faces {style}" gives "Beach (faces blurred)".
    copy_words: str = ""

    def copy_suffix(self, params: Mapping[str, Any]) -> str:
        """What a copy's title adds for a variant with these (parsed) parameters."""
        described = {
            f.name: f.describe(params[f.name], "")
            for f in self.fields
            if params.get(f.name) is not None
        }
        return f"({(self.copy_words or self.title.lower()).format_map(described)})"

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def forms(self) -> dict[str, tuple[str, ...]]:
        """The ways of asking for this effect: action name -> the fields it sends. One action
        named after the effect, or one per field of the one-of group ("background-color")."""
        if not self.one_of:
            return {self.name: tuple(f.name for f in self.fields)}
        shared = tuple(f.name for f in self.fields if f.name not in self.one_of)
        return {f"{self.name}-{name}": (*shared, name) for name in self.one_of}


# --- fields shared by the matte effects -------------------------------------------------


def _parse_subject(value: Any) -> str | Point:
    point = parse_point("subject", value)
    if point is not None:
        return point
    if not isinstance(value, str):
        raise SpecError("subject", "expected auto, a class name such as person, or a point x,y")
    text = value.strip().lower()
    if text == "auto" or text in SUBJECT_CLASSES:
        return text
    raise SpecError(
        "subject",
        f"unknown subject {value.strip()[:40]!r}; use auto, a point x,y, or one of: "
        + ", ".join(SUBJECT_CLASSES),
    )


def _describe_subject(subject: str | Point, found: str) -> str:
    if isinstance(subject, Point):
        chosen = f"tapped at {point_words(subject)}"
    elif subject == "auto":
        chosen = "automatic subject"
    else:
        chosen = subject
    if found and (isinstance(subject, Point) or subject == "auto"):
        chosen += f" ({found})"  # what the render found there
    return chosen


SUBJECT = Field(
    "subject",
    _parse_subject,
    {
        "description": "auto (the most prominent subject), a PASCAL VOC class, or a point "
        'of the photo: "x,y" or {"x", "y"}, fractions of the width and height (default auto).',
        "anyOf": [
            {"type": "string", "enum": ["auto", *SUBJECT_CLASSES]},
            {"type": "string", "pattern": POINT_TEXT_PATTERN},
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
    default=DEFAULT_SUBJECT,
    text=lambda value: point_text(value) if isinstance(value, Point) else value,
    json=lambda value: {"x": value.x, "y": value.y} if isinstance(value, Point) else value,
    describe=_describe_subject,
)
BLUR = whole_number(
    "blur",
    0,
    100,
    DEFAULT_BLUR,
    "blur is a whole number from 0 (none) to 100 (strongest)",
    "blur {}",
)
BOKEH = choice(
    "bokeh",
    compose.BOKEH_SHAPES,
    DEFAULT_BOKEH,
    words={"gaussian": "soft bokeh", "disc": "lens bokeh"},
)
BACKGROUND_COLOUR = colour("color")
BACKGROUND_PHOTO = photo_id(
    "photo", "The id of one of your own photos to put behind the subject.", "photo #{} behind"
)


def _matte_effect(
    draw: Callable[[Inputs, np.ndarray, Mapping[str, Any]], np.ndarray],
) -> Callable[[Inputs, Mapping[str, Any]], Applied]:
    """An apply function that finds the subject's matte, then draws with it."""

    def apply(inputs: Inputs, params: Mapping[str, Any]) -> Applied:
        from effects.matting import compute_matte

        if inputs.segmenter is None:
            raise ValueError("a matte effect needs the segmenter")
        matte = compute_matte(inputs.image, inputs.segmenter, params["subject"])
        started = time.perf_counter()
        pixels = draw(inputs, matte.alpha, params)
        timings = {**matte.timings_ms, "effect": round((time.perf_counter() - started) * 1000, 1)}
        return Applied(pixels, matte.alpha, matte.class_name, timings)

    return apply


def _background(inputs: Inputs, alpha: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    if params.get("color") is not None:
        return compose.replace_background(inputs.image, alpha, parse_hex_colour(params["color"]))
    if inputs.photo is None:
        raise ValueError("a background photo effect needs the photo's pixels")
    return compose.replace_background(inputs.image, alpha, inputs.photo)


_MATTE = frozenset({"segmenter"})
_FACES = frozenset({"faces"})

# --- effects on faces ---------------------------------------------------------------------

GAZE_DIRECTIONS = ("left", "right", "up", "down")
DEFAULT_STRENGTH = 50
HIDE_STYLES = ("blur", "pixelate", "emoji")


def _gaze(inputs: Inputs, params: Mapping[str, Any]) -> Applied:
    from effects.gaze import look

    target = None
    if params.get("point") is not None:
        height, width = inputs.image.shape[:2]
        target = (params["point"].x * width, params["point"].y * height)
    started = time.perf_counter()
    pixels, mask = look(
        inputs.image,
        list((inputs.faces or {}).values()),
        params["strength"] / 100,
        direction=params.get("direction"),
        target=target,
    )
    return Applied(pixels, mask, "", {"effect": round((time.perf_counter() - started) * 1000, 1)})


def _hide_faces(inputs: Inputs, params: Mapping[str, Any]) -> Applied:
    from effects.hide_faces import faces_to_hide, hide

    started = time.perf_counter()
    chosen = faces_to_hide(inputs.faces or {}, params["faces"], inputs.image.shape)
    pixels, mask = hide(inputs.image, chosen, params["style"])
    timings = {"effect": round((time.perf_counter() - started) * 1000, 1)}
    return Applied(pixels, mask, f"{len(chosen)} face{'s' if len(chosen) != 1 else ''}", timings)


GAZE_DIRECTION = choice(
    "direction",
    GAZE_DIRECTIONS,
    None,
    words={d: f"looking {d}" for d in GAZE_DIRECTIONS},
    description="Where the eyes turn, as seen in the photo.",
)
GAZE_POINT = point(
    "point",
    "A point of the photo for the eyes to look toward: [x, y], fractions of the width and height.",
    "looking toward {}",
)
GAZE_STRENGTH = whole_number(
    "strength",
    0,
    100,
    DEFAULT_STRENGTH,
    "strength is a whole number from 0 (none) to 100 (as far as the eye opening allows)",
    "strength {}",
)
HIDE_STYLE = choice(
    "style",
    HIDE_STYLES,
    "blur",
    # How the faces were hidden: a variant's label and a copy's title ("faces {style}").
    words={"blur": "blurred", "pixelate": "pixelated", "emoji": "hidden by emoji"},
)
HIDE_WHICH = words_or_ids(
    "faces",
    {"all": "all faces", "others": "all but the portrait's subject"},
    "all",
    "face",
    'Which faces: "all", "others" (all but the portrait\'s subject: the largest face, '
    "weighed by how central it is), or a list of face ids (GET /api/photos/{id}/faces/).",
)

EFFECTS: dict[str, Effect] = {
    effect.name: effect
    for effect in (
        Effect(
            "portrait",
            "Portrait",
            (SUBJECT, BLUR, BOKEH),
            _matte_effect(
                lambda inputs, alpha, p: compose.render_portrait(
                    inputs.image, alpha, blur=p["blur"], bokeh=p["bokeh"]
                )
            ),
            needs=_MATTE,
        ),
        Effect(
            "background",
            "New background",
            (SUBJECT, BACKGROUND_COLOUR, BACKGROUND_PHOTO),
            _matte_effect(_background),
            one_of=("color", "photo"),
            one_of_reason="give exactly one background: a color (#rrggbb) or a photo (its id)",
            needs=_MATTE | {"photo"},
        ),
        Effect(
            "colorpop",
            "Colour pop",
            (SUBJECT,),
            _matte_effect(lambda inputs, alpha, p: compose.colour_pop(inputs.image, alpha)),
            needs=_MATTE,
        ),
        Effect(
            "cutout",
            "Cut-out",
            (SUBJECT,),
            _matte_effect(lambda inputs, alpha, p: compose.cutout(inputs.image, alpha)),
            output_format="PNG",  # cut-outs need an alpha channel
            needs=_MATTE,
        ),
        Effect(
            "gaze",
            "Moved eyes",
            (GAZE_DIRECTION, GAZE_POINT, GAZE_STRENGTH),
            _gaze,
            one_of=("direction", "point"),
            one_of_reason="give exactly one of: a direction (left, right, up, down) or a point "
            "[x, y] to look toward",
            needs=_FACES,
            copy_words="eyes moved",
        ),
        Effect(
            "hide_faces",
            "Hidden faces",
            (HIDE_STYLE, HIDE_WHICH),
            _hide_faces,
            needs=_FACES,
            copy_words="faces {style}",
        ),
    )
}


def effect_named(name: str) -> Effect:
    return EFFECTS[name]


def all_fields() -> Sequence[str]:
    """Every field name of any effect (a spec answers None for those its effect lacks)."""
    return tuple(dict.fromkeys(f.name for e in EFFECTS.values() for f in e.fields))

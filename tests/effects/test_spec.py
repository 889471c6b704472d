"""effects.spec: validation of effect parameters, canonical form, defaults and round trips."""

from __future__ import annotations

import random
from typing import Any

import pytest

from effects.segmentation import VOC_LABELS
from effects.spec import (
    DEFAULT_BLUR,
    DEFAULT_BOKEH,
    DEFAULT_SUBJECT,
    EffectSpec,
    Point,
    SpecError,
    parse_canonical,
    parse_spec,
)


def spec_error(data: Any) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    return caught.value


# --- defaults and the canonical form -------------------------------------------------------


def test_the_defaults_are_auto_blur_50_gaussian():
    assert (DEFAULT_SUBJECT, DEFAULT_BLUR, DEFAULT_BOKEH) == ("auto", 50, "gaussian")


@pytest.mark.parametrize(
    ("data", "canonical"),
    [
        ({"effect": "portrait"}, "portrait:subject=auto,blur=50,bokeh=gaussian"),
        (
            {"effect": "portrait", "blur": 0, "bokeh": "disc", "subject": "auto"},
            "portrait:subject=auto,blur=0,bokeh=disc",
        ),
        ({"effect": "colorpop"}, "colorpop:subject=auto"),
        ({"effect": "cutout", "subject": "dog"}, "cutout:subject=dog"),
        (
            {"effect": "background", "color": "#00FF00"},
            "background:subject=auto,color=#00ff00",
        ),
        ({"effect": "background", "photo": 17}, "background:subject=auto,photo=17"),
        (
            {"effect": "cutout", "subject": {"x": 0.25, "y": 1}},
            "cutout:subject=point(0.25,1)",
        ),
        (
            {"effect": "cutout", "subject": {"x": 0, "y": 0.5}},
            "cutout:subject=point(0,0.5)",
        ),
    ],
)
def test_it_fills_in_defaults_in_a_fixed_field_order(data, canonical):
    assert parse_spec(data).canonical() == canonical
    assert str(parse_spec(data)) == canonical


def test_field_order_and_case_in_the_input_do_not_change_the_canonical_form():
    a = parse_spec({"bokeh": "DISC", "blur": 30, "subject": "Person", "effect": " Portrait "})
    b = parse_spec({"effect": "portrait", "subject": "person", "blur": "30", "bokeh": "disc"})
    assert a == b
    assert a.canonical() == "portrait:subject=person,blur=30,bokeh=disc"


def test_defaults_written_out_give_the_same_variant_as_defaults_left_out():
    explicit = {"effect": "portrait", "subject": "auto", "blur": 50, "bokeh": "gaussian"}
    assert parse_spec(explicit).canonical() == parse_spec({"effect": "portrait"}).canonical()


def test_points_are_rounded_to_a_thousandth_of_the_frame():
    spec = parse_spec({"effect": "cutout", "subject": {"x": 0.123449, "y": 0.9876}})
    assert spec.subject == Point(0.123, 0.988)
    assert spec.canonical() == "cutout:subject=point(0.123,0.988)"
    # Two clicks closer than the rounding step are the same variant.
    nearby = parse_spec({"effect": "cutout", "subject": "0.1231,0.98762"})
    assert nearby.canonical() == spec.canonical()


def test_a_negative_zero_point_is_written_as_zero():
    spec = parse_spec({"effect": "cutout", "subject": {"x": -0.0, "y": 0.0001}})
    assert spec.canonical() == "cutout:subject=point(0,0)"


@pytest.mark.parametrize(
    "text",
    [
        "portrait:subject=auto,blur=50,bokeh=gaussian",
        "portrait:subject=auto,blur=0,bokeh=disc",
        "portrait:subject=point(0.5,0.25),blur=100,bokeh=gaussian",
        "background:subject=cat,color=#123abc",
        "background:subject=point(1,0),photo=9007199254740993",
        "colorpop:subject=tvmonitor",
        "cutout:subject=point(0.001,0.999)",
    ],
)
def test_canonical_text_round_trips(text):
    spec = parse_canonical(text)
    assert spec.canonical() == text
    assert parse_spec(spec.to_dict()) == spec
    assert parse_canonical(spec.canonical()) == spec


def test_random_points_round_trip_through_dict_and_canonical_text():
    rng = random.Random(1234)
    for _ in range(500):
        data = {"effect": "portrait", "subject": {"x": rng.random(), "y": rng.random()}}
        spec = parse_spec(data)
        again = parse_canonical(spec.canonical())
        assert again == spec
        assert again.canonical() == spec.canonical()
        assert parse_spec(spec.to_dict()) == spec


def test_canonical_input_may_leave_out_defaults_and_use_any_order():
    assert parse_canonical("portrait:").canonical() == (
        "portrait:subject=auto,blur=50,bokeh=gaussian"
    )
    assert parse_canonical("portrait:bokeh=disc,subject=auto").canonical() == (
        "portrait:subject=auto,blur=50,bokeh=disc"
    )


def test_output_format_is_png_only_for_cutouts():
    assert parse_spec({"effect": "cutout"}).output_format == "PNG"
    for effect in ({"effect": "portrait"}, {"effect": "colorpop"}):
        assert parse_spec(effect).output_format == "JPEG"
    assert parse_spec({"effect": "background", "photo": 1}).output_format == "JPEG"


def test_every_voc_class_except_background_is_a_subject():
    for name in VOC_LABELS[1:]:
        assert parse_spec({"effect": "cutout", "subject": name}).subject == name
    assert spec_error({"effect": "cutout", "subject": "background"}).field == "subject"


def test_a_spec_object_is_hashable_and_comparable_as_a_cache_key():
    a = parse_spec({"effect": "portrait", "blur": 20})
    b = EffectSpec("portrait", subject="auto", blur=20, bokeh="gaussian")
    assert a == b
    assert len({a, b}) == 1


# --- validation: every error names the field it is about ----------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # the effect itself
        ({"effect": "sepia"}, "effect"),
        ({"effect": ""}, "effect"),
        ({"effect": 3}, "effect"),
        ({}, "effect"),
        # blur: a whole number from 0 to 100
        ({"effect": "portrait", "blur": -1}, "blur"),
        ({"effect": "portrait", "blur": 101}, "blur"),
        ({"effect": "portrait", "blur": 2.5}, "blur"),
        ({"effect": "portrait", "blur": "x"}, "blur"),
        ({"effect": "portrait", "blur": ""}, "blur"),
        ({"effect": "portrait", "blur": None}, "blur"),
        ({"effect": "portrait", "blur": True}, "blur"),
        ({"effect": "portrait", "blur": float("nan")}, "blur"),
        ({"effect": "portrait", "blur": float("inf")}, "blur"),
        ({"effect": "portrait", "blur": [50]}, "blur"),
        # bokeh
        ({"effect": "portrait", "bokeh": "hexagon"}, "bokeh"),
        ({"effect": "portrait", "bokeh": 1}, "bokeh"),
        ({"effect": "portrait", "bokeh": None}, "bokeh"),
        # background colour / photo
        ({"effect": "background", "color": "green"}, "color"),
        ({"effect": "background", "color": "#12345"}, "color"),
        ({"effect": "background", "color": "#1234567"}, "color"),
        ({"effect": "background", "color": "#ggg000"}, "color"),
        ({"effect": "background", "color": "00ff00"}, "color"),
        ({"effect": "background", "color": 0x00FF00}, "color"),
        ({"effect": "background", "color": "#00ff00", "photo": 3}, "color"),
        ({"effect": "background"}, "color"),
        ({"effect": "background", "color": None, "photo": None}, "color"),
        ({"effect": "background", "photo": 0}, "photo"),
        ({"effect": "background", "photo": -4}, "photo"),
        ({"effect": "background", "photo": 1.5}, "photo"),
        ({"effect": "background", "photo": "abc"}, "photo"),
        ({"effect": "background", "photo": 2**63}, "photo"),
        # keys that do not exist, or that belong to another effect
        ({"effect": "portrait", "sharpness": 3}, "sharpness"),
        ({"effect": "cutout", "colour": "#00ff00"}, "colour"),
        ({"effect": "colorpop", "blur": 10}, "blur"),
        ({"effect": "cutout", "bokeh": "disc"}, "bokeh"),
        ({"effect": "portrait", "color": "#00ff00"}, "color"),
        ({"effect": "portrait", "photo": 1}, "photo"),
        ({"effect": "background", "color": "#00ff00", "blur": 5}, "blur"),
        # subjects: points out of range, unknown classes, malformed values
        ({"effect": "portrait", "subject": {"x": 1.5, "y": 0.5}}, "subject"),
        ({"effect": "portrait", "subject": {"x": 0.5, "y": -0.01}}, "subject"),
        ({"effect": "portrait", "subject": "point(0.5,1.001)"}, "subject"),
        ({"effect": "portrait", "subject": "-0.2,0.5"}, "subject"),
        ({"effect": "portrait", "subject": "0.5,nan"}, "subject"),
        ({"effect": "portrait", "subject": {"x": True, "y": 0.5}}, "subject"),
        ({"effect": "portrait", "subject": {"x": 0.5}}, "subject"),
        ({"effect": "portrait", "subject": {"x": 0.5, "y": 0.5, "z": 0}}, "subject"),
        ({"effect": "portrait", "subject": "unicorn"}, "subject"),
        ({"effect": "portrait", "subject": "people"}, "subject"),
        ({"effect": "portrait", "subject": ""}, "subject"),
        ({"effect": "portrait", "subject": 15}, "subject"),
        ({"effect": "portrait", "subject": None}, "subject"),
    ],
)
def test_it_rejects_invalid_parameters_naming_the_field(data, field):
    error = spec_error(data)
    assert error.field == field
    assert error.reason
    assert error.message == str(error) == f"{field}: {error.reason}"


def test_a_non_mapping_is_rejected():
    assert spec_error(["portrait"]).field == "effect"


def test_the_unknown_effect_message_lists_the_effects():
    message = spec_error({"effect": "sepia"}).message
    for effect in ("portrait", "background", "colorpop", "cutout"):
        assert effect in message


def test_a_parameter_for_another_effect_says_so():
    error = spec_error({"effect": "colorpop", "blur": 10})
    assert error.reason == "blur does not apply to the colorpop effect"


def test_an_unknown_subject_message_quotes_it_and_lists_classes():
    message = spec_error({"effect": "portrait", "subject": "unicorn"}).message
    assert "'unicorn'" in message
    assert "person" in message and "auto" in message


def test_spec_error_is_a_value_error():
    assert isinstance(spec_error({"effect": "sepia"}), ValueError)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("portrait", "spec"),
        ("", "spec"),
        ("portrait:blur=50,", "spec"),
        ("portrait:blur", "spec"),
        ("portrait:blur=5,blur=6", "blur"),
        ("portrait:subject=0.5,0.5", "spec"),
        ("sepia:subject=person", "effect"),
        ("portrait:blur=-1", "blur"),
        ("portrait:blur=abc", "blur"),
        ("portrait:bokeh=square", "bokeh"),
        ("portrait:size=3", "size"),
        ("colorpop:subject=person,blur=3", "blur"),
        ("background:subject=person", "color"),
        ("background:subject=person,color=", "color"),
        ("background:color=#000000,photo=1", "color"),
        ("cutout:subject=point(2,0)", "subject"),
        ("cutout:subject=ghost", "subject"),
    ],
)
def test_invalid_canonical_text_raises_spec_error_with_the_field(text, field):
    with pytest.raises(SpecError) as caught:
        parse_canonical(text)
    assert caught.value.field == field


def test_parse_canonical_rejects_non_strings():
    with pytest.raises(SpecError) as caught:
        parse_canonical(None)  # type: ignore[arg-type]
    assert caught.value.field == "spec"


@pytest.mark.parametrize(
    ("value", "photo"),
    [
        (17, 17),
        ("17", 17),
        (" 42 ", 42),
        (17.0, 17),
        (2**63 - 1, 2**63 - 1),
        (2**53 + 1, 2**53 + 1),
    ],
)
def test_photo_ids_are_kept_exactly(value, photo):
    spec = parse_spec({"effect": "background", "photo": value})
    assert spec.photo == photo
    assert spec.canonical() == f"background:subject=auto,photo={photo}"


@pytest.mark.parametrize("value", [True, "9" * 5000, "1e400", "0x10", "", [1]])
def test_odd_photo_ids_are_rejected_as_spec_errors(value):
    assert spec_error({"effect": "background", "photo": value}).field == "photo"

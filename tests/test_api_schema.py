"""The OpenAPI schema at /api/schema/ is a contract the API keeps: schemathesis generates
requests from it (valid and invalid ones) and checks every answer against it, for a signed-in
user who has photos and variants. Bounded and reproducible: a fixed number of examples per
operation and a fixed seed."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS, load_all_checks

from effects.models import Variant
from faces.models import Face
from focal.wsgi import application
from gallery.models import Moderation
from tests import images

load_all_checks()
# A valid upload is a real image, which no JSON Schema can say: binary fields get real JPEG,
# PNG and WebP files (schemathesis still makes invalid ones for its negative cases).
schemathesis.openapi.format(
    "binary",
    st.sampled_from(
        [images.jpeg(64, 48, seed=1), images.png(48, 64, seed=2), images.webp(40, 40, seed=3)]
    ),
)
# The resumable uploads at /api/uploads/ speak tus 1.0, a binary protocol whose rules (the
# offset of each piece, Upload-Length against the bytes sent, version headers on OPTIONS) no
# OpenAPI schema can state; its schema entry is a description for readers, and the protocol is
# tested by tests/gallery/test_resumable_uploads.py. Every other operation is fuzzed.
TUS = "^/api/uploads/"
schema = schemathesis.openapi.from_wsgi("/api/schema/", application).exclude(path_regex=TUS)


@schema.hook
def filter_case(context, case) -> bool:
    """Over multipart every field is text: a negative case that only gives a text field another
    JSON type (a number, a list, null, ...) sends text that a server cannot tell from a valid
    value (["x"] is sent as "x", 0 as "0"), so it is no test of the server."""
    negative = case.meta is not None and not case.meta.generation.mode.is_positive
    if not negative or not str(case.media_type or "").startswith("multipart/"):
        return True
    fields = _multipart_fields(case.operation.method, case.operation.path)
    body = case.body if isinstance(case.body, dict) else {}
    for name, value in body.items():
        declared = fields.get(name, {})
        if declared.get("type") == "string" and declared.get("format") != "binary":
            if not isinstance(value, str):
                return False
        elif value is None or isinstance(value, list | dict):
            return False
    return True


def _multipart_fields(method: str, path: str) -> dict:
    raw = schema.raw_schema
    body = raw["paths"][path][method.lower()]["requestBody"]["content"]["multipart/form-data"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return raw["components"]["schemas"][name]["properties"]


@pytest.fixture(autouse=True)
def photos(db, alice, bob, add_photo, settings):
    settings.FOCAL_TOKEN_FAILURES = None  # the checks send wrong tokens on purpose
    mine = add_photo(alice, seed=1)
    add_photo(alice, seed=2, visibility="public", moderation=Moderation.APPROVED)
    add_photo(bob, seed=3, visibility="public", moderation=Moderation.APPROVED)
    Variant.objects.create(photo=mine, effect="cutout", spec="cutout:subject=auto")
    Face.objects.create(
        photo=mine, x=4, y=4, w=30, h=36, score=0.9,
        left_eye_x=24, left_eye_y=16, right_eye_x=12, right_eye_y=16,
        detected_left_x=24, detected_left_y=16, detected_right_x=12, detected_right_y=16,
    )  # fmt: skip
    # As Django's test client does: requests in this process must not close the connection
    # that holds the test's transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def alice_token(alice) -> str:
    return Token.objects.get_or_create(user=alice)[0].key


@schema.parametrize()
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case, alice_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {alice_token}"}, checks=CHECKS.get_all()
    )


def operations():
    for path, item in schema.raw_schema["paths"].items():
        if path.startswith("/api/uploads/"):
            continue  # tus: its statuses are the protocol's (see TUS above)
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_in_the_error_format():
    for path, method, operation in operations():
        responses = operation["responses"]
        expected = {"400", "401", "404", "429"} | ({"403"} if method != "get" else set())
        assert expected <= set(responses), (method, path)
        for status in expected:
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}
        assert "Retry-After" in responses["429"]["headers"]
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), (method, path)
    error = schema.raw_schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]


def test_parameters_state_their_constraints():
    parameters = {
        (path, p["name"]): p for path, method, op in operations() for p in op.get("parameters", [])
    }
    ids = parameters[("/api/photos/", "ids")]
    assert ids["schema"]["type"] == "array" and ids["schema"]["maxItems"] == 200
    assert (ids["style"], ids["explode"]) == ("form", False)
    k = parameters[("/api/photos/{id}/similar/", "k")]["schema"]
    assert (k["minimum"], k["maximum"]) == (1, 100)
    assert parameters[("/api/search/", "color")]["schema"]["pattern"]
    page_size = parameters[("/api/photos/", "page_size")]["schema"]
    assert (page_size["minimum"], page_size["maximum"]) == (1, 200)


def test_the_variants_list_is_documented_as_it_is_answered(api, alice):
    operation = schema.raw_schema["paths"]["/api/photos/{id}/variants/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    listed = schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert listed["properties"]["results"]["type"] == "array"
    photo = Variant.objects.get().photo
    body = api(alice).get(f"/api/photos/{photo.pk}/variants/").json()
    assert list(body) == ["results"] and body["results"][0]["effect"] == "cutout"


def test_the_variant_body_is_one_alternative_per_effect():
    operation = schema.raw_schema["paths"]["/api/photos/{id}/variants/"]["post"]
    body = operation["requestBody"]["content"]
    assert list(body) == ["application/json"]
    titles = [alt["title"] for alt in body["application/json"]["schema"]["oneOf"]]
    assert titles == [
        "portrait",
        "background (color)",
        "background (photo)",
        "colorpop",
        "cutout",
        "gaze (direction)",
        "gaze (point)",
        "hide_faces",
    ]
    assert "422" in operation["responses"]

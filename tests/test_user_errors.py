"""One way to say "this request cannot be done": UserError, translated for the API, the pages
and the job runner."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from effects.matting import NoSubjectFound
from effects.rendering import BackgroundMissing
from effects.spec import SpecError
from focal.api_errors import exception_handler
from focal.auth import signed_in_user
from focal.middleware import user_error_page
from focal.usererror import NotSignedIn, UserError
from gallery.actions import PermissionDenied
from gallery.imaging import CorruptImage, ImageError, ImageTooLarge, UnsupportedImage
from gallery.models import Moderation
from search.queries import QueryError
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ImageError("bad"), 400, "invalid_image"),
        (CorruptImage("bad"), 400, "corrupt_image"),
        (UnsupportedImage("bad"), 415, "unsupported_type"),
        (ImageTooLarge("bad"), 413, "too_large"),
        (QueryError("bad"), 400, "invalid_query"),
        (QueryError("bad", code="not_ready", status=409), 409, "not_ready"),
        (SpecError("blur", "bad"), 400, "invalid"),
        (NoSubjectFound("bad"), 400, "no_subject"),
        (BackgroundMissing(), 400, "background_missing"),
        (PermissionDenied("bad"), 403, "permission_denied"),
        (NotSignedIn(), 401, "not_authenticated"),
    ],
)
def test_every_error_a_user_can_cause_is_a_user_error(error, status, code):
    assert isinstance(error, UserError)
    assert (error.status, error.code) == (status, code)
    assert error.message and str(error) == error.message


def test_the_pure_modules_import_without_django():
    script = (
        "import sys\n"
        "import focal.usererror, gallery.imaging, effects.spec, effects.matting\n"
        "import effects.compose, effects.pipeline, search.descriptors\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_the_api_answers_a_user_error_with_its_status_and_code(api, alice, bob, add_photo):
    photo = add_photo(alice, visibility="public", moderation=Moderation.APPROVED)
    response = api(bob).post(
        f"/api/photos/{photo.pk}/variants/", {"effect": "portrait"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "Only the owner can make variants of this photo.",
        }
    }


def test_a_user_error_can_say_when_to_try_again():
    response = exception_handler(UserError("Slow down.", status=429, retry_after=30), {})
    assert response is not None
    assert response.status_code == 429 and response["Retry-After"] == "30"
    assert response.data == {"error": {"code": "invalid", "message": "Slow down."}}


def test_a_page_view_answers_a_user_error_with_a_page_and_its_status(login, alice, add_photo):
    photo = add_photo(alice)
    page = f"http://testserver/photos/{photo.pk}/"
    response = login(alice).post(
        f"/photos/{photo.pk}/variants/new", {"action": "portrait", "blur": "500"}, HTTP_REFERER=page
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "blur: blur is a whole number from 0" in html
    assert f'href="{page}"' in html  # a way back to the form


def test_the_way_back_never_leads_to_another_site(login, alice, add_photo):
    photo = add_photo(alice)
    response = login(alice).post(
        f"/photos/{photo.pk}/variants/new",
        {"action": "portrait", "blur": "500"},
        HTTP_REFERER="https://evil.example/phish",
    )
    assert response.status_code == 400 and "evil.example" not in response.content.decode()


def test_a_plain_view_under_api_answers_in_json(alice):
    request = RequestFactory().get("/api/anything/")
    request.user = alice
    response = user_error_page(request, QueryError("Busy.", status=429, retry_after=5))
    assert response.status_code == 429 and response["Retry-After"] == "5"
    assert json.loads(response.content) == {"error": {"code": "invalid_query", "message": "Busy."}}


def test_signed_in_user_refuses_anonymous_requests(alice):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(NotSignedIn):
        signed_in_user(request)
    request.user = alice
    assert signed_in_user(request) == alice

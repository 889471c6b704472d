"""The Camera page's server side: who may open it, its policies, and how the browser files the
preview runs on are served (pinned, gzipped, cached, with the right types)."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from django.test import Client

from effects.modelstore import (
    CAMERA_FILES,
    FACE_DETECTOR_SHORT,
    MANIFEST,
    TASKS_VISION_DIR,
    TASKS_VISION_WASM,
)

pytestmark = pytest.mark.django_db


def test_it_asks_for_a_log_in_first(client: Client):
    response = client.get("/camera/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_allows_webassembly_and_the_camera_only_for_itself(login, alice):
    response = login(alice).get("/camera/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'", "'wasm-unsafe-eval'"]
    assert "unsafe-eval'" not in script_src.replace("'wasm-unsafe-eval'", "")
    assert response["Permissions-Policy"] == "camera=(self), microphone=()"
    body = response.content.decode()
    assert f"/static/camera/{TASKS_VISION_DIR}/" in body
    assert 'href="/camera/"' in body  # in the main navigation


def test_other_pages_keep_the_strict_policy(login, alice):
    response = login(alice).get("/")
    assert "wasm-unsafe-eval" not in response["Content-Security-Policy"]
    assert 'href="/camera/"' in response.content.decode()


def test_the_navigation_has_no_camera_for_visitors(client: Client):
    assert 'href="/camera/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("vision_bundle.mjs", "text/javascript"),
        ("vision_wasm_internal.js", "text/javascript"),
        ("vision_wasm_internal.wasm", "application/wasm"),
    ],
)
def test_the_browser_files_are_served_gzipped_and_cached_for_good(client: Client, name, media_type):
    url = f"/static/camera/{TASKS_VISION_DIR}/{name}"
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    data = gzip.decompress(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    expected = next(m for m in CAMERA_FILES if m.name.endswith(name))
    assert hashlib.sha256(data).hexdigest() == expected.sha256
    plain = client.get(url)
    assert "Content-Encoding" not in plain
    assert int(plain["Content-Length"]) == expected.size


def test_the_wasm_is_gzipped_to_under_a_third(client: Client):
    url = f"/static/camera/{TASKS_VISION_DIR}/vision_wasm_internal.wasm"
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert int(response["Content-Length"]) < TASKS_VISION_WASM.size / 3


def test_the_preview_model_is_served(client: Client):
    response = client.get("/static/camera/mediapipe/selfie_segmentation_landscape.tflite")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) == 250_145  # type: ignore[attr-defined]


def test_the_face_detector_for_hide_faces_is_served(client: Client):
    response = client.get("/static/camera/mediapipe/face_detection_short_range.tflite")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(data).hexdigest() == FACE_DETECTOR_SHORT.sha256
    assert FACE_DETECTOR_SHORT in CAMERA_FILES  # the page says so when it is missing


def test_the_page_offers_hide_faces_and_says_what_it_does(login, alice):
    body = login(alice).get("/camera/").content.decode()
    assert '<input type="checkbox" name="hide_faces" id="camera-hide-faces">' in body
    assert 'data-face-model="/static/camera/mediapipe/face_detection_short_range.tflite"' in body
    assert "the picture with faces is never sent" in body


def test_the_manifest_lists_each_model_file_once():
    assert len({m.name for m in MANIFEST}) == len(MANIFEST)

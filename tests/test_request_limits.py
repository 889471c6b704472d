"""Requests over the size limits get a 4xx, in the API's error format under /api/: bodies and
fields that Django refuses, over-long URLs, and what the web server refuses before Django."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from focal.webserver import MAX_HEADER_BYTES
from tests.localsite import LocalSite, local_site

SIX_MB = 6 * 1024 * 1024


def assert_api_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["code"] == code and error["message"]


@pytest.mark.django_db
def test_a_6_mb_json_body_is_refused_with_the_json_error(api, alice, add_photo):
    photo = add_photo(alice)
    body = json.dumps({"title": "x" * SIX_MB})
    response = api(alice).generic(
        "PATCH", f"/api/photos/{photo.pk}/", body, content_type="application/json"
    )
    assert_api_error(response, 413, "too_large")


@pytest.mark.django_db
def test_a_6_mb_form_field_is_refused_with_the_json_error(api, alice):
    response = api(alice).post("/api/photos/", {"title": "x" * SIX_MB})
    assert_api_error(response, 413, "too_large")


@pytest.mark.django_db
def test_1200_form_fields_are_refused_with_the_json_error(api, alice):
    response = api(alice).post("/api/photos/", {f"field{i}": "1" for i in range(1200)})
    assert_api_error(response, 400, "too_many_fields")


@pytest.mark.django_db
def test_pages_keep_the_sites_400_page(login, alice):
    response = login(alice).post("/upload/", {f"field{i}": "1" for i in range(1200)})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert b"could not be understood" in response.content


@pytest.mark.django_db
def test_an_over_long_api_url_gets_414_with_the_json_error(api):
    assert_api_error(api().get("/api/photos/?ids=" + "1," * 5000), 414, "url_too_long")


@pytest.mark.django_db
def test_an_over_long_page_url_gets_414(login):
    response = login().get("/?page=" + "1" * 9000)
    assert response.status_code == 414 and b"longer than" in response.content


# --- What the web server itself answers (over HTTP, `make run`'s server) ---------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[LocalSite]:
    # A 1 MB upload limit makes the server's own body limit 4 MB + 64 KB.
    with local_site(
        tmp_path_factory.mktemp("limits") / "data", env_overrides={"FOCAL_MAX_UPLOAD_MB": "1"}
    ) as running:
        yield running


def raw_request(site: LocalSite, head: bytes) -> tuple[int, str, bytes]:
    """Send `head` (request line and headers), read the whole answer."""
    port = int(site.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    header, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return status, fields.get("Content-Type", ""), body


def api_error(body: bytes) -> str:
    error = json.loads(body)["error"]
    assert error["message"]
    return str(error["code"])


def test_a_40_kb_url_reaches_django_and_gets_414(site):
    head = f"GET /api/photos/?q={'a' * 40_000} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
    status, content_type, body = raw_request(site, (head + "Connection: close\r\n\r\n").encode())
    assert (status, content_type) == (414, "application/json")
    assert api_error(body) == "url_too_long"


def over_long_head(target: str) -> bytes:
    """Exactly as many bytes as the server reads before it refuses (more would still be in
    flight when it closes the connection, and the client would see a reset)."""
    head = f"GET {target}?q=".encode()
    return head + b"a" * (MAX_HEADER_BYTES - len(head))


def test_headers_over_the_server_limit_get_431_with_the_json_error(site):
    status, content_type, body = raw_request(site, over_long_head("/api/photos/"))
    assert (status, content_type) == (431, "application/json")
    assert api_error(body) == "headers_too_large"


def test_a_body_over_the_server_limit_is_refused_before_it_is_sent(site):
    head = (
        "POST /api/photos/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {site.token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    )
    status, content_type, body = raw_request(site, head.encode())
    assert (status, content_type) == (413, "application/json")
    assert api_error(body) == "too_large"


def test_the_server_answers_pages_with_text_not_json(site):
    status, content_type, body = raw_request(site, over_long_head("/"))
    assert status == 431 and content_type.startswith("text/plain")
    assert b"too long" in body


def test_malformed_http_gets_400(site):
    status, content_type, body = raw_request(site, b"GET /api/photos/ HTTP/1.1\r\nNo colon\r\n\r\n")
    assert (status, content_type) == (400, "application/json")
    assert api_error(body) == "bad_request"

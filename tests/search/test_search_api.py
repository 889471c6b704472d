"""The search API and pages: results, permissions and every validation error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.models import Photo
from gallery.processing import process_photo
from search import service
from tests import images

pytestmark = pytest.mark.django_db


def solid(rgb: tuple[int, int, int], seed: int = 0, size=(160, 120)) -> bytes:
    """A photo dominated by one colour, with a little seeded texture."""
    rng = np.random.default_rng(seed)
    array = np.empty((size[1], size[0], 3), np.uint8)
    array[:] = rgb
    noise = rng.integers(-12, 13, size=array.shape)
    return images.encode(np.clip(array + noise, 0, 255).astype(np.uint8), "JPEG", quality=92)


def recompressed(data: bytes, quality: int = 30) -> bytes:
    image = Image.open(io.BytesIO(data))
    buffer = io.BytesIO()
    image.resize((image.width * 3 // 4, image.height * 3 // 4)).save(
        buffer, "JPEG", quality=quality
    )
    return buffer.getvalue()


@pytest.fixture
def ready(add_photo):
    def make(owner, **kw):
        photo = add_photo(owner, **kw)
        assert process_photo(photo.pk) == "ready"
        photo.refresh_from_db()
        return photo

    return make


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_a_near_copy_comes_first(api, alice, ready):
    original = images.jpeg(400, 300, seed=1)
    photo = ready(alice, data=original)
    copy = ready(alice, data=recompressed(original))
    for seed in (2, 3, 4):
        ready(alice, data=images.jpeg(400, 300, seed=seed))
    response = api(alice).get(f"/api/photos/{photo.pk}/similar/", {"k": 3, "mode": "colour"})
    found = ids(response)
    assert found[0] == copy.pk and photo.pk not in found and len(found) == 3
    scores = [item["score"] for item in response.json()["results"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert scores[0] > 0.9
    first = response.json()["results"][0]
    assert first["thumbnail_url"].startswith("http://testserver/photos/")


def test_search_by_upload_finds_the_same_image_with_score_one(api, alice, ready):
    data = images.jpeg(300, 200, seed=8)
    photo = ready(alice, data=data)
    ready(alice, data=images.jpeg(300, 200, seed=9))
    upload = SimpleUploadedFile("q.jpg", data, "image/jpeg")
    response = api(alice).post("/api/search/", {"image": upload, "k": 2}, format="multipart")
    assert ids(response)[0] == photo.pk
    assert response.json()["results"][0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert Photo.objects.count() == 2  # the query image was not added


def test_search_by_upload_can_add_the_image(api, alice, ready):
    ready(alice, data=images.jpeg(seed=3))
    upload = SimpleUploadedFile("q.jpg", images.jpeg(seed=4), "image/jpeg")
    body = (
        api(alice).post("/api/search/", {"image": upload, "add": "true"}, format="multipart").json()
    )
    assert body["added"]["id"] and body["duplicate"] is False
    assert Photo.objects.count() == 2


def test_search_by_colour_ranks_dominant_colours_first(api, alice, ready):
    blue = ready(alice, data=solid((30, 80, 220), seed=1))
    red = ready(alice, data=solid((220, 40, 30), seed=2))
    green = ready(alice, data=solid((40, 180, 60), seed=3))
    assert ids(api(alice).get("/api/search/", {"color": "#1e50dc", "k": 3}))[0] == blue.pk
    assert ids(api(alice).get("/api/search/", {"color": "#dc281e"}))[0] == red.pk
    two = ids(api(alice).get("/api/search/", {"color": "#28b43c,#1e50dc", "k": 3}))
    assert set(two[:2]) == {green.pk, blue.pk}


# --- permissions ----------------------------------------------------------------------------


@pytest.fixture
def mixed(alice, bob, ready):
    """Near-identical photos with every visibility: only some may appear to each viewer."""
    data = images.jpeg(320, 240, seed=50)
    public = {"visibility": "public"}
    approved = {"visibility": "public", "moderation": "approved"}
    return {
        "query": ready(bob, data=data, title="bob-query", **approved),
        "private": ready(alice, data=recompressed(data, 80), title="alice-private"),
        "pending": ready(alice, data=recompressed(data, 70), title="alice-pending", **public),
        "shared": ready(alice, data=recompressed(data, 60), title="alice-shared", **approved),
    }


def test_others_private_and_unapproved_photos_never_appear(api, login, bob, mixed):
    query = mixed["query"]
    for viewer in (bob, None):
        found = ids(api(viewer).get(f"/api/photos/{query.pk}/similar/", {"k": 10}))
        assert found == [mixed["shared"].pk]
        html = login(viewer).get(f"/photos/{query.pk}/similar/").content.decode()
        assert (
            "alice-shared" in html and "alice-private" not in html and "alice-pending" not in html
        )
    colour = ids(api(None).get("/api/search/", {"color": "#808080", "k": 100}))
    assert set(colour) == {query.pk, mixed["shared"].pk}


def test_the_owner_sees_her_own_photos_in_results(api, alice, mixed):
    found = ids(api(alice).get(f"/api/photos/{mixed['query'].pk}/similar/", {"k": 10}))
    assert set(found) == {mixed["private"].pk, mixed["pending"].pk, mixed["shared"].pk}


def test_results_stay_complete_when_most_neighbours_are_hidden(api, bob, alice, ready, monkeypatch):
    monkeypatch.setattr(service, "OVERFETCH_LIMIT", 8)
    base = images.jpeg(320, 240, seed=60)
    query = ready(bob, data=base)
    for quality in range(40, 95, 4):  # many near-copies bob may not see
        ready(alice, data=recompressed(base, quality))
    far = [ready(bob, data=images.jpeg(320, 240, seed=70 + s)) for s in range(2)]
    found = ids(api(bob).get(f"/api/photos/{query.pk}/similar/", {"k": 5}))
    assert sorted(found) == sorted(p.pk for p in far)


def test_similar_to_a_hidden_photo_is_not_found(api, bob, alice, ready):
    photo = ready(alice, data=images.jpeg(seed=5))
    response = api(bob).get(f"/api/photos/{photo.pk}/similar/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_similar_to_an_unprocessed_photo_says_so(api, alice, add_photo):
    photo = add_photo(alice)
    response = api(alice).get(f"/api/photos/{photo.pk}/similar/")
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "not_ready",
        "message": "This photo is still being processed.",
    }


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("k", ["0", "101", "-3", "ten", "2.5"])
def test_k_must_be_from_1_to_100(api, alice, ready, k):
    photo = ready(alice)
    for response in (
        api(alice).get(f"/api/photos/{photo.pk}/similar/", {"k": k}),
        api(alice).get("/api/search/", {"color": "#ffffff", "k": k}),
    ):
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "invalid_k",
            "message": "k must be a whole number from 1 to 100.",
        }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Give a colour as #RRGGBB, for example #1e90ff."),
        ({"color": "blue"}, "“blue” is not a colour; use #RRGGBB, like #1e90ff."),
        ({"color": "#12345"}, "“#12345” is not a colour; use #RRGGBB, like #1e90ff."),
        ({"color": "#000000,#111111,#222222,#333333"}, "Give at most 3 colours."),
    ],
)
def test_bad_colours_are_explained(api, params, message):
    response = api().get("/api/search/", params)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_color", "message": message}


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "empty_file"),
        (b"plain text, not an image" * 5, 415, "unsupported_type"),
        (images.truncated_jpeg(), 400, "corrupt_image"),
        (images.png_claiming_size(20000, 20000), 413, "too_many_pixels"),
    ],
)
def test_bad_query_images_are_explained(api, alice, data, status, code):
    upload = SimpleUploadedFile("q.jpg", data, "image/jpeg")
    response = api(alice).post("/api/search/", {"image": upload}, format="multipart")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert Photo.objects.count() == 0


def test_search_by_upload_needs_an_image(api, alice):
    response = api(alice).post("/api/search/", {"k": "3"}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_file"


def test_search_by_upload_needs_an_account(api):
    upload = SimpleUploadedFile("q.jpg", images.jpeg(), "image/jpeg")
    response = api().post("/api/search/", {"image": upload}, format="multipart")
    assert response.status_code == 401


def test_the_schema_documents_search(api):
    paths = (
        api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    )
    assert "/api/search/" in paths and "/api/photos/{id}/similar/" in paths

"""Same subject: transformed copies of a photo are verified matches, unrelated photos are not;
other people's private photos never appear; the mode parameter; search by image does both."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery import trash
from gallery.models import Photo
from gallery.processing import process_photo
from gallery.tasks import match_again
from search.models import ObjectMatch
from tests import images

pytestmark = pytest.mark.django_db


def transformed(name: str) -> bytes:
    """The sample photo rotated, scaled down, cropped, in perspective and in other light."""
    rgb = images.sample(name)
    h, w = rgb.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.array([[0.08 * w, 0.04 * h], [0.97 * w, 0], [w, 0.95 * h], [0, h]], np.float32)
    out = cv2.warpPerspective(rgb, cv2.getPerspectiveTransform(src, dst), (w, h))
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 12, 0.8)
    out = cv2.warpAffine(out, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
    out = out[h // 10 :, : w - w // 10]
    out = np.clip(255.0 * (out / 255.0) ** 1.4 * [0.8, 0.9, 1.1], 0, 255).astype(np.uint8)
    return images.encode(out, "JPEG", quality=85)


@pytest.fixture
def ready(add_photo):
    def make(owner, data: bytes, **kw) -> Photo:
        photo = add_photo(owner, data=data, **kw)
        assert process_photo(photo.pk) == "ready"
        photo.refresh_from_db()
        return photo

    return make


def results(response) -> list[tuple[int, str]]:
    assert response.status_code == 200, response.content
    return [(item["id"], item["match"]) for item in response.json()["results"]]


def test_the_worker_stores_matches_both_ways_and_same_subject_finds_the_copy(api, alice, ready):
    original = ready(alice, images.sample_jpeg("astronaut"))
    unrelated = [ready(alice, images.sample_jpeg(n)) for n in ("chelsea", "coffee", "rocket")]
    copy = ready(alice, transformed("astronaut"))
    pairs = set(ObjectMatch.objects.values_list("photo_id", "other_id"))
    assert pairs == {(original.pk, copy.pk), (copy.pk, original.pk)}

    client = api(alice)
    object_only = results(client.get(f"/api/photos/{original.pk}/similar/", {"mode": "object"}))
    assert object_only == [(copy.pk, "object")]
    # No mode: the same-subject match first, then photos of similar colours.
    both = results(client.get(f"/api/photos/{original.pk}/similar/", {"k": 4}))
    assert both[0] == (copy.pk, "object")
    assert {i for i, _ in both[1:]} == {p.pk for p in unrelated}
    assert {kind for _, kind in both[1:]} == {"colour"}
    colour = results(client.get(f"/api/photos/{original.pk}/similar/", {"mode": "colour"}))
    assert {kind for _, kind in colour} == {"colour"}
    assert len(colour) == 4  # the copy too, ranked by colour alone


def test_another_users_private_copy_never_appears(api, alice, bob, ready):
    public = {"visibility": "public", "moderation": "approved"}
    original = ready(alice, images.sample_jpeg("chelsea"), **public)
    private_copy = ready(bob, transformed("chelsea"))
    assert ObjectMatch.objects.filter(photo=original, other=private_copy).exists()
    for viewer in (alice, None):
        found = results(api(viewer).get(f"/api/photos/{original.pk}/similar/"))
        assert private_copy.pk not in {i for i, _ in found}
    # Bob sees his own copy matched to Alice's public photo.
    found = results(api(bob).get(f"/api/photos/{original.pk}/similar/", {"mode": "object"}))
    assert found == [(private_copy.pk, "object")]
    # Made private, Alice's photo drops out of Bob's matches.
    Photo.objects.filter(pk=original.pk).update(visibility="private")
    found = results(api(bob).get(f"/api/photos/{private_copy.pk}/similar/", {"mode": "object"}))
    assert found == []
    found = results(api(alice).get(f"/api/photos/{original.pk}/similar/", {"mode": "object"}))
    assert found == []


def test_deleting_a_photo_deletes_its_matches(api, alice, ready):
    original = ready(alice, images.sample_jpeg("coffee"))
    copy = ready(alice, transformed("coffee"))
    assert ObjectMatch.objects.count() == 2
    copy.delete()
    assert ObjectMatch.objects.count() == 0
    found = results(api(alice).get(f"/api/photos/{original.pk}/similar/", {"mode": "object"}))
    assert found == []


def test_search_by_image_finds_the_same_subject(api, alice, bob, ready):
    mine = ready(alice, images.sample_jpeg("astronaut"))
    ready(alice, images.sample_jpeg("coffee"))
    hidden = ready(bob, images.sample_jpeg("astronaut", scale=0.8))
    query = SimpleUploadedFile("q.jpg", transformed("astronaut"), "image/jpeg")
    response = api(alice).post("/api/search/", {"image": query, "mode": "object"})
    assert results(response) == [(mine.pk, "object")]
    assert hidden.pk not in [i for i, _ in results(response)]
    query = SimpleUploadedFile("q.jpg", transformed("astronaut"), "image/jpeg")
    both = results(api(alice).post("/api/search/", {"image": query}))
    assert both[0] == (mine.pk, "object") and both[1][1] == "colour"


@pytest.mark.parametrize("mode", ["objects", "color", "OBJECT", " object", ""])
def test_it_rejects_an_unknown_mode(api, alice, ready, mode):
    photo = ready(alice, images.sample_jpeg("coffee"))
    response = api(alice).get(f"/api/photos/{photo.pk}/similar/", {"mode": mode})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_mode"
    query = SimpleUploadedFile("q.jpg", images.sample_jpeg("coffee"), "image/jpeg")
    response = api(alice).post("/api/search/", {"image": query, "mode": mode})
    assert response.status_code == 400


def test_the_photo_page_shows_same_subject_above_similar_colours(client, alice, ready):
    original = ready(alice, images.sample_jpeg("astronaut"))
    copy = ready(alice, transformed("astronaut"))
    coffee = ready(alice, images.sample_jpeg("coffee"))
    client.force_login(alice)
    html = client.get(original.get_absolute_url()).content.decode()
    same = html[html.index('id="same-subject"') : html.index('id="similar"')]
    assert f"/photos/{copy.pk}/" in same
    assert html.index("Same subject") < html.index("Similar colours")
    # The colour strip lists the other photos, not the copy shown above it again.
    colour = html[html.index('id="similar"') :]
    assert f"/photos/{coffee.pk}/" in colour
    assert f"/photos/{copy.pk}/" not in colour


def test_the_search_page_shows_both_for_an_image(client, alice, ready):
    original = ready(alice, images.sample_jpeg("chelsea"))
    coffee = ready(alice, images.sample_jpeg("coffee"))
    client.force_login(alice)
    query = SimpleUploadedFile("q.jpg", transformed("chelsea"), "image/jpeg")
    response = client.post("/search/", {"image": query})
    # The page lists the photos themselves: the heading names the match, no tile carries a label.
    assert response.context["same_subject"] == [original]
    html = response.content.decode()
    same = html[html.index('id="same-subject"') : html.index("Similar colours")]
    assert f"/photos/{original.pk}/" in same
    assert "tile-label" not in same  # the heading says it; no "Same subject" on every tile
    colour = html[html.index("Similar colours") :]
    assert f"/photos/{coffee.pk}/" in colour
    assert f"/photos/{original.pk}/" not in colour  # listed once, under Same subject


def test_a_photo_restored_from_the_trash_meets_the_photos_that_came_meanwhile(
    api, alice, ready, django_capture_on_commit_callbacks
):
    original = ready(alice, images.sample_jpeg("astronaut"))
    trash.trash(alice, [original.pk])
    copy = ready(alice, transformed("astronaut"))  # out of the index's reach while trashed
    assert not ObjectMatch.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert trash.restore(alice, [original.pk]) == [original.pk]
    assert len(queued) == 1  # one job queued once the restore commits
    match_again.apply(args=([original.pk],))  # that job, as the worker runs it

    pairs = set(ObjectMatch.objects.values_list("photo_id", "other_id"))
    assert pairs == {(original.pk, copy.pk), (copy.pk, original.pk)}
    found = results(api(alice).get(f"/api/photos/{original.pk}/similar/", {"mode": "object"}))
    assert found == [(copy.pk, "object")]

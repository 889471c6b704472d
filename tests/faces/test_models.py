"""The Face model: stored points, landmarks and the FoundFace the effects read."""

from __future__ import annotations

import numpy as np
import pytest

from faces.models import Face, FaceScan, Source

pytestmark = pytest.mark.django_db


def mesh(offset: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (rng.uniform(0, 500, size=(478, 2)) + offset).astype(np.float32)


def test_landmarks_come_back_as_stored(alice, add_photo):
    photo = add_photo(alice)
    points = mesh()
    face = Face.objects.create(
        photo=photo,
        x=10, y=20, w=100, h=120, score=0.9,
        left_eye_x=80, left_eye_y=60, right_eye_x=40, right_eye_y=61,
        landmarks=Face.pack_landmarks(points),
    )  # fmt: skip
    face.refresh_from_db()
    assert face.landmarks_array().dtype == np.float32
    assert face.landmarks_array().shape == (478, 2)
    np.testing.assert_array_equal(face.landmarks_array(), points)


def test_a_face_added_by_hand_has_no_landmarks(alice, add_photo):
    face = Face.objects.create(
        photo=add_photo(alice),
        x=10, y=20, w=100, h=120, score=1.0, source=Source.CORRECTED,
        left_eye_x=80, left_eye_y=60, right_eye_x=40, right_eye_y=61,
    )  # fmt: skip
    face.refresh_from_db()
    assert face.added_by_hand
    assert face.landmarks_array().shape == (0, 2)


def test_the_found_face_carries_the_effective_points(alice, add_photo):
    face = Face.objects.create(
        photo=add_photo(alice),
        x=10, y=20, w=100, h=120, score=0.8, expression="smiling", source=Source.CORRECTED,
        left_eye_x=82, left_eye_y=58, right_eye_x=40, right_eye_y=61,
        detected_left_x=80, detected_left_y=60, detected_right_x=40, detected_right_y=61,
        landmarks=Face.pack_landmarks(mesh()),
    )  # fmt: skip
    found = face.as_found_face()
    assert found.box == (10, 20, 100, 120)
    assert found.left_eye == (82, 58)  # the correction, not the detector's (80, 60)
    assert found.right_eye == (40, 61)
    assert found.expression == "smiling"
    half = found.scaled(0.5)
    assert half.left_eye == (41, 29)
    assert half.box == (5, 10, 50, 60)
    np.testing.assert_allclose(half.landmarks, mesh() * 0.5, rtol=1e-6)


def test_faces_and_their_scan_go_with_the_photo(alice, add_photo):
    photo = add_photo(alice)
    Face.objects.create(
        photo=photo, x=0, y=0, w=10, h=10, score=0.5,
        left_eye_x=7, left_eye_y=3, right_eye_x=3, right_eye_y=3,
    )  # fmt: skip
    FaceScan.objects.create(photo=photo, version=1, found=1)
    photo.delete()
    assert not Face.objects.exists()
    assert not FaceScan.objects.exists()


def test_only_the_owner_may_correct_but_the_shared_photo_shows_faces(alice, bob, add_photo):
    private = add_photo(alice, seed=1)
    public = add_photo(alice, seed=2, visibility="public", moderation="approved")
    for photo in (private, public):
        Face.objects.create(
            photo=photo, x=0, y=0, w=10, h=10, score=0.5,
            left_eye_x=7, left_eye_y=3, right_eye_x=3, right_eye_y=3,
        )  # fmt: skip
    assert {f.photo_id for f in Face.objects.visible_to(bob)} == {public.pk}
    assert not Face.objects.owned_by(bob).exists()
    assert Face.objects.owned_by(alice).count() == 2

"""Faces found at processing time and again by `manage.py detect_faces`: stored in original
pixels, a person's corrections and removals never undone, a detector failure never failing the
photo. Run in-process with the real models (tests/test_faces_worker.py runs a real worker)."""

from __future__ import annotations

import math
from io import StringIO
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from effects.faces import EXPRESSIONS, FACES_VERSION, find_faces
from faces import actions
from faces.models import Expression, FaceScan, RemovedFace, Source
from gallery.models import Photo, Status
from gallery.processing import process_photo
from tests import images
from tests.images import group_photo

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def astronaut_eyes() -> tuple[tuple[float, float], tuple[float, float]]:
    [face] = find_faces(images.sample("astronaut"), Path(settings.FOCAL_MODEL_DIR))
    return face.left_eye, face.right_eye


def near(a, b, tolerance: float) -> bool:
    return math.dist(a, b) <= tolerance


def processed(photo: Photo) -> Photo:
    assert process_photo(photo.pk) == "ready"
    photo.refresh_from_db()
    return photo


def test_expression_choices_are_the_engines():
    assert tuple(Expression.values) == EXPRESSIONS


def test_processing_stores_the_astronauts_face(alice, add_photo, astronaut_eyes):
    photo = processed(add_photo(alice, data=images.person_photo()))
    [face] = photo.faces.all()
    assert face.source == Source.DETECTED and face.version == FACES_VERSION
    assert near(face.left_eye, astronaut_eyes[0], 1.0)
    assert near(face.right_eye, astronaut_eyes[1], 1.0)
    assert (face.detected_left_x, face.detected_left_y) == face.left_eye
    assert face.landmarks_array().shape == (478, 2)
    assert face.expression == "smiling"
    scan = FaceScan.objects.get(photo=photo)
    assert (scan.version, scan.found, scan.error) == (FACES_VERSION, 1, "")


def test_faces_are_stored_in_pixels_of_the_original(alice, add_photo, astronaut_eyes):
    # 1536 px: the detector sees the 1280 px preview; the points come back at 1536 px.
    photo = processed(add_photo(alice, data=images.sample_jpeg("astronaut", scale=3.0)))
    [face] = photo.faces.all()
    assert near(face.left_eye, [3 * v for v in astronaut_eyes[0]], 4.0)
    assert near(face.right_eye, [3 * v for v in astronaut_eyes[1]], 4.0)
    mesh = face.landmarks_array()
    assert mesh[:, 0].max() < 1536 and mesh[:, 0].min() > 400  # the face, at full size


def test_faces_follow_the_exif_rotation(alice, add_photo, astronaut_eyes):
    # Stored turned a quarter left, shown upright (orientation 6): points are the upright ones.
    stored = np.ascontiguousarray(np.rot90(images.sample("astronaut")))
    photo = processed(add_photo(alice, data=images.jpeg_with_exif(stored, orientation=6)))
    [face] = photo.faces.all()
    assert near(face.left_eye, astronaut_eyes[0], 3.0)
    assert near(face.right_eye, astronaut_eyes[1], 3.0)


def test_small_faces_in_a_large_group_photo_are_found(alice, add_photo):
    group, heads = group_photo()  # 1280 x 960 with 7 heads 70-180 px wide
    large = cv2.resize(group, (3840, 2880), interpolation=cv2.INTER_CUBIC)  # 11 MP
    photo = processed(add_photo(alice, data=images.encode(large, "JPEG", quality=90)))
    faces = list(photo.faces.all())
    assert len(faces) == len(heads)
    for cx, cy, _ in heads:  # every head has a face whose pupils sit on it (original pixels)
        assert any(near(((f.x + f.w / 2) / 3, (f.y + f.h / 2) / 3), (cx, cy), 30) for f in faces)


def test_a_photo_without_faces_has_none(alice, add_photo):
    photo = processed(add_photo(alice, data=images.sample_jpeg("coffee")))
    assert not photo.faces.exists()
    assert FaceScan.objects.get(photo=photo).found == 0


def test_a_failing_detector_does_not_fail_the_photo(alice, add_photo, settings, tmp_path):
    good_models = settings.FOCAL_MODEL_DIR
    settings.FOCAL_MODEL_DIR = tmp_path / "no-models"
    photo = processed(add_photo(alice, data=images.person_photo()))
    assert photo.status == Status.READY and photo.thumbnail
    assert not photo.faces.exists()
    scan = FaceScan.objects.get(photo=photo)
    assert scan.version == 0 and scan.error
    # Once the models are there, the command finds what processing could not.
    settings.FOCAL_MODEL_DIR = good_models
    out = StringIO()
    call_command("detect_faces", stdout=out)
    assert "1 photo" in out.getvalue()
    assert photo.faces.count() == 1
    assert FaceScan.objects.get(photo=photo).version == FACES_VERSION


def test_a_correction_wins_over_detecting_again(alice, add_photo, astronaut_eyes):
    photo = processed(add_photo(alice, data=images.person_photo()))
    face = photo.faces.get()
    actions.correct_face(alice, face, left_eye=(250.0, 110.0))
    FaceScan.objects.filter(photo=photo).update(version=0)  # as if the detector had changed
    call_command("detect_faces", stdout=StringIO())
    [again] = photo.faces.all()
    assert again.pk == face.pk and again.source == Source.CORRECTED
    assert again.left_eye == (250.0, 110.0)  # the person's point
    assert near(again.right_eye, astronaut_eyes[1], 1.0)
    assert near((again.detected_left_x, again.detected_left_y), astronaut_eyes[0], 1.0)
    assert again.as_found_face().left_eye == (250.0, 110.0)


def test_a_face_added_by_hand_takes_the_detection_but_keeps_its_pupils(alice, add_photo):
    photo = processed(add_photo(alice, data=images.person_photo()))
    photo.faces.all().delete()  # as if the detector had missed it
    added = actions.add_face(alice, photo, left_eye=(245.0, 100.0), right_eye=(205.0, 100.0))
    call_command("detect_faces", "--all", stdout=StringIO())
    [face] = photo.faces.all()
    assert face.pk == added.pk
    assert face.left_eye == (245.0, 100.0) and face.right_eye == (205.0, 100.0)
    assert face.landmarks_array().shape == (478, 2)  # the mesh, for the effects


def test_a_removed_face_does_not_come_back(alice, add_photo):
    photo = processed(add_photo(alice, data=images.person_photo()))
    actions.remove_face(alice, photo.faces.get())
    assert RemovedFace.objects.filter(photo=photo).count() == 1
    call_command("detect_faces", "--all", stdout=StringIO())
    assert not photo.faces.exists()


def test_detecting_again_replaces_detected_faces(alice, add_photo):
    photo = processed(add_photo(alice, data=images.person_photo()))
    first = photo.faces.get()
    call_command("detect_faces", "--all", stdout=StringIO())
    [again] = photo.faces.all()
    assert again.pk != first.pk and again.left_eye == pytest.approx(first.left_eye)


def test_the_command_skips_current_photos(alice, add_photo):
    processed(add_photo(alice, data=images.person_photo()))
    out = StringIO()
    call_command("detect_faces", stdout=out)
    assert "0 photo" in out.getvalue()

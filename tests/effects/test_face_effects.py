"""gaze and hide_faces on scikit-image's astronaut with her real detections (effects.faces with
the real models), as pure renders and as variants: API, specs, failures and permissions."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from effects.faces import FoundFace, eye_regions, face_oval, find_faces
from effects.models import Variant
from effects.pipeline import render
from effects.rendering import render_variant
from effects.spec import parse_spec
from faces.models import Face
from gallery import files
from gallery.imaging import load_rgb
from gallery.models import Moderation, Status
from tests import images

ASTRONAUT = images.sample("astronaut")


@pytest.fixture(scope="module")
def astronaut_face() -> FoundFace:
    faces = find_faces(ASTRONAUT, Path(os.environ["FOCAL_MODEL_DIR"]))
    assert len(faces) == 1
    return faces[0]


def darkest_blob(image: np.ndarray, contour: np.ndarray) -> np.ndarray:
    """The centroid of the darkest 2% of the eye opening: the pupil."""
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(contour).astype(np.int32)], 255)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    inside = mask > 0
    dark = inside & (grey <= np.percentile(grey[inside], 2))
    ys, xs = np.nonzero(dark)
    return np.array([xs.mean(), ys.mean()])


def face_sharpness(image: np.ndarray, face: FoundFace) -> float:
    x, y, w, h = (round(v) for v in face.box)
    grey = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


# --- pure renders with the real face ------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "axis", "sign"), [("left", 0, -1), ("right", 0, 1), ("up", 1, -1), ("down", 1, 1)]
)
def test_gaze_moves_both_irises_the_asked_way_and_nothing_else(
    astronaut_face, direction, axis, sign
):
    # At 4x (2048 px, irises 15 px across, as in a phone photo of a face) the travel up and
    # down is a few pixels; at 512 px it would be one.
    big = cv2.resize(ASTRONAUT, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    face = astronaut_face.scaled(4)
    spec = parse_spec({"effect": "gaze", "direction": direction, "strength": 100})
    result = render(big, spec, faces={1: face})
    for contour in eye_regions(face):
        moved = darkest_blob(result.pixels, contour) - darkest_blob(big, contour)
        # Up and down the lids leave little room (this iris is taller than the opening).
        assert moved[axis] * sign > (4 if axis == 0 else 1.5), (direction, moved)
        if axis == 0:  # sideways: no drift up or down (looking up, lashes darken the blob)
            assert abs(moved[1]) < abs(moved[0]) / 2
    changed = np.any(result.pixels != big, axis=2)
    eyes = np.zeros(big.shape[:2], np.uint8)
    for contour in eye_regions(face):
        cv2.fillPoly(eyes, [np.round(contour).astype(np.int32)], 255)
    eyes = cv2.dilate(eyes, np.ones((5, 5), np.uint8))  # the anti-aliased edge: 2 px at most
    assert changed.any() and not (changed & (eyes == 0)).any()
    assert result.format == "JPEG" and result.matte.shape == big.shape[:2]


def test_gaze_toward_a_point_turns_the_eyes_to_it(astronaut_face):
    spec = parse_spec({"effect": "gaze", "point": [0.0, 0.2], "strength": 100})  # far left
    result = render(ASTRONAUT, spec, faces={1: astronaut_face})
    for contour in eye_regions(astronaut_face):
        moved = darkest_blob(result.pixels, contour) - darkest_blob(ASTRONAUT, contour)
        assert moved[0] < -0.5


def test_a_corrected_pupil_is_the_one_moved(astronaut_face):
    from dataclasses import replace

    corrected = replace(
        astronaut_face, left_eye=(astronaut_face.left_eye[0] + 1.5, astronaut_face.left_eye[1])
    )
    spec = parse_spec({"effect": "gaze", "direction": "left", "strength": 100})
    a = render(ASTRONAUT, spec, faces={1: astronaut_face}).pixels
    b = render(ASTRONAUT, spec, faces={1: corrected}).pixels
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("style", ["blur", "pixelate", "emoji"])
def test_hide_faces_leaves_the_face_without_a_fifth_of_its_sharpness(astronaut_face, style):
    spec = parse_spec({"effect": "hide_faces", "style": style})
    result = render(ASTRONAUT, spec, faces={7: astronaut_face})
    assert (
        face_sharpness(result.pixels, astronaut_face)
        < face_sharpness(ASTRONAUT, astronaut_face) / 5
    )
    oval = face_oval(astronaut_face)
    assert result.matte[round(oval[:, 1].mean()), round(oval[:, 0].mean())] == 255
    assert np.array_equal(result.pixels[350:], ASTRONAUT[350:])  # the suit and helmet stay


def test_hide_faces_takes_chosen_ids_and_others(astronaut_face):
    other = astronaut_face.scaled(0.5)  # a smaller face near the corner: not the subject
    faces = {1: astronaut_face, 2: other}
    only_other = render(
        ASTRONAUT, parse_spec({"effect": "hide_faces", "faces": "others"}), faces=faces
    )
    assert face_sharpness(only_other.pixels, astronaut_face) == face_sharpness(
        ASTRONAUT, astronaut_face
    )
    chosen = render(ASTRONAUT, parse_spec({"effect": "hide_faces", "faces": [1]}), faces=faces)
    assert (
        face_sharpness(chosen.pixels, astronaut_face)
        < face_sharpness(ASTRONAUT, astronaut_face) / 5
    )


# --- variants -----------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def store_faces(photo, faces: list[FoundFace], **changes) -> list[Face]:
    stored = []
    for face in faces:
        x, y, w, h = face.box
        values = dict(
            photo=photo, x=x, y=y, w=w, h=h, score=face.score,
            left_eye_x=face.left_eye[0], left_eye_y=face.left_eye[1],
            right_eye_x=face.right_eye[0], right_eye_y=face.right_eye[1],
            landmarks=Face.pack_landmarks(face.landmarks), expression=face.expression,
        )  # fmt: skip
        values.update(changes)
        stored.append(Face.objects.create(**values))
    return stored


@pytest.fixture
def astronaut_photo(add_photo, alice, astronaut_face):
    photo = add_photo(alice, data=images.encode(ASTRONAUT, "PNG"))
    store_faces(photo, [astronaut_face])
    return photo


@pytest.mark.django_db
def test_the_api_makes_a_gaze_variant_the_worker_renders(
    api, alice, astronaut_photo, astronaut_face
):
    client = api(alice)
    response = client.post(
        f"/api/photos/{astronaut_photo.pk}/variants/",
        {"effect": "gaze", "direction": "right"},
        format="json",
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["spec"] == "gaze:direction=right,strength=50"
    assert body["title"] == "Moved eyes" and "looking right" in body["details"]
    assert render_variant(body["id"]) == "ready"
    variant = Variant.objects.get(pk=body["id"])
    out = load_rgb(files.media_path(str(variant.image.name)))
    for contour in eye_regions(astronaut_face):
        moved = darkest_blob(out, contour) - darkest_blob(ASTRONAUT, contour)
        assert moved[0] > 0.3


@pytest.mark.django_db
def test_a_point_and_face_ids_have_canonical_specs(api, alice, astronaut_photo):
    client = api(alice)
    url = f"/api/photos/{astronaut_photo.pk}/variants/"
    face = astronaut_photo.faces.get()
    gaze = client.post(url, {"effect": "gaze", "point": [0.25, 0.5], "strength": 80}, format="json")
    assert gaze.json()["spec"] == "gaze:point=point(0.25,0.5),strength=80"
    assert gaze.json()["params"] == {"point": [0.25, 0.5], "strength": 80}
    hidden = client.post(
        url, {"effect": "hide_faces", "style": "emoji", "faces": [face.pk]}, format="json"
    )
    assert hidden.json()["spec"] == f"hide_faces:style=emoji,faces=ids({face.pk})"
    assert render_variant(hidden.json()["id"]) == "ready"
    assert Variant.objects.get(pk=hidden.json()["id"]).subject == "1 face"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"effect": "gaze"},
        {"effect": "gaze", "direction": "sideways"},
        {"effect": "gaze", "direction": "left", "point": [0.5, 0.5]},
        {"effect": "gaze", "direction": "left", "strength": 101},
        {"effect": "gaze", "point": [1.5, 0.5]},
        {"effect": "hide_faces", "style": "paint"},
        {"effect": "hide_faces", "faces": "some"},
        {"effect": "hide_faces", "faces": []},
        {"effect": "hide_faces", "faces": [0]},
        {"effect": "hide_faces", "subject": "person"},
    ],
)
def test_the_api_refuses_bad_face_effect_bodies(api, alice, astronaut_photo, body):
    response = api(alice).post(f"/api/photos/{astronaut_photo.pk}/variants/", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["message"]
    assert not Variant.objects.exists()


@pytest.mark.django_db
def test_no_face_fails_with_the_reason(add_photo, alice):
    photo = add_photo(alice, data=images.jpeg(96, 64))
    for spec in ("gaze:direction=left,strength=50", "hide_faces:style=blur,faces=all"):
        variant = Variant.objects.create(photo=photo, effect=spec.split(":")[0], spec=spec)
        from effects.tasks import render_variant as render_task

        render_task.apply(args=(variant.pk,))
        variant.refresh_from_db()
        assert variant.status == Status.FAILED
        assert "No face found" in variant.error


@pytest.mark.django_db
def test_closed_eyes_fail_with_the_reason(add_photo, alice, astronaut_face):
    from effects.tasks import render_variant as render_task

    photo = add_photo(alice, data=images.encode(ASTRONAUT, "PNG"))
    store_faces(photo, [astronaut_face], expression="eyes_closed")
    variant = Variant.objects.create(
        photo=photo, effect="gaze", spec="gaze:direction=up,strength=50"
    )
    render_task.apply(args=(variant.pk,))
    variant.refresh_from_db()
    assert variant.status == Status.FAILED and "eyes are closed" in variant.error


@pytest.mark.django_db
def test_others_cannot_make_or_see_hidden_variants(api, alice, bob, add_photo, astronaut_face):
    photo = add_photo(alice, data=images.encode(ASTRONAUT, "PNG"), visibility="public",
                      moderation=Moderation.APPROVED)  # fmt: skip
    store_faces(photo, [astronaut_face])
    url = f"/api/photos/{photo.pk}/variants/"
    assert api(bob).post(url, {"effect": "hide_faces"}, format="json").status_code == 403
    assert api().post(url, {"effect": "gaze", "direction": "left"}, format="json").status_code in (
        401,
        403,
    )
    private = add_photo(alice, seed=3)
    response = api(bob).post(
        f"/api/photos/{private.pk}/variants/", {"effect": "hide_faces"}, format="json"
    )
    assert response.status_code == 404
    assert not Variant.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("own_jobs")
def test_correcting_a_face_renders_its_face_variants_again(api, alice, astronaut_photo):
    client = api(alice)
    url = f"/api/photos/{astronaut_photo.pk}/variants/"
    gaze = client.post(url, {"effect": "gaze", "direction": "left"}, format="json").json()
    portrait = Variant.objects.create(photo=astronaut_photo, effect="portrait", spec="portrait:")
    render_variant(gaze["id"])
    Variant.objects.filter(pk=portrait.pk).update(status=Status.READY)
    face = astronaut_photo.faces.get()
    response = client.patch(
        f"/api/faces/{face.pk}/",
        {"left_eye": [face.left_eye_x + 1, face.left_eye_y]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Variant.objects.get(pk=gaze["id"]).status == Status.PENDING  # queued again
    assert Variant.objects.get(pk=portrait.pk).status == Status.READY  # not made from faces

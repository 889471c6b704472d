"""The faces API: who sees faces, who corrects them, what a correction changes, the export."""

from __future__ import annotations

import csv
import io

import pytest

from faces.models import Face, RemovedFace

pytestmark = pytest.mark.django_db


def test_it_lists_the_faces_of_a_photo_in_original_pixels(api, alice, add_photo, add_face):
    photo = add_photo(alice)
    face = add_face(photo)
    body = api(alice).get(f"/api/photos/{photo.pk}/faces/").json()
    assert body == {
        "faces": [
            {
                "id": face.pk,
                "box": [5.0, 10.0, 50.0, 60.0],
                "left_eye": [40.0, 30.0],
                "right_eye": [20.0, 31.0],
                "score": 0.93,
                "expression": "smiling",
                "source": "detected",
            }
        ]
    }


def test_anyone_who_may_see_the_photo_sees_its_faces(api, alice, bob, add_photo, add_face):
    public = add_photo(alice, seed=1, visibility="public", moderation="approved")
    add_face(public)
    assert len(api(bob).get(f"/api/photos/{public.pk}/faces/").json()["faces"]) == 1
    assert len(api().get(f"/api/photos/{public.pk}/faces/").json()["faces"]) == 1


def test_faces_of_a_private_photo_are_not_found_for_others(api, alice, bob, add_photo, add_face):
    face = add_face(add_photo(alice))
    assert api(bob).get(f"/api/photos/{face.photo_id}/faces/").status_code == 404
    assert api(bob).get(f"/api/faces/{face.pk}/").status_code == 404
    answer = api(bob).patch(f"/api/faces/{face.pk}/", {"left_eye": [1, 1]}, format="json")
    assert answer.status_code == 404
    assert api(bob).delete(f"/api/faces/{face.pk}/").status_code == 404
    answer = api(bob).post(
        f"/api/photos/{face.photo_id}/faces/",
        {"left_eye": [10, 10], "right_eye": [30, 10]},
        format="json",
    )
    assert answer.status_code == 404


def test_only_the_owner_corrects_a_shared_photos_faces(api, alice, bob, add_photo, add_face):
    face = add_face(add_photo(alice, visibility="public", moderation="approved"))
    answer = api(bob).patch(f"/api/faces/{face.pk}/", {"left_eye": [1, 1]}, format="json")
    assert answer.status_code == 403
    assert api(bob).delete(f"/api/faces/{face.pk}/").status_code == 403
    assert api().delete(f"/api/faces/{face.pk}/").status_code in (401, 403)
    face.refresh_from_db()
    assert face.left_eye == (40.0, 30.0)


def test_a_correction_moves_the_pupil_and_keeps_the_detectors(api, alice, add_photo, add_face):
    face = add_face(add_photo(alice))
    answer = api(alice).patch(f"/api/faces/{face.pk}/", {"left_eye": [42.5, 29]}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["left_eye"] == [42.5, 29.0]
    assert answer.json()["right_eye"] == [20.0, 31.0]
    assert answer.json()["source"] == "corrected"
    face.refresh_from_db()
    assert face.as_found_face().left_eye == (42.5, 29.0)
    assert (face.detected_left_x, face.detected_left_y) == (40.0, 30.0)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"left_eye": [1]},
        {"left_eye": ["1", "2"]},
        {"left_eye": [True, 2]},
        {"left_eye": [-1, 2]},
        {"left_eye": [1, 2], "box": [0, 0, 1, 1]},
    ],
)
def test_it_refuses_a_bad_correction(api, alice, add_photo, add_face, body):
    face = add_face(add_photo(alice))
    answer = api(alice).patch(f"/api/faces/{face.pk}/", body, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"]
    face.refresh_from_db()
    assert face.source == "detected"


def test_a_point_must_lie_inside_the_image(api, alice, add_photo, add_face):
    photo = add_photo(alice)
    face = add_face(photo)
    outside = [photo.width + 1, 10]
    answer = api(alice).patch(f"/api/faces/{face.pk}/", {"right_eye": outside}, format="json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "point_outside_image"
    assert f"{photo.width} × {photo.height}" in answer.json()["error"]["message"]


def test_the_owner_adds_a_missed_face_from_its_pupils(api, alice, add_photo):
    photo = add_photo(alice)
    answer = api(alice).post(
        f"/api/photos/{photo.pk}/faces/",
        {"left_eye": [60, 40], "right_eye": [40, 40]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["source"] == "corrected"
    x, y, w, h = body["box"]
    assert x < 40 and x + w > 60 and y < 40 < y + h  # the box holds both pupils
    assert x >= 0 and y >= 0 and x + w <= photo.width and y + h <= photo.height
    face = Face.objects.get(pk=body["id"])
    assert face.added_by_hand and face.landmarks_array().shape == (0, 2)


def test_two_pupils_in_one_place_are_not_a_face(api, alice, add_photo):
    photo = add_photo(alice)
    answer = api(alice).post(
        f"/api/photos/{photo.pk}/faces/", {"left_eye": [5, 5], "right_eye": [5, 5]}, format="json"
    )
    assert answer.status_code == 400
    assert not Face.objects.exists()


def test_removing_a_detected_face_remembers_where_it_was(api, alice, add_photo, add_face):
    face = add_face(add_photo(alice))
    assert api(alice).delete(f"/api/faces/{face.pk}/").status_code == 204
    assert not Face.objects.exists()
    assert RemovedFace.objects.get().box == face.box


def test_the_export_has_only_your_own_faces_as_json(api, alice, bob, add_photo, add_face):
    mine = add_face(add_photo(alice, seed=1))
    add_face(add_photo(bob, seed=2, visibility="public", moderation="approved"))
    api(alice).patch(f"/api/faces/{mine.pk}/", {"right_eye": [21, 32]}, format="json")
    body = api(alice).get("/api/faces/export?format=json").json()
    assert [f["id"] for f in body["faces"]] == [mine.pk]
    exported = body["faces"][0]
    assert exported["photo_id"] == mine.photo_id
    assert exported["right_eye"] == [21.0, 32.0]
    assert exported["detected_right_eye"] == [20.0, 31.0]
    assert exported["source"] == "corrected"
    assert "landmarks" not in exported


def test_the_export_as_csv_parses(api, alice, add_photo, add_face):
    photo = add_photo(alice)
    detected = add_face(photo)
    added = (
        api(alice)
        .post(
            f"/api/photos/{photo.pk}/faces/",
            {"left_eye": [60, 40], "right_eye": [40, 40]},
            format="json",
        )
        .json()
    )
    answer = api(alice).get("/api/faces/export?format=csv")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert [int(r["face_id"]) for r in rows] == [detected.pk, added["id"]]
    assert float(rows[0]["left_eye_x"]) == 40.0
    assert rows[0]["detected_left_x"] == "40.0"
    assert rows[1]["detected_left_x"] == ""  # added by hand
    assert rows[1]["source"] == "corrected"
    assert int(rows[1]["photo_width"]) == photo.width


@pytest.mark.parametrize("fmt", ["", "xml", "CSV"])
def test_the_export_refuses_another_format(api, alice, fmt):
    answer = api(alice).get(f"/api/faces/export?format={fmt}")
    assert answer.status_code == 400
    assert "json or csv" in answer.json()["error"]["message"]


def test_the_export_needs_a_signed_in_user(api):
    assert api().get("/api/faces/export").status_code in (401, 403)


def test_a_photo_in_the_trash_hides_its_faces(api, alice, add_photo, add_face):
    from gallery.trash import trash

    face = add_face(add_photo(alice))
    trash(alice, [face.photo_id])
    assert api(alice).get(f"/api/photos/{face.photo_id}/faces/").status_code == 404
    assert api(alice).get("/api/faces/export").json() == {"faces": []}

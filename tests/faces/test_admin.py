"""Faces in the admin: read-only, and moderators see the faces of public photos only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from faces.models import Face, FaceScan

pytestmark = pytest.mark.django_db


def _face(photo) -> Face:
    FaceScan.objects.create(photo=photo, version=2, found=1, ms=12)
    return Face.objects.create(
        photo=photo,
        x=10,
        y=10,
        w=50,
        h=50,
        score=0.9,
        left_eye_x=45,
        left_eye_y=30,
        right_eye_x=25,
        right_eye_y=30,
    )


def test_superusers_list_faces_and_scans_read_only(login, django_user_model, alice, add_photo):
    root = django_user_model.objects.create_superuser("root", password="root-pass-123")
    face = _face(add_photo(alice, seed=1, title="mine"))
    client = login(root)
    assert f"face {face.pk} of photo" in client.get("/admin/faces/face/").content.decode()
    assert client.get("/admin/faces/facescan/").status_code == 200
    page = client.get(f"/admin/faces/face/{face.pk}/change/")
    assert page.status_code == 200 and 'name="left_eye_x"' not in page.content.decode()
    assert "delete_selected" not in client.get("/admin/faces/face/").content.decode()
    assert client.get("/admin/faces/face/add/").status_code == 403


def test_moderators_see_faces_of_public_photos_only(login, moderator, alice, add_photo):
    moderator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_face", "view_facescan"])
    )
    shared = _face(add_photo(alice, seed=1, title="shared-one", visibility="public"))
    private = _face(add_photo(alice, seed=2, title="private-one"))
    client = login(moderator)
    html = client.get("/admin/faces/face/").content.decode()
    assert f"face {shared.pk} of" in html and f"face {private.pk} of" not in html
    assert client.get(f"/admin/faces/face/{private.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/faces/face/{shared.pk}/change/").status_code == 200
    scans = client.get("/admin/faces/facescan/").content.decode()
    assert "private-one" not in scans and "shared-one" in scans

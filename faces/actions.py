"""What people do to faces: correct the pupils, add a face the detector missed, remove a false
one. Only the photo's owner may; each call checks, then changes rows with the photo locked (the
same lock re-detection takes, so a correction and a re-detection never interleave)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction

from faces.models import Face, RemovedFace, Source
from focal.usererror import UserError
from gallery.models import Photo

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Point = tuple[float, float]

# A face added by hand gets a box from its pupils: MediaPipe's faces are about 2.4 pupil
# distances wide and 2.9 tall, with the pupils a third of the way down.
_BOX_WIDTH, _BOX_HEIGHT, _EYES_FROM_TOP = 2.4, 2.9, 1.0
MIN_EYE_DISTANCE = 2.0  # pixels: closer pupils are a double click, not a face


class PointOutside(UserError):
    code = "point_outside_image"


def check_point(photo: Photo, name: str, point: Point) -> Point:
    x, y = float(point[0]), float(point[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PointOutside(f"{name}: give finite numbers.")
    if not (0 <= x <= photo.width and 0 <= y <= photo.height):
        raise PointOutside(
            f"{name}: ({x:g}, {y:g}) is outside the image, which is "
            f"{photo.width} × {photo.height} pixels."
        )
    return (x, y)


def _own(user: AbstractBaseUser | AnonymousUser, photo: Photo, what: str) -> None:
    if not user.is_authenticated or photo.owner_id != user.pk:
        raise PermissionDenied(f"Only the owner can {what}.")


def _locked_photo(photo: Photo) -> Photo:
    return Photo.objects.select_for_update().get(pk=photo.pk)


def correct_face(
    user: AbstractBaseUser | AnonymousUser,
    face: Face,
    *,
    left_eye: Point | None = None,
    right_eye: Point | None = None,
) -> Face:
    """Move one or both pupils; the face becomes "corrected" and keeps the detector's points."""
    photo = face.photo
    _own(user, photo, "correct the faces of this photo")
    left = check_point(photo, "left_eye", left_eye) if left_eye is not None else None
    right = check_point(photo, "right_eye", right_eye) if right_eye is not None else None
    with transaction.atomic():
        _locked_photo(photo)
        face = Face.objects.get(pk=face.pk)
        if left is not None:
            face.left_eye_x, face.left_eye_y = left
        if right is not None:
            face.right_eye_x, face.right_eye_y = right
        face.source = Source.CORRECTED
        face.save()
    return face


def box_from_eyes(photo: Photo, left: Point, right: Point) -> tuple[float, float, float, float]:
    """A face box around two pupils, kept inside the image."""
    distance = math.dist(left, right)
    width, height = _BOX_WIDTH * distance, _BOX_HEIGHT * distance
    cx, cy = (left[0] + right[0]) / 2, (left[1] + right[1]) / 2
    x0, y0 = max(0.0, cx - width / 2), max(0.0, cy - _EYES_FROM_TOP * distance)
    x1 = min(float(photo.width), cx + width / 2)
    y1 = min(float(photo.height), cy - _EYES_FROM_TOP * distance + height)
    return (x0, y0, x1 - x0, y1 - y0)


def add_face(
    user: AbstractBaseUser | AnonymousUser, photo: Photo, *, left_eye: Point, right_eye: Point
) -> Face:
    """A face the detector missed, from its two pupils (source "corrected", no landmarks)."""
    _own(user, photo, "add faces to this photo")
    left = check_point(photo, "left_eye", left_eye)
    right = check_point(photo, "right_eye", right_eye)
    if math.dist(left, right) < MIN_EYE_DISTANCE:
        raise UserError(
            "right_eye: the two pupils are at the same place; click each eye once.",
            code="eyes_too_close",
        )
    x, y, w, h = box_from_eyes(photo, left, right)
    with transaction.atomic():
        _locked_photo(photo)
        return Face.objects.create(
            photo=photo,
            x=x, y=y, w=w, h=h,
            score=1.0,
            left_eye_x=left[0], left_eye_y=left[1],
            right_eye_x=right[0], right_eye_y=right[1],
            source=Source.CORRECTED,
        )  # fmt: skip


def remove_face(user: AbstractBaseUser | AnonymousUser, face: Face) -> None:
    """Remove a false face. A detected one leaves a RemovedFace so that detecting the photo
    again does not bring it back."""
    photo = face.photo
    _own(user, photo, "remove faces from this photo")
    with transaction.atomic():
        _locked_photo(photo)
        if not face.added_by_hand:
            RemovedFace.objects.create(photo=photo, x=face.x, y=face.y, w=face.w, h=face.h)
        Face.objects.filter(pk=face.pk).delete()

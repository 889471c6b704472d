"""Faces found in photos, and the corrections people make to their pupils.

Points are in pixels of the original image as Focal shows it (EXIF rotation applied), floats,
origin at the top-left corner. `left_eye` is the subject's own left eye (on the right of the
picture for a face looking at the camera).

A face's `left_eye_*`/`right_eye_*` are the points every eye effect uses. The detector's own
points are kept in `detected_*` when a person corrects them (source "corrected"), so a
correction can be compared with what the detector said; a face a person added by hand has no
detected points and no landmarks. Re-detection replaces detected faces only: a corrected face
is never overwritten (faces.detection).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from django.db import models

from effects.faces import FoundFace
from gallery.models import Photo

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

LANDMARK_COUNT = 478  # MediaPipe's face mesh with iris points


class Source(models.TextChoices):
    DETECTED = "detected", "Detected"
    CORRECTED = "corrected", "Corrected by a person"


class Expression(models.TextChoices):
    # The same words, in the same order, as effects.faces.EXPRESSIONS (a test checks).
    SMILING = "smiling", "Smiling"
    LAUGHING = "laughing", "Laughing"
    SURPRISED = "surprised", "Surprised"
    NEUTRAL = "neutral", "Neutral"
    EYES_CLOSED = "eyes_closed", "Eyes closed"


class FaceQuerySet(models.QuerySet["Face"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser | None) -> FaceQuerySet:
        """Faces of the photos `user` may see (Photo.objects.visible_to)."""
        return self.filter(photo__in=Photo.objects.visible_to(user))

    def owned_by(self, user: AbstractBaseUser | AnonymousUser) -> FaceQuerySet:
        """Faces of the user's own photos, not in the trash: the ones they may correct."""
        return self.filter(photo__in=Photo.objects.owned_by(user))

    def found_faces(self) -> list[FoundFace]:
        """These faces as effects.faces.FoundFace objects, in the order of the queryset."""
        return [face.as_found_face() for face in self]


class Face(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="faces")
    # The face's box: left, top, width, height.
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    score = models.FloatField()  # the detector's confidence, 1.0 for a face added by hand
    # The points eye effects use: the detector's, or a person's correction.
    left_eye_x = models.FloatField()
    left_eye_y = models.FloatField()
    right_eye_x = models.FloatField()
    right_eye_y = models.FloatField()
    # The detector's own points; kept when corrected, empty for a face added by hand.
    detected_left_x = models.FloatField(null=True, blank=True)
    detected_left_y = models.FloatField(null=True, blank=True)
    detected_right_x = models.FloatField(null=True, blank=True)
    detected_right_y = models.FloatField(null=True, blank=True)
    # float32 little-endian (478, 2): mesh and iris points; empty for a face added by hand.
    landmarks = models.BinaryField(blank=True, default=b"")
    expression = models.CharField(
        max_length=12, choices=Expression.choices, default=Expression.NEUTRAL
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DETECTED)
    version = models.PositiveIntegerField(default=0)  # FACES_VERSION that found it; 0 by hand
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = FaceQuerySet.as_manager()

    class Meta:
        ordering = ["photo_id", "x", "id"]  # photo_id: no join with the photos

    def __str__(self) -> str:
        return f"face {self.pk} of photo {self.photo_id} ({self.source})"

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.w, self.h)

    @property
    def left_eye(self) -> tuple[float, float]:
        return (self.left_eye_x, self.left_eye_y)

    @property
    def right_eye(self) -> tuple[float, float]:
        return (self.right_eye_x, self.right_eye_y)

    @property
    def added_by_hand(self) -> bool:
        return self.detected_left_x is None

    @staticmethod
    def pack_landmarks(points: np.ndarray) -> bytes:
        return np.ascontiguousarray(points, dtype="<f4").reshape(-1, 2).tobytes()

    def landmarks_array(self) -> np.ndarray:
        """The mesh points, float32 (478, 2) in original pixels; (0, 2) for a hand-added face."""
        return np.frombuffer(bytes(self.landmarks), dtype="<f4").reshape(-1, 2).astype(np.float32)

    def as_found_face(self) -> FoundFace:
        """This face as the engine's FoundFace, with the effective (corrected) pupils."""
        return FoundFace(
            box=self.box,
            score=self.score,
            left_eye=self.left_eye,
            right_eye=self.right_eye,
            expression=self.expression,
            landmarks=self.landmarks_array(),
        )


class FaceScan(models.Model):
    """That a photo's faces were looked for, and by which detector version.

    A photo without a scan, or with one older than effects.faces.FACES_VERSION, is what
    `manage.py detect_faces` works through.
    """

    photo = models.OneToOneField(
        Photo, on_delete=models.CASCADE, primary_key=True, related_name="face_scan"
    )
    version = models.PositiveIntegerField()
    found = models.PositiveIntegerField(default=0)  # faces the detector found
    error = models.CharField(max_length=300, blank=True)  # why detection failed, if it did
    ms = models.PositiveIntegerField(null=True, blank=True)  # how long detection took
    scanned_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"faces v{self.version} of photo {self.photo_id}"


class RemovedFace(models.Model):
    """Where the owner removed a detected face as false: detecting again does not bring back a
    face whose box overlaps one of these (faces.detection)."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="removed_faces")
    x = models.FloatField()
    y = models.FloatField()
    w = models.FloatField()
    h = models.FloatField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"removed face of photo {self.photo_id}"

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x, self.y, self.w, self.h)

"""Descriptors are stored in the database, which is the truth the FAISS indexes are built from.

`IndexChange` is an append-only log: every vector added (or replaced) and every photo removed
gets a row whose id is a sequence number. Each serving process remembers the last id it applied
and catches up from there, so several processes on several machines agree without sharing a
file, and a restart can always rebuild from `Descriptor`.
"""

from __future__ import annotations

import numpy as np
from django.db import models

from gallery.models import Photo


class Descriptor(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="descriptors")
    version = models.PositiveIntegerField()
    vector = models.BinaryField()  # float32, little-endian
    created = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["photo", "version"], name="one_descriptor_per_version")
        ]

    def __str__(self) -> str:
        return f"descriptor v{self.version} of photo {self.photo_id}"

    @staticmethod
    def pack(vector: np.ndarray) -> bytes:
        return np.ascontiguousarray(vector, dtype="<f4").tobytes()

    @staticmethod
    def unpack(data: bytes | memoryview) -> np.ndarray:
        return np.frombuffer(bytes(data), dtype="<f4")


class IndexChange(models.Model):
    """One vector added or one photo removed; the id orders them."""

    photo_id = models.BigIntegerField()
    added = models.BooleanField()  # False: the photo's vector must leave every index
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created"])]

    def __str__(self) -> str:
        return f"#{self.pk} {'add' if self.added else 'remove'} photo {self.photo_id}"


class LocalDescriptor(models.Model):
    """A photo's keypoints and SIFT descriptors (search.local_features.to_bytes), for "same
    subject" search and duplicate detection. Written by the worker beside the colour
    descriptor, in the transaction that marks the photo ready."""

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, related_name="local_features")
    version = models.PositiveIntegerField()
    data = models.BinaryField()
    # The photo's object vector (search.object_vectors), float16 little-endian: what the
    # object index holds. Empty in rows written before it existed.
    vector = models.BinaryField(default=b"")
    created = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"local features v{self.version} of photo {self.photo_id}"

    @staticmethod
    def pack(vector: np.ndarray) -> bytes:
        return np.ascontiguousarray(vector, dtype="<f2").tobytes()

    @staticmethod
    def unpack(data: bytes | memoryview) -> np.ndarray:
        return np.frombuffer(bytes(data), dtype="<f2").astype(np.float32)


class ObjectMatch(models.Model):
    """Two photos verified to show the same thing (search.local_features.verify), stored once
    in each direction so a photo's matches are one indexed query. Worked out by the worker when
    a photo arrives; permissions are applied when they are read, so a photo made private or
    trashed later drops out of everyone else's results, and deleting either photo deletes the
    pair."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="object_matches")
    other = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    inliers = models.PositiveIntegerField()
    score = models.FloatField()  # local_features.Match.score, 0..1

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["photo", "other"], name="one_object_match_per_pair")
        ]
        indexes = [models.Index(fields=["photo", "-inliers"])]

    def __str__(self) -> str:
        return f"photo {self.photo_id} shows what {self.other_id} shows ({self.inliers} inliers)"

"""Descriptors for photos: computed by the worker, recorded with the photo's `ready` state."""

from __future__ import annotations

import cv2
import numpy as np

from search import local_features
from search.descriptors import DESCRIPTOR_VERSION, colour_descriptor
from search.models import Descriptor, IndexChange, LocalDescriptor
from search.object_vectors import object_vector


def describe(small: np.ndarray) -> np.ndarray:
    """The colour descriptor of a photo's thumbnail pixels (RGB, ~320 px long side)."""
    return colour_descriptor(small)


def describe_locally(preview: np.ndarray) -> local_features.LocalFeatures:
    """The local features of a photo's preview pixels (RGB, ~1280 px long side)."""
    gray = cv2.cvtColor(preview, cv2.COLOR_RGB2GRAY)
    return local_features.extract(gray)


def record_descriptor(
    photo_id: int, vector: np.ndarray, local: local_features.LocalFeatures | None = None
) -> None:
    """Store the vector (and the local features) and log them for the indexes. Call inside
    the transaction that marks the photo ready, so no index holds a photo the database does
    not."""
    Descriptor.objects.update_or_create(
        photo_id=photo_id,
        version=DESCRIPTOR_VERSION,
        defaults={"vector": Descriptor.pack(vector)},
    )
    if local is not None:
        LocalDescriptor.objects.update_or_create(
            photo_id=photo_id,
            defaults={
                "version": local_features.LOCAL_VERSION,
                "data": local_features.to_bytes(local),
                "vector": LocalDescriptor.pack(object_vector(local)),
            },
        )
    IndexChange.objects.create(photo_id=photo_id, added=True)

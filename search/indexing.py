"""Descriptors for photos: computed by the worker, recorded with the photo's `ready` state."""

from __future__ import annotations

import numpy as np

from search.descriptors import DESCRIPTOR_VERSION, colour_descriptor
from search.models import Descriptor, IndexChange


def describe(small: np.ndarray) -> np.ndarray:
    """The colour descriptor of a photo's thumbnail pixels (RGB, ~320 px long side)."""
    return colour_descriptor(small)


def record_descriptor(photo_id: int, vector: np.ndarray) -> None:
    """Store the vector and log it for the indexes. Call inside the transaction that marks
    the photo ready, so the index never holds a photo the database does not."""
    Descriptor.objects.update_or_create(
        photo_id=photo_id,
        version=DESCRIPTOR_VERSION,
        defaults={"vector": Descriptor.pack(vector)},
    )
    IndexChange.objects.create(photo_id=photo_id, added=True)

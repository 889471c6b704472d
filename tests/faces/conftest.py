from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from faces.models import Face, Source


@pytest.fixture
def add_face() -> Callable[..., Face]:
    """A detected face on `photo` (pupils at `left`/`right`, a mesh of 478 points)."""

    def make(photo, *, left=(40.0, 30.0), right=(20.0, 31.0), box=(5.0, 10.0, 50.0, 60.0)):
        mesh = np.random.default_rng(photo.pk).uniform(0, 60, size=(478, 2))
        return Face.objects.create(
            photo=photo,
            x=box[0], y=box[1], w=box[2], h=box[3],
            score=0.93,
            left_eye_x=left[0], left_eye_y=left[1],
            right_eye_x=right[0], right_eye_y=right[1],
            detected_left_x=left[0], detected_left_y=left[1],
            detected_right_x=right[0], detected_right_y=right[1],
            landmarks=Face.pack_landmarks(mesh),
            expression="smiling",
            source=Source.DETECTED,
            version=1,
        )  # fmt: skip

    return make

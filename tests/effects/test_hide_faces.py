"""effects.hide_faces on scikit-image's astronaut: faces made unrecognisable, the rest kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from effects.hide_faces import STYLES, FaceToHide, draw_emoji, hide, portrait_subject
from tests.images import sample

FACE_BOX = (170, 40, 110, 140)  # Eileen Collins' face in the 512 x 512 astronaut


def sharpness(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Variance of the Laplacian of the box, in grey: the usual focus measure."""
    x, y, w, h = box
    grey = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


@pytest.mark.parametrize("style", STYLES)
def test_the_face_region_loses_four_fifths_of_its_sharpness(style):
    image = sample("astronaut")
    out, mask = hide(image, [FaceToHide.from_box(FACE_BOX, "smiling")], style)
    assert sharpness(out, FACE_BOX) < sharpness(image, FACE_BOX) / 5
    # Far from the face nothing changes, and the mask says where it did.
    assert np.array_equal(out[300:, :], image[300:, :])
    changed = np.any(out != image, axis=2)
    assert not (changed & (mask == 0)).any()


def test_every_expression_has_its_own_emoji():
    drawn = [
        draw_emoji(e, 96)[0] for e in ("smiling", "laughing", "surprised", "neutral", "eyes_closed")
    ]
    for i, a in enumerate(drawn):
        for b in drawn[i + 1 :]:
            assert np.abs(a.astype(int) - b).mean() > 1


def test_the_emoji_is_a_yellow_disc_with_a_transparent_outside():
    rgb, alpha = draw_emoji("neutral", 100)
    assert alpha[50, 50] == 255 and alpha[0, 0] == 0
    assert tuple(rgb[70, 20]) == pytest.approx((255, 204, 51), abs=3)


def test_the_portrait_subject_is_the_largest_face_unless_another_is_as_big_and_central():
    shape = (1000, 1000)
    corner_big = (0, 0, 200, 200)
    central_small = (450, 450, 120, 120)
    central_similar = (420, 420, 180, 180)
    assert portrait_subject([corner_big, central_small], shape) == 0
    assert portrait_subject([corner_big, central_similar], shape) == 1


def test_the_input_is_not_modified():
    image = sample("astronaut")
    copy = image.copy()
    hide(image, [FaceToHide.from_box(FACE_BOX, "neutral")], "blur")
    assert np.array_equal(image, copy)

"""effects.gaze on drawn eyes: the iris moves the asked way, stays in the opening, and nothing
outside the openings changes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from effects.gaze import DIRECTIONS, Eye, aperture, is_open, move_eyes, travel


def drawn_eye(
    half_height: float = 28, radius: int = 22, centre: tuple[int, int] = (150, 100)
) -> tuple[np.ndarray, Eye, np.ndarray]:
    """Skin, an almond opening (16-point lid contour), white sclera, a green iris, a black
    pupil. Returns (RGB image, the eye, the opening as a bool mask)."""
    image = np.full((200, 300, 3), (200, 160, 140), np.uint8)
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    cx, cy = centre
    contour = np.stack([cx + 60 * np.cos(angles), cy + half_height * np.sin(angles)], axis=1)
    opening = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(opening, [np.round(contour).astype(np.int32)], 255)
    eye = np.empty_like(image)
    eye[:] = (235, 232, 228)
    cv2.circle(eye, centre, radius, (80, 110, 60), -1)
    cv2.circle(eye, centre, radius // 2, (20, 20, 20), -1)
    image[opening > 0] = eye[opening > 0]
    return image, Eye(contour.astype(np.float32), (float(cx), float(cy)), radius), opening > 0


def pupil_centre(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The centroid of the darkest blob (the pupil) inside `region`."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    dark = (grey <= np.percentile(grey[region], 5) + 10) & region
    ys, xs = np.nonzero(dark)
    return np.array([xs.mean(), ys.mean()])


@pytest.mark.parametrize("direction", sorted(DIRECTIONS))
def test_the_pupil_moves_the_asked_way_and_only_the_opening_changes(direction):
    image, eye, opening = drawn_eye()
    before = pupil_centre(image, opening)
    out, mask = move_eyes(image, [(eye, DIRECTIONS[direction])], 1.0)
    moved = pupil_centre(out, opening) - before
    dx, dy = DIRECTIONS[direction]
    assert moved @ np.array([dx, dy]) > eye.iris_radius * 0.5  # well along the direction
    assert abs(moved @ np.array([-dy, dx])) < 1.5  # and not sideways
    changed = np.any(out != image, axis=2)
    near_opening = cv2.dilate(opening.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert changed.any() and not (changed & ~near_opening).any()
    assert not (changed & (mask == 0)).any()  # the mask covers every changed pixel


def test_the_iris_stays_inside_the_opening():
    image, eye, opening = drawn_eye()
    out, _ = move_eyes(image, [(eye, DIRECTIONS["left"])], 1.0)
    green = (np.abs(out.astype(int) - (80, 110, 60)).sum(axis=2) < 40) & opening
    ys, xs = np.nonzero(green)
    assert xs.min() > 150 - 60  # short of the corner
    # where the iris was, sclera now shows
    assert (np.abs(out[100, 170].astype(int) - (235, 232, 228)) < 25).all()


def test_strength_scales_the_travel():
    image, eye, opening = drawn_eye()
    before = pupil_centre(image, opening)
    shifts = []
    for strength in (0.25, 0.5, 1.0):
        out, _ = move_eyes(image, [(eye, DIRECTIONS["right"])], strength)
        shifts.append(pupil_centre(out, opening)[0] - before[0])
    assert 0 < shifts[0] < shifts[1] < shifts[2]
    assert shifts[2] == pytest.approx(travel(eye, DIRECTIONS["right"]), abs=1.5)


def test_strength_zero_changes_nothing():
    image, eye, _ = drawn_eye()
    out, mask = move_eyes(image, [(eye, DIRECTIONS["up"])], 0.0)
    assert np.array_equal(out, image) and not mask.any()


def test_looking_up_keeps_the_pupil_below_the_upper_lid():
    image, eye, opening = drawn_eye()
    out, _ = move_eyes(image, [(eye, DIRECTIONS["up"])], 1.0)
    centre = pupil_centre(out, opening)
    assert centre[1] > 100 - 28 + 4  # the lid is at y = 72


def test_a_closed_eye_is_recognised_by_its_aperture():
    _, open_eye, _ = drawn_eye()
    _, closed_eye, _ = drawn_eye(half_height=3)
    assert aperture(open_eye.contour) == pytest.approx(28 / 60, rel=0.05)
    assert is_open(open_eye) and not is_open(closed_eye)


def test_the_input_is_not_modified():
    image, eye, _ = drawn_eye()
    copy = image.copy()
    move_eyes(image, [(eye, DIRECTIONS["down"])], 1.0)
    assert np.array_equal(image, copy)

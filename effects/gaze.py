"""Gaze: move both irises toward a direction, keeping them inside the eye opening.

Pure (numpy and OpenCV, no Django). Works on small crops around each eye at full resolution,
so the cost does not grow with the photo's size beyond one copy of it.

For each eye (its eyelid contour, the pupil, the iris radius):
1. the opening is the eyelid polygon, anti-aliased and pulled in by half a pixel, so nothing
   is drawn on the lids or lashes;
2. how far the iris may travel toward the direction: to where its centre would leave the
   opening, less a margin (most of a radius along the eye, so the iris stops at the corner;
   little across it, so looking up tucks it under the upper lid as a real eye does); the
   strength is the fraction of that travel;
3. the opening is warped, not repainted: the iris moves rigidly, the lids and corners stay,
   and the sclera between is stretched on one side and pressed on the other, so what the
   iris uncovers is the eye's own sclera with its shading and vessels. Iris pixels that a
   lid hid before the move take the iris's mean colour at the same radius (irises are
   radially alike: a dark pupil, the coloured ring, a darker limbus);
4. the result is blended in with the opening's anti-aliased mask: pixels outside the
   openings never change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from effects.faces import FoundFace, eye_regions, iris_radius
from focal.usererror import UserError

DIRECTIONS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0)}
# An eye whose lid gap is below this fraction of its width is closed (open eyes: about 0.3).
MIN_APERTURE = 0.12
# How far the iris centre stays inside the opening's edge, in iris radii: along the eye's axis
# (the iris reaches the corner but keeps most of itself visible), and across it (under the lids).
AXIS_MARGIN = 1.1
ACROSS_MARGIN = 0.55
MAX_TRAVEL = 1.1  # iris radii, whatever the opening
SUBSAMPLE = 3  # bits of sub-pixel precision for the anti-aliased polygons and discs


class GazeError(UserError):
    code = "gaze_impossible"


class NoFaces(GazeError):
    code = "no_face"

    def __init__(self) -> None:
        super().__init__("No face found in this photo, so there are no eyes to move.")


class EyesClosed(GazeError):
    code = "eyes_closed"

    def __init__(self) -> None:
        super().__init__("The eyes are closed in this photo, so there is no iris to move.")


@dataclass(frozen=True)
class Eye:
    contour: np.ndarray  # float (N, 2): the eyelid polygon, pixels
    pupil: tuple[float, float]  # the iris centre, pixels
    iris_radius: float  # pixels


def aperture(contour: np.ndarray) -> float:
    """Lid gap / eye width: the polygon's extent across its long axis over its length."""
    points = np.asarray(contour, np.float64)
    centred = points - points.mean(axis=0)
    # Principal axes: the first is along the eye (corner to corner).
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    along = centred @ axes[0]
    across = centred @ axes[1]
    width = float(along.max() - along.min())
    return float(across.max() - across.min()) / width if width > 0 else 0.0


def is_open(eye: Eye) -> bool:
    return aperture(eye.contour) >= MIN_APERTURE and eye.iris_radius >= 1.0


def direction_towards(eye: Eye, target: tuple[float, float]) -> tuple[float, float]:
    """The unit vector from the pupil toward `target` (pixels); none if it is on the pupil."""
    dx, dy = target[0] - eye.pupil[0], target[1] - eye.pupil[1]
    length = math.hypot(dx, dy)
    return (0.0, 0.0) if length < 1e-6 else (dx / length, dy / length)


def look(
    image: np.ndarray,
    faces: Sequence[FoundFace],
    strength: float,
    direction: str | None = None,
    target: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every face's eyes turned toward `direction` (one of DIRECTIONS, as seen in the photo)
    or toward `target` (a point of the photo, pixels), by `strength` (0..1).

    The pupils are the faces' own left_eye/right_eye (a person's correction wins over the
    detector), the lids the mesh's eye contours, the iris radius the iris landmarks'. Faces
    without a mesh (added by hand) and closed eyes are left as they are. Raises NoFaces when
    there is no face, EyesClosed when no face has an open eye.
    """
    if not faces:
        raise NoFaces()
    eyes = []
    for face in faces:
        if face.expression == "eyes_closed" or len(face.landmarks) < 478:
            continue
        radius = iris_radius(face)
        left, right = eye_regions(face)
        for contour, pupil in ((left, face.left_eye), (right, face.right_eye)):
            eye = Eye(contour, pupil, radius)
            if not is_open(eye):
                continue
            if target is not None:
                eyes.append((eye, direction_towards(eye, target)))
            elif direction is not None:
                eyes.append((eye, DIRECTIONS[direction]))
    if not eyes:
        if all(len(face.landmarks) < 478 for face in faces):
            raise GazeError(
                "The faces in this photo were marked by hand, without the outline of their "
                "eyes that moving the irises needs."
            )
        raise EyesClosed()
    return move_eyes(image, eyes, strength)


def move_eyes(
    image: np.ndarray,
    eyes: Sequence[tuple[Eye, tuple[float, float]]],
    strength: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(new image, mask of the changed openings) with each eye's iris moved along its unit
    direction by `strength` (0..1) of the travel it has. `image` is not modified."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("expected an RGB uint8 image")
    out = image.copy()
    mask = np.zeros(image.shape[:2], np.uint8)
    for eye, direction in eyes:
        _move_one(out, mask, eye, direction, strength)
    return out, mask


def travel(eye: Eye, direction: tuple[float, float]) -> float:
    """How far (pixels) the iris centre may go along `direction` within the opening."""
    dx, dy = direction
    if dx == 0 and dy == 0:
        return 0.0
    contour = np.asarray(eye.contour, np.float64)
    origin = np.array(eye.pupil, np.float64)
    d = np.array([dx, dy], np.float64)
    # Distance along the ray to the polygon's edge (the nearest crossing ahead).
    reach = math.inf
    for a, b in zip(contour, np.roll(contour, -1, axis=0), strict=True):
        edge = b - a
        denominator = d[0] * edge[1] - d[1] * edge[0]
        if abs(denominator) < 1e-12:
            continue
        rel = a - origin
        t = (rel[0] * edge[1] - rel[1] * edge[0]) / denominator
        u = (rel[0] * d[1] - rel[1] * d[0]) / denominator
        if t > 0 and 0 <= u <= 1:
            reach = min(reach, t)
    if not math.isfinite(reach):
        return 0.0  # the pupil is outside its own contour: leave this eye alone
    centred = contour - contour.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    along = abs(float(d @ axes[0]))
    margin = eye.iris_radius * (AXIS_MARGIN * along + ACROSS_MARGIN * (1 - along))
    return max(0.0, min(reach - margin, MAX_TRAVEL * eye.iris_radius))


def _move_one(
    out: np.ndarray,
    changed: np.ndarray,
    eye: Eye,
    direction: tuple[float, float],
    strength: float,
) -> None:
    distance = strength * travel(eye, direction)
    if distance < 0.25:
        return
    offset = np.array(direction, np.float64) * distance
    radius = eye.iris_radius
    height, width = out.shape[:2]
    contour = np.asarray(eye.contour, np.float64)
    pad = math.ceil(radius + 4)
    left = max(0, math.floor(contour[:, 0].min()) - pad)
    top = max(0, math.floor(contour[:, 1].min()) - pad)
    right = min(width, math.ceil(contour[:, 0].max()) + pad)
    bottom = min(height, math.ceil(contour[:, 1].max()) + pad)
    if right - left < 4 or bottom - top < 4:
        return
    crop = out[top:bottom, left:right]
    origin = np.array([left, top], np.float64)
    pupil = np.array(eye.pupil, np.float64) - origin
    size = (bottom - top, right - left)

    opening = _polygon(contour - origin, size)
    # In from the lids: the mesh's contour is a little generous (it takes in the lid margin).
    inset = round(radius * 0.08)
    if inset:
        opening = cv2.erode(opening, np.ones((2 * inset + 1, 2 * inset + 1), np.uint8))
    openf = opening.astype(np.float32) / 255
    # Iris pixels are taken only from well inside the opening: at its edge lashes and the lid
    # margin darken them.
    clear = cv2.erode(opening, np.ones((3, 3), np.uint8), iterations=max(1, round(radius * 0.1)))
    clearf = clear.astype(np.float32) / 255
    new_centre = pupil + offset
    new_iris = _disc(new_centre, radius, size)

    # The warp: each pixel of the opening takes its colour from `offset * w` back, with w = 1
    # on the new iris (moved rigidly) falling to 0 at the lids and corners (which stay put);
    # the sclera is stretched on one side of the iris and pressed on the other.
    inside = (opening > 127).astype(np.uint8)
    to_edge = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    to_iris = cv2.distanceTransform((new_iris < 128).astype(np.uint8), cv2.DIST_L2, 5)
    weight = to_edge / np.maximum(to_edge + to_iris, 1e-6)
    weight = cv2.GaussianBlur(weight, (0, 0), max(0.7, radius * 0.08))
    weight = np.maximum(weight, new_iris.astype(np.float32) / 255)
    ys, xs = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float32)
    source_x = xs - np.float32(offset[0]) * weight
    source_y = ys - np.float32(offset[1]) * weight
    pixels = crop.astype(np.float32)
    warped = cv2.remap(pixels, source_x, source_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    # Iris pixels whose source a lid covered: the iris's own colour at that radius.
    seen = cv2.remap(clearf, source_x, source_y, cv2.INTER_LINEAR, borderValue=0)
    iris_f = new_iris.astype(np.float32) / 255
    ringed = _ring_colours(pixels, clearf, pupil, new_centre, radius, size)
    hidden_before = (iris_f * (1 - seen))[..., None]
    eye_pixels = warped * (1 - hidden_before) + ringed * hidden_before
    # Only inside the opening.
    result = pixels * (1 - openf[..., None]) + eye_pixels * openf[..., None]
    crop[:] = np.clip(result + 0.5, 0, 255).astype(np.uint8)
    region = changed[top:bottom, left:right]
    np.maximum(region, opening, out=region)


def _ring_colours(
    pixels: np.ndarray,
    openf: np.ndarray,
    pupil: np.ndarray,
    new_centre: np.ndarray,
    radius: float,
    size: tuple[int, int],
) -> np.ndarray:
    """Each pixel coloured as the visible iris is on average at the same distance from its
    centre (rings 1 px wide), measured around `pupil`, drawn around `new_centre`."""
    ys, xs = np.mgrid[0 : size[0], 0 : size[1]].astype(np.float32)
    rings = max(2, math.ceil(radius) + 1)
    distance = np.hypot(xs - np.float32(pupil[0]), ys - np.float32(pupil[1]))
    ring = np.minimum(distance, rings - 1).astype(np.int32)
    visible = (distance <= radius) & (openf > 0.5)
    counts = np.bincount(ring[visible], minlength=rings).astype(np.float64)
    profile = np.zeros((rings, 3), np.float64)
    if not counts.any():
        return pixels
    known = counts > 0
    index = np.arange(rings)
    for channel in range(3):
        sums = np.bincount(ring[visible], weights=pixels[..., channel][visible], minlength=rings)
        profile[known, channel] = sums[known] / counts[known]
        # rings never seen take their nearest seen neighbours' colour
        profile[:, channel] = np.interp(index, index[known], profile[known, channel])
    moved = np.hypot(xs - np.float32(new_centre[0]), ys - np.float32(new_centre[1]))
    return profile[np.minimum(moved, rings - 1).astype(np.int32)].astype(np.float32)


def _polygon(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(size, np.uint8)
    scaled = np.round((points - 0.5) * (1 << SUBSAMPLE)).astype(np.int32)
    cv2.fillPoly(mask, [scaled], 255, cv2.LINE_AA, shift=SUBSAMPLE)
    return mask


def _disc(centre: np.ndarray, radius: float, size: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(size, np.uint8)
    scale = 1 << SUBSAMPLE
    cv2.circle(
        mask,
        (round((centre[0] - 0.5) * scale), round((centre[1] - 0.5) * scale)),
        max(1, round(radius * scale)),
        255,
        -1,
        cv2.LINE_AA,
        shift=SUBSAMPLE,
    )
    return mask

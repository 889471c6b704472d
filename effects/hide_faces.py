"""Hide faces: blur, pixelate, or cover each chosen face with an emoji of its expression.

Pure (numpy and OpenCV, no Django); every step works on a crop around the face, so a 12 MP
photo costs one copy of it plus the crops.

The region hidden is the face's outline (the mesh's face oval, or for a face added by hand
the ellipse in its box), grown by GROW of the face's size so the hairline, ears and jaw go
too, with a feathered edge. Blur and pixelation are scaled to the face, strong enough that no
feature survives: the blur's sigma is BLUR_SIGMA of the face's size, the mosaic has about
MOSAIC_BLOCKS blocks across the face (each block the mean of its pixels, their edges softened
by a pixel or two so the mosaic does not read as a sharp pattern).

The emoji are drawn here (no image files): a yellow disc with eyes and a mouth for each
expression, anti-aliased, turned with the face's roll.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from effects.faces import FoundFace, face_oval
from focal.usererror import UserError

STYLES = ("blur", "pixelate", "emoji")
GROW = 0.12  # of the face's size, around the outline
FEATHER = 0.04  # of the face's size: the width of the soft edge
BLUR_SIGMA = 0.12  # of the face's size
MOSAIC_BLOCKS = 7  # blocks across the face
WORKING_FACE = 96  # blur works on a copy where the face is about this many pixels wide
EMOJI_SCALE = 1.25  # emoji diameter / the face's size
EMOJI_SOFTNESS = 0.01  # Gaussian sigma of the drawn emoji / its diameter
EMOJI_WORKING = 256  # largest size an emoji is drawn at before it is scaled up

YELLOW = (255, 204, 51)
OUTLINE = (214, 150, 20)
INK = (71, 45, 20)
MOUTH = (140, 40, 40)
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class FaceToHide:
    outline: np.ndarray  # float (N, 2) closed polygon, pixels
    expression: str  # smiling | laughing | surprised | neutral | eyes_closed
    roll: float = 0.0  # radians, the eye line's angle (0: level)

    @classmethod
    def from_box(
        cls, box: tuple[float, float, float, float], expression: str, roll: float = 0.0
    ) -> FaceToHide:
        """The ellipse in a face's box, for a face without landmarks (added by hand)."""
        x, y, w, h = box
        angles = np.linspace(0, 2 * np.pi, 36, endpoint=False)
        points = np.stack(
            [x + w / 2 + w / 2 * np.cos(angles), y + h / 2 + h / 2 * np.sin(angles)], axis=1
        )
        return cls(points.astype(np.float32), expression, roll)

    @property
    def size(self) -> float:
        """The outline's larger extent, pixels."""
        extent = self.outline.max(axis=0) - self.outline.min(axis=0)
        return float(max(extent[0], extent[1], 1.0))

    @property
    def centre(self) -> tuple[float, float]:
        low, high = self.outline.min(axis=0), self.outline.max(axis=0)
        return float(low[0] + high[0]) / 2, float(low[1] + high[1]) / 2


def portrait_subject(
    boxes: Sequence[tuple[float, float, float, float]], shape: tuple[int, ...]
) -> int:
    """The index of the portrait's subject among face boxes: the largest face, its area
    weighed down by its distance from the centre of the photo (by up to half, at a corner),
    so of two faces of a similar size the more central one is the subject."""
    height, width = shape[:2]
    half_diagonal = math.hypot(width, height) / 2

    def weight(box: tuple[float, float, float, float]) -> float:
        x, y, w, h = box
        off_centre = math.hypot(x + w / 2 - width / 2, y + h / 2 - height / 2) / half_diagonal
        return w * h * (1 - 0.5 * min(1.0, off_centre))

    return max(range(len(boxes)), key=lambda i: weight(boxes[i]))


class NothingToHide(UserError):
    code = "no_face"


def faces_to_hide(
    faces: Mapping[int, FoundFace], chosen: str | Sequence[int], shape: tuple[int, ...]
) -> list[FaceToHide]:
    """The faces chosen ("all", "others": all but the portrait's subject, or a list of face
    ids) as regions to hide. Raises NothingToHide when that leaves none, with the reason."""
    if not faces:
        raise NothingToHide("No face found in this photo, so there is nothing to hide.")
    ids = list(faces)
    if chosen == "others":
        if len(ids) == 1:
            raise NothingToHide(
                "There is one face in this photo, the portrait's subject, so there are no "
                "others to hide."
            )
        subject = ids[portrait_subject([faces[i].box for i in ids], shape)]
        ids = [i for i in ids if i != subject]
    elif not isinstance(chosen, str):
        missing = [i for i in chosen if i not in faces]
        if missing:
            raise NothingToHide(
                f"Face {missing[0]} is not in this photo (any more); choose its faces again."
            )
        ids = list(chosen)
    found = []
    for i in ids:
        face = faces[i]
        (lx, ly), (rx, ry) = face.left_eye, face.right_eye
        roll = math.atan2(ly - ry, lx - rx)  # right eye -> left eye: 0 for a level face
        if len(face.landmarks) >= 478:
            found.append(FaceToHide(face_oval(face).astype(np.float32), face.expression, roll))
        else:  # added by hand: its box
            found.append(FaceToHide.from_box(face.box, face.expression, roll))
    return found


def hide(
    image: np.ndarray, faces: Sequence[FaceToHide], style: str
) -> tuple[np.ndarray, np.ndarray]:
    """(new image, mask of what was hidden, 255 = fully). `image` is not modified."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("expected an RGB uint8 image")
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not {style!r}")
    out = image.copy()
    mask = np.zeros(image.shape[:2], np.uint8)
    for face in faces:
        _hide_one(out, mask, face, style)
    return out, mask


def _hide_one(out: np.ndarray, hidden: np.ndarray, face: FaceToHide, style: str) -> None:
    size = face.size
    height, width = out.shape[:2]
    if style == "emoji":  # the emoji's square
        half = size * EMOJI_SCALE / 2
        low = np.array(face.centre) - half
        high = np.array(face.centre) + half
        pad = 2
    else:  # the grown, feathered outline
        low = face.outline.min(axis=0)
        high = face.outline.max(axis=0)
        pad = math.ceil(size * (GROW + FEATHER * 3) + 4)
    left, top = max(0, math.floor(low[0]) - pad), max(0, math.floor(low[1]) - pad)
    right, bottom = min(width, math.ceil(high[0]) + pad), min(height, math.ceil(high[1]) + pad)
    if right - left < 2 or bottom - top < 2:
        return
    crop = out[top:bottom, left:right]
    origin = np.array([left, top], np.float32)
    if style == "emoji":
        cover, alpha = _emoji(face, origin, crop.shape[:2])
    else:
        alpha = _region(face, origin, crop.shape[:2])
        cover = _blurred(crop, size) if style == "blur" else _mosaic(crop, size)
    weight = alpha.astype(np.float32) * np.float32(1 / 255)
    crop[:] = cv2.blendLinear(cover, crop, weight, 1 - weight)
    region = hidden[top:bottom, left:right]
    np.maximum(region, alpha, out=region)


def _region(face: FaceToHide, origin: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The grown, feathered outline in crop coordinates, uint8."""
    size = face.size
    centre = np.array(face.centre, np.float32)
    grown = centre + (face.outline - centre) * np.float32(1 + 2 * GROW)
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round((grown - origin) * 8).astype(np.int32)], 255, cv2.LINE_AA, 3)
    sigma = max(0.8, size * FEATHER / 2)
    return cv2.GaussianBlur(mask, (0, 0), sigma)


def _blurred(crop: np.ndarray, size: float) -> np.ndarray:
    """The crop blurred with sigma BLUR_SIGMA x the face's size, on a reduced copy."""
    height, width = crop.shape[:2]
    factor = max(1.0, size / WORKING_FACE)
    small_size = (max(1, round(width / factor)), max(1, round(height / factor)))
    small = cv2.resize(crop, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(
        small, (0, 0), BLUR_SIGMA * size / factor, borderType=cv2.BORDER_REPLICATE
    )
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def _mosaic(crop: np.ndarray, size: float) -> np.ndarray:
    """Blocks of size / MOSAIC_BLOCKS, each its mean colour, edges softened a little."""
    height, width = crop.shape[:2]
    block = max(2.0, size / MOSAIC_BLOCKS)
    small_size = (max(1, round(width / block)), max(1, round(height / block)))
    small = cv2.resize(crop, small_size, interpolation=cv2.INTER_AREA)
    blocks = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    soften = max(0.6, block * 0.08)
    return cv2.GaussianBlur(blocks, (0, 0), soften)


# --- emoji ----------------------------------------------------------------------------------


def draw_emoji(expression: str, diameter: int) -> tuple[np.ndarray, np.ndarray]:
    """(RGB, alpha) of the emoji for `expression`, `diameter` pixels square, anti-aliased."""
    # Drawn at 4x (at most EMOJI_WORKING across), reduced and softened, then scaled to size:
    # a soft drawing loses nothing by being made small, and a 1000 px emoji costs no more.
    final = max(8, diameter)
    working = min(final, EMOJI_WORKING)
    scale = 4
    side = working * scale
    rgb = np.zeros((side, side, 3), np.uint8)
    alpha = np.zeros((side, side), np.uint8)
    c = side / 2
    r = side / 2 * 0.96

    def p(x: float, y: float) -> tuple[int, int]:  # face coordinates in [-1, 1]
        return round(c + x * r), round(c + y * r)

    def length(v: float) -> int:
        return max(1, round(v * r))

    line = length(0.07)
    cv2.circle(alpha, p(0, 0), length(1), 255, -1, cv2.LINE_AA)
    cv2.circle(rgb, p(0, 0), length(1), OUTLINE, -1, cv2.LINE_AA)
    cv2.circle(rgb, p(0, 0), length(0.93), YELLOW, -1, cv2.LINE_AA)
    if expression in ("laughing", "eyes_closed"):
        # Closed eyes: arcs, happy (^ ^) for laughing, relaxed (lids down) for eyes closed.
        for x in (-0.35, 0.35):
            if expression == "laughing":
                cv2.ellipse(
                    rgb,
                    p(x, -0.22),
                    (length(0.17), length(0.15)),
                    0,
                    180,
                    360,
                    INK,
                    line,
                    cv2.LINE_AA,
                )
            else:
                cv2.ellipse(
                    rgb, p(x, -0.25), (length(0.17), length(0.1)), 0, 0, 180, INK, line, cv2.LINE_AA
                )
    elif expression == "surprised":
        for x in (-0.35, 0.35):
            cv2.ellipse(
                rgb, p(x, -0.25), (length(0.13), length(0.18)), 0, 0, 360, WHITE, -1, cv2.LINE_AA
            )
            cv2.circle(rgb, p(x, -0.22), length(0.08), INK, -1, cv2.LINE_AA)
    else:
        for x in (-0.35, 0.35):
            cv2.ellipse(
                rgb, p(x, -0.25), (length(0.09), length(0.14)), 0, 0, 360, INK, -1, cv2.LINE_AA
            )
    if expression == "smiling":
        cv2.ellipse(
            rgb, p(0, 0.12), (length(0.5), length(0.38)), 0, 20, 160, INK, line, cv2.LINE_AA
        )
    elif expression == "laughing":
        cv2.ellipse(rgb, p(0, 0.18), (length(0.55), length(0.5)), 0, 0, 180, MOUTH, -1, cv2.LINE_AA)
        cv2.rectangle(rgb, p(-0.55, 0.14), p(0.55, 0.22), WHITE, -1, cv2.LINE_AA)
        cv2.line(rgb, p(-0.55, 0.18), p(0.55, 0.18), INK, line, cv2.LINE_AA)
    elif expression == "surprised":
        cv2.ellipse(
            rgb, p(0, 0.42), (length(0.16), length(0.22)), 0, 0, 360, MOUTH, -1, cv2.LINE_AA
        )
    elif expression == "eyes_closed":
        cv2.ellipse(rgb, p(0, 0.3), (length(0.3), length(0.15)), 0, 20, 160, INK, line, cv2.LINE_AA)
    else:  # neutral
        cv2.line(rgb, p(-0.3, 0.42), p(0.3, 0.42), INK, line, cv2.LINE_AA)
    # Soft strokes: an emoji over a face should draw the eye less than the photo's own edges.
    soft = max(0.5, working * EMOJI_SOFTNESS)
    small = (working, working)
    drawn = cv2.GaussianBlur(cv2.resize(rgb, small, interpolation=cv2.INTER_AREA), (0, 0), soft)
    cover = cv2.GaussianBlur(cv2.resize(alpha, small, interpolation=cv2.INTER_AREA), (0, 0), soft)
    if working == final:
        return drawn, cover
    size = (final, final)
    return (
        cv2.resize(drawn, size, interpolation=cv2.INTER_LINEAR),
        cv2.resize(cover, size, interpolation=cv2.INTER_LINEAR),
    )


def _emoji(
    face: FaceToHide, origin: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The emoji placed over the face in crop coordinates: (RGB, alpha), uint8."""
    diameter = max(8, round(face.size * EMOJI_SCALE))
    rgb, alpha = draw_emoji(face.expression, diameter)
    cx, cy = face.centre
    # Turn about the emoji's centre by the face's roll, then move it onto the face.
    turn = cv2.getRotationMatrix2D((diameter / 2, diameter / 2), -math.degrees(face.roll), 1.0)
    turn[0, 2] += cx - float(origin[0]) - diameter / 2
    turn[1, 2] += cy - float(origin[1]) - diameter / 2
    height, width = shape
    placed = cv2.warpAffine(rgb, turn, (width, height), flags=cv2.INTER_LINEAR)
    placed_alpha = cv2.warpAffine(alpha, turn, (width, height), flags=cv2.INTER_LINEAR)
    return placed, placed_alpha

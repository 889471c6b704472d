"""Faces in a photo: boxes, mesh landmarks, both pupil centres and an expression estimate.

Pure and Django-free (numpy in, dataclasses out); effects.facemodels runs the models.
Steps for an RGB image (the gallery passes its reduced decode; FoundFace.scaled maps results to
the original's pixels):
1. BlazeFace finds faces (boxes + eye keypoints), see `detect`.
2. The 468-point mesh runs on a square crop 1.5x the box, turned so the eyes are level; faces
   the mesh does not confirm (presence score below MIN_MESH_SCORE) are dropped.
3. The pupils: the iris model on a crop around each eye's corners, see `refine_eyes`; then
   both are drawn a little toward the same sideways gaze, see `look_together`.
4. The expression: a rule on the mesh's geometry, see `estimate_expression`.

All coordinates are continuous pixel coordinates of the image passed in: pixel (i, j) covers
[i, i+1) x [j, j+1), so its centre is (i + 0.5, j + 0.5). "Left" and "right" are the subject's
own: a frontal face's left eye is on the image's right side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from effects.facemodels import (
    MODEL_PIXEL_OFFSET,
    SHORT_RANGE,
    Crop,
    Detection,
    DetectorPass,
    FaceModels,
    get_face_models,
    merge_detections,
)

# Bump when find_faces' results change (stored with each face, so old faces can be redone).
# 3: pupils pulled toward the same sideways gaze (EyeRecipe.conjugate_weight).
# 4: the iris model's eye crop is resampled with Lanczos (EyeRecipe.iris_interpolation).
FACES_VERSION = 4

EXPRESSIONS = ("smiling", "laughing", "surprised", "neutral", "eyes_closed")

# The mesh's face-presence score. Clear faces score 0.9-1.0; on human_segmentation photos some
# real faces (under 60 px, in profile or half covered) scored 0.1-0.75 and are dropped, as are a
# cat (scikit-image's chelsea, 0.58), shop signs and a hand (0.63-0.75) and a patch of
# scikit-image's motorcycle (0.81).
MIN_MESH_SCORE = 0.85
MESH_CROP_SCALE = 1.5  # mesh crop side / detection box side (MediaPipe's)

# Mesh indices (MediaPipe's canonical face mesh). "Right"/"left" are the subject's.
RIGHT_EYE_CORNERS = (33, 133)  # outer, inner
LEFT_EYE_CORNERS = (263, 362)  # outer, inner
# Eyelid contours, a closed polygon each: lower lid outer -> inner, then upper lid inner -> outer.
RIGHT_EYE_CONTOUR = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE_CONTOUR = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
FACE_OVAL = (
    *(10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377),
    *(152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109),
)
RIGHT_IRIS = slice(468, 473)  # centre, then 4 points on the iris edge
LEFT_IRIS = slice(473, 478)


@dataclass(frozen=True)
class FoundFace:
    box: tuple[float, float, float, float]  # x, y, w, h
    score: float
    left_eye: tuple[float, float]  # the subject's own left pupil centre
    right_eye: tuple[float, float]
    expression: str  # one of EXPRESSIONS
    landmarks: np.ndarray  # float32 (478, 2): 468 mesh points + 2 x 5 iris points, pixels

    def scaled(self, factor: float) -> FoundFace:
        """The same face with every coordinate times `factor` (e.g. reduced decode -> original)."""
        x, y, w, h = self.box
        return replace(
            self,
            box=(x * factor, y * factor, w * factor, h * factor),
            left_eye=(self.left_eye[0] * factor, self.left_eye[1] * factor),
            right_eye=(self.right_eye[0] * factor, self.right_eye[1] * factor),
            landmarks=(self.landmarks * np.float32(factor)).astype(np.float32),
        )


@dataclass(frozen=True)
class EyeRecipe:
    """How the pupils are found; bench/eval_pupils.py compares recipes, find_faces uses DEFAULT.

    The pupil is the mean of the iris model's centre over every run: one per crop scale, and
    as many again with the eye corners of the mirrored mesh when `mirror` is set.
    """

    pixel_offset: float = MODEL_PIXEL_OFFSET
    # Eye crop side / eye corner distance. MediaPipe's 2.3 frames the eye tightly; 3.0 won on
    # half A of bench/eval_pupils.py (0.72 within 0.05 vs 0.61 for 2.3).
    iris_crop_scales: tuple[float, ...] = (3.0,)
    # Also run the mesh on the mirrored face crop and average the pupils found from both
    # meshes' eye corners: +1 image at 0.05 but -2 at 0.10 on half A, twice the iris work.
    mirror: bool = False
    mesh_passes: int = 1  # 2: run the mesh again on a crop made from its own landmarks
    contour_weight: float = 0.0  # share of the eyelid contour's centre in the pupil
    # Eyes look sideways together: each pupil's sideways place in its eye (from the eyelid
    # contour's centre, in eye widths, along the line through both eyes) moves this share of
    # the way toward the other pupil's. 0.2 was best on half A of bench/eval_pupils.py (0.741
    # -> 0.778 within 0.05) and left half B's accuracy as it was; the mean error fell on both
    # halves (A 0.0482 -> 0.0473, B 0.0397 -> 0.0388).
    conjugate_weight: float = 0.2
    # How the eye crop is resampled to the iris model's 64 px input (an OpenCV INTER_ flag).
    # Lanczos keeps the iris edge sharper than bilinear. On half A of bench/eval_pupils.py it
    # ties bilinear on both accuracies with a lower mean e (0.04733 -> 0.04716), so the sweep's
    # rule picks it; half B gains two images within 0.05 (0.780 -> 0.814). It lowered the mean
    # e of every recipe whose crop is reduced to the input (2.8-3.2x), not of enlarged 2.3x
    # crops, and moved accuracies by an image either way: a small, steady gain, not a jump.
    iris_interpolation: int = cv2.INTER_LANCZOS4


DEFAULT_RECIPE = EyeRecipe()


def find_faces(rgb: np.ndarray, model_dir: Path) -> list[FoundFace]:
    """Faces in an RGB uint8 image (H x W x 3), largest box first."""
    return faces_with(rgb, get_face_models(model_dir), DEFAULT_RECIPE)


def faces_with(rgb: np.ndarray, models: FaceModels, recipe: EyeRecipe) -> list[FoundFace]:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image, got {rgb.dtype} {rgb.shape}")
    faces = []
    for detection in detect(rgb, models):
        face = face_at(rgb, models, detection, recipe)
        if face is not None:
            faces.append(face)
    faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
    return faces


# BlazeFace short range, twice: the whole image letterboxed to its own 128x128 input (faces
# down to about 1/6 of the long side) and the image at long side 384 on a slightly larger canvas
# (the model is fully convolutional), where faces of 20 px score high and faces down to about
# 14 px (45 px on the gallery's 1280 px decode) score above CANDIDATE_SCORE. A candidate is
# confirmed by running the detector again on a crop around it, zoomed so the face is 40-50 px.
# The full-range model finds no smaller faces than short range at the same input size, costs 4x
# as much per pixel and cannot be resized in LiteRT (README, Faces section: measurements).
WHOLE_PASS = DetectorPass(SHORT_RANGE, 128, square=True)
SMALL_FACES_PASS = DetectorPass(SHORT_RANGE, 384, square=False, min_score=0.2)
CANDIDATE_ZOOM = 2.8  # zoomed crop side / candidate box side
MAX_CANDIDATES = 5


def detect(rgb: np.ndarray, models: FaceModels) -> list[Detection]:
    """Faces in the image, each once, the best-scoring detection of overlapping ones."""
    height, width = rgb.shape[:2]
    if max(height, width) <= WHOLE_PASS.long_side * 1.5:
        return merge_detections(models.detect(rgb, WHOLE_PASS))  # that pass saw every pixel
    # Both passes start from one reduced copy (reducing the 1280 px decode twice cost more
    # than the whole-image pass itself).
    factor = min(1.0, SMALL_FACES_PASS.long_side / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    reduced = rgb if factor == 1 else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    back = (width / size[0], height / size[1])
    found = [d.transformed(back, (0, 0)) for d in models.detect(reduced, WHOLE_PASS)]
    small_faces = replace(SMALL_FACES_PASS, long_side=max(size))
    candidates = []
    for detection in models.detect(reduced, small_faces):
        if detection.score >= SHORT_RANGE.min_score:
            found.append(detection.transformed(back, (0, 0)))
        else:
            candidates.append(detection.transformed(back, (0, 0)))
    found = merge_detections(found)
    # Weak responses around a face already found are parts of it, not other faces.
    candidates = [c for c in candidates if not any(_inside(c, f) for f in found)]
    for candidate in sorted(candidates, key=lambda d: -d.score)[:MAX_CANDIDATES]:
        found.extend(_confirm(rgb, models, candidate))
    return merge_detections(found)


def _inside(candidate: Detection, face: Detection) -> bool:
    """Whether the candidate's centre lies within the face's box grown by half its size."""
    cx = (candidate.box[0] + candidate.box[2]) / 2
    cy = (candidate.box[1] + candidate.box[3]) / 2
    x0, y0, x1, y1 = face.box
    grow_x, grow_y = (x1 - x0) / 2, (y1 - y0) / 2
    return x0 - grow_x <= cx <= x1 + grow_x and y0 - grow_y <= cy <= y1 + grow_y


def _confirm(rgb: np.ndarray, models: FaceModels, candidate: Detection) -> list[Detection]:
    """Detections in a zoomed crop around a weak candidate, in image coordinates."""
    x0, y0, x1, y1 = candidate.box
    half = max(x1 - x0, y1 - y0) * CANDIDATE_ZOOM / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    height, width = rgb.shape[:2]
    left, top = max(0, int(cx - half)), max(0, int(cy - half))
    right, bottom = min(width, math.ceil(cx + half)), min(height, math.ceil(cy + half))
    if right - left < 8 or bottom - top < 8:
        return []
    return [
        d.transformed((1.0, 1.0), (left, top))
        for d in models.detect(rgb[top:bottom, left:right], WHOLE_PASS)
    ]


def face_at(
    rgb: np.ndarray, models: FaceModels, detection: Detection, recipe: EyeRecipe
) -> FoundFace | None:
    """Mesh, pupils and expression for one detection; None when the mesh finds no face."""
    x0, y0, x1, y1 = detection.box
    crop = mesh_crop(detection)
    mesh, score = models.mesh(rgb, crop, recipe.pixel_offset)
    if score < MIN_MESH_SCORE:
        return None
    for _ in range(recipe.mesh_passes - 1):
        crop = crop_around(mesh[:, :2])
        mesh, score = models.mesh(rgb, crop, recipe.pixel_offset)
    points = mesh[:, :2]
    mirrored = None
    if recipe.mirror:
        mirrored = models.mesh(rgb, replace(crop, mirrored=True), recipe.pixel_offset)[0][:, :2]
    left_iris, right_iris = refine_eyes(rgb, points, models, recipe, mirrored)
    if recipe.conjugate_weight:
        left_iris, right_iris = look_together(
            points, left_iris, right_iris, recipe.conjugate_weight
        )
    landmarks = np.vstack([points, right_iris, left_iris]).astype(np.float32)
    return FoundFace(
        box=(float(x0), float(y0), float(x1 - x0), float(y1 - y0)),
        score=float(detection.score),
        left_eye=(float(left_iris[0, 0]), float(left_iris[0, 1])),
        right_eye=(float(right_iris[0, 0]), float(right_iris[0, 1])),
        expression=estimate_expression(landmarks),
        landmarks=landmarks,
    )


def mesh_crop(detection: Detection) -> Crop:
    """The mesh's crop for a detection: 1.5x its box, turned so its eyes are level."""
    x0, y0, x1, y1 = detection.box
    return Crop(
        centre=((x0 + x1) / 2, (y0 + y1) / 2),
        side=max(x1 - x0, y1 - y0) * MESH_CROP_SCALE,
        axis=_unit(detection.keypoints[1] - detection.keypoints[0]),  # right eye -> left eye
    )


def crop_around(points: np.ndarray) -> Crop:
    """The mesh crop for a face whose mesh points are known (MediaPipe's tracking ROI)."""
    axis = np.array(_unit(points[LEFT_EYE_CORNERS[0]] - points[RIGHT_EYE_CORNERS[0]]))
    normal = np.array([-axis[1], axis[0]])
    along, across = points @ axis, points @ normal
    middle = (along.min() + along.max()) / 2 * axis + (across.min() + across.max()) / 2 * normal
    side = max(np.ptp(along), np.ptp(across)) * MESH_CROP_SCALE
    return Crop(centre=(float(middle[0]), float(middle[1])), side=float(side), axis=tuple(axis))


def refine_eyes(
    rgb: np.ndarray,
    mesh: np.ndarray,
    models: FaceModels,
    recipe: EyeRecipe = DEFAULT_RECIPE,
    mirrored_mesh: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) iris points (5, 2) each, the pupil centre first, from the mesh's eyes.

    `mirrored_mesh` is the mesh of the mirrored face crop: its point 33 is on the subject's
    left eye. Every crop shows the iris model an eye as it was trained: the subject's right
    eye, outer corner left, so the left eye's crop is mirrored.
    """
    corner_sets = [(mesh, RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS)]
    if mirrored_mesh is not None:
        corner_sets.append((mirrored_mesh, LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS))
    found = []
    for side in (1, 2):  # left, right
        runs = []
        for points, right_corners, left_corners in corner_sets:
            outer, inner = left_corners if side == 1 else right_corners
            a, b = points[outer].astype(np.float64), points[inner].astype(np.float64)
            for scale in recipe.iris_crop_scales:
                crop = Crop(
                    centre=((a[0] + b[0]) / 2, (a[1] + b[1]) / 2),
                    side=max(float(np.hypot(*(b - a))), 1.0) * scale,
                    axis=_unit(b - a) if side == 2 else _unit(a - b),
                    mirrored=side == 1,
                )
                iris = models.iris(rgb, crop, recipe.pixel_offset, recipe.iris_interpolation)
                runs.append(iris[1])
        iris = np.mean(runs, axis=0)
        if recipe.contour_weight:
            contour = mesh[list(LEFT_EYE_CONTOUR if side == 1 else RIGHT_EYE_CONTOUR)]
            shift = (contour.mean(axis=0) - iris[0]) * recipe.contour_weight
            iris = iris + shift
        found.append(iris.astype(np.float32))
    return found[0], found[1]


def look_together(
    mesh: np.ndarray, left_iris: np.ndarray, right_iris: np.ndarray, weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """Both irises moved so each one's sideways place in its eye is `weight` of the way toward
    the other's (see EyeRecipe.conjugate_weight); up-down places are left as found."""
    across = np.asarray(_unit(mesh[LEFT_EYE_CORNERS[0]] - mesh[RIGHT_EYE_CORNERS[0]]))
    places = []
    for iris, contour, (outer, inner) in (
        (left_iris, LEFT_EYE_CONTOUR, LEFT_EYE_CORNERS),
        (right_iris, RIGHT_EYE_CONTOUR, RIGHT_EYE_CORNERS),
    ):
        width = max(float(np.hypot(*(mesh[outer] - mesh[inner]))), 1e-6)
        sideways = float((iris[0] - mesh[list(contour)].mean(axis=0)) @ across)
        places.append((sideways / width, width))
    (left, left_width), (right, right_width) = places
    left_shift = weight * (right - left) * left_width
    right_shift = weight * (left - right) * right_width
    return (
        (left_iris + left_shift * across).astype(np.float32),
        (right_iris + right_shift * across).astype(np.float32),
    )


def estimate_expression(landmarks: np.ndarray) -> str:
    """One of EXPRESSIONS by a rule on the mesh's geometry (measures: expression_measures).

    In order: eyes shut (lid gap under 12% of the eye's width); surprised (mouth open over a
    third of its width, corners not lifted, brows raised 0.4 eye distances above the eyes);
    laughing (corners lifted and mouth open over a quarter of its width); smiling (corners
    lifted above the upper lip's middle by 2% of the eye distance); else neutral. A rough
    estimate: the thresholds were set on scikit-image's astronaut (smiling, teeth showing:
    eye opening 0.37, mouth opening 0.17, corner lift 0.05, brows 0.34) and edited meshes,
    not on a labelled set.
    """
    m = expression_measures(landmarks)
    lifted = m["corner_lift"] > 0.02
    if m["eye_opening"] < 0.12:
        return "eyes_closed"
    if m["mouth_opening"] > 0.33 and not lifted and m["brow_raise"] > 0.4:
        return "surprised"
    if lifted and m["mouth_opening"] > 0.25:
        return "laughing"
    if lifted:
        return "smiling"
    return "neutral"


def expression_measures(landmarks: np.ndarray) -> dict[str, float]:
    """Scale-free measures of a face, in a frame turned so the eyes are level.

    - eye_opening: lid gap / eye width, mean of both eyes (about 0.3 open, under 0.1 shut);
    - mouth_opening: inner-lip gap / mouth width;
    - corner_lift: how far the mouth corners sit above the upper lip's inner middle, / eye
      distance (negative when they sit below it);
    - brow_raise: brow height above the eyes' centre line, / eye distance.
    """
    pts = landmarks[:, :2].astype(np.float64)
    right = pts[list(RIGHT_EYE_CONTOUR)].mean(axis=0)
    left = pts[list(LEFT_EYE_CONTOUR)].mean(axis=0)
    axis = _unit(left - right)
    normal = np.array([-axis[1], axis[0]])  # points down the face
    eye_distance = max(float(np.hypot(*(left - right))), 1e-6)

    def down(i: int) -> float:  # how far down the face a point is, from the eye line
        return float((pts[i] - right) @ normal)

    def gap(a: int, b: int) -> float:
        return max(float(np.hypot(*(pts[a] - pts[b]))), 1e-6)

    return {
        "eye_opening": (gap(159, 145) / gap(33, 133) + gap(386, 374) / gap(263, 362)) / 2,
        "mouth_opening": gap(13, 14) / gap(61, 291),
        "corner_lift": (down(13) - (down(61) + down(291)) / 2) / eye_distance,
        "brow_raise": -(down(105) + down(334)) / 2 / eye_distance,
    }


def eye_regions(face: FoundFace) -> tuple[np.ndarray, np.ndarray]:
    """(left eye, right eye) eyelid contours as closed polygons (16, 2) float32, subject's sides."""
    return face.landmarks[list(LEFT_EYE_CONTOUR)], face.landmarks[list(RIGHT_EYE_CONTOUR)]


def face_oval(face: FoundFace) -> np.ndarray:
    """The face outline (forehead, cheeks, chin) as a closed polygon (36, 2) float32."""
    return face.landmarks[list(FACE_OVAL)]


def iris_radius(face: FoundFace) -> float:
    """Mean iris radius in pixels (both eyes: centre to the 4 edge points)."""
    radii = []
    for part in (RIGHT_IRIS, LEFT_IRIS):
        iris = face.landmarks[part]
        radii.append(np.hypot(*(iris[1:] - iris[0]).T).mean())
    return float(np.mean(radii))


def _unit(vector: np.ndarray) -> tuple[float, float]:
    length = math.hypot(float(vector[0]), float(vector[1]))
    if length < 1e-9:
        return (1.0, 0.0)
    return (float(vector[0]) / length, float(vector[1]) / length)

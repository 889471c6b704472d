"""effects.faces with the real models: faces, pupils and expressions on public-domain photos.

The models come from FOCAL_MODEL_DIR (tests/testenv.py points it at var/models). A missing model
is a failure here, not a skip: run `python manage.py fetch_models` first.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from effects.facemodels import (
    FULL_RANGE,
    MAX_DETECTOR_SHAPES,
    SHORT_RANGE,
    Crop,
    get_face_models,
    ssd_anchors,
    weighted_nms,
)
from effects.faces import (
    EXPRESSIONS,
    FACES_VERSION,
    FoundFace,
    estimate_expression,
    eye_regions,
    face_oval,
    find_faces,
    iris_radius,
    look_together,
)
from tests import images

# Pupil centres on scikit-image's `astronaut`, read off an enlarged crop by hand (continuous
# coordinates: the centre of pixel (i, j) is (i + 0.5, j + 0.5)). The subject's own sides.
ASTRONAUT_LEFT_PUPIL = (247.0, 104.0)
ASTRONAUT_RIGHT_PUPIL = (204.0, 101.5)
# The face from brows to chin and cheek to cheek, by hand: a face box must cover it.
ASTRONAUT_FACE = (185, 85, 265, 175)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return Path(os.environ["FOCAL_MODEL_DIR"])


@pytest.fixture(scope="module")
def astronaut_face(model_dir: Path) -> FoundFace:
    image = images.sample("astronaut")
    image.flags.writeable = False  # find_faces must not write into the photo
    faces = find_faces(image, model_dir)
    assert len(faces) == 1
    return faces[0]


def box_covers(face: FoundFace, region: tuple[float, float, float, float]) -> bool:
    x, y, w, h = face.box
    x0, y0, x1, y1 = region
    return x <= x0 and y <= y0 and x + w >= x1 and y + h >= y1


def inside(point: tuple[float, float], polygon: np.ndarray) -> bool:
    return cv2.pointPolygonTest(polygon.astype(np.float32), point, False) > 0


def near(a: tuple[float, float], b: tuple[float, float], tolerance: float) -> bool:
    return float(np.hypot(a[0] - b[0], a[1] - b[1])) <= tolerance


def test_it_finds_the_astronauts_face_and_pupils(astronaut_face: FoundFace) -> None:
    face = astronaut_face
    assert box_covers(face, ASTRONAUT_FACE)
    x, y, w, h = face.box
    assert w < 140 and h < 140  # the face, not the whole head and helmet ring
    assert 0.8 < face.score <= 1
    assert near(face.left_eye, ASTRONAUT_LEFT_PUPIL, 2.0)
    assert near(face.right_eye, ASTRONAUT_RIGHT_PUPIL, 2.0)
    assert face.left_eye[0] > face.right_eye[0]  # the subject's left is the image's right
    assert face.landmarks.dtype == np.float32 and face.landmarks.shape == (478, 2)
    # The iris points are the pupils and their edge; the mesh lies on the face.
    assert near(tuple(face.landmarks[473]), face.left_eye, 0.01)
    assert near(tuple(face.landmarks[468]), face.right_eye, 0.01)
    on_box = (face.landmarks >= (x - 5, y - 15)) & (face.landmarks <= (x + w + 5, y + h + 15))
    assert on_box.all()


def test_the_astronaut_smiles(astronaut_face: FoundFace) -> None:
    assert astronaut_face.expression == "smiling"
    assert set(EXPRESSIONS) == {"smiling", "laughing", "surprised", "neutral", "eyes_closed"}


def test_eye_regions_oval_and_iris_radius(astronaut_face: FoundFace) -> None:
    left, right = eye_regions(astronaut_face)
    assert left.shape == right.shape == (16, 2)
    assert inside(astronaut_face.left_eye, left) and not inside(astronaut_face.left_eye, right)
    assert inside(astronaut_face.right_eye, right)
    oval = face_oval(astronaut_face)
    for point in (astronaut_face.left_eye, astronaut_face.right_eye, tuple(oval.mean(axis=0))):
        assert inside(point, oval)
    # The iris is about 6-8 px across here; the eyes are 43 px apart.
    assert 2.5 < iris_radius(astronaut_face) < 5


def test_left_and_right_follow_the_subject_in_a_mirror_image(model_dir: Path) -> None:
    mirrored = np.ascontiguousarray(images.sample("astronaut")[:, ::-1])
    [face] = find_faces(mirrored, model_dir)
    # The mirrored subject's left eye is the original's right eye, moved to the image's right.
    assert face.left_eye[0] > face.right_eye[0]
    assert near(face.left_eye, (512 - ASTRONAUT_RIGHT_PUPIL[0], ASTRONAUT_RIGHT_PUPIL[1]), 2.0)


def test_scaled_faces_match_the_full_size_photo(model_dir: Path, astronaut_face: FoundFace) -> None:
    """The gallery runs on a reduced decode and scales the faces up to the original's pixels."""
    half = cv2.resize(images.sample("astronaut"), (256, 256), interpolation=cv2.INTER_AREA)
    [small] = find_faces(half, model_dir)
    face = small.scaled(2.0)
    assert near(face.left_eye, astronaut_face.left_eye, 2.0)
    assert near(face.right_eye, astronaut_face.right_eye, 2.0)
    assert np.allclose(face.landmarks, small.landmarks * 2)
    assert np.allclose(face.box, np.array(small.box) * 2)
    assert np.abs(face.landmarks - astronaut_face.landmarks).mean() < 2.0
    assert face.expression == small.expression and face.score == small.score


def test_a_face_filling_a_large_photo_gives_the_same_pupils(
    model_dir: Path, astronaut_face: FoundFace
) -> None:
    """Crops much larger than the models' inputs are reduced by area before sampling."""
    large = cv2.resize(images.sample("astronaut"), (1536, 1536), interpolation=cv2.INTER_CUBIC)
    [face] = find_faces(large, model_dir)
    small = face.scaled(1 / 3)
    assert near(small.left_eye, astronaut_face.left_eye, 1.0)
    assert near(small.right_eye, astronaut_face.right_eye, 1.0)
    assert np.abs(small.landmarks - astronaut_face.landmarks).mean() < 1.0


def centre(face: FoundFace) -> tuple[float, float]:
    x, y, w, h = face.box
    return (x + w / 2, y + h / 2)


def test_it_finds_every_small_face_in_a_group_photo(model_dir: Path) -> None:
    image, heads = images.group_photo()
    faces = find_faces(image, model_dir)
    assert len(faces) == len(heads)
    areas = [f.box[2] * f.box[3] for f in faces]
    assert areas == sorted(areas, reverse=True)
    for cx, cy, width in heads:
        [face] = [f for f in faces if near(centre(f), (cx, cy), width / 4)]
        x, y, w, h = face.box
        assert 0.45 * width < w < 0.9 * width  # the face, about 0.6 of the pasted head
        assert x < face.right_eye[0] < face.left_eye[0] < x + w
        assert y < face.right_eye[1] < y + h and y < face.left_eye[1] < y + h


@pytest.mark.parametrize("name", ["chelsea", "coffee", "rocket", "motorcycle"])
def test_it_finds_no_face_where_there_is_none(model_dir: Path, name: str) -> None:
    # chelsea is a cat: the detector takes its face for a person's, the mesh does not.
    assert find_faces(images.sample(name), model_dir) == []


def test_it_rejects_images_that_are_not_rgb(model_dir: Path) -> None:
    grey = images.sample("astronaut")[:, :, 0]
    with pytest.raises(ValueError, match="RGB uint8"):
        find_faces(grey, model_dir)
    with pytest.raises(ValueError, match="RGB uint8"):
        find_faces(images.sample("astronaut").astype(np.float32), model_dir)


def test_a_tiny_image_has_no_faces(model_dir: Path) -> None:
    assert find_faces(np.zeros((3, 5, 3), np.uint8), model_dir) == []


def moved(landmarks: np.ndarray, indices: tuple[int, ...], dy: float) -> np.ndarray:
    out = landmarks.copy()
    out[list(indices), 1] += dy
    return out


def test_expression_rule_on_edited_meshes(astronaut_face: FoundFace) -> None:
    """The rule reads geometry: shut the eyes, drop the jaw, raise the brows, level the mouth."""
    mesh = astronaut_face.landmarks
    upper_lids = (159, 158, 160, 157, 161, 386, 385, 387, 384, 388)
    lower_lids = (145, 144, 153, 374, 373, 380)
    shut = moved(moved(mesh, upper_lids, 5.5), lower_lids, -1.0)
    assert estimate_expression(shut) == "eyes_closed"

    lower_lip = (14, 87, 178, 88, 95, 317, 402, 318, 324, 17, 84, 181, 91, 146, 314, 405, 321, 375)
    level = mesh.copy()
    level[[61, 291], 1] = mesh[13, 1] + 1  # corners a little below the upper lip
    assert estimate_expression(level) == "neutral"
    brows = (70, 63, 105, 66, 107, 300, 293, 334, 296, 336)
    surprised = moved(moved(level, lower_lip, 25.0), brows, -8.0)
    assert estimate_expression(surprised) == "surprised"
    laughing = moved(mesh, lower_lip, 20.0)
    assert estimate_expression(laughing) == "laughing"


def test_look_together_draws_each_pupil_toward_the_others_sideways_place(
    astronaut_face: FoundFace,
) -> None:
    mesh = astronaut_face.landmarks[:468]
    left = astronaut_face.landmarks[473:478].copy()
    right = astronaut_face.landmarks[468:473].copy()
    across = mesh[263] - mesh[33]
    across /= np.hypot(*across)
    width = float(np.hypot(*(mesh[263] - mesh[362])))
    # The left pupil found a quarter of an eye width further toward the ear than the right.
    astray = left + (0.25 * width) * across
    new_left, new_right = look_together(mesh, astray, right, 0.2)
    left_move, right_move = new_left - astray, new_right - right
    # Each moved along the eye line only, every iris point alike, toward the other's place.
    for move in (left_move, right_move):
        assert np.allclose(move, move[0], atol=1e-4)
        assert abs(float(move[0] @ np.array([-across[1], across[0]]))) < 1e-4
    # Against the pupils as found, the astray one comes back a fifth of its extra quarter
    # width, and the other goes a fifth of it toward it.
    found_left, found_right = look_together(mesh, left, right, 0.2)
    extra_left = float((left_move[0] - (found_left - left)[0]) @ across)
    extra_right = float((right_move[0] - (found_right - right)[0]) @ across)
    assert extra_left == pytest.approx(-0.2 * 0.25 * width, rel=1e-3)
    right_width = float(np.hypot(*(mesh[33] - mesh[133])))
    assert extra_right == pytest.approx(0.2 * 0.25 * right_width, rel=1e-3)
    unchanged = look_together(mesh, astray, right, 0.0)
    assert np.allclose(unchanged[0], astray) and np.allclose(unchanged[1], right)


def test_a_crop_is_sampled_with_the_interpolation_asked_for() -> None:
    # A crop of 75 px reduced to 64 (the iris model's input, as for a 3x eye crop): Lanczos
    # keeps a sharp edge sharper than bilinear, and both keep flat regions exact.
    image = np.zeros((100, 100, 3), np.uint8)
    image[:, 50:] = 200
    crop = Crop(centre=(50.3, 50.0), side=75.0, axis=(1.0, 0.0))
    linear = crop.pixels(image, 64).astype(int)
    lanczos = crop.pixels(image, 64, cv2.INTER_LANCZOS4).astype(int)
    for pixels in (linear, lanczos):  # the edge falls near column 32
        assert (pixels[:, :24] == 0).all() and (pixels[:, 40:] == 200).all()
    assert not np.array_equal(linear, lanczos)
    steepest = [np.abs(np.diff(p[32, :, 0])).max() for p in (linear, lanczos)]
    assert steepest[1] > steepest[0]


def test_faces_version_is_a_positive_int() -> None:
    assert isinstance(FACES_VERSION, int) and FACES_VERSION >= 1


def test_anchor_grids_match_the_models() -> None:
    assert ssd_anchors(SHORT_RANGE, 128, 128).shape == (896, 2)
    assert ssd_anchors(FULL_RANGE, 192, 192).shape == (2304, 2)
    # A larger canvas for the fully convolutional short-range model: 2 anchors per 8 px cell
    # and 6 per 16 px cell, centred in their cells.
    anchors = ssd_anchors(SHORT_RANGE, 288, 384)
    assert anchors.shape == (36 * 48 * 2 + 18 * 24 * 6, 2)
    assert tuple(anchors[0]) == (4.0, 4.0) and tuple(anchors[-1]) == (376.0, 280.0)


def test_weighted_nms_averages_a_cluster_and_keeps_separate_faces() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    points = np.zeros((3, 6, 2), np.float32)
    points[1] += 2
    kept = weighted_nms(boxes, points, np.array([0.9, 0.3, 0.8]))
    assert len(kept) == 2
    box, keypoints, score = kept[0]
    assert score == 0.9
    assert box[0] == pytest.approx(0.25) and keypoints[0, 0] == pytest.approx(0.5)
    assert tuple(kept[1][0]) == (50, 50, 60, 60)


def test_detector_interpreters_are_kept_for_a_few_shapes_only(model_dir: Path) -> None:
    models = get_face_models(model_dir)
    sides = range(200, 384, 32)  # 6 canvas heights, as landscape and portrait: 12 shapes
    for side in sides:
        for shape in ((side, 384, 3), (384, side, 3)):
            find_faces(np.zeros(shape, np.uint8), model_dir)
    assert 2 * len(sides) > MAX_DETECTOR_SHAPES
    assert len(models._detectors) == MAX_DETECTOR_SHAPES

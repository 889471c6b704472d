"""effects.matting with the real models: subject choice on a real photo, mattes on generated ones.

The models come from FOCAL_MODEL_DIR (tests/testenv.py points it at var/models). A missing model
is a failure here, not a skip: run `python manage.py fetch_models` first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from effects import matting
from effects.matting import Matte, NoSubjectFound, compute_matte, guided_upsample, select_subject
from effects.pipeline import render
from effects.segmentation import VOC_LABELS, Segmenter, get_segmenter
from effects.spec import Point, parse_spec
from tests import images


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return get_segmenter(Path(os.environ["FOCAL_MODEL_DIR"]))


@dataclass(frozen=True)
class Truth:
    """Hand-labelled regions of the photo: surely the person, surely background."""

    person: np.ndarray
    background: np.ndarray

    def resized(self, shape: tuple[int, ...]) -> Truth:
        size = (shape[1], shape[0])
        grow = [cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
                for m in (self.person, self.background)]  # fmt: skip
        return Truth(*grow)


@pytest.fixture(scope="module")
def person_photo() -> tuple[np.ndarray, Truth]:
    """(RGB photo, labelled regions): scikit-image's public-domain `astronaut`."""
    image = images.sample("astronaut")
    image.flags.writeable = False  # compute_matte must not write into the photo
    truth = Truth(
        images.box_mask(image.shape, images.ASTRONAUT_PERSON),
        images.box_mask(image.shape, images.ASTRONAUT_BACKGROUND),
    )
    return image, truth


def agrees(mask: np.ndarray, truth: Truth) -> bool:
    """The mask covers nearly all of the person regions and nearly none of the background."""
    return bool(mask[truth.person].mean() > 0.97 and mask[truth.background].mean() < 0.03)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return np.count_nonzero(a & b) / np.count_nonzero(a | b)


def relative(y: float, x: float, shape: tuple[int, ...]) -> Point:
    return Point(x / (shape[1] - 1), y / (shape[0] - 1))


# --- subject selection on a real photo -------------------------------------------------------


def test_person_subject_gives_a_matte_matching_the_ground_truth(segmenter, person_photo):
    image, truth = person_photo
    matte = compute_matte(image, segmenter, "person")
    assert isinstance(matte, Matte)
    assert matte.class_name == "person"
    assert matte.alpha.dtype == np.uint8 and matte.alpha.shape == image.shape[:2]
    assert agrees(matte.alpha >= 128, truth)
    # A soft matte with confident values where the answer is certain, not a washed-out
    # probability map.
    assert np.mean(matte.alpha[truth.person] > 239) > 0.9
    assert np.mean(matte.alpha[truth.background] < 16) > 0.9
    assert {"segment", "select", "refine_person", "guided_filter"} <= set(matte.timings_ms)


def test_auto_subject_picks_the_person(segmenter, person_photo):
    image, truth = person_photo
    matte = compute_matte(image, segmenter, "auto")
    assert matte.class_name == "person"
    assert agrees(matte.alpha >= 128, truth)


def test_a_point_on_the_person_selects_the_person(segmenter, person_photo):
    image, truth = person_photo
    # The middle of the labelled suit, far from every edge.
    ys, xs = np.nonzero(truth.person)
    y, x = float(np.median(ys[ys > 300])), float(np.median(xs[ys > 300]))
    assert truth.person[int(y), int(x)]
    matte = compute_matte(image, segmenter, relative(float(y), float(x), image.shape))
    assert matte.class_name == "person"
    assert agrees(matte.alpha >= 128, truth)


def test_a_point_far_in_the_background_finds_no_subject(segmenter, person_photo):
    image, truth = person_photo
    height, width = truth.person.shape
    # Precondition: the top-left corner region is labelled background.
    assert truth.background[: height // 5, : width // 10].all()
    with pytest.raises(NoSubjectFound) as caught:
        compute_matte(image, segmenter, Point(0.0, 0.0))
    assert "click" in caught.value.message.lower()
    assert caught.value.code == "no_subject"


def test_a_class_not_in_the_photo_raises_no_subject_found_naming_it(segmenter, person_photo):
    image, _ = person_photo
    with pytest.raises(NoSubjectFound) as caught:
        compute_matte(image, segmenter, "cat")
    message = caught.value.message
    assert "cat" in message
    assert message == str(caught.value)
    assert message[0].isupper() and message.endswith(".")


def test_the_matte_scales_with_the_photo(segmenter, person_photo):
    """A 3x upscale (above the working size, so the strip path runs) gives the same matte."""
    image, truth = person_photo
    height, width = image.shape[:2]
    big = cv2.resize(image, (3 * width, 3 * height), interpolation=cv2.INTER_CUBIC)
    matte = compute_matte(big, segmenter, "person")
    assert matte.alpha.shape == big.shape[:2]
    assert agrees(matte.alpha >= 128, truth.resized(big.shape))
    small = compute_matte(image, segmenter, "person").alpha
    shrunk = cv2.resize(matte.alpha, (width, height), interpolation=cv2.INTER_AREA)
    assert iou(shrunk >= 128, small >= 128) > 0.9


def test_the_photo_is_not_modified(segmenter, person_photo):
    image, _ = person_photo
    before = image.copy()
    matte = compute_matte(image, segmenter, "auto")
    assert np.array_equal(image, before)
    assert not np.shares_memory(matte.alpha, image)


# --- photos with nothing to find -------------------------------------------------------------


def _scenes() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    gradient = np.tile(np.linspace(0, 255, 320).astype(np.uint8), (240, 1))
    return {
        "flat grey": np.full((240, 320, 3), 128, np.uint8),
        "flat white": np.full((240, 320, 3), 255, np.uint8),
        "sensor noise on a wall": (128 + rng.integers(-20, 21, (240, 320, 3))).astype(np.uint8),
        "grey noise": np.repeat(rng.integers(0, 256, (240, 320, 1), dtype=np.uint8), 3, axis=2),
        "blotchy colour noise": cv2.GaussianBlur(
            rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (0, 0), 3
        ),
        "gradient": np.dstack([gradient] * 3),
    }


@pytest.mark.parametrize("scene", list(_scenes()))
def test_auto_finds_no_subject_in_a_generated_image(segmenter, scene):
    image = _scenes()[scene]
    with pytest.raises(NoSubjectFound) as caught:
        compute_matte(image, segmenter, "auto")
    assert "No subject recognised" in caught.value.message


@pytest.mark.parametrize("subject", ["person", Point(0.5, 0.5)])
def test_person_or_a_click_on_a_flat_image_finds_no_subject(segmenter, subject):
    with pytest.raises(NoSubjectFound):
        compute_matte(np.full((120, 160, 3), 200, np.uint8), segmenter, subject)


# --- the guided upsample on generated images --------------------------------------------------


def red_disc_scene(height: int = 600, width: int = 900) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[:height, :width]
    disc = (ys - height / 2) ** 2 + (xs - width / 2) ** 2 < (height / 3) ** 2
    image = np.empty((height, width, 3), np.int64)
    image[:] = (60, 160, 70)
    image[disc] = (220, 40, 40)
    image += rng.integers(-8, 9, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), disc


def test_the_guided_upsample_puts_the_edge_where_the_full_size_photo_has_it():
    image, disc = red_disc_scene()
    height, width = disc.shape
    work = cv2.resize(image, (width // 3, height // 3), interpolation=cv2.INTER_AREA)
    soft = cv2.resize(disc.astype(np.float32), work.shape[1::-1], interpolation=cv2.INTER_AREA)
    alpha = guided_upsample(work, soft, image)
    assert alpha.shape == disc.shape and alpha.dtype == np.uint8
    plain = np.clip(cv2.resize(soft, (width, height)) * 255 + 0.5, 0, 255).astype(np.uint8)

    def error(matte: np.ndarray) -> float:
        return float(np.abs(matte / 255 - disc).mean())

    def unsure(matte: np.ndarray) -> int:
        return int(np.count_nonzero((matte > 25) & (matte < 230)))

    assert iou(alpha >= 128, disc) > 0.995
    assert error(alpha) < 0.5 * error(plain)
    assert unsure(alpha) < 0.2 * unsure(plain)
    # Sharp subject: inside the disc (2 px from its edge) the matte is (nearly) opaque.
    inner = cv2.erode(disc.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    outer = ~cv2.dilate(disc.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert alpha[inner].min() >= 230 and alpha[outer].max() <= 25


def test_the_guided_upsample_has_no_seams_between_strips(monkeypatch):
    image, disc = red_disc_scene(700, 513)  # not a multiple of the strip height
    work = cv2.resize(image, (171, 233), interpolation=cv2.INTER_AREA)
    soft = cv2.resize(disc.astype(np.float32), (171, 233), interpolation=cv2.INTER_AREA)
    in_strips = guided_upsample(work, soft, image)
    monkeypatch.setattr(matting, "STRIP_ROWS", 10_000)
    at_once = guided_upsample(work, soft, image)
    assert np.abs(in_strips.astype(int) - at_once.astype(int)).max() <= 1


def test_the_guided_upsample_at_working_size_keeps_the_size():
    image, disc = red_disc_scene(200, 300)
    alpha = guided_upsample(image, disc.astype(np.float32), image)
    assert alpha.shape == disc.shape
    assert iou(alpha >= 128, disc) > 0.99


class _EverythingIsAPerson:
    """Stands in for the Segmenter in _fuse_selfie: the selfie model is sure everywhere."""

    def person_probability(self, image: np.ndarray) -> np.ndarray:
        return np.ones((256, 256), np.float32)


def test_the_selfie_model_is_limited_by_its_crop_only():
    """Inside the box around the person (plus GATE_MARGIN) the selfie model counts in full."""
    region = np.zeros((100, 100), bool)
    region[40:60, 45:55] = True  # 20 x 10 at label resolution, 200 x 100 at working size
    work = np.zeros((1000, 1000, 3), np.uint8)
    selection = matting.Selection(PERSON_INDEX, region)
    soft = np.zeros((1000, 1000), np.float32)
    fused = matting._fuse_selfie(soft, work, selection, _EverythingIsAPerson())  # type: ignore[arg-type]
    weight = np.float32(matting.SELFIE_WEIGHT)
    top, bottom, left, right = matting._box_around(region, (1000, 1000), matting.GATE_MARGIN)
    assert (top, bottom, left, right) == (350, 650, 400, 600)  # 0.25 x 200 px on each side
    assert np.allclose(fused[top:bottom, left:right], weight)  # up to the box's edge
    outside = np.ones_like(fused, bool)
    outside[top:bottom, left:right] = False
    assert not fused[outside].any()


# --- subject choice on synthetic class probabilities ------------------------------------------

PERSON_INDEX = VOC_LABELS.index("person")
SOFA_INDEX = VOC_LABELS.index("sofa")


def probabilities(labels: np.ndarray, confidence: float = 0.9) -> np.ndarray:
    """Class probabilities (h, w, 21) with `confidence` on the given label per pixel."""
    rest = (1 - confidence) / (len(VOC_LABELS) - 1)
    probs = np.full((*labels.shape, len(VOC_LABELS)), rest, np.float32)
    np.put_along_axis(probs, labels[..., None].astype(np.int64), confidence, axis=2)
    return probs


def test_auto_prefers_a_central_subject_to_a_larger_sliver_at_the_edge():
    labels = np.zeros((100, 160), np.uint8)
    labels[:, :16] = SOFA_INDEX  # 10% of the frame, along the edge
    labels[30:70, 65:95] = PERSON_INDEX  # 7.5%, in the middle
    selection = select_subject(probabilities(labels), "auto")
    assert selection.class_name == "person"
    assert np.array_equal(selection.region, labels == PERSON_INDEX)


def test_a_class_subject_keeps_every_sizeable_segment_and_drops_specks():
    labels = np.zeros((100, 160), np.uint8)
    labels[10:50, 10:40] = PERSON_INDEX
    labels[50:90, 110:140] = PERSON_INDEX
    labels[95, 80] = PERSON_INDEX  # a one-pixel speck
    selection = select_subject(probabilities(labels), "person")
    assert selection.region[10:50, 10:40].all() and selection.region[50:90, 110:140].all()
    assert not selection.region[95, 80]


def test_a_click_selects_only_the_segment_under_it():
    labels = np.zeros((100, 160), np.uint8)
    labels[10:50, 10:40] = PERSON_INDEX
    labels[50:90, 110:140] = PERSON_INDEX
    selection = select_subject(probabilities(labels), Point(125 / 159, 70 / 99))
    assert selection.class_name == "person"
    assert selection.region[50:90, 110:140].all() and not selection.region[10:50, 10:40].any()


def test_a_click_just_beside_a_subject_snaps_to_it_but_not_from_far_away():
    labels = np.zeros((100, 160), np.uint8)
    labels[40:60, 70:90] = SOFA_INDEX
    near = Point(93 / 159, 50 / 99)  # 4 px right of the sofa: within CLICK_RADIUS (8 px)
    assert select_subject(probabilities(labels), near).class_name == "sofa"
    with pytest.raises(NoSubjectFound):
        select_subject(probabilities(labels), Point(150 / 159, 50 / 99))


@pytest.mark.parametrize("subject", ["person", "auto"])
def test_a_class_present_only_as_specks_is_not_a_subject(subject):
    """Enough of the class in total, but no segment large enough: NoSubjectFound, no crash."""
    labels = np.zeros((100, 100), np.uint8)
    for i in range(10):  # ten 3x3 specks: 0.9% of the frame, each below MIN_SEGMENT_AREA
        labels[5 + 9 * i : 8 + 9 * i, 5 + 9 * i : 8 + 9 * i] = PERSON_INDEX
    assert np.mean(labels == PERSON_INDEX) >= matting.MIN_CLASS_AREA
    with pytest.raises(NoSubjectFound):
        select_subject(probabilities(labels), subject)


# --- the render pipeline ----------------------------------------------------------------------

SPECS: dict[str, tuple[dict[str, Any], str, int]] = {
    "portrait": ({"effect": "portrait", "blur": 80}, "JPEG", 3),
    "portrait disc": ({"effect": "portrait", "bokeh": "disc"}, "JPEG", 3),
    "colour": ({"effect": "background", "color": "#00ff00"}, "JPEG", 3),
    "photo": ({"effect": "background", "photo": 5}, "JPEG", 3),
    "colour pop": ({"effect": "colorpop", "subject": "auto"}, "JPEG", 3),
    "cutout": ({"effect": "cutout"}, "PNG", 4),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_render_produces_each_effect_and_leaves_the_original_alone(segmenter, person_photo, name):
    image, truth = person_photo
    data, output_format, channels = SPECS[name]
    before = image.copy()
    backdrop = np.zeros((50, 80, 3), np.uint8)
    backdrop[:] = (0, 0, 255)
    result = render(image, parse_spec(data), segmenter, background=backdrop)
    assert np.array_equal(image, before)
    assert result.format == output_format
    assert result.pixels.shape == (*image.shape[:2], channels)
    assert result.pixels.dtype == np.uint8
    assert result.subject == "person"
    assert result.matte.shape == image.shape[:2]
    assert agrees(result.matte >= 128, truth)
    assert "effect" in result.timings_ms
    inside = result.matte == 255
    assert np.array_equal(result.pixels[inside][:, :3], image[inside])
    if name == "photo":
        assert (result.pixels[result.matte == 0] == (0, 0, 255)).all()
    if name == "cutout":
        assert np.array_equal(result.pixels[..., 3], result.matte)


def test_render_needs_the_background_photo_for_a_photo_spec(segmenter, person_photo):
    image, _ = person_photo
    with pytest.raises(ValueError, match="photo"):
        render(image, parse_spec({"effect": "background", "photo": 5}), segmenter)


def test_render_rejects_a_non_rgb_image(segmenter):
    with pytest.raises(ValueError):
        render(np.zeros((20, 20), np.uint8), parse_spec({"effect": "cutout"}), segmenter)


def test_render_passes_no_subject_found_on(segmenter, person_photo):
    image, _ = person_photo
    with pytest.raises(NoSubjectFound):
        render(image, parse_spec({"effect": "portrait", "subject": "cat"}), segmenter)


# --- edges as sharp as the photo shows them ---------------------------------------------------


def unsure(matte: np.ndarray) -> int:
    """Pixels the matte leaves part subject, part background."""
    return int(np.count_nonzero((matte > 16) & (matte < 239)))


def hesitant_prior(mask: np.ndarray, size: tuple[int, int], sigma: float) -> np.ndarray:
    """What the models give at working size: a blurred, not quite confident probability."""
    small = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return (0.1 + 0.8 * cv2.GaussianBlur(small, (0, 0), sigma)).astype(np.float32)


def test_a_hesitant_matte_gets_a_sharp_edge_where_the_photo_has_one(monkeypatch):
    image, disc = red_disc_scene()
    height, width = disc.shape
    work = cv2.resize(image, (width // 3, height // 3), interpolation=cv2.INTER_AREA)
    soft = hesitant_prior(disc, work.shape[1::-1], sigma=4)
    # This prior crosses 0.5 on the true edge; the models' crossings lie inside it, which
    # MATTE_CENTRE (below 0.5) corrects for. Here that would only widen the disc.
    monkeypatch.setattr(matting, "MATTE_CENTRE", 0.5)
    sharp = matting.refine_edges(work, soft, image)
    monkeypatch.setattr(matting, "MATTE_CONTRAST", 1.0)
    before = matting.refine_edges(work, soft, image)
    assert iou(sharp >= 128, disc) > 0.995
    assert unsure(sharp) < 0.25 * unsure(before)
    # Opaque inside, clear outside, 2 px from the edge: no grey band for a new background.
    inner = cv2.erode(disc.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    outer = ~cv2.dilate(disc.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert np.mean(sharp[inner] >= 239) > 0.95 and np.mean(sharp[outer] <= 16) > 0.99
    # What there was before: a subject seen through, a background that shows through.
    assert np.mean(before[inner] >= 239) < 0.6 and np.mean(before[outer] <= 16) < 0.5


def test_the_astronauts_matte_has_a_narrower_unsure_band_than_the_plain_guided_filter(
    segmenter, person_photo, monkeypatch
):
    image, truth = person_photo
    sharp = compute_matte(image, segmenter, "person").alpha
    monkeypatch.setattr(matting, "MATTE_CONTRAST", 1.0)  # same centre: the same silhouette
    plain = compute_matte(image, segmenter, "person").alpha
    assert agrees(sharp >= 128, truth)
    assert unsure(sharp) < 0.7 * unsure(plain)
    assert iou(sharp >= 128, plain >= 128) > 0.97  # the same silhouette, only crisper

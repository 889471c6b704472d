"""From class scores to a soft, edge-aware, full-resolution subject matte.

Steps, and the resolution each runs at:
1. DeepLab logits on a 33x33 grid (effects.segmentation).
2. Subject choice on a small label map (long side LABEL_SIDE): auto / class / clicked segment.
3. A soft matte at working resolution (long side WORK_SIDE): the subject's probability from
   bilinearly upsampled log-odds (never a 0/255 label map), limited to the chosen segments.
   For people it is averaged with the MediaPipe selfie model run on a crop around them
   (the crop, not the soft gate, limits the selfie model), and near the selfie model's edge
   also on 2x2 overlapping tiles of that crop (effects.tiling).
4. The soft matte's ramp steepened (MATTE_CONTRAST) around MATTE_CENTRE: a narrow edge, no grey
   band of old background around the subject.
5. A guided filter against the photo, computed at working resolution and applied at full
   resolution (the "fast guided filter": its linear coefficients are upsampled, so the final
   edges follow the full-resolution image).
Numbers quoted in comments are from `python -m bench.eval_portrait` on the dev split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from effects.fields import Point, Subject
from effects.segmentation import BACKGROUND, PERSON, VOC_LABELS, GridLogits, Segmenter
from effects.tiling import tiled_probability
from focal.usererror import UserError

WORK_SIDE = 640
LABEL_SIDE = 160
MIN_CLASS_AREA = 0.005  # a class covering less of the frame than this is "not found"
MIN_SEGMENT_AREA = 0.001  # specks smaller than this never count as subject
CLICK_RADIUS = 0.05  # a click on background snaps to a segment this close (fraction of long side)
GATE_MARGIN = 0.25  # the matte may extend this far (x segment size) beyond the chosen segments
# Share of the selfie model in the fused person probability. Dev split, with the tiles (before
# TILE_AGREEMENT) and MATTE_CENTRE 0.4, IoU / boundary F: 0.6: 0.907 / 0.753, 0.7: 0.907 /
# 0.762, 0.8: 0.905 / 0.765, 0.9: 0.903 / 0.764 (before the tiles 0.6 was on a plateau: 0.4-0.7
# within 0.002).
SELFIE_WEIGHT = 0.7
# The selfie model again on SELFIE_TILES x SELFIE_TILES overlapping tiles of its crop (each two
# thirds of it): the crop's person at about 1.5x the pixels. Used only within EDGE_BAND (fraction
# of the working long side) of where the whole-crop output is unsure, and there averaged with it
# at TILE_WEIGHT x (1 - |difference| / TILE_AGREEMENT): a tile sees too little of the person to
# be trusted on its own. Dev split, IoU / boundary F (centre 0.5, SELFIE_WEIGHT 0.6): without
# 0.902 / 0.740; 2x2 tiles at weight 0.5 in the band 0.904 / 0.746, weight 1 0.897 / 0.734, weight
# 0.5 everywhere 0.902 / 0.743; 3x3 tiles 0.903 / 0.736. Without the agreement term a tile that
# cut the astronaut's held helmet in two dropped it, and which tile did so moved with the crop:
# her matte at 512 px and at 1536 px then agreed at IoU 0.85. With it (centre 0.4, SELFIE_WEIGHT
# 0.7), TILE_AGREEMENT 0.3 / 0.5 / 1: astronaut 0.97 / 0.98 / 0.96 (0.93 before the tiles),
# dev split 0.904 / 0.751, 0.904 / 0.755, 0.906 / 0.760 (0.906 / 0.762 without the term).
SELFIE_TILES = 2
TILE_WEIGHT = 0.5
EDGE_BAND = 0.03
TILE_AGREEMENT = 1.0
GUIDE_RADIUS = 0.005  # guided-filter window radius, fraction of the working long side
GUIDE_EPS = 1e-3  # guided-filter regulariser, for a guide in [0, 1]
# Gain around MATTE_CENTRE before the guided filter (measured with the centre at 0.5): the
# models' probabilities ramp over several pixels across every edge, which left a grey band (the
# "rim" of old background on a new one). With the ramp steepened the guided filter still puts the
# edge where the photo has it, over 1-3 px instead of 6-12. It does not draw single hairs: nor
# did the old ramp. Dev split, gain 1 / 2 / 4 / 8: rim 18.7 / 14.6 / 13.9 / 13.7, IoU 0.902 /
# 0.902 / 0.903 / 0.903, boundary F 0.738 / 0.738 / 0.740 / 0.740, the same order on the even
# and odd halves; 4 is on the plateau.
MATTE_CONTRAST = 4.0
# The probability that becomes alpha 0.5. At 0.5 our edges lay 1-3 px inside the true ones four
# times as often as outside (hair and shoulders the models are unsure of). Dev split, with the
# tiles (before TILE_AGREEMENT) and SELFIE_WEIGHT 0.6, IoU / boundary F / rim: 0.5: 0.904 /
# 0.746 / 13.9, 0.45: 0.906 / 0.754 / 13.5, 0.4: 0.907 / 0.753 / 13.3, 0.35: 0.904 / 0.743 /
# 13.4; without the tiles 0.4: 0.905 / 0.744 / 13.5, 0.3: 0.897 / 0.716 / 14.0; the same order
# on the even and odd halves.
MATTE_CENTRE = 0.4
STRIP_ROWS = 256  # full-resolution rows processed at a time (bounds memory at 12 MP+)


_NOTHING_RECOGNISED = (
    "No subject recognised in this photo. Portrait effects know people, animals, "
    "vehicles and some furniture; click on the subject to choose it."
)


class NoSubjectFound(UserError):
    """The requested subject is not in the photo. `message` is shown to the user as is."""

    code = "no_subject"


@dataclass
class Matte:
    alpha: np.ndarray  # uint8, full resolution, 255 = subject
    class_name: str
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    class_index: int
    region: np.ndarray  # bool, label-map resolution: the chosen segments

    @property
    def class_name(self) -> str:
        return VOC_LABELS[self.class_index]


def compute_matte(image: np.ndarray, segmenter: Segmenter, subject: Subject) -> Matte:
    """Soft subject matte for an RGB uint8 photo. Raises NoSubjectFound with a user message."""
    clock = _Clock()
    work = _fit(image, WORK_SIDE)
    grid = segmenter.class_logits(work)
    clock.lap("segment")
    selection = select_subject(class_probabilities(grid, LABEL_SIDE, image.shape), subject)
    soft = subject_probability(grid, selection, work.shape[:2])
    clock.lap("select")
    if selection.class_index == PERSON:
        soft = _fuse_selfie(soft, work, selection, segmenter)
        clock.lap("refine_person")
    alpha = refine_edges(work, soft, image)
    clock.lap("guided_filter")
    return Matte(alpha=alpha, class_name=selection.class_name, timings_ms=clock.laps)


def class_probabilities(grid: GridLogits, long_side: int, shape: tuple[int, ...]) -> np.ndarray:
    """Softmax class probabilities (h, w, 21) on a small map with the photo's aspect ratio."""
    height, width = _fit_size(shape[0], shape[1], long_side)
    logits = grid.upsample(grid.logits, height, width)
    logits -= logits.max(axis=2, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=2, keepdims=True)
    return logits


def select_subject(probs: np.ndarray, subject: Subject) -> Selection:
    """Choose the subject's class and segments from class probabilities (h, w, 21).

    - a class name: every sizeable segment of that class;
    - "auto": the most prominent class, then every sizeable segment of it. Prominence is the
      class's probability mass weighted by centrality, so a large, confident, central subject
      beats a sliver of sofa at the edge;
    - a Point: the connected segment under the click, or the nearest one within CLICK_RADIUS.
    """
    labels = probs.argmax(axis=2).astype(np.uint8)
    height, width = labels.shape
    pixels = height * width
    if isinstance(subject, Point):
        return _select_at_point(labels, subject)
    if subject == "auto":
        centrality = _centrality(height, width)
        scores = np.zeros(len(VOC_LABELS))
        confidence = probs.max(axis=2) * centrality
        np.add.at(scores, labels.ravel(), confidence.ravel())
        areas = np.bincount(labels.ravel(), minlength=len(VOC_LABELS)) / pixels
        scores[BACKGROUND] = 0
        scores[areas < MIN_CLASS_AREA] = 0
        if not scores.any():
            raise NoSubjectFound(_NOTHING_RECOGNISED)
        class_index = int(scores.argmax())
    else:
        class_index = VOC_LABELS.index(subject)
        if np.count_nonzero(labels == class_index) < MIN_CLASS_AREA * pixels:
            raise NoSubjectFound(
                f"No {subject} found in this photo; try subject auto or click on the subject."
            )
    region = _large_segments(labels == class_index, MIN_SEGMENT_AREA * pixels)
    if not region.any():  # enough of the class in total, but only in specks
        if subject == "auto":
            raise NoSubjectFound(_NOTHING_RECOGNISED)
        raise NoSubjectFound(
            f"No {subject} found in this photo; try subject auto or click on the subject."
        )
    return Selection(class_index, region)


def subject_probability(
    grid: GridLogits, selection: Selection, shape: tuple[int, int]
) -> np.ndarray:
    """P(subject) at `shape` (float32), limited to around the chosen segments.

    The log-odds of the subject class are upsampled rather than its probability: bilinear
    interpolation of probabilities smears edges (boundary F 0.52 vs 0.56 for log-odds).
    """
    logits = grid.logits
    shifted = logits - logits.max(axis=2, keepdims=True)
    log_total = np.log(np.exp(shifted).sum(axis=2))
    log_p = shifted[..., selection.class_index] - log_total
    log_odds = log_p - np.log1p(-np.minimum(np.exp(log_p), 1 - 1e-6))
    height, width = shape
    up = grid.upsample(log_odds, height, width)
    probability = 1.0 / (1.0 + np.exp(-up))
    return (probability * _gate(selection.region, shape)).astype(np.float32)


def refine_edges(work: np.ndarray, soft: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The uint8 matte at `image` size from a soft probability at `work` size (steps 4 and 5)."""
    centre, gain = np.float32(MATTE_CENTRE), np.float32(MATTE_CONTRAST)
    steep = np.clip((soft - centre) * gain + np.float32(0.5), 0, 1)
    return guided_upsample(work, steep.astype(np.float32, copy=False), image)


def guided_upsample(work: np.ndarray, soft: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Edge-aware refinement of `soft` (float, at `work`'s size) to a uint8 matte at `image` size.

    A colour guided filter (He et al.) at working resolution; its per-pixel linear coefficients
    are then upsampled and applied to the full-resolution photo in strips of rows, so a 12 MP
    image never needs full-resolution float copies of itself.
    """
    radius = max(1, round(GUIDE_RADIUS * max(work.shape[:2])))
    guide = work.astype(np.float32) * np.float32(1 / 255)
    coeffs = _guided_coefficients(guide, soft, radius, GUIDE_EPS)  # (h, w, 4): a_r, a_g, a_b, b
    height, width = image.shape[:2]
    if (height, width) == work.shape[:2]:
        return _apply_coefficients(coeffs, guide)
    alpha = np.empty((height, width), np.uint8)
    sx = coeffs.shape[1] / width
    sy = coeffs.shape[0] / height
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        # dst (x, y) -> src ((x + 0.5) * sx - 0.5, (y + top + 0.5) * sy - 0.5), as cv2.resize does
        matrix = np.array(
            [[sx, 0, 0.5 * sx - 0.5], [0, sy, (top + 0.5) * sy - 0.5]], dtype=np.float32
        )
        strip_coeffs = cv2.warpAffine(
            coeffs,
            matrix,
            (width, bottom - top),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        strip = image[top:bottom].astype(np.float32) * np.float32(1 / 255)
        alpha[top:bottom] = _apply_coefficients(strip_coeffs, strip)
    return alpha


def _guided_coefficients(
    guide: np.ndarray, target: np.ndarray, radius: int, eps: float
) -> np.ndarray:
    def box(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(
            values, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT
        )

    mean_i = box(guide)
    mean_p = box(target)
    cov_ip = box(guide * target[..., None]) - mean_i * mean_p[..., None]
    # Covariance of the guide's colour channels, regularised, then a closed-form 3x3 inverse.
    r, g, b = (guide[..., c] for c in range(3))
    mr, mg, mb = (mean_i[..., c] for c in range(3))
    var_rr = box(r * r) - mr * mr + eps
    var_rg = box(r * g) - mr * mg
    var_rb = box(r * b) - mr * mb
    var_gg = box(g * g) - mg * mg + eps
    var_gb = box(g * b) - mg * mb
    var_bb = box(b * b) - mb * mb + eps
    inv_rr = var_gg * var_bb - var_gb * var_gb
    inv_rg = var_gb * var_rb - var_rg * var_bb
    inv_rb = var_rg * var_gb - var_gg * var_rb
    inv_gg = var_rr * var_bb - var_rb * var_rb
    inv_gb = var_rb * var_rg - var_rr * var_gb
    inv_bb = var_rr * var_gg - var_rg * var_rg
    det = var_rr * inv_rr + var_rg * inv_rg + var_rb * inv_rb
    c_r, c_g, c_b = (cov_ip[..., c] for c in range(3))
    a_r = (inv_rr * c_r + inv_rg * c_g + inv_rb * c_b) / det
    a_g = (inv_rg * c_r + inv_gg * c_g + inv_gb * c_b) / det
    a_b = (inv_rb * c_r + inv_gb * c_g + inv_bb * c_b) / det
    offset = mean_p - a_r * mr - a_g * mg - a_b * mb
    return box(np.dstack([a_r, a_g, a_b, offset]).astype(np.float32))


def _apply_coefficients(coeffs: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """q = a . I + b, scaled to 0..255 and rounded to uint8."""
    q = coeffs[..., 3].copy()
    for c in range(3):
        q += coeffs[..., c] * guide[..., c]
    return np.clip(q * 255 + 0.5, 0, 255).astype(np.uint8)


def _fuse_selfie(
    soft: np.ndarray, work: np.ndarray, selection: Selection, segmenter: Segmenter
) -> np.ndarray:
    """Average DeepLab's person probability with the selfie model run on a crop around them.

    DeepLab's 33x33 grid blurs hair and shoulders; the selfie model is sharper but marks any
    salient foreground, so it only runs on the box around the people DeepLab found (plus a
    GATE_MARGIN margin), which both gates it and gives it more pixels. The box is its only
    gate: multiplying it by `_gate` as well (which is 1 only up to half the margin) cut off
    hair, arms and held things the selfie model had found. Dev split, 188 images, IoU /
    boundary F: DeepLab alone 0.857 / 0.59, selfie on the whole frame 0.890 / 0.72, fused on
    the whole frame 0.900 / 0.72, crop also multiplied by `_gate` 0.899 / 0.73, crop as the
    only gate 0.902 / 0.74 (paired difference +0.003 IoU, 95% CI [+0.000, +0.007]).
    Near the crop's output's edge, its output on overlapping tiles of the crop is averaged in
    (SELFIE_TILES): more pixels per person where the edge is decided.
    """
    height, width = soft.shape
    top, bottom, left, right = _box_around(selection.region, (height, width), GATE_MARGIN)
    crop = work[top:bottom, left:right]
    person = cv2.resize(
        segmenter.person_probability(crop),
        (right - left, bottom - top),
        interpolation=cv2.INTER_LINEAR,
    )
    band = _near_unsure(person, max(height, width))
    if band.any():
        tiled = tiled_probability(crop, _unmirrored(segmenter), SELFIE_TILES)
        agreement = np.clip(1 - np.abs(tiled - person) / np.float32(TILE_AGREEMENT), 0, 1)
        share = np.float32(TILE_WEIGHT) * band * agreement
        person = (1 - share) * person + share * tiled
    selfie = np.zeros_like(soft)
    selfie[top:bottom, left:right] = person
    return ((1 - SELFIE_WEIGHT) * soft + SELFIE_WEIGHT * selfie).astype(np.float32)


def _unmirrored(segmenter: Segmenter) -> Callable[[np.ndarray], np.ndarray]:
    """The selfie model once per tile: the mirrored second run doubled the tiles' cost."""
    return lambda tile: segmenter.person_probability(tile, mirrored=False)


def _near_unsure(probability: np.ndarray, long_side: int) -> np.ndarray:
    """1 within about EDGE_BAND x `long_side` of where `probability` is unsure, fading to 0."""
    unsure = ((probability > 0.02) & (probability < 0.98)).astype(np.uint8)
    size = max(3, int(EDGE_BAND * long_side) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    near = cv2.dilate(unsure, kernel).astype(np.float32)
    return cv2.blur(near, (size, size)).astype(np.float32)


def _select_at_point(labels: np.ndarray, point: Point) -> Selection:
    height, width = labels.shape
    x = min(width - 1, round(point.x * (width - 1)))
    y = min(height - 1, round(point.y * (height - 1)))
    if labels[y, x] == BACKGROUND:
        # Snap to the nearest foreground pixel within the click radius (the map is small).
        ys, xs = np.nonzero(labels != BACKGROUND)
        distances = np.hypot(ys - y, xs - x)
        if not len(ys) or distances.min() > CLICK_RADIUS * max(height, width):
            raise NoSubjectFound(
                "Nothing recognisable at the clicked point; click on the subject or try auto."
            )
        nearest = int(distances.argmin())
        y, x = int(ys[nearest]), int(xs[nearest])
    class_index = int(labels[y, x])
    _, components = cv2.connectedComponents(
        (labels == class_index).astype(np.uint8), connectivity=8
    )
    region = components == components[y, x]
    return Selection(class_index, region)


def _large_segments(mask: np.ndarray, min_pixels: float) -> np.ndarray:
    count, components, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_pixels
    return keep[components]


def _gate(region: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A soft mask (float32 at `shape`) around `region`: 1 on it, fading out over a margin."""
    ys, xs = np.nonzero(region)
    extent = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) if len(ys) else 1
    size = max(3, int(GATE_MARGIN * extent) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    grown = cv2.dilate(region.astype(np.uint8), kernel).astype(np.float32)
    grown = cv2.blur(grown, (size, size)).astype(np.float32)
    height, width = shape
    return np.clip(cv2.resize(grown * 2, (width, height), interpolation=cv2.INTER_LINEAR), 0, 1)


def _box_around(
    region: np.ndarray, shape: tuple[int, int], margin: float
) -> tuple[int, int, int, int]:
    """Bounding box of `region` scaled to `shape`, grown by `margin` x its longer side."""
    ys, xs = np.nonzero(region)
    sy = shape[0] / region.shape[0]
    sx = shape[1] / region.shape[1]
    top, bottom = ys.min() * sy, (ys.max() + 1) * sy
    left, right = xs.min() * sx, (xs.max() + 1) * sx
    grow = margin * max(bottom - top, right - left)
    return (
        max(0, int(top - grow)),
        min(shape[0], int(np.ceil(bottom + grow))),
        max(0, int(left - grow)),
        min(shape[1], int(np.ceil(right + grow))),
    )


def _centrality(height: int, width: int) -> np.ndarray:
    """Weights that fall from 1 at the centre to about 0.13 in the corners."""
    ys = (np.arange(height) + 0.5) / height - 0.5
    xs = (np.arange(width) + 0.5) / width - 0.5
    r2 = ys[:, None] ** 2 + xs[None, :] ** 2
    return np.exp(-r2 / (2 * 0.35**2))


def _fit_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    scale = min(1.0, long_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _fit(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = _fit_size(image.shape[0], image.shape[1], long_side)
    if (height, width) == image.shape[:2]:
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self._last) * 1000, 1)
        self._last = now

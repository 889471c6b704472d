"""Is this pair of photos the same shot? Pure numpy + OpenCV, no Django.

Two photos are duplicates when one is an edited copy of the other (crop, resize, re-encode,
brightness, colour, a filter, a small rotation, a caption) or both come from one burst: the
same scene, seen from the same place, at the same moment. Photos that only look alike (the
same colours) and photos of the same subject taken from elsewhere (another angle, another
light: "same subject", not "same shot") are not.

Two stages:

1. Candidates, cheap: a 64-bit perceptual signature (`signature`: the signs of the low DCT
   frequencies of the grey thumbnail, compared by Hamming distance), plus the colour index's
   nearest neighbours (search.service), both among the owner's own photos.
2. Verification (`judge`), given the geometric match of the two photos' local features
   (search.local_features: inliers and the homography from one frame to the other):
   - enough inliers;
   - coverage: the other frame, mapped through the homography, covers much of each frame
     (a crop keeps most of the frame; a detail of a larger scene does not);
   - flatness: the homography is close to a similarity (scale, rotation, shift). Edits and
     bursts move the picture as a whole; another viewpoint of the subject tilts it
     (perspective, shear), measured as how far the frame's corners land from the best
     similarity, relative to the frame's diagonal;
   - appearance: the one warped onto the other, the grey pictures agree (Pearson correlation
     of lightly smoothed pixels over the overlap: brightness, contrast and colour edits do
     not change it, other light and glare do);
   - shape: the frames' aspect ratios are within 2x of each other (a square crop of a wide
     photo is a copy; a single portrait found inside a wide group picture is not).

The thresholds are measured by bench/eval_duplicates.py (see the README's Duplicates section).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Long side, in pixels, of the grey picture kept per photo for the appearance check.
APPEARANCE_SIDE = 128
SIGNATURE_BITS = 64
# Candidates verified per new photo: its nearest colour neighbours, and at most this many
# photos within the signature distance.
COLOUR_CANDIDATES = 20
MAX_SIGNATURE_CANDIDATES = 20


@dataclass(frozen=True)
class Thresholds:
    # Chosen by bench/eval_duplicates.py on half A of the development pairs (highest recall at
    # precision >= 0.997), 2026-11-30; the README has the figures on both halves.
    min_inliers: int = 15
    min_coverage: float = 0.3  # of each frame
    max_distortion: float = 0.02  # corner error of the best similarity / frame diagonal
    min_correlation: float = 0.75
    # Not chosen on the pairs (their crops change the shape by at most 1.25x): a crop to
    # a square from 16:9 (1.78x) stays a copy, a 3.2:1 panorama and a 1:1 portrait do not.
    max_aspect_change: float = 2.0
    # Candidate stage: signatures this close are checked even when the colours differ.
    max_signature_distance: int = 18


DEFAULT = Thresholds()


def grey(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim == 2:
        return rgb
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def fit_long_side(pixels: np.ndarray, side: int) -> np.ndarray:
    h, w = pixels.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return np.ascontiguousarray(pixels)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def appearance(rgb_or_grey: np.ndarray) -> np.ndarray:
    """The small grey picture stored per photo (uint8, long side <= APPEARANCE_SIDE)."""
    return fit_long_side(grey(rgb_or_grey), APPEARANCE_SIDE)


def signature(rgb_or_grey: np.ndarray) -> int:
    """A 64-bit perceptual hash: bit i says whether the i-th low DCT coefficient (8x8 block
    without the constant term, of a 32x32 grey copy) is above the median. As a signed 64-bit
    integer, to fit a database column."""
    small = cv2.resize(grey(rgb_or_grey).astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].ravel()[1:]
    low = np.append(low, low[0])  # 64 coefficients: the first AC term twice keeps 64 bits
    bits = low > np.median(low)
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= 1 << 63 else value


def signature_distances(query: int, others: np.ndarray) -> np.ndarray:
    """Hamming distances between one signature and an int64 array of others."""
    xor = np.bitwise_xor(np.int64(query), others.astype(np.int64)).view(np.uint64)
    as_bytes = xor.view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1)


def _corners(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)


def covered_share(h: np.ndarray, source: tuple[int, int], target: tuple[int, int]) -> float:
    """The share of the target frame covered by the source frame mapped through h."""
    mapped = cv2.perspectiveTransform(_corners(source).reshape(-1, 1, 2), h).reshape(-1, 2)
    if not np.all(np.isfinite(mapped)) or cv2.contourArea(mapped) <= 0:
        return 0.0
    # A mapped frame that folds over itself is not convex: no real view does that.
    if not cv2.isContourConvex(mapped.astype(np.float32)):
        return 0.0
    area, _ = cv2.intersectConvexConvex(mapped.astype(np.float32), _corners(target))
    return float(area) / float(target[0] * target[1])


def distortion(h: np.ndarray, source: tuple[int, int], target: tuple[int, int]) -> float:
    """How far h is from a similarity: the largest distance between where h and the best
    similarity put the source frame's corners, over the target frame's diagonal."""
    corners = _corners(source)
    mapped = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), h).reshape(-1, 2)
    if not np.all(np.isfinite(mapped)):
        return 1.0
    fit, _ = cv2.estimateAffinePartial2D(corners, mapped, method=cv2.LMEDS)
    if fit is None:
        return 1.0
    similar = corners @ fit[:, :2].T + fit[:, 2]
    return float(np.abs(similar - mapped).max() / np.hypot(*target))


def correlation(
    grey_a: np.ndarray,
    grey_b: np.ndarray,
    h: np.ndarray,
    size_a: tuple[int, int],
    size_b: tuple[int, int],
) -> float:
    """Pearson correlation of a and b warped onto a, over their overlap.

    h maps b's frame (size_b, the frame the features were found in) to a's (size_a); the grey
    pictures may be smaller than those frames (they are scaled here).
    """
    scale_a = np.diag([grey_a.shape[1] / size_a[0], grey_a.shape[0] / size_a[1], 1.0])
    scale_b = np.diag([grey_b.shape[1] / size_b[0], grey_b.shape[0] / size_b[1], 1.0])
    small_h = scale_a @ h @ np.linalg.inv(scale_b)
    out = (grey_a.shape[1], grey_a.shape[0])
    warped = cv2.warpPerspective(grey_b, small_h, out, flags=cv2.INTER_LINEAR)
    covered = cv2.warpPerspective(np.full(grey_b.shape, 255, np.uint8), small_h, out)
    # Away from the overlap's edge, where interpolation mixes in the border.
    inside = cv2.erode(covered, np.ones((5, 5), np.uint8)) > 0
    if np.count_nonzero(inside) < 200:
        return -1.0
    x = cv2.GaussianBlur(grey_a.astype(np.float32), (0, 0), 1.0)[inside]
    y = cv2.GaussianBlur(warped.astype(np.float32), (0, 0), 1.0)[inside]
    x -= x.mean()
    y -= y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    if denominator < 1e-6:
        return -1.0
    return float((x * y).sum() / denominator)


@dataclass(frozen=True)
class Measures:
    inliers: int
    coverage: float  # the smaller of the two frames' covered shares, 0..1
    distortion: float
    correlation: float  # -1..1; -1 when there was nothing to compare
    aspect_change: float  # the wider frame's width/height over the other's, >= 1


NOTHING = Measures(0, 0.0, 1.0, -1.0, 1.0)


def aspect_change(size_a: tuple[int, int], size_b: tuple[int, int]) -> float:
    """How much wider one frame (width, height) is than the other: 1.0 for the same shape."""
    a, b = size_a[0] / size_a[1], size_b[0] / size_b[1]
    return max(a, b) / min(a, b)


def measure(
    inliers: int,
    h: np.ndarray | None,
    size_a: tuple[int, int],
    size_b: tuple[int, int],
    grey_a: np.ndarray,
    grey_b: np.ndarray,
) -> Measures:
    """What `judge` decides on, for a pair whose geometric match is `inliers` matches
    supporting `h`, which maps b's feature frame (size_b, as (width, height)) onto a's."""
    shape = aspect_change(size_a, size_b)
    if h is None or inliers < 4:
        return Measures(inliers, 0.0, 1.0, -1.0, shape)
    h = np.asarray(h, dtype=np.float64)
    if abs(np.linalg.det(h)) < 1e-12:
        return Measures(inliers, 0.0, 1.0, -1.0, shape)
    inverse = np.linalg.inv(h)
    coverage = min(covered_share(h, size_b, size_a), covered_share(inverse, size_a, size_b))
    bend = max(distortion(h, size_b, size_a), distortion(inverse, size_a, size_b))
    if coverage <= 0:
        return Measures(inliers, 0.0, bend, -1.0, shape)
    agreement = correlation(grey_a, grey_b, h, size_a, size_b)
    return Measures(inliers, coverage, bend, agreement, shape)


def is_duplicate(m: Measures, thresholds: Thresholds = DEFAULT) -> bool:
    return (
        m.inliers >= thresholds.min_inliers
        and m.coverage >= thresholds.min_coverage
        and m.distortion <= thresholds.max_distortion
        and m.correlation >= thresholds.min_correlation
        and m.aspect_change <= thresholds.max_aspect_change
    )

"""Local features for "same subject" search: keypoints, descriptors, geometric verification.

Pure numpy + OpenCV, no Django. A photo's reduced decode (grey) becomes at most
MAX_KEYPOINTS SIFT keypoints found on a copy whose long side is WORK_SIDE px. SIFT was chosen
by measurement on the same_object development set (bench/eval_search.py --local, and the
README); AKAZE is not in the OpenCV 5 wheels (it moved to contrib).

Storage (`to_bytes`): a small header, keypoint positions as uint16 fixed point (1/16 px, so
up to 4095 px) and the SIFT descriptors as uint8 (OpenCV's SIFT values are already integers
0..255): 132 bytes a keypoint.

Matching uses RootSIFT (Arandjelovic & Zisserman 2012: L1-normalise, square root), which is
compared by inner product: one matrix product gives every descriptor distance of a pair, or of
a query against many candidates at once (`verify_many`), then Lowe's ratio test picks
tentative matches and RANSAC fits a homography; its inliers are the evidence. Objects in
photos are mostly flat or seen from afar (covers, paintings, posters, buildings), and a
homography's 4-point samples need fewer RANSAC rounds than a fundamental matrix's 7 or 8.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

# Bump whenever the features of the same image change (WORK_SIDE, MAX_KEYPOINTS, the detector)
# or the global vector does (the codebook): stored features must then be recomputed.
LOCAL_VERSION = 1

WORK_SIDE = 400  # long side of the copy keypoints are found on, px
MAX_KEYPOINTS = 400  # strongest SIFT keypoints kept
RATIO = 0.8  # Lowe's ratio test on descriptor distances
RANSAC_PX = 4.0  # reprojection error allowed, px on the work copy
RANSAC_ITERATIONS = 1000
# Verified "same subject": at least this many inliers. Unrelated covers share a logo or a
# rating box now and then (up to ~20 inliers on the development set), hence not lower.
MIN_INLIERS = 15
# Fewer tentative matches than this and no homography is tried: RANSAC runs its full
# iteration budget on pairs that do not match, and these could not be verified anyway.
MIN_TENTATIVE = MIN_INLIERS

DESCRIPTOR_SIZE = 128
_MAGIC = b"LF"
_HEADER = struct.Struct("<2sBBHHH")  # magic, format, version, width, height, count
_FORMAT = 1
_FIXED = 16.0  # keypoint positions are stored in 1/16 px


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoints (x, y) in px of the work copy and their SIFT descriptors, strongest first."""

    xy: npt.NDArray[np.float32]  # (n, 2)
    descriptors: npt.NDArray[np.uint8]  # (n, 128)
    size: tuple[int, int]  # (width, height) of the work copy

    def __len__(self) -> int:
        return len(self.xy)


@dataclass(frozen=True)
class Match:
    """The geometric evidence that two photos show the same thing."""

    inliers: int  # tentative matches consistent with the homography
    score: float  # inliers / keypoints of the photo with fewer (0..1)
    homography: npt.NDArray[np.float64] | None  # 3x3, maps a's work copy onto b's

    @property
    def verified(self) -> bool:
        return self.inliers >= MIN_INLIERS


NO_MATCH = Match(0, 0.0, None)


def _check_gray(gray: object) -> np.ndarray:
    if not isinstance(gray, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(gray).__name__}")
    if gray.dtype != np.uint8:
        raise ValueError(f"expected dtype uint8, got {gray.dtype}")
    if gray.ndim != 2:
        raise ValueError(f"expected a grey image of shape (height, width), got {gray.shape}")
    if gray.shape[0] == 0 or gray.shape[1] == 0:
        raise ValueError(f"empty image: shape {gray.shape}")
    return gray


def work_copy(gray: np.ndarray, side: int = WORK_SIDE) -> np.ndarray:
    """The grey image with its long side at most `side` px (INTER_AREA, never enlarged)."""
    h, w = gray.shape
    scale = side / max(h, w)
    if scale >= 1:
        return np.ascontiguousarray(gray)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


_detectors: dict[int, cv2.SIFT] = {}


def _sift(n: int) -> cv2.SIFT:
    # Creating a detector is cheap but not free; one per keypoint budget (not thread-shared
    # state: detectAndCompute keeps none between calls).
    if n not in _detectors:
        _detectors[n] = cv2.SIFT.create(nfeatures=n)
    return _detectors[n]


def extract(
    gray: np.ndarray, *, side: int = WORK_SIDE, max_keypoints: int = MAX_KEYPOINTS
) -> LocalFeatures:
    """Keypoints and descriptors of a grey uint8 image of any size (reduced to `side` first).

    Raises ValueError for anything but a non-empty 2-D uint8 array.
    """
    small = work_copy(_check_gray(gray), side)
    keypoints, descriptors = _sift(max_keypoints).detectAndCompute(small, None)
    h, w = small.shape
    if descriptors is None or not keypoints:
        return LocalFeatures(
            np.zeros((0, 2), np.float32), np.zeros((0, DESCRIPTOR_SIZE), np.uint8), (w, h)
        )
    # SIFT may return a few more than asked (ties at the response cut-off).
    order = np.argsort([-k.response for k in keypoints], kind="stable")[:max_keypoints]
    xy = np.array([keypoints[i].pt for i in order], dtype=np.float32).reshape(-1, 2)
    desc = np.clip(np.rint(descriptors[order]), 0, 255).astype(np.uint8)
    return LocalFeatures(xy, desc, (w, h))


def to_bytes(features: LocalFeatures) -> bytes:
    n = len(features)
    w, h = features.size
    fixed = np.clip(np.rint(features.xy * _FIXED), 0, 65535).astype("<u2")
    return (
        _HEADER.pack(_MAGIC, _FORMAT, LOCAL_VERSION, w, h, n)
        + fixed.tobytes()
        + np.ascontiguousarray(features.descriptors, dtype=np.uint8).tobytes()
    )


def from_bytes(data: bytes | memoryview) -> LocalFeatures:
    raw = bytes(data)
    if len(raw) < _HEADER.size:
        raise ValueError("not local features: too short")
    magic, fmt, _version, w, h, n = _HEADER.unpack_from(raw)
    if magic != _MAGIC or fmt != _FORMAT:
        raise ValueError("not local features: unknown format")
    expected = _HEADER.size + n * (4 + DESCRIPTOR_SIZE)
    if len(raw) != expected:
        raise ValueError(f"local features truncated: {len(raw)} bytes, {expected} expected")
    offset = _HEADER.size
    xy = np.frombuffer(raw, "<u2", 2 * n, offset).reshape(n, 2).astype(np.float32) / _FIXED
    offset += 4 * n
    desc = np.frombuffer(raw, np.uint8, n * DESCRIPTOR_SIZE, offset).reshape(n, DESCRIPTOR_SIZE)
    return LocalFeatures(xy, desc, (w, h))


def root_sift(descriptors: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """RootSIFT: L1-normalised, square-rooted, so the inner product is the Hellinger kernel
    and every vector has unit L2 norm."""
    d = descriptors.astype(np.float32)
    d /= np.maximum(d.sum(axis=1, keepdims=True), 1e-7)
    return np.sqrt(d, out=d)


def _tentative(
    similarity: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Ratio-test matches from a (n_a, n_b) RootSIFT inner-product matrix: rows of a and the
    column of b each matched. Overwrites `similarity`."""
    n_a, n_b = similarity.shape
    if n_a == 0 or n_b < 2:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    # The two largest per row, by two passes of max (cheaper than argpartition here).
    rows = np.arange(n_a)
    best = np.argmax(similarity, axis=1)
    s0 = similarity[rows, best]
    similarity[rows, best] = -np.inf
    s1 = similarity.max(axis=1)
    # Unit vectors: squared distance = 2 - 2 * similarity.
    d_best = np.maximum(2 - 2 * s0, 0)
    d_second = np.maximum(2 - 2 * s1, 0)
    keep = d_best < (RATIO * RATIO) * d_second
    return rows[keep], best[keep]


def _fit(a: LocalFeatures, b: LocalFeatures, ia: np.ndarray, ib: np.ndarray) -> Match:
    if len(ia) < MIN_TENTATIVE:
        return NO_MATCH
    src = a.xy[ia].reshape(-1, 1, 2)
    dst = b.xy[ib].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(
        src, dst, cv2.RANSAC, RANSAC_PX, maxIters=RANSAC_ITERATIONS, confidence=0.995
    )
    if homography is None or mask is None:
        return NO_MATCH
    # Several keypoints of a may have matched the same point of b (repeated texture): count
    # each point of b once.
    inliers = len(np.unique(ib[mask.ravel().astype(bool)]))
    fewest = max(1, min(len(a), len(b)))
    return Match(inliers, min(1.0, inliers / fewest), homography)


def verify(a: LocalFeatures, b: LocalFeatures) -> Match:
    """How strongly a and b show the same thing (see Match). Costs a few ms on one core."""
    return verify_many(a, [b])[0]


def verify_many(query: LocalFeatures, candidates: Sequence[LocalFeatures]) -> list[Match]:
    """verify(query, c) for every candidate, with one matrix product for all descriptors."""
    if not candidates:
        return []
    if len(query) == 0:
        return [NO_MATCH] * len(candidates)
    q = root_sift(query.descriptors)
    stacked = root_sift(np.concatenate([c.descriptors for c in candidates]))
    similarity = q @ stacked.T
    out = []
    start = 0
    for c in candidates:
        stop = start + len(c)
        ia, ib = _tentative(similarity[:, start:stop])
        out.append(_fit(query, c, ia, ib))
        start = stop
    return out

"""The local features duplicates are verified with (search.local_features), in one frame.

Pure: no Django. `features_of` turns pixels into features the way the worker does (from the
preview's grey pixels); search.local_features.verify(a, b) gives a homography mapping a's
work copy onto b's, and duplicates.matching wants b's onto a's.
"""

from __future__ import annotations

import numpy as np

from duplicates.matching import grey
from search import local_features


def features_of(rgb: np.ndarray) -> tuple[local_features.LocalFeatures, tuple[int, int]]:
    found = local_features.extract(grey(rgb))
    return found, found.size


def homography_b_to_a(match: local_features.Match) -> np.ndarray | None:
    if match.homography is None:
        return None
    h = np.asarray(match.homography, dtype=np.float64)
    if abs(np.linalg.det(h)) < 1e-12:
        return None
    return np.linalg.inv(h)

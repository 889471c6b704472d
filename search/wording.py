"""Similarity scores in words people understand.

Thresholds calibrated on the development datasets by bench.calibrate_similarity (figures and
method in the README): "near-identical" is an edited or re-sent copy of the same photo, "very
similar" the same subject photographed again, "similar" a closer match than a typical unrelated
photo's best score. Below that, a result gets no word.
"""

from __future__ import annotations

NEAR_IDENTICAL = 0.99
VERY_SIMILAR = 0.95
SIMILAR = 0.91


def similarity_word(score: float) -> str:
    if score >= NEAR_IDENTICAL:
        return "Near-identical"
    if score >= VERY_SIMILAR:
        return "Very similar"
    if score >= SIMILAR:
        return "Similar"
    return ""

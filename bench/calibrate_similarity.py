"""Calibrate the words the gallery shows for a similarity score.

Scores of the colour descriptor are inner products in [0, 1], and unrelated photos already score
0.8-0.95, so the number means little to a person. The product shows words instead
(search.wording): "near-identical", "very similar", "similar". This script measures, on the
development datasets, where those words should start:

* near-identical: the same photo edited or re-sent (the near-copy set of bench.eval_search:
  crop, brightness/contrast, caption, rescale, JPEG q20-30) against its original;
* very similar: a photograph of a painting against the museum's reference image of it;
* unrelated: every other pair, and in particular each query's best-scoring *wrong* match
  (what would actually be shown in its results).

Each threshold is the lowest score at which the pairs above it are, at the wanted precision,
pairs of that kind or better: near-identical at 0.99 against everything else, very similar at
0.90 against unrelated pairs, and "similar" where a wrong best match would be labelled at most
1 time in 2. Thresholds are printed with the share of each kind of pair they label, and a
split-half check (thresholds fitted on half of the queries, scored on the other half).

    .venv/bin/python -m bench.calibrate_similarity [--museum DIR] [--copies DIR] [--seed N]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from bench.eval_search import SHARED, Dataset, load_copies, load_museum
from search import wording
from search.descriptors import colour_descriptor


@dataclass
class Pairs:
    copies: np.ndarray  # scores of near-copy / original pairs
    paintings: np.ndarray  # scores of painting photo / reference pairs
    best_wrong: np.ndarray  # each query's best score against a non-matching image
    unrelated: np.ndarray  # every non-matching query/database pair


def scored(data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true pair scores, best wrong score per query, all wrong pair scores)."""
    database = np.stack([colour_descriptor(image) for image in data.database])
    queries = np.stack([colour_descriptor(image) for image in data.queries])
    sims = np.clip(queries @ database.T, 0.0, 1.0)
    rows = np.arange(len(queries))
    true = sims[rows, data.truth]
    wrong = sims.copy()
    wrong[rows, data.truth] = -1.0
    mask = np.ones_like(sims, dtype=bool)
    mask[rows, data.truth] = False
    return true, wrong.max(axis=1), sims[mask]


def pairs_of(museum: Dataset, copies: Dataset, pick: np.ndarray | None = None) -> Pairs:
    m_true, m_best, m_all = scored(museum)
    c_true, c_best, c_all = scored(copies)
    return Pairs(c_true, m_true, np.concatenate([m_best, c_best]), np.concatenate([m_all, c_all]))


def lowest_with_precision(positive: np.ndarray, negative: np.ndarray, precision: float) -> float:
    """The lowest threshold t such that among scores >= t, the positives' share >= precision."""
    candidates = np.unique(np.concatenate([positive, negative]))
    best = float(candidates.max()) + 1e-6
    for t in candidates[::-1]:
        tp = np.count_nonzero(positive >= t)
        fp = np.count_nonzero(negative >= t)
        if tp and tp / (tp + fp) >= precision:
            best = float(t)
    return best


def fit(pairs: Pairs) -> tuple[float, float, float]:
    near = lowest_with_precision(
        pairs.copies, np.concatenate([pairs.paintings, pairs.best_wrong]), 0.99
    )
    very = lowest_with_precision(
        np.concatenate([pairs.copies, pairs.paintings]), pairs.best_wrong, 0.90
    )
    similar = float(np.quantile(pairs.best_wrong, 0.5))
    return near, min(very, near), min(similar, very)


def report(name: str, pairs: Pairs, thresholds: tuple[float, float, float]) -> None:
    near, very, similar = thresholds
    print(
        f"\n{name}: near-identical >= {near:.4f}, very similar >= {very:.4f}, "
        f"similar >= {similar:.4f}"
    )
    print(f"  {'pairs':<34} {'n':>6} {'near-id.':>9} {'very sim.':>9} {'similar':>8} {'none':>6}")
    for label, values in (
        ("near-copy / original", pairs.copies),
        ("painting photo / reference", pairs.paintings),
        ("best wrong match of a query", pairs.best_wrong),
        ("any unrelated pair", pairs.unrelated),
    ):
        shares = [
            np.mean(values >= near),
            np.mean((values >= very) & (values < near)),
            np.mean((values >= similar) & (values < very)),
            np.mean(values < similar),
        ]
        print(f"  {label:<34} {len(values):>6} " + " ".join(f"{s:>9.3f}" for s in shares))


def split(data: Dataset, half: int) -> Dataset:
    keep = np.arange(len(data.queries)) % 2 == half
    return Dataset(
        data.name,
        data.database,
        [q for q, k in zip(data.queries, keep, strict=True) if k],
        data.truth[keep],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--museum", type=lambda p: __import__("pathlib").Path(p),
                        default=SHARED / "museum_paintings_retrieval")  # fmt: skip
    parser.add_argument("--copies", type=lambda p: __import__("pathlib").Path(p),
                        default=SHARED / "human_segmentation")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args(argv)
    museum = load_museum(args.museum)
    copies = load_copies(args.copies, args.seed)
    everything = pairs_of(museum, copies)
    fitted = fit(everything)
    report("fitted on all development pairs", everything, fitted)
    shipped = (wording.NEAR_IDENTICAL, wording.VERY_SIMILAR, wording.SIMILAR)
    report("shipped (search/wording.py)", everything, shipped)
    for half in (0, 1):
        train = pairs_of(split(museum, half), split(copies, half))
        test = pairs_of(split(museum, 1 - half), split(copies, 1 - half))
        report(f"fitted on half {half}, scored on the other half", test, fit(train))
    print("\nA 'none' share means the pair gets no word (the page lists it as a weaker match).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

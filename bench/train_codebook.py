"""Train the codebook behind the object index (search/data/codebook.npz).

Local features (search.local_features.extract, as the worker makes them) of every image of
the development sets: same_object (244), museum paintings (227) and human_segmentation (188).
PCA of RootSIFT to 32 dimensions, then k-means (faiss, 128 centroids, seed 0) on at most
200,000 descriptors; saved as float16 (~17 KB). Deterministic for the same images and
library versions. Run from the repository root:

    .venv/bin/python -m bench.train_codebook [--out search/data/codebook.npz]

A new codebook changes every object vector: bump local_features.LOCAL_VERSION with it and run
manage.py rebuild_index.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from search import local_features, object_vectors

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
FOLDERS = (
    SHARED / "same_object" / "images",
    SHARED / "museum_paintings_retrieval" / "images",
    SHARED / "human_segmentation" / "images",
)
CENTROIDS = 128
DIMENSIONS = 32
SAMPLE = 200_000


def development_descriptors(folders: tuple[Path, ...] = FOLDERS) -> np.ndarray:
    parts = []
    for folder in folders:
        paths = sorted(folder.rglob("*.jpg"))
        if not paths:
            raise SystemExit(f"error: no images under {folder}")
        for path in paths:
            gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if gray is None:
                raise SystemExit(f"error: cannot read {path}")
            parts.append(local_features.extract(gray).descriptors)
        print(f"{folder}: {len(paths)} images", flush=True)
    return np.concatenate(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=object_vectors.CODEBOOK_PATH)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    started = time.perf_counter()
    descriptors = development_descriptors()
    rng = np.random.default_rng(0)
    if len(descriptors) > SAMPLE:
        descriptors = descriptors[np.sort(rng.choice(len(descriptors), SAMPLE, replace=False))]
    codebook = object_vectors.train(descriptors, k=CENTROIDS, dim=DIMENSIONS, seed=0)
    codebook.save(args.out)
    print(
        f"{len(descriptors)} descriptors -> {CENTROIDS} x {DIMENSIONS} codebook "
        f"({codebook.dim}-d vectors), {args.out} ({args.out.stat().st_size} bytes), "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

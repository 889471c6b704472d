"""In-process cost of "same subject" for an uploaded image, with N photos in the object index.

Not over HTTP and without the database: the parts that grow with the collection (the object
index search) and the fixed parts (local features of the upload, VLAD, verifying the top
candidates), timed one query at a time on one thread. The index holds N synthetic 4096-d unit
vectors (VLAD vectors of real photos, each perturbed by Gaussian noise: seeded); the candidates
verified are real photos' features (scikit-image samples, transformed), so verification costs
what it costs in the product. Run from the repository root:

    .venv/bin/python -m bench.bench_same_subject [--photos 20000] [--queries 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import cv2
import numpy as np

from search import local_features, object_vectors
from search.index import SimilarityIndex

SAMPLES = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle", "retina")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--candidates", type=int, default=20)
    args = parser.parse_args(argv)
    from tests import images

    cv2.setNumThreads(1)
    codebook = object_vectors.shipped_codebook()
    rng = np.random.default_rng(0)
    grays = [cv2.cvtColor(images.sample(n), cv2.COLOR_RGB2GRAY) for n in SAMPLES]
    feats = [local_features.extract(g) for g in grays]
    bases = np.stack([codebook.vector(f) for f in feats])
    vectors = bases[rng.integers(len(bases), size=args.photos)] + rng.normal(
        0, 0.02, (args.photos, codebook.dim)
    ).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = SimilarityIndex(codebook.dim, kind="auto", storage="sq8", background=False)
    started = time.perf_counter()
    index.rebuild(np.arange(args.photos), vectors)
    build_s = time.perf_counter() - started
    print(f"{args.photos:,} vectors, {index.kind} index built in {build_s:.1f} s", flush=True)
    # A 12 MP upload: its 1280 px preview is what the features are found on.
    big = cv2.resize(grays[1], (4000, 3000), interpolation=cv2.INTER_CUBIC)
    preview = cv2.resize(big, (1280, 960), interpolation=cv2.INTER_AREA)
    parts: dict[str, list[float]] = {"features": [], "vlad": [], "index": [], "verify": []}
    candidates = [feats[i % len(feats)] for i in range(args.candidates)]
    for _ in range(args.queries):
        t0 = time.process_time()
        query = local_features.extract(preview)
        t1 = time.process_time()
        vector = codebook.vector(query)
        t2 = time.process_time()
        index.search(vector, args.candidates)
        t3 = time.process_time()
        local_features.verify_many(query, candidates)
        t4 = time.process_time()
        for name, ms in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(ms * 1000)
    total = sum(np.median(v) for v in parts.values())
    print(
        "median CPU ms per upload, one thread: "
        + ", ".join(f"{k} {np.median(v):.1f}" for k, v in parts.items())
        + f"; total {total:.1f} (decode and database reads not included); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

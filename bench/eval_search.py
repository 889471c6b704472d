"""Quality benchmark for the colour descriptor behind similar-image search.

Two evaluations, each printing the baselines measured in the same run next to ours:

* museum: photographs of paintings must find the one matching reference image
  (``shared/datasets/museum_paintings_retrieval``; 41 queries, 186 database images).
* copies: two near-copies of each real photo (crop, brightness/contrast, caption, rescale,
  JPEG q20-30; fixed seed) must find their original among the 187 distinct originals
  (``shared/datasets/human_segmentation/images``).

Every method sees what the product's worker sees: the EXIF-oriented RGB thumbnail whose long
side is at most 320 px, made with cv2.resize INTER_AREA. Ours is ranked by a real FAISS
IndexFlatIP; ms/descriptor is single-threaded and excludes decoding. Run from the repo root:

    .venv/bin/python -m bench.eval_search [--museum DIR] [--copies DIR] [--seed N] [--sensitivity]

Nothing is written anywhere (scratch output belongs in bench/out/, which git ignores).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import faiss
import numpy as np

from search import descriptors, local_features, object_vectors


def objects_candidates() -> int:
    """search.objects.CANDIDATES without importing Django."""
    import re

    text = (REPO / "search" / "objects.py").read_text()
    match = re.search(r"^CANDIDATES = (\d+)", text, re.M)
    assert match is not None
    return int(match.group(1))


REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
THUMB_SIDE = 320
PREVIEW_SIDE = 1280
KS = (1, 5, 10)

Describe = Callable[[np.ndarray], np.ndarray]
# rank(query descriptors, database descriptors) -> (n_queries, n_database) database indices,
# best first.
Rank = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Dataset:
    name: str
    database: list[np.ndarray]  # RGB thumbnails
    queries: list[np.ndarray]
    truth: np.ndarray  # index into database of each query's one relevant image
    # Grey previews (long side <= 1280 px, as the worker's reduced decode) for local features.
    database_gray: list[np.ndarray] = field(default_factory=list)
    queries_gray: list[np.ndarray] = field(default_factory=list)


@dataclass
class Method:
    name: str
    describe: Describe
    rank: Rank


def thumbnail(bgr: np.ndarray, side: int = THUMB_SIDE) -> np.ndarray:
    """The worker's reduced decode: RGB, long side <= side, INTER_AREA (never upscaled)."""
    h, w = bgr.shape[:2]
    scale = side / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def preview_gray(bgr: np.ndarray) -> np.ndarray:
    """The worker's preview (long side <= 1280 px, INTER_AREA) in grey."""
    return cv2.cvtColor(thumbnail(bgr, PREVIEW_SIDE), cv2.COLOR_RGB2GRAY)


def read(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"error: cannot read image {path}")
    return bgr


def require(folder: Path, what: str) -> None:
    if not folder.is_dir():
        raise SystemExit(
            f"error: {what} dataset folder not found: {folder}\n"
            f"       pass its location with --{what} DIR"
        )


# --------------------------------------------------------------------------- datasets


def load_museum(root: Path) -> Dataset:
    require(root, "museum")
    with (root / "groundtruth.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    db_rows = [r for r in rows if r["role"] == "database"]
    q_rows = [r for r in rows if r["role"] == "query"]
    position = {r["group"]: i for i, r in enumerate(db_rows)}
    # Queries are thumbnailed like any upload; the optional query_masks are deliberately
    # not used: a user's photo has no mask.
    db = [read(root / r["filename"]) for r in db_rows]
    qs = [read(root / r["filename"]) for r in q_rows]
    return Dataset(
        "museum",
        [thumbnail(b) for b in db],
        [thumbnail(b) for b in qs],
        np.array([position[r["group"]] for r in q_rows]),
        [preview_gray(b) for b in db],
        [preview_gray(b) for b in qs],
    )


CAPTIONS = ("Summer 2019", "Happy birthday!", "#tbt", "with love", "Day 3", "(c) Focal user")


def make_copy(bgr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A near-copy as a messaging app or a re-post would make it, from the original BGR."""
    h, w = bgr.shape[:2]
    # Crop: 5-15% of each dimension removed, split randomly between the two edges.
    fy, fx = rng.uniform(0.05, 0.15, size=2)
    ty, tx = rng.uniform(0, 1, size=2)
    top, left = round(h * fy * ty), round(w * fx * tx)
    bottom, right = h - round(h * fy * (1 - ty)), w - round(w * fx * (1 - tx))
    img = bgr[top:bottom, left:right]
    # Brightness and contrast around mid-grey.
    alpha, beta = rng.uniform(0.75, 1.25), rng.uniform(-30, 30)
    img = np.clip((img.astype(np.float32) - 128) * alpha + 128 + beta, 0, 255).astype(np.uint8)
    # Caption: ~60% of the width, in a random band near the top or bottom.
    img = np.ascontiguousarray(img)
    text = CAPTIONS[rng.integers(len(CAPTIONS))]
    ih, iw = img.shape[:2]
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 2)
    fs = 0.6 * iw / tw
    thick = max(1, round(2 * fs))
    x = int(rng.uniform(0.02, 0.35) * iw)
    y = int(ih * (rng.uniform(0.1, 0.2) if rng.random() < 0.5 else rng.uniform(0.85, 0.97)))
    colour = [(255, 255, 255), (0, 0, 0), (0, 220, 255)][rng.integers(3)]
    cv2.putText(img, text, (x, max(y, int(th * fs) + 2)), font, fs, colour, thick, cv2.LINE_AA)
    # Rescale (0.4x-1.2x, either interpolation) and recompress at JPEG quality 20-30.
    scale = rng.uniform(0.4, 1.2)
    size = (max(8, round(iw * scale)), max(8, round(ih * scale)))
    interp = cv2.INTER_AREA if rng.random() < 0.5 else cv2.INTER_LINEAR
    img = cv2.resize(img, size, interpolation=interp)
    quality = int(rng.integers(20, 31))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError("JPEG round trip failed")
    return decoded


def load_copies(root: Path, seed: int, per_image: int = 2) -> Dataset:
    require(root, "copies")
    paths = sorted((root / "images").glob("*.jpg"))
    if not paths:
        raise SystemExit(f"error: no *.jpg under {root / 'images'}")
    rng = np.random.default_rng(seed)
    # The folder holds a few pixel-identical files (e.g. vs_102 = vs_270): keep the first, or
    # finding "the other original" would count as a miss.
    originals, seen = [], set()
    for p in paths:
        bgr = read(p)
        key = (bgr.shape, hash(bgr.tobytes()))
        if key not in seen:
            seen.add(key)
            originals.append(bgr)
    queries, queries_gray, truth = [], [], []
    for i, bgr in enumerate(originals):
        for _ in range(per_image):
            copy = make_copy(bgr, rng)
            queries.append(thumbnail(copy))
            queries_gray.append(preview_gray(copy))
            truth.append(i)
    return Dataset(
        "copies",
        [thumbnail(b) for b in originals],
        queries,
        np.array(truth),
        [preview_gray(b) for b in originals],
        queries_gray,
    )


# --------------------------------------------------------------------------- baselines


def rgb4(rgb: np.ndarray) -> np.ndarray:
    """The classic recipe: calcHist 4x4x4 RGB, normalised to sum 1."""
    hist = cv2.calcHist([rgb], [0, 1, 2], None, [4, 4, 4], [0, 256] * 3)
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32).ravel()


def hsv8(rgb: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 8, 8], [0, 180, 0, 256, 0, 256])
    return (hist / max(float(hist.sum()), 1.0)).astype(np.float32).ravel()


def lab8_grid3(rgb: np.ndarray) -> np.ndarray:
    """Lab 8x8x8 per cell of a 3x3 grid, each cell normalised to sum 1 (4608 dims)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    h, w = lab.shape[:2]
    cells = []
    for i in range(3):
        for j in range(3):
            cell = np.ascontiguousarray(
                lab[i * h // 3 : (i + 1) * h // 3 or 1, j * w // 3 : (j + 1) * w // 3 or 1]
            )
            hist = cv2.calcHist([cell], [0, 1, 2], None, [8, 8, 8], [0, 256] * 3).ravel()
            cells.append(hist / max(float(hist.sum()), 1.0))
    return np.concatenate(cells).astype(np.float32)


def chi2_loop(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """Chi-square distance with cv2.compareHist in a Python loop over every stored image."""
    order = np.empty((len(queries), len(database)), dtype=np.int64)
    for qi, q in enumerate(queries):
        dist = [cv2.compareHist(q, d, cv2.HISTCMP_CHISQR_ALT) for d in database]
        order[qi] = np.argsort(dist, kind="stable")
    return order


def chi2_numpy(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """The same symmetric chi-square, vectorised (the 4608-d grid would crawl in a loop)."""
    order = np.empty((len(queries), len(database)), dtype=np.int64)
    for qi, q in enumerate(queries):
        num = (q[None, :] - database) ** 2
        den = q[None, :] + database
        dist = np.where(den > 0, num / np.where(den > 0, den, 1), 0).sum(axis=1)
        order[qi] = np.argsort(dist, kind="stable")
    return order


# --------------------------------------------------------------------------- ours


def faiss_rank(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """What the product does: a FAISS IndexFlatIP over our vectors (no re-ranking)."""
    index = faiss.IndexFlatIP(database.shape[1])
    index.add(np.ascontiguousarray(database, dtype=np.float32))
    _, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), len(database))
    return found


def methods() -> list[Method]:
    return [
        Method("RGB 4x4x4, chi-square loop", rgb4, chi2_loop),
        Method("HSV 8x8x8, chi-square loop", hsv8, chi2_loop),
        Method("Lab 8x8x8 3x3 grid, chi-square", lab8_grid3, chi2_numpy),
        Method(
            f"**ours** v{descriptors.DESCRIPTOR_VERSION}, FAISS IndexFlatIP",
            descriptors.colour_descriptor,
            faiss_rank,
        ),
    ]


# One-at-a-time changes to our parameters (--sensitivity).
VARIANTS: list[tuple[str, dict[str, object]]] = [
    ("bins 3x5x5 (375 d)", {"bins": (3, 5, 5)}),
    ("bins 3x6x6 (540 d)", {"bins": (3, 6, 6)}),
    ("bins 5x5x5 (625 d)", {"bins": (5, 5, 5)}),
    ("bins 4x4x4 (320 d)", {"bins": (4, 4, 4)}),
    ("bins 2x7x7 (490 d)", {"bins": (2, 7, 7)}),
    ("ab_range 40", {"ab_range": 40.0}),
    ("ab_range 64", {"ab_range": 64.0}),
    ("sigma_global 0.1", {"sigma_global": 0.1}),
    ("sigma_global 0.2", {"sigma_global": 0.2}),
    ("sigma_quadrant 0.2", {"sigma_quadrant": 0.2}),
    ("sigma_quadrant 0.4", {"sigma_quadrant": 0.4}),
    ("quadrants unweighted", {"sigma_quadrant": 1e3}),
    ("no centre weighting at all", {"sigma_global": 1e3, "sigma_quadrant": 1e3}),
    ("global_weight 0.3", {"global_weight": 0.3}),
    ("global_weight 0.7", {"global_weight": 0.7}),
    ("no quadrants (global only)", {"global_weight": 1.0}),
    ("power 0.3", {"power": 0.3}),
    ("power 0.5 (Hellinger)", {"power": 0.5}),
    ("power 1 (plain cosine)", {"power": 1.0}),
    ("no exposure compensation", {"max_gain": 1.0, "max_shift": 0.0}),
    ("exposure uncapped", {"max_gain": 1e3, "max_shift": 255.0}),
    ("centre_box 1.0 (whole image)", {"centre_box": 1.0}),
    ("work_side 128", {"work_side": 128}),
    ("work_side 320", {"work_side": 320}),
    ("sub_levels 6", {"sub_levels": 6}),
]


def sensitivity(datasets: list[Dataset]) -> None:
    """MAP@10 of our descriptor with one parameter changed at a time (exact IP ranking)."""
    print("\n### sensitivity: MAP@10, one parameter changed at a time\n")
    print("| variant | dim | " + " | ".join(d.name for d in datasets) + " |")
    print("|---|---:|" + "---:|" * len(datasets))
    for label, change in [("default", {}), *VARIANTS]:
        cfg = replace(descriptors.DEFAULT, **change)  # type: ignore[arg-type]
        cells = []
        for data in datasets:
            db = np.stack([descriptors.colour_descriptor(x, cfg) for x in data.database])
            qs = np.stack([descriptors.colour_descriptor(x, cfg) for x in data.queries])
            order = np.argsort(-(qs @ db.T), axis=1, kind="stable")
            cells.append(f"{scores(ranks_of_truth(order, data.truth))['MAP@10']:.3f}")
        print(f"| {label} | {cfg.dim} | " + " | ".join(cells) + " |", flush=True)


# --------------------------------------------------------------------------- scoring


def ranks_of_truth(order: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """1-based rank of the one relevant database image for each query."""
    return np.argmax(order == truth[:, None], axis=1) + 1


def scores(ranks: np.ndarray) -> dict[str, float]:
    # Exactly one relevant item: AP@k = 1/rank if rank <= k else 0; P@1 = share at rank 1.
    out = {f"MAP@{k}": float(np.mean(np.where(ranks <= k, 1.0 / ranks, 0.0))) for k in KS}
    out["P@1"] = float(np.mean(ranks == 1))
    return out


def describe_all(describe: Describe, images: list[np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vecs = np.stack([describe(img) for img in images])
    return vecs, (time.perf_counter() - start) * 1000 / len(images)


def evaluate(data: Dataset, candidates: list[Method]) -> None:
    print(f"\n### {data.name}: {len(data.queries)} queries, {len(data.database)} database images\n")
    print("| method | dim | MAP@1 | MAP@5 | MAP@10 | P@1 | ms/descriptor | ms/query search |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    cache: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
    for m in candidates:
        key = id(m.describe)
        if key not in cache:
            db, ms_db = describe_all(m.describe, data.database)
            qs, ms_q = describe_all(m.describe, data.queries)
            n = len(data.database) + len(data.queries)
            cache[key] = (db, qs, (ms_db * len(data.database) + ms_q * len(data.queries)) / n)
        db, qs, ms = cache[key]
        start = time.perf_counter()
        order = m.rank(qs, db)
        ms_search = (time.perf_counter() - start) * 1000 / len(qs)
        s = scores(ranks_of_truth(order, data.truth))
        print(
            f"| {m.name} | {db.shape[1]} | {s['MAP@1']:.3f} | {s['MAP@5']:.3f} "
            f"| {s['MAP@10']:.3f} | {s['P@1']:.3f} | {ms:.2f} | {ms_search:.2f} |"
        )


# --------------------------------------------------------------------------- same subject


@dataclass
class Grouped:
    """Images with group labels; `queries` and `database` index into them. A query's relevant
    images are the database images of its group other than itself."""

    name: str
    thumbs: list[np.ndarray]
    grays: list[np.ndarray]
    groups: np.ndarray
    queries: np.ndarray
    database: np.ndarray


def load_same_object(root: Path) -> Grouped:
    """Every image is in the database; every member of a group of 5 is a query (singleton
    groups are distractors)."""
    require(root, "same_object")
    with (root / "groundtruth.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    bgrs = [read(root / "images" / r["filename"]) for r in rows]
    groups = np.array([r["group"] for r in rows])
    sizes = np.array([(groups == g).sum() for g in groups])
    return Grouped(
        "same_object",
        [thumbnail(b) for b in bgrs],
        [preview_gray(b) for b in bgrs],
        groups,
        np.flatnonzero(sizes >= 2),
        np.arange(len(rows)),
    )


def as_grouped(data: Dataset) -> Grouped:
    """A query/database set: database images first, then the queries."""
    n, m = len(data.database), len(data.queries)
    return Grouped(
        data.name,
        data.database + data.queries,
        data.database_gray + data.queries_gray,
        np.concatenate([np.arange(n), data.truth]),
        np.arange(n, n + m),
        np.arange(n),
    )


def average_precision(order: np.ndarray, relevant: np.ndarray, k: int = 10) -> float:
    """AP@k: sum of precision at each relevant rank <= k, over min(#relevant, k)."""
    hits = relevant[order[:k]]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / min(int(relevant.sum()), k))


def indexed_order(
    query: local_features.LocalFeatures,
    candidates: np.ndarray,
    feats: list[local_features.LocalFeatures],
    fallback: np.ndarray,
) -> np.ndarray:
    """The product's ranking: the index's candidates verified, verified ones first (most
    inliers first), then everything else in `fallback` order."""
    found = local_features.verify_many(query, [feats[c] for c in candidates])
    kept = sorted(
        (
            (m.inliers, -rank, c)
            for rank, (c, m) in enumerate(zip(candidates, found, strict=True))
            if m.verified
        ),
        reverse=True,
    )
    first = [c for _, _, c in kept]
    taken = set(first)
    return np.array(first + [c for c in fallback if c not in taken])


def evaluate_same_subject(data: Grouped, candidates: int, brute: bool) -> None:
    """Colour only, brute force and the indexed pipeline on the same local features. Ranking
    by vectors is exact (inner product over the database, as the product's FAISS Flat index
    below 10,000 photos)."""
    codebook = object_vectors.shipped_codebook()
    n = len(data.thumbs)
    start = time.perf_counter()
    feats = [local_features.extract(g) for g in data.grays]
    ms_local = (time.perf_counter() - start) * 1000 / n
    start = time.perf_counter()
    vlad = np.stack([codebook.vector(f) for f in feats])
    ms_vlad = (time.perf_counter() - start) * 1000 / n
    colour = np.stack([descriptors.colour_descriptor(t) for t in data.thumbs])
    orders: dict[str, list[np.ndarray]] = {}
    seconds: dict[str, float] = {}
    indexed = f"**indexed**: VLAD top {candidates} + RANSAC, then VLAD"
    default = f"**API default**: VLAD top {candidates} + RANSAC, then colour"
    bruteforce = "brute force: SIFT + RANSAC on every pair"

    def ranked(scores: np.ndarray, q: int) -> np.ndarray:
        order = data.database[np.argsort(-scores[data.database], kind="stable")]
        return order[order != q]

    for q in data.queries:
        colour_order = ranked(colour @ colour[q], q)
        orders.setdefault("colour only (today's search)", []).append(colour_order)
        t = time.perf_counter()
        vlad_order = ranked(vlad @ vlad[q], q)
        seconds["VLAD only"] = seconds.get("VLAD only", 0) + time.perf_counter() - t
        orders.setdefault("VLAD only", []).append(vlad_order)
        t = time.perf_counter()
        orders.setdefault(indexed, []).append(
            indexed_order(feats[q], vlad_order[:candidates], feats, vlad_order)
        )
        seconds[indexed] = seconds.get(indexed, 0) + time.perf_counter() - t
        orders.setdefault(default, []).append(
            indexed_order(feats[q], vlad_order[:candidates], feats, colour_order)
        )
        if brute:
            t = time.perf_counter()
            others = data.database[data.database != q]
            found = local_features.verify_many(feats[q], [feats[i] for i in others])
            inliers = np.array([m.inliers for m in found])
            orders.setdefault(bruteforce, []).append(others[np.argsort(-inliers, kind="stable")])
            seconds[bruteforce] = seconds.get(bruteforce, 0) + time.perf_counter() - t

    def relevant_of(q: int) -> np.ndarray:
        relevant = np.zeros(n, bool)
        relevant[data.database] = data.groups[data.database] == data.groups[q]
        relevant[q] = False
        return relevant

    recall = np.mean(
        [
            relevant_of(q)[o[:candidates]].sum() / relevant_of(q).sum()
            for q, o in zip(data.queries, orders["VLAD only"], strict=True)
        ]
    )
    print(
        f"\n### same subject, {data.name}: {len(data.queries)} queries, "
        f"{len(data.database)} database images (local features {ms_local:.1f} ms/photo, "
        f"VLAD {ms_vlad:.2f} ms/photo, one core; VLAD recall@{candidates} {recall:.3f})\n"
    )
    print("| method | MAP@10 | P@1 | relevant in top 4 | ms/query |")
    print("|---|---:|---:|---:|---:|")
    for name, ranking in orders.items():
        aps, p1, top4 = [], [], []
        for q, order in zip(data.queries, ranking, strict=True):
            relevant = relevant_of(q)
            aps.append(average_precision(order, relevant))
            p1.append(relevant[order[0]])
            top4.append(relevant[order[:4]].sum())
        ms = seconds.get(name, 0) * 1000 / len(data.queries)
        print(
            f"| {name} | {np.mean(aps):.3f} | {np.mean(p1):.3f} | {np.mean(top4):.2f} | {ms:.2f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--museum", type=Path, default=SHARED / "museum_paintings_retrieval")
    parser.add_argument("--copies", type=Path, default=SHARED / "human_segmentation")
    parser.add_argument("--same-object", type=Path, default=SHARED / "same_object")
    parser.add_argument(
        "--candidates", type=int, default=objects_candidates(), help="verified per query"
    )
    parser.add_argument(
        "--no-brute-force", action="store_true", help="skip the every-pair baseline (slow)"
    )
    parser.add_argument("--seed", type=int, default=1234, help="seed of the copy queries")
    parser.add_argument(
        "--sensitivity", action="store_true", help="also vary our parameters one at a time"
    )
    args = parser.parse_args(argv)
    faiss.omp_set_num_threads(1)
    cv2.setNumThreads(1)  # the worker runs one photo per process; time it the same way
    museum = load_museum(args.museum)
    copies = load_copies(args.copies, args.seed)
    print(f"Thumbnails: long side <= {THUMB_SIDE} px, INTER_AREA. Copy-query seed {args.seed}.")
    for data in (museum, copies):
        evaluate(data, methods())
    same_object = load_same_object(args.same_object)
    brute = not args.no_brute_force
    for grouped in (same_object, as_grouped(museum), as_grouped(copies)):
        evaluate_same_subject(grouped, args.candidates, brute)
    if args.sensitivity:
        sensitivity([museum, copies])
    return 0


if __name__ == "__main__":
    sys.exit(main())

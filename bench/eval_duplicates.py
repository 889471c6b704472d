"""Calibrate and measure duplicate detection (duplicates.matching) on pairs from the dev sets.

Photos: the development splits of human_segmentation (people), museum_paintings_retrieval
(paintings: the database images and the query photos) and same_object (DVD covers photographed
by four phones, plus the reference scans). Pairs:

* positives, "the same shot":
  - edited copies: two per photo, each a random chain of 1-3 edits from: crop (up to 20% of
    each side), brightness/contrast, colour (hue, saturation), greyscale or sepia, rotation
    (up to 8 degrees, cropped to the inside as photo editors do), a filter (blur, sharpen,
    vignette, warm tone), a caption or watermark; then resized (0.5-1.2x) and re-encoded as
    JPEG (quality 30-95);
  - burst-like pairs: for every other photo, two frames cut from it a few percent apart (a
    hand-held camera moving between shots: shift, a little zoom and rotation), each with its
    own sensor noise and exposure;
* negatives, "not the same shot":
  - colour look-alikes: each photo's 5 nearest neighbours by the colour descriptor among the
    other photos (what the candidate stage proposes: different scenes with the same colours);
  - same subject: every pair within a same_object group (one DVD cover from other angles,
    distances and light; the README of the set calls it "same object", not a duplicate);
* for information, not counted: each museum query photo against the museum's image of that
  painting (a visitor's photograph of a flat picture, sometimes cropped to its frame).

Photos are split in two halves (seeded); pairs are built within each half. Thresholds are
chosen on half A (highest recall at precision >= TARGET_PRECISION plus a margin) and reported
on both halves. The candidate stage is measured too: for each edited copy, whether its original
is among the colour index's top CANDIDATES or within the signature distance.

    .venv/bin/python -m bench.eval_duplicates [--human DIR] [--museum DIR] [--objects DIR]
        [--seed N] [--limit N]

Point the three folders at other splits (held-out) to measure there with the shipped
thresholds (printed as "shipped").
"""

from __future__ import annotations

import argparse
import csv
import itertools
import pickle
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bench.eval_search import SHARED, thumbnail
from duplicates import matching
from duplicates.features import features_of, homography_b_to_a
from search import local_features
from search.descriptors import colour_descriptor

TARGET_PRECISION = 0.99
MARGIN = 0.007  # chosen at 0.997 on half A, so that other photos keep 0.99
NEIGHBOURS = 5
CANDIDATES = matching.COLOUR_CANDIDATES  # colour neighbours the worker verifies


@dataclass
class Photo:
    name: str
    source: str
    rgb: np.ndarray  # as uploaded (the dev sets are at most 1024 px)
    group: str = ""  # same_object group, or museum painting id


@dataclass
class Prepared:
    features: local_features.LocalFeatures
    size: tuple[int, int]
    grey: np.ndarray
    signature: int
    colour: np.ndarray


@dataclass
class Pairs:
    kind: list[str] = field(default_factory=list)
    measures: list[matching.Measures] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, kind: str, m: matching.Measures, names: str = "") -> None:
        self.kind.append(kind)
        self.measures.append(m)
        self.names.append(names)


POSITIVE = ("copy", "burst")
NEGATIVE = ("look-alike", "same subject")


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"error: cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def require(folder: Path, flag: str) -> None:
    if not folder.is_dir():
        raise SystemExit(f"error: dataset folder not found: {folder} (pass --{flag} DIR)")


def load(human: Path, museum: Path, objects: Path, limit: int) -> list[Photo]:
    for folder, flag in ((human, "human"), (museum, "museum"), (objects, "objects")):
        require(folder, flag)
    photos: list[Photo] = []
    seen: set[bytes] = set()
    for path in sorted((human / "images").glob("*.jpg"))[:limit]:
        rgb = read_rgb(path)
        key = rgb.tobytes()[:4096] + bytes(str(rgb.shape), "ascii")
        if key in seen:  # the folder holds a few pixel-identical files
            continue
        seen.add(key)
        photos.append(Photo(path.name, "human", rgb))
    with (museum / "groundtruth.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in [r for r in rows if r["role"] == "database"][:limit]:
        photos.append(Photo(row["filename"], "museum", read_rgb(museum / row["filename"])))
    for row in [r for r in rows if r["role"] == "query"][:limit]:
        photos.append(
            Photo(row["filename"], "query", read_rgb(museum / row["filename"]), row["group"])
        )
    with (objects / "groundtruth.csv").open(newline="") as f:
        for row in list(csv.DictReader(f))[:limit]:
            path = objects / "images" / row["filename"]
            photos.append(Photo(row["filename"], "object", read_rgb(path), row["group"]))
    return photos


# --------------------------------------------------------------------------- edits

CAPTIONS = ("(c) 2024 my photos", "Summer!", "#holiday", "Day 3", "with love", "IMG_2041")


def _crop(img: np.ndarray, rng: np.random.Generator, most: float) -> np.ndarray:
    h, w = img.shape[:2]
    fy, fx = rng.uniform(0, most, 2)
    ty, tx = rng.uniform(0, 1, 2)
    top, left = round(h * fy * ty), round(w * fx * tx)
    return img[top : h - round(h * fy * (1 - ty)), left : w - round(w * fx * (1 - tx))]


def _rotate(img: np.ndarray, degrees: float) -> np.ndarray:
    """Rotated and cropped to the largest upright rectangle inside, as photo editors do."""
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    turned = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR)
    a = abs(np.radians(degrees))
    sin, cos = np.sin(a), np.cos(a)
    # Largest axis-aligned rectangle of the same aspect inside the rotated frame.
    scale = min(w / (w * cos + h * sin), h / (w * sin + h * cos))
    nw, nh = int(w * scale) - 2, int(h * scale) - 2
    top, left = (h - nh) // 2, (w - nw) // 2
    return turned[top : top + nh, left : left + nw]


def _filter(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    kind = int(rng.integers(4))
    if kind == 0:
        return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.8, 2.0))
    if kind == 1:
        return cv2.addWeighted(img, 1.8, cv2.GaussianBlur(img, (0, 0), 2), -0.8, 0)
    if kind == 2:
        h, w = img.shape[:2]
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        d = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
        return np.clip(img * (1 - 0.25 * d[..., None]), 0, 255).astype(np.uint8)
    warm = img.astype(np.float32) * np.array([1.12, 1.0, 0.85], dtype=np.float32)
    return np.clip(255 * (warm / 255) ** 0.85, 0, 255).astype(np.uint8)


def _caption(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    text = CAPTIONS[int(rng.integers(len(CAPTIONS)))]
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, _), _ = cv2.getTextSize(text, font, 1.0, 2)
    size = rng.uniform(0.3, 0.6) * w / tw
    x = int(rng.uniform(0.02, 0.3) * w)
    y = int(h * (rng.uniform(0.12, 0.2) if rng.random() < 0.5 else rng.uniform(0.85, 0.96)))
    colour = [(255, 255, 255), (0, 0, 0), (255, 220, 0)][int(rng.integers(3))]
    if rng.random() < 0.5:  # a half-transparent watermark
        layer = img.copy()
        cv2.putText(layer, text, (x, y), font, size, colour, max(1, round(2 * size)), cv2.LINE_AA)
        return cv2.addWeighted(img, 0.55, layer, 0.45, 0)
    cv2.putText(img, text, (x, y), font, size, colour, max(1, round(2 * size)), cv2.LINE_AA)
    return img


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buffer = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return np.ascontiguousarray(decoded[..., ::-1])


def edited_copy(rgb: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    edits = ["crop", "light", "colour", "grey", "rotate", "filter", "caption"]
    chosen = [str(e) for e in rng.choice(edits, size=int(rng.integers(1, 4)), replace=False)]
    img = rgb
    for edit in chosen:
        if edit == "crop":
            img = _crop(img, rng, 0.2)
        elif edit == "light":
            a, b = rng.uniform(0.7, 1.3), rng.uniform(-40, 40)
            img = np.clip((img.astype(np.float32) - 128) * a + 128 + b, 0, 255).astype(np.uint8)
        elif edit == "colour":
            hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
            hsv[..., 0] = (hsv[..., 0] + rng.uniform(-12, 12)) % 180
            hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.3, 1.6), 0, 255)
            img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)
        elif edit == "grey":
            g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
            tone = np.array(
                [1.0, 1.0, 1.0] if rng.random() < 0.5 else [1.1, 0.95, 0.75], np.float32
            )
            img = np.clip(g[..., None] * tone, 0, 255).astype(np.uint8)
        elif edit == "rotate":
            img = _rotate(img, rng.uniform(2, 8) * (1 if rng.random() < 0.5 else -1))
        elif edit == "filter":
            img = _filter(img, rng)
        elif edit == "caption":
            img = _caption(img, rng)
    h, w = img.shape[:2]
    scale = rng.uniform(0.5, 1.2)
    size = (max(16, round(w * scale)), max(16, round(h * scale)))
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return _jpeg(img, int(rng.integers(30, 96))), chosen


def burst_frame(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One frame of a hand-held burst: 90% of the scene, moved, turned and zoomed a little."""
    h, w = rgb.shape[:2]
    zoom = rng.uniform(0.97, 1.03)
    angle = rng.uniform(-1.5, 1.5)
    shift = rng.uniform(-0.04, 0.04, 2) * (w, h)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    m[:, 2] = m[:, 2] + shift
    moved = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    frame = moved[round(h * 0.05) : round(h * 0.95), round(w * 0.05) : round(w * 0.95)]
    noisy = frame.astype(np.float32) * rng.uniform(0.9, 1.1) + rng.normal(0, 3, frame.shape)
    return _jpeg(np.clip(noisy, 0, 255).astype(np.uint8), int(rng.integers(80, 96)))


# --------------------------------------------------------------------------- measuring


def prepare(rgb: np.ndarray) -> Prepared:
    """What the worker stores for a photo, from its pixels as uploaded."""
    small = thumbnail(rgb[..., ::-1].copy())  # the worker's 320 px thumbnail (RGB)
    features, size = features_of(rgb)
    return Prepared(
        features,
        size,
        matching.appearance(small),
        matching.signature(small),
        colour_descriptor(small),
    )


def compare(a: Prepared, b: Prepared) -> matching.Measures:
    match = local_features.verify(a.features, b.features)
    return matching.measure(match.inliers, homography_b_to_a(match), a.size, b.size, a.grey, b.grey)


def _stem(photo: Photo) -> str:
    return photo.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _same_painting(a: Photo, b: Photo) -> bool:
    if a.source == "object" or b.source == "object":
        return False
    keys = ({_stem(a), a.group} - {""}) & ({_stem(b), b.group} - {""})
    return bool(keys)


def build_pairs(
    photos: list[Photo], prepared: list[Prepared], rng: np.random.Generator
) -> tuple[Pairs, dict[str, float]]:
    pairs = Pairs()
    stats: dict[str, float] = defaultdict(float)
    # Positives.
    for i, photo in enumerate(photos):
        for _ in range(2):
            copy, _edits = edited_copy(photo.rgb, rng)
            started = time.perf_counter()
            other = prepare(copy)
            stats["prepare_s"] += time.perf_counter() - started
            stats["prepared"] += 1
            started = time.perf_counter()
            pairs.add("copy", compare(prepared[i], other), f"{photo.name} {'+'.join(_edits)}")
            stats["verify_s"] += time.perf_counter() - started
            stats["verified"] += 1
            # Candidate stage: is the original among the copy's candidates?
            colours = np.stack([p.colour for p in prepared]) @ other.colour
            top = np.argsort(-colours)[:CANDIDATES]
            sig = matching.signature_distances(
                other.signature, np.array([p.signature for p in prepared])
            )
            by_colour = i in top
            by_signature = sig[i] <= matching.DEFAULT.max_signature_distance
            stats["candidates"] += 1
            stats["by_colour"] += by_colour
            stats["by_signature"] += by_signature
            stats["found"] += by_colour or by_signature
        if i % 2 == 0:
            first, second = burst_frame(photo.rgb, rng), burst_frame(photo.rgb, rng)
            pairs.add("burst", compare(prepare(first), prepare(second)))
    # Negatives: colour look-alikes, and same-subject groups.
    colours = np.stack([p.colour for p in prepared])
    sims = colours @ colours.T
    np.fill_diagonal(sims, -1)
    done: set[tuple[int, int]] = set()
    groups: dict[str, list[int]] = defaultdict(list)
    for i, photo in enumerate(photos):
        if photo.source == "object":
            groups[photo.group].append(i)
    related = {(i, j) for members in groups.values() for i in members for j in members}
    for i in range(len(photos)):
        for j in np.argsort(-sims[i])[:NEIGHBOURS]:
            key = (min(i, int(j)), max(i, int(j)))
            if key in done or key in related:
                continue
            if _same_painting(photos[i], photos[int(j)]):
                continue  # a museum query and its painting: the information row below
            done.add(key)
            label = f"{photos[key[0]].name} / {photos[key[1]].name}"
            pairs.add("look-alike", compare(prepared[key[0]], prepared[key[1]]), label)
    for members in groups.values():
        for i, j in itertools.combinations(members, 2):
            label = f"{photos[i].name} / {photos[j].name}"
            pairs.add("same subject", compare(prepared[i], prepared[j]), label)
    # Information: museum photos against the museum's image of the painting.
    by_name = {_stem(p): k for k, p in enumerate(photos)}
    for i, photo in enumerate(photos):
        if photo.source == "query" and photo.group in by_name:
            pairs.add("painting photo", compare(prepared[by_name[photo.group]], prepared[i]))
    return pairs, stats


# --------------------------------------------------------------------------- thresholds


def decide(pairs: Pairs, t: matching.Thresholds) -> np.ndarray:
    return np.array([matching.is_duplicate(m, t) for m in pairs.measures], dtype=bool)


def score(pairs: Pairs, t: matching.Thresholds) -> dict[str, float]:
    said = decide(pairs, t)
    kinds = np.array(pairs.kind)
    positive = np.isin(kinds, POSITIVE)
    negative = np.isin(kinds, NEGATIVE)
    tp = int(np.count_nonzero(said & positive))
    fp = int(np.count_nonzero(said & negative))
    out = {
        "positives": int(positive.sum()),
        "negatives": int(negative.sum()),
        "tp": tp,
        "fp": fp,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / max(1, int(positive.sum())),
    }
    for kind in (*POSITIVE, *NEGATIVE, "painting photo"):
        chosen = kinds == kind
        out[f"{kind} pairs"] = int(chosen.sum())
        out[f"{kind} called duplicate"] = float(said[chosen].mean()) if chosen.any() else 0.0
    return out


GRID = {
    "min_inliers": (8, 10, 12, 15, 20, 25),
    "min_coverage": (0.3, 0.4, 0.45, 0.5, 0.55, 0.6),
    "max_distortion": (0.01, 0.015, 0.02, 0.03, 0.04, 0.05),
    "min_correlation": (0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94),
}


def choose(pairs: Pairs) -> matching.Thresholds:
    """Highest recall at precision >= TARGET + MARGIN; ties go to the stricter thresholds
    (fewer false positives, then the higher correlation and inlier bars)."""
    best: tuple[float, ...] | None = None
    chosen = matching.DEFAULT
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        chosen_values = dict(zip(keys, values, strict=True))
        t = matching.Thresholds(
            min_inliers=int(chosen_values["min_inliers"]),
            min_coverage=chosen_values["min_coverage"],
            max_distortion=chosen_values["max_distortion"],
            min_correlation=chosen_values["min_correlation"],
            max_signature_distance=matching.DEFAULT.max_signature_distance,
            max_aspect_change=matching.DEFAULT.max_aspect_change,
        )
        s = score(pairs, t)
        if s["precision"] < TARGET_PRECISION + MARGIN:
            continue
        rank = (s["recall"], -s["fp"], t.min_correlation, t.min_inliers, -t.max_distortion)
        if best is None or rank > best:
            best, chosen = rank, t
    return chosen


def report(name: str, pairs: Pairs, t: matching.Thresholds) -> None:
    s = score(pairs, t)
    verdict = "met" if s["precision"] >= TARGET_PRECISION and s["recall"] >= 0.95 else "MISSED"
    print(
        f"  {name:<22} positives {s['positives']:>5}  negatives {s['negatives']:>5}  "
        f"TP {s['tp']:>5}  FP {s['fp']:>3}  precision {s['precision']:.4f}  "
        f"recall {s['recall']:.4f}  (target P>=0.99, R>=0.95: {verdict})"
    )
    shares = ", ".join(
        f"{k} {s[f'{k} called duplicate']:.1%} of {s[f'{k} pairs']}"
        for k in (*POSITIVE, *NEGATIVE, "painting photo")
    )
    print(f"  {'':<22} called duplicate: {shares}")


def measure_all(
    args: argparse.Namespace,
) -> tuple[dict[str, Pairs], dict[str, float], float, int]:
    cv2.setNumThreads(1)
    photos = load(args.human, args.museum, args.objects, args.limit)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(photos))
    halves = {"A": sorted(order[: len(order) // 2]), "B": sorted(order[len(order) // 2 :])}
    print(f"{len(photos)} photos ({', '.join(f'{h}: {len(v)}' for h, v in halves.items())})")
    started = time.perf_counter()
    prepared = [prepare(p.rgb) for p in photos]
    prepare_s = time.perf_counter() - started
    results: dict[str, Pairs] = {}
    stats_all: dict[str, float] = defaultdict(float)
    for half, members in halves.items():
        pairs, stats = build_pairs(
            [photos[i] for i in members], [prepared[i] for i in members], rng
        )
        results[half] = pairs
        for key, value in stats.items():
            stats_all[key] += value
    return results, dict(stats_all), prepare_s, len(photos)


def job_timing(args: argparse.Namespace) -> None:
    """What the worker's duplicate job costs for one new photo against the most candidates it
    verifies (COLOUR_CANDIDATES + MAX_SIGNATURE_CANDIDATES), features already stored."""
    cv2.setNumThreads(1)
    count = matching.COLOUR_CANDIDATES + matching.MAX_SIGNATURE_CANDIDATES
    photos = load(args.human, args.museum, args.objects, 20)[: count + 1]
    prepared = [prepare(p.rgb) for p in photos]
    query, others = prepared[0], prepared[1:]
    times = []
    for _ in range(10):
        started = time.perf_counter()
        matches = local_features.verify_many(query.features, [o.features for o in others])
        for other, match in zip(others, matches, strict=True):
            matching.measure(
                match.inliers,
                homography_b_to_a(match),
                query.size,
                other.size,
                query.grey,
                other.grey,
            )
        times.append(time.perf_counter() - started)
    print(
        f"job timing: one photo against {len(others)} candidates (features stored): "
        f"median {1000 * float(np.median(times)):.0f} ms, "
        f"fastest {1000 * min(times):.0f} ms (one thread)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--human", type=Path, default=SHARED / "human_segmentation")
    parser.add_argument("--museum", type=Path, default=SHARED / "museum_paintings_retrieval")
    parser.add_argument("--objects", type=Path, default=SHARED / "same_object")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--limit", type=int, default=100000, help="photos per set (quick runs)")
    parser.add_argument(
        "--save", type=Path, help="write the measured pairs here (pickle) for --reuse"
    )
    parser.add_argument(
        "--reuse", type=Path, help="read the pairs measured by an earlier --save run"
    )
    parser.add_argument(
        "--job-timing", action="store_true", help="only time the worker's job for one photo"
    )
    args = parser.parse_args()

    if args.job_timing:
        job_timing(args)
        return
    if args.reuse:
        with args.reuse.open("rb") as f:
            results, stats_all, prepare_s, n_photos = pickle.load(f)
        print(f"{n_photos} photos (pairs measured earlier: {args.reuse})")
    else:
        results, stats_all, prepare_s, n_photos = measure_all(args)
        if args.save:
            with args.save.open("wb") as f:
                pickle.dump((results, stats_all, prepare_s, n_photos), f)
    both = Pairs(
        results["A"].kind + results["B"].kind,
        results["A"].measures + results["B"].measures,
        results["A"].names + results["B"].names,
    )

    fitted = choose(results["A"])
    print(f"\nthresholds chosen on half A: {fitted}")
    for half in ("A", "B"):
        report(f"half {half}", results[half], fitted)
    report("both halves", both, fitted)
    print(f"\nshipped thresholds (duplicates.matching.DEFAULT): {matching.DEFAULT}")
    for half in ("A", "B"):
        report(f"half {half}", results[half], matching.DEFAULT)
    report("both halves", both, matching.DEFAULT)

    said = decide(both, matching.DEFAULT)
    for kind, m, names, flag in zip(both.kind, both.measures, both.names, said, strict=True):
        if (kind in NEGATIVE and flag) or (kind in POSITIVE and not flag):
            print(f"  {'false positive' if flag else 'missed'}: {kind} {names} {m}")
    n = stats_all["candidates"]
    print(
        f"\ncandidate stage, {int(n)} edited copies against the other photos of their half: "
        f"original among the {CANDIDATES} nearest colours {stats_all['by_colour'] / n:.1%}, "
        f"within signature distance {matching.DEFAULT.max_signature_distance} "
        f"{stats_all['by_signature'] / n:.1%}, either {stats_all['found'] / n:.1%}"
    )
    print(
        f"time: preparing a photo (features, grey, signature, colours) "
        f"{1000 * prepare_s / n_photos:.1f} ms; verifying a pair "
        f"{1000 * stats_all['verify_s'] / max(1, stats_all['verified']):.1f} ms "
        f"(one thread, photos of at most 1024 px)"
    )


if __name__ == "__main__":
    main()

"""Ingest throughput: photos per second from upload request to `ready`, with the worker running.

    .venv/bin/python -m bench.bench_ingest [--count 24] [--sizes 1,12] [--clients 4]

Starts Focal exactly as `make run` does (waitress + a Celery worker, SQLite, filesystem broker)
in a temporary data directory, uploads real-photo JPEGs through the API from several client
threads, and waits until every photo is ready. Beside it, the same run measures the decode-only
ceiling: how many of the same files per second a plain full JPEG decode manages, on one core
and on all cores. Test images are made from ../shared/datasets/human_segmentation photos
(upscaled, mild noise, quality 90) under bench/out/ingest/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.http import get_json, request  # noqa: E402
from tests.localsite import local_site  # noqa: E402

SOURCES = ROOT.parent / "shared" / "datasets" / "human_segmentation" / "images"
OUT = ROOT / "bench" / "out" / "ingest"
SIZES = {1: (1152, 864), 12: (4032, 3024)}


def make_jpegs(megapixels: int, count: int) -> list[Path]:
    if not SOURCES.is_dir():
        sys.exit(f"missing dataset folder {SOURCES}")
    width, height = SIZES[megapixels]
    folder = OUT / f"{megapixels}mp"
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(SOURCES.glob("*.jpg"))[:count]
    paths = []
    rng = np.random.default_rng(megapixels)
    for index, source in enumerate(sources):
        path = folder / f"{index:03d}.jpg"
        if not path.exists():
            image = cv2.imread(str(source))
            if image is None:
                raise SystemExit(f"{source}: cannot decode")
            big = cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)
            noise = rng.normal(0, 4, big.shape)
            big = np.clip(big + noise, 0, 255).astype(np.uint8)
            cv2.imwrite(str(path), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


def _decode(path: Path) -> float:
    data = path.read_bytes()
    started = time.perf_counter()
    with Image.open(__import__("io").BytesIO(data)) as image:
        image.load()
    return time.perf_counter() - started


def decode_ceiling(paths: list[Path]) -> tuple[float, float]:
    """Photos per second for a full decode of each file: one core, and all cores."""
    _decode(paths[0])  # warm up
    single = sum(_decode(p) for p in paths)
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_decode, paths[:workers]))  # start the processes
        started = time.perf_counter()
        list(pool.map(_decode, paths))
        parallel = time.perf_counter() - started
    return len(paths) / single, len(paths) / parallel


def ingest(site_url: str, token: str, paths: list[Path], clients: int) -> tuple[float, list[int]]:
    def upload(path: Path) -> int:
        status, _, body = request(
            site_url + "/api/photos/", token=token, files={"image": (path.name, path.read_bytes())}
        )
        if status != 201:
            raise RuntimeError(f"{path.name}: HTTP {status} {body[:200]!r}")
        return int(json.loads(body)["id"])

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        ids = list(pool.map(upload, paths))
    waiting = set(ids)
    while waiting:
        chunk = ",".join(map(str, sorted(waiting)[:200]))
        page = get_json(f"{site_url}/api/photos/?ids={chunk}&page_size=200", token)
        for photo in page["results"]:
            if photo["status"] == "failed":
                raise RuntimeError(f"photo {photo['id']} failed: {photo['error']}")
            if photo["status"] == "ready":
                waiting.discard(photo["id"])
        if waiting:
            time.sleep(0.05)
    return time.perf_counter() - started, ids


def phase_timings(log: str) -> dict[str, float]:
    """Median per-phase worker timings from the log lines `photo N ready in X ms (...)`."""
    phases: dict[str, list[float]] = {}
    for match in re.finditer(r"ready in (\d+) ms \(([^)]*)\)", log):
        phases.setdefault("total", []).append(float(match.group(1)))
        for part in match.group(2).split(", "):
            name, _, value = part.rpartition(" ")
            phases.setdefault(name, []).append(float(value))
    return {name: statistics.median(values) for name, values in phases.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=24, help="photos per size")
    parser.add_argument("--sizes", default="1,12", help="megapixels, from 1 and 12")
    parser.add_argument("--clients", type=int, default=4, help="parallel upload requests")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path(os.environ.get("FOCAL_MODEL_DIR", ROOT / "var" / "models")),
        help="the models (faces and same-subject matching run at processing)",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="use this Redis as broker and result store (e.g. redis://127.0.0.1:6379/13) "
        "instead of the filesystem broker; the database stays SQLite",
    )
    args = parser.parse_args()
    overrides = {"FOCAL_MODEL_DIR": str(args.model_dir.resolve())}
    if args.redis:
        overrides["REDIS_URL"] = args.redis
    cores = os.cpu_count() or 1
    rows = []
    for megapixels in [int(s) for s in args.sizes.split(",")]:
        paths = make_jpegs(megapixels, args.count)
        one_core, all_cores = decode_ceiling(paths)
        with (
            tempfile.TemporaryDirectory(prefix="focal-bench-") as tmp,
            local_site(Path(tmp), worker_concurrency=cores, env_overrides=overrides) as site,
        ):
            ingest(site.url, site.token, paths[:2], args.clients)  # warm the processes
            seconds, _ = ingest(site.url, site.token, paths[2:], args.clients)
            phases = phase_timings(site.log_path.read_text())
        rate = (len(paths) - 2) / seconds
        mb = statistics.mean(p.stat().st_size for p in paths) / 2**20
        rows.append((megapixels, len(paths) - 2, mb, rate, one_core, all_cores, phases))

    broker = "Redis broker" if args.redis else "filesystem broker"
    print(
        f"\nIngest throughput on {cores} cores (upload request → ready, {args.clients} clients, "
        f"SQLite, {broker})\n"
    )
    print(
        "| size | photos | avg file | ingest photos/s | decode-only, 1 core "
        "| decode-only, all cores | ingest ÷ 1-core ceiling | ingest ÷ all-core ceiling |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for megapixels, n, mb, rate, one, alls, _ in rows:
        print(f"| {megapixels} MP | {n} | {mb:.1f} MB | {rate:.1f} | {one:.1f} | {alls:.1f} "
              f"| {rate / one:.2f} | {rate / alls:.2f} |")  # fmt: skip
    print("\nWorker time per photo (median ms, from the worker log):")
    for megapixels, *_, phases in rows:
        print(f"  {megapixels} MP: " + ", ".join(f"{k} {v:.0f}" for k, v in phases.items()))
    for megapixels, _, _, rate, one, *_ in rows:
        verdict = "meets" if rate >= 0.5 * one else "misses"
        print(f"{megapixels} MP {verdict} the target of half the 1-core decode-only ceiling")


if __name__ == "__main__":
    main()

"""Fair work: does one user's flood of heavy renders delay another user's small upload?

    .venv/bin/python -m bench.bench_fairness [--uploads 5] [--renders 20] [--port 8310]

Starts Focal as `make run` does (web server, a worker for uploads and one for renders, SQLite,
filesystem broker) in a temporary data directory. alice uploads two 100 MP photos (a person,
made by upscaling scikit-image's `astronaut`: smooth, so the JPEGs are small) and waits until
they are processed. Then, in the same run:

1. baseline: bob uploads 1 MP photos one after another, each timed from the upload request
   until the API says it is ready;
2. flood: alice asks for 20 distinct portrait renders of her 100 MP photos as fast as she can
   (the default per-user limit accepts a few, the rest get 429), and while they render bob's
   1 MP uploads are timed again;
3. flood without limits: the same with FOCAL_MAX_QUEUED_RENDERS=1000, all 20 accepted: what the
   render queue alone does.

Target: bob's upload ready within 2 s during the flood. Prints median and worst times, the
ratio to the baseline, and how many renders were running while bob's photos were processed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import images  # noqa: E402
from tests.http import get_json, request  # noqa: E402
from tests.localsite import LocalSite, local_site  # noqa: E402

OUT = ROOT / "bench" / "out" / "fairness"
BIG = (10000, 9990)  # 99.9 MP, under the default 100 MP limit
SMALL = (1152, 864)  # 1 MP


def big_photos() -> list[Path]:
    """Two 100 MP JPEGs of a person (the second mirrored, so they are distinct photos)."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = [OUT / "person-100mp-a.jpg", OUT / "person-100mp-b.jpg"]
    if not all(p.exists() for p in paths):
        rgb = Image.fromarray(images.sample("astronaut")).resize(BIG, Image.Resampling.BICUBIC)
        rgb.save(paths[0], "JPEG", quality=90)
        rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(paths[1], "JPEG", quality=90)
    return paths


def wait_ready(site: LocalSite, token: str, photo_id: int, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        photo = get_json(f"{site.url}/api/photos/{photo_id}/", token)
        if photo["status"] in ("ready", "failed"):
            return photo
        if time.monotonic() > deadline:
            raise SystemExit(f"photo {photo_id} still {photo['status']} after {timeout} s")
        time.sleep(0.02)


def upload(site: LocalSite, token: str, name: str, data: bytes) -> int:
    status, _, body = request(f"{site.url}/api/photos/", token=token, files={"image": (name, data)})
    if status != 201:
        raise SystemExit(f"upload of {name}: HTTP {status} {body[:300]!r}")
    return int(json.loads(body)["id"])


def rendering_now(site: LocalSite, token: str, photo_ids: list[int]) -> int:
    busy = 0
    for photo_id in photo_ids:
        variants = get_json(f"{site.url}/api/photos/{photo_id}/variants/", token)["results"]
        busy += sum(v["status"] == "processing" for v in variants)
    return busy


def timed_uploads(site: LocalSite, token: str, count: int, seed: int, watch=None) -> dict:
    """Upload `count` 1 MP photos one at a time; seconds from request to ready, each."""
    seconds, renders = [], []
    for index in range(count):
        data = images.jpeg(*SMALL, seed=seed + index)
        started = time.perf_counter()
        photo_id = upload(site, token, f"small-{seed + index}.jpg", data)
        photo = wait_ready(site, token, photo_id, timeout=120)
        seconds.append(time.perf_counter() - started)
        if photo["status"] != "ready":
            raise SystemExit(f"bob's photo failed: {photo['error']}")
        if watch:
            renders.append(watch())
        time.sleep(0.2)
    return {"seconds": seconds, "renders_running": renders}


def flood(site: LocalSite, token: str, photo_ids: list[int], count: int) -> dict:
    """Ask for `count` distinct portraits at once (8 client threads); count the answers."""
    specs = [
        (photo_ids[i % len(photo_ids)], {"effect": "portrait", "blur": 5 + 5 * (i // 2)})
        for i in range(count)
    ]

    def ask(item: tuple[int, dict[str, object]]) -> int:
        photo_id, spec = item
        url = f"{site.url}/api/photos/{photo_id}/variants/"
        return request(url, token=token, json_body=spec)[0]

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(ask, specs))
    return {
        "accepted": statuses.count(202),
        "refused": statuses.count(429),
        "other": [s for s in statuses if s not in (202, 429)],
        "seconds": time.perf_counter() - started,
    }


def run(args: argparse.Namespace, data_dir: Path, limit: int | None) -> dict:
    # The models `make models` installed (the data directory is a fresh one).
    models = os.environ.get("FOCAL_MODEL_DIR", str(ROOT / "var" / "models"))
    overrides = {"FOCAL_MODEL_DIR": models}
    if limit:
        overrides["FOCAL_MAX_QUEUED_RENDERS"] = str(limit)
    with local_site(
        data_dir,
        worker_concurrency=os.cpu_count() or 2,
        env_overrides=overrides,
        port=args.port or 0,
    ) as site:
        try:
            return measure(args, site)
        except BaseException:
            print(site.log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise


def measure(args: argparse.Namespace, site: LocalSite) -> dict:
    alice, bob = site.token, site.token_for("bob")
    photo_ids = []
    for path in big_photos():
        photo = wait_ready(site, alice, upload(site, alice, path.name, path.read_bytes()))
        if photo["status"] != "ready":
            raise SystemExit(f"the 100 MP photo failed: {photo['error']}")
        photo_ids.append(photo["id"])
    baseline = timed_uploads(site, bob, args.uploads, seed=1000)
    flooded = flood(site, alice, photo_ids, args.renders)
    time.sleep(1.0)  # the render worker has picked up its first job
    during = timed_uploads(
        site, bob, args.uploads, seed=2000, watch=lambda: rendering_now(site, alice, photo_ids)
    )
    outcome = render_outcomes(site, alice, photo_ids)
    site.stop()  # the remaining renders are not waited for
    return {"baseline": baseline, "flood": flooded, "during": during, "renders": outcome}


def render_outcomes(site: LocalSite, token: str, photo_ids: list[int]) -> dict[str, int]:
    """How the flood's renders stand when bob's measurements end (errors are printed)."""
    counts: dict[str, int] = {}
    for photo_id in photo_ids:
        for variant in get_json(f"{site.url}/api/photos/{photo_id}/variants/", token)["results"]:
            counts[variant["status"]] = counts.get(variant["status"], 0) + 1
            if variant["error"]:
                print("render failed:", variant["error"])
    return counts


def describe(label: str, result: dict) -> None:
    base = result["baseline"]["seconds"]
    during = result["during"]["seconds"]
    flood_ = result["flood"]
    ratio = statistics.median(during) / statistics.median(base)
    met = "met" if max(during) <= 2.0 else "MISSED"
    print(
        f"| {label} | {flood_['accepted']} / {flood_['refused']} | "
        f"{statistics.median(base):.3f} / {max(base):.3f} | "
        f"{statistics.median(during):.3f} / {max(during):.3f} | {ratio:.1f}x | "
        f"{', '.join(map(str, result['during']['renders_running']))} | {met} |"
    )
    if flood_["other"]:
        print(f"  unexpected answers to the flood: {flood_['other']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uploads", type=int, default=5, help="timed 1 MP uploads per phase")
    parser.add_argument("--renders", type=int, default=20, help="portraits asked for at once")
    parser.add_argument("--port", type=int, default=None, help="port to serve on (default: free)")
    parser.add_argument("--skip-unlimited", action="store_true", help="only the default limits")
    args = parser.parse_args()
    big_photos()
    results = {}
    with tempfile.TemporaryDirectory(prefix="focal-fairness-") as tmp:
        results["default limits"] = run(args, Path(tmp) / "limits", None)
        if not args.skip_unlimited:
            # A port of its own: the first site's may still be closing.
            args.port = args.port and args.port + 1
            results["no render limit"] = run(args, Path(tmp) / "unlimited", 1000)
    print(f"\n{os.cpu_count()} cores; bob's 1 MP upload, seconds from request to ready")
    print(
        "| flood | renders accepted / refused | baseline median / worst | "
        "during flood median / worst | ratio | renders running at each | target ≤ 2 s |"
    )
    print("|---|---|---:|---:|---:|---|---|")
    for label, result in results.items():
        describe(label, result)
    np.set_printoptions(precision=3)
    for label, result in results.items():
        print(label, "during:", np.array(result["during"]["seconds"]), result["renders"])


if __name__ == "__main__":
    main()

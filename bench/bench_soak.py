"""Soak: 8 clients upload, search and render for 10 minutes on PostgreSQL + Redis while the
worker is killed twice (SIGKILL), on loopback.

    .venv/bin/python -m bench.bench_soak [--minutes 10] [--clients 8]
        [--database-url postgres://postgres@127.0.0.1:5432/focal_bench_soak]
        [--redis-url redis://127.0.0.1:6379/13]

Starts Focal as `make run` does (`manage.py serve`: the web server and a Celery worker under
the supervisor, default settings) on a throwaway PostgreSQL database (created here, its name
must start with focal_bench, dropped at the end) and the given Redis database (flushed first).
Each client is its own user and loops until the time is up (and at most --max-requests): a
new 1 MP photo of a person (upload, then polled until ready), a search by colour, a search by
one of its photos, the similar photos of one, the list of its photos, and a portrait of one of
its ready photos (polled until done). At one third and two thirds of the run, the worker's
main process is killed with SIGKILL; the supervisor starts a new one.

Reports: requests served, 5xx answers, p50/p95 latency per endpoint, jobs (photos and
variants) that ended ready, failed with a reason, or are lost or stuck (still pending or
processing once no job has finished for 90 s after the clients stop; target 0), and the RSS of
the web and worker processes at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

from bench.bench_similar_http import throwaway_postgres
from tests.http import request
from tests.localsite import LocalSite, local_site

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("FOCAL_MODEL_DIR", str(ROOT / "var" / "models"))
# After the clients stop, the queue is drained for as long as jobs keep finishing; a job still
# pending or processing when nothing has finished for this long is stuck.
SETTLE_SECONDS = 90
DRAIN_LIMIT_SECONDS = 900
WEIGHTS = {"upload": 3, "colour": 2, "by_image": 1, "similar": 2, "list": 2, "render": 1}


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    photos: list[int] = field(default_factory=list)
    variants: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, endpoint: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)
            counts = self.statuses[endpoint]
            counts[status] = counts.get(status, 0) + 1


def person_jpeg(rng: random.Random) -> bytes:
    import io

    import skimage.data
    from PIL import Image

    photo = np.roll(skimage.data.astronaut(), rng.randrange(512), axis=1)
    photo = Image.fromarray(photo).resize((1155, 866))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=rng.randrange(80, 95))
    return buffer.getvalue()


class Client:
    def __init__(self, site: LocalSite, token: str, seed: int, tally: Tally) -> None:
        self.site, self.token, self.tally = site, token, tally
        self.rng = random.Random(seed)
        self.ready: list[int] = []

    def call(
        self, endpoint: str, path: str, files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, bytes]:
        started = time.monotonic()
        try:
            status, _, body = request(self.site.url + path, token=self.token, files=files)
        except OSError as exc:
            status, body = 599, str(exc).encode()  # no answer at all counts as a server error
        self.tally.record(endpoint, status, time.monotonic() - started)
        if status >= 500:
            with self.tally.lock:
                self.tally.errors.append(f"{endpoint} {status} {body[:200]!r}")
        return status, body

    def post_json(self, endpoint: str, path: str, payload: dict) -> tuple[int, bytes]:
        started = time.monotonic()
        req = urllib.request.Request(
            self.site.url + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except OSError as exc:
            status, body = 599, str(exc).encode()
        self.tally.record(endpoint, status, time.monotonic() - started)
        if status >= 500:
            with self.tally.lock:
                self.tally.errors.append(f"{endpoint} {status} {body[:200]!r}")
        return status, body

    def step(self) -> None:
        action = self.rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        if action in ("by_image", "similar", "render") and not self.ready:
            action = "upload"
        if action == "upload":
            status, body = self.call(
                "POST /api/photos/",
                "/api/photos/",
                files={"image": ("p.jpg", person_jpeg(self.rng))},
            )
            if status in (200, 201):
                photo_id = json.loads(body)["id"]
                with self.tally.lock:
                    self.tally.photos.append(photo_id)
                self.ready.append(photo_id)  # searched once processed; a 409 until then is fine
        elif action == "colour":
            colour = f"{self.rng.randrange(2**24):06x}"
            self.call("GET /api/search/?color", f"/api/search/?color=%23{colour}&k=10")
        elif action == "by_image":
            self.call(
                "POST /api/search/",
                "/api/search/",
                files={"image": ("q.jpg", person_jpeg(self.rng))},
            )
        elif action == "similar":
            photo_id = self.rng.choice(self.ready)
            self.call("GET /api/photos/{id}/similar/", f"/api/photos/{photo_id}/similar/?k=10")
        elif action == "list":
            self.call("GET /api/photos/", "/api/photos/?mine=true")
        elif action == "render":
            photo_id = self.rng.choice(self.ready)
            blur = self.rng.randrange(10, 100)
            status, body = self.post_json(
                "POST /api/photos/{id}/variants/",
                f"/api/photos/{photo_id}/variants/",
                {"effect": "portrait", "subject": "auto", "blur": blur},
            )
            if status in (200, 202):
                with self.tally.lock:
                    self.tally.variants.append(json.loads(body)["id"])


def make_users(site: LocalSite, count: int) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(FOCAL_DATA_DIR=str(site.data_dir), SECRET_KEY="local-site-secret")
    tokens = []
    for i in range(count):
        out = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "api_token", f"soak{i}", "--create"],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        tokens.append(out.stdout.strip().splitlines()[-1])
    return tokens


def cmdline(process: psutil.Process) -> list[str]:
    """A child's command line, or nothing for one that just died (killed, not yet reaped)."""
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def worker_main(site: LocalSite) -> psutil.Process | None:
    """The main process of the worker that processes uploads (the other one renders)."""
    for child in psutil.Process(site.process.pid).children():
        if "photos@%h" in cmdline(child):
            return child
    return None


def rss_mb(site: LocalSite) -> tuple[float, float]:
    children = psutil.Process(site.process.pid).children()
    web = next(p for p in children if "web" in cmdline(p))
    worker = worker_main(site)
    worker_total = 0.0
    if worker is not None:
        worker_total = sum(p.memory_info().rss for p in [worker, *worker.children()]) / 2**20
    return web.memory_info().rss / 2**20, worker_total


def job_states(site: LocalSite, token: str, kind: str, ids: list[int]) -> dict[str, int]:
    from django.db import connection

    table = "gallery_photo" if kind == "photos" else "effects_variant"
    counts: dict[str, int] = defaultdict(int)
    ids = sorted(set(ids))  # an upload of the same bytes answers with the existing photo
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            cursor.execute(
                f"SELECT status, COUNT(*) FROM {table} WHERE id = ANY(%s) GROUP BY status", [chunk]
            )
            for status, count in cursor.fetchall():
                counts[status] += count
    counts["missing"] = len(ids) - sum(counts.values())
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="port to serve on (default: free)")
    parser.add_argument("--max-requests", type=int, default=20000, help="per client")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/focal_bench_soak"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    duration = args.minutes * 60

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["REDIS_URL"] = args.redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focal.settings")
    os.environ.setdefault("SECRET_KEY", "soak")
    import django

    django.setup()
    tally = Tally()
    with (
        throwaway_postgres(args.database_url),
        tempfile.TemporaryDirectory() as tmp,
        local_site(Path(tmp) / "data", keep_services=True, port=args.port) as site,
    ):
        tokens = make_users(site, args.clients)
        rss_start = rss_mb(site)
        print(f"started; RSS web {rss_start[0]:.0f} MB, worker {rss_start[1]:.0f} MB", flush=True)
        deadline = time.monotonic() + duration
        clients = [Client(site, token, seed, tally) for seed, token in enumerate(tokens)]

        def loop(client: Client) -> None:
            for _ in range(args.max_requests):
                if time.monotonic() >= deadline:
                    return
                client.step()

        threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        kills = []
        for k in range(1, args.kills + 1):
            time.sleep(max(0.0, started + duration * k / (args.kills + 1) - time.monotonic()))
            worker = worker_main(site)
            if worker is not None:
                worker.send_signal(signal.SIGKILL)
                kills.append(round(time.monotonic() - started))
                print(f"killed the worker (pid {worker.pid}) at {kills[-1]} s", flush=True)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        print(f"clients stopped after {elapsed:.0f} s; waiting for the jobs", flush=True)
        drain_started = time.monotonic()
        last_change, last_unfinished = drain_started, -1
        while True:
            photos = job_states(site, tokens[0], "photos", tally.photos)
            variants = job_states(site, tokens[0], "variants", tally.variants)
            unfinished = sum(
                counts.get(state, 0)
                for counts in (photos, variants)
                for state in ("pending", "processing")
            )
            now = time.monotonic()
            if unfinished != last_unfinished:
                last_change, last_unfinished = now, unfinished
            if (
                unfinished == 0
                or now - last_change > SETTLE_SECONDS
                or now - drain_started > DRAIN_LIMIT_SECONDS
            ):
                break
            time.sleep(2)
        drained_s = time.monotonic() - drain_started
        print(f"queue drained for {drained_s:.0f} s; {unfinished} jobs unfinished", flush=True)
        rss_end = rss_mb(site)
        restarts = site.log_path.read_text().count("starting it again")

    total = sum(len(v) for v in tally.latencies.values())
    server_errors = sum(
        n for counts in tally.statuses.values() for status, n in counts.items() if status >= 500
    )
    print(f"\n## Soak: {args.clients} clients, {elapsed / 60:.1f} minutes, worker killed at "
          f"{kills} s ({restarts} restarts by the supervisor), PostgreSQL + Redis\n")  # fmt: skip
    print("| endpoint | requests | statuses | p50 ms | p95 ms |")
    print("|---|---:|---|---:|---:|")
    for endpoint, values in sorted(tally.latencies.items()):
        ms = np.array(values) * 1000
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses[endpoint].items()))
        print(f"| `{endpoint}` | {len(values)} | {statuses} | {np.percentile(ms, 50):.0f} | "
              f"{np.percentile(ms, 95):.0f} |")  # fmt: skip
    lost_or_stuck = sum(
        counts.get(state, 0)
        for counts in (photos, variants)
        for state in ("pending", "processing", "missing")
    )
    print(f"\nRequests served: {total}; 5xx (or no answer): {server_errors}.")
    print(f"Photos: {len(set(tally.photos))} uploaded, end states {photos}.")
    print(f"Variants: {len(set(tally.variants))} requested, end states {variants}.")
    print(f"Jobs lost or stuck (unfinished when none had finished for {SETTLE_SECONDS} s, "
          f"{drained_s:.0f} s after the clients stopped): {lost_or_stuck} "
          f"(target 0: {'met' if lost_or_stuck == 0 else 'missed'}).")  # fmt: skip
    print(f"RSS web {rss_start[0]:.0f} -> {rss_end[0]:.0f} MB, worker (all processes) "
          f"{rss_start[1]:.0f} -> {rss_end[1]:.0f} MB.")  # fmt: skip
    for error in tally.errors[:10]:
        print("  ", error)


if __name__ == "__main__":
    main()

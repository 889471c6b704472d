"""Latency of the real similar-photos endpoint over HTTP, with N photos indexed.

Run from the repository root (about 1 minute at 100k on 2 cores with SQLite, 1.5 with
PostgreSQL: mostly the inserts and the index build inside the server):

    .venv/bin/python -m bench.bench_similar_http [--photos 100000] [--requests 300]
        [--database-url postgres://postgres@127.0.0.1:5432/focal_bench]

It starts Focal as `make run` does (tests.localsite: `manage.py serve`, the waitress web
server with 8 threads, plus a Celery worker) in a temporary data directory, on SQLite
with the filesystem broker by default. With --database-url it uses that PostgreSQL database
instead: the database is created by the benchmark (it must not exist yet and its name must
start with "focal_bench"), ANALYZEd after the bulk load, and dropped at the end.

Data: N ready photos with descriptors of the real dimension, drawn by bench_search's
"clustered" generator (square-rooted, L2-normalised histograms: the value range of the real
descriptor), one IndexChange row each, as search.indexing.record_descriptor would leave them.
Alice owns most photos, bob a few (--bob-share); a share of each user's photos is public and
approved (--public-share), a few are public but pending or rejected, the rest private. So
alice sees nearly everything, bob only his own and the shared ones, anonymous only the shared
ones: the permission filter of search.service is exercised at three selectivities.

After a warm-up (the first search makes the server load every descriptor and build its index),
each user asks GET /api/photos/{id}/similar/?k=10 for random photos they may see, one request
at a time on a keep-alive connection, interleaved with GET /api/photos/{id}/ for the same
photo as a same-run baseline: the difference is the search's own share (vector lookup, index
search, permission filtering). Every answer is checked: status 200, k results, and only photos
that user may see.

With --upload-same-subject it times search by an uploaded image instead (several minutes at
100k: the server builds the 4096-d HNSW object index on the first search). Every photo also
gets a LocalDescriptor row (see populate_objects: synthetic object vectors around the real
VLAD vectors of six scikit-image samples, real local features for the photos of the query's
subject), and alice and bob (POST needs an account) send POST /api/search/ with a JPEG of the
query's subject (--upload-size, 12 MP by default) and mode=object, interleaved with the same
request with mode=colour as the same-run baseline: both pay the upload, the decode and the
description (colour and local features); mode=object adds the object index search, reading the
20 candidates' features and verifying them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from bench.bench_search import Descriptors

ROOT = Path(__file__).resolve().parents[1]
K = 10
TARGET_MEDIAN_MS = 25.0  # at 100k photos
INSERT_BATCH = 5_000


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ database


@contextmanager
def throwaway_postgres(url: str) -> Iterator[None]:
    """Create the database named in `url` (refusing an existing one) and drop it afterwards."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("focal_bench") or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing database {name!r}: its name must start with focal_bench")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            raise SystemExit(f"database {name} exists already; drop it or choose another name")
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")


@dataclass
class Population:
    alice_token: str
    bob_token: str
    visible: dict[str, np.ndarray]  # user -> sorted ids of the photos that user may see
    insert_s: float


def populate(
    n: int, bob_share: float, public_share: float, seed: int, matches: int = 0
) -> Population:
    """Bulk-insert n ready photos with descriptors and change-log rows (Django is set up);
    with `matches`, also that many verified same-subject pairs per photo (ObjectMatch, both
    ways, random partners) as the worker would have stored them."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from gallery.models import Moderation, Photo, Status, Visibility
    from search.descriptors import DESCRIPTOR_DIM, DESCRIPTOR_VERSION
    from search.models import Descriptor, IndexChange, ObjectMatch

    users = get_user_model()
    alice = users.objects.get(username="alice")
    bob = users.objects.create_user(username="bob")
    alice_token = Token.objects.get(user=alice).key
    bob_token = Token.objects.create(user=bob).key

    rng = np.random.default_rng(seed)
    owners = np.where(rng.random(n) < bob_share, bob.pk, alice.pk)
    draw = rng.random(n)
    pending_share = rejected_share = 0.01
    visibility = np.where(
        draw < public_share + pending_share + rejected_share,
        Visibility.PUBLIC.value,
        Visibility.PRIVATE.value,
    )
    moderation = np.select(
        [draw < public_share, draw < public_share + pending_share],
        [Moderation.APPROVED.value, Moderation.PENDING.value],
        default=Moderation.REJECTED.value,
    )
    moderation = np.where(visibility == Visibility.PUBLIC.value, moderation, "pending")
    log(f"generating {n:,} clustered descriptors (dim {DESCRIPTOR_DIM})")
    vectors = Descriptors(DESCRIPTOR_DIM, "clustered", seed=seed).sample(n)

    started = time.perf_counter()
    ids = np.empty(n, np.int64)
    for start in range(0, n, INSERT_BATCH):
        stop = min(n, start + INSERT_BATCH)
        with transaction.atomic():
            photos = [
                Photo(
                    owner_id=int(owners[i]),
                    original=f"photos/bench/{i}/original.jpg",
                    thumbnail=f"photos/bench/{i}/thumb.webp",
                    preview=f"photos/bench/{i}/preview.jpg",
                    sha256=secrets.token_hex(32),
                    byte_size=2_000_000,
                    width=4000,
                    height=3000,
                    format="JPEG",
                    title=f"Bench photo {i}",
                    visibility=str(visibility[i]),
                    moderation=str(moderation[i]),
                    status=Status.READY.value,
                    processing_ms=900,
                )
                for i in range(start, stop)
            ]
            Photo.objects.bulk_create(photos)
            ids[start:stop] = [p.pk for p in photos]
            Descriptor.objects.bulk_create(
                Descriptor(
                    photo_id=int(ids[i]), version=DESCRIPTOR_VERSION, vector=Descriptor.pack(v)
                )
                for i, v in zip(range(start, stop), vectors[start:stop], strict=True)
            )
            IndexChange.objects.bulk_create(
                IndexChange(photo_id=int(photo_id), added=True) for photo_id in ids[start:stop]
            )
        if (stop // INSERT_BATCH) % 5 == 0 or stop == n:
            log(f"inserted {stop:,} photos")
    if matches:
        log(f"inserting {matches} same-subject pairs per photo")
        for start in range(0, n, INSERT_BATCH):
            stop = min(n, start + INSERT_BATCH)
            pairs = []
            for i in range(start, stop):
                for j in rng.choice(n, size=matches, replace=False).tolist():
                    if j != i:
                        inliers = int(rng.integers(15, 300))
                        for a, b in ((ids[i], ids[j]), (ids[j], ids[i])):
                            pairs.append(
                                ObjectMatch(
                                    photo_id=int(a), other_id=int(b), inliers=inliers, score=0.5
                                )
                            )
            with transaction.atomic():
                ObjectMatch.objects.bulk_create(pairs, ignore_conflicts=True)
    insert_s = time.perf_counter() - started
    from django.db import connection

    if connection.vendor == "postgresql":
        # Planner statistics, as autovacuum gathers them within a minute or so of a bulk load.
        # Without them PostgreSQL estimates 1 row per condition and filters the hits through
        # a bitmap of every photo the user owns (100k photos: alice 25.1 ms median, not 9.7).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    from django.contrib.auth.models import AnonymousUser

    visible = {
        name: np.sort(
            np.fromiter(Photo.objects.visible_to(user).values_list("pk", flat=True), np.int64)
        )
        for name, user in (("alice", alice), ("bob", bob), ("anonymous", AnonymousUser()))
    }
    return Population(alice_token, bob_token, visible, insert_s)


SUBJECTS = ("chelsea", "astronaut", "coffee", "rocket", "motorcycle", "retina")
QUERY_SUBJECT = "chelsea"
DISTRACTOR_KEYPOINTS = 8


def populate_objects(seed: int, subject_share: float) -> int:
    """Give every photo a LocalDescriptor row as the worker would (Django is set up).

    The object vector of each photo is the real VLAD vector of one of six scikit-image samples
    plus seeded Gaussian noise (sigma 0.02 a dimension, as bench_same_subject), L2-normalised:
    `subject_share` of the photos get the query's subject (chelsea), the rest one of the other
    five. Photos of the query's subject store that sample's real local features (~400
    keypoints), so the 20 candidates of an upload are verified for real; the others store
    their sample's first DISTRACTOR_KEYPOINTS keypoints only (never verified: keeps the
    database small). Returns how many photos show the query's subject."""
    import cv2
    from django.db import transaction

    from gallery.models import Photo
    from search import local_features, object_vectors
    from search.models import LocalDescriptor
    from tests import images

    codebook = object_vectors.shipped_codebook()
    feats = [
        local_features.extract(cv2.cvtColor(images.sample(name), cv2.COLOR_RGB2GRAY))
        for name in SUBJECTS
    ]
    bases = np.stack([codebook.vector(f) for f in feats]).astype(np.float32)
    full = local_features.to_bytes(feats[0])
    short = [
        local_features.to_bytes(
            local_features.LocalFeatures(
                f.xy[:DISTRACTOR_KEYPOINTS], f.descriptors[:DISTRACTOR_KEYPOINTS], f.size
            )
        )
        for f in feats
    ]
    ids = np.fromiter(Photo.objects.order_by("pk").values_list("pk", flat=True), np.int64)
    rng = np.random.default_rng(seed + 2)
    subject = np.where(
        rng.random(len(ids)) < subject_share, 0, rng.integers(1, len(SUBJECTS), len(ids))
    )
    log(f"inserting {len(ids):,} object vectors ({codebook.dim}-d) and local features")
    for start in range(0, len(ids), INSERT_BATCH):
        stop = min(len(ids), start + INSERT_BATCH)
        which = subject[start:stop]
        vectors = bases[which] + rng.normal(0, 0.02, (stop - start, codebook.dim)).astype(
            np.float32
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with transaction.atomic():
            LocalDescriptor.objects.bulk_create(
                LocalDescriptor(
                    photo_id=int(photo_id),
                    version=local_features.LOCAL_VERSION,
                    data=full if s == 0 else short[s],
                    vector=LocalDescriptor.pack(v),
                )
                for photo_id, s, v in zip(ids[start:stop], which.tolist(), vectors, strict=True)
            )
        if (stop // INSERT_BATCH) % 5 == 0 or stop == len(ids):
            log(f"inserted {stop:,} object rows")
    return int((subject == 0).sum())


def query_jpeg(width: int, height: int, grain: float = 0.0) -> bytes:
    """The query's subject as a JPEG of width x height (cubic upscale, quality 92), with
    seeded Gaussian grain of sigma `grain` (an upscaled image compresses far better than a
    camera's: grain 6 gives a 12 MP file the size of a phone's, ~3 MB)."""
    from PIL import Image

    from tests import images

    rgb = Image.fromarray(images.sample(QUERY_SUBJECT)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    pixels = np.asarray(rgb)
    if grain:
        noise = np.random.default_rng(0).normal(0, grain, pixels.shape)
        pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    return images.encode(pixels, "JPEG", quality=92)


@dataclass
class UploadTimings:
    object_ms: np.ndarray
    colour_ms: np.ndarray
    found: list[int]  # results per object answer


def time_uploads(
    client: Client, image: bytes, visible: np.ndarray, n_requests: int, warmup: int
) -> UploadTimings:
    """POST /api/search/ with the image, mode=object then mode=colour (the same-run baseline:
    same upload, decode and colour description, no local features or verification),
    interleaved; every answer checked to hold only photos this user may see."""
    visible_set = set(visible.tolist())
    times: dict[str, list[float]] = {"object": [], "colour": []}
    found = []
    for i in range(warmup + n_requests):
        for mode in ("object", "colour"):
            started = time.perf_counter()
            status, body = client.post_image("/api/search/", {"mode": mode, "k": str(K)}, image)
            elapsed = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"search by image, mode={mode}: HTTP {status}: {body[:300]!r}")
            got = [r["id"] for r in json.loads(body)["results"]]
            if not set(got) <= visible_set:
                raise RuntimeError(f"mode={mode}: a result this user may not see: {got}")
            if i >= warmup:
                times[mode].append(elapsed * 1e3)
                if mode == "object":
                    found.append(len(got))
    return UploadTimings(np.array(times["object"]), np.array(times["colour"]), found)


# ---------------------------------------------------------------------------------- http


class Client:
    """One keep-alive connection to 127.0.0.1, reopened if the server closes it."""

    def __init__(self, url: str, token: str | None) -> None:
        parts = urlsplit(url)
        if parts.hostname != "127.0.0.1":
            raise ValueError("this benchmark only talks to 127.0.0.1")
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, timeout: float = 30) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self.conn.timeout = timeout
            if self.conn.sock is not None:
                self.conn.sock.settimeout(timeout)
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                if response.will_close:
                    self.close()
                return response.status, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # keep-alive timed out between requests: once more, fresh
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def post_image(self, path: str, fields: dict[str, str], image: bytes) -> tuple[int, bytes]:
        """POST a multipart form with one file field, `image` (as a browser would)."""
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        body = (
            "".join(parts).encode()
            + f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="query.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + image
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.send("POST", path, body, headers)

    def send(
        self, method: str, path: str, body: bytes, headers: dict[str, str], timeout: float = 900
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Timings:
    similar_ms: np.ndarray
    detail_ms: np.ndarray
    wall_s: float
    short: int  # answers with fewer than k results


def run_user(
    client: Client,
    ids: np.ndarray,
    visible: np.ndarray,
    n_requests: int,
    rng: Any,
    mode: str = "",
) -> Timings:
    """Time similar and detail requests for random visible photos, interleaved."""
    chosen = rng.choice(ids, size=n_requests, replace=len(ids) < n_requests)
    visible_set = set(visible.tolist())
    similar, detail = np.empty(n_requests), np.empty(n_requests)
    short = 0
    similar_wall = 0.0
    for i, photo_id in enumerate(chosen.tolist()):
        started = time.perf_counter()
        status, body = client.get(f"/api/photos/{photo_id}/similar/?k={K}{mode}")
        similar[i] = time.perf_counter() - started
        similar_wall += similar[i]
        if status != 200:
            raise RuntimeError(f"similar {photo_id}: HTTP {status}: {body[:300]!r}")
        results = json.loads(body)["results"]
        got = [r["id"] for r in results]
        if not set(got) <= visible_set or photo_id in got:
            raise RuntimeError(f"similar {photo_id}: a result this user may not see: {got}")
        short += len(got) < K

        started = time.perf_counter()
        status, body = client.get(f"/api/photos/{photo_id}/")
        detail[i] = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"detail {photo_id}: HTTP {status}: {body[:300]!r}")
    return Timings(similar * 1e3, detail * 1e3, similar_wall, short)


def fmt(values: np.ndarray) -> tuple[str, str]:
    return f"{np.median(values):.1f}", f"{np.percentile(values, 95):.1f}"


# ---------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="per user (max 2000)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per user")
    parser.add_argument("--bob-share", type=float, default=0.05, help="photos owned by bob")
    parser.add_argument(
        "--public-share", type=float, default=0.05, help="photos public and approved"
    )
    parser.add_argument("--database-url", default=None, help="throwaway PostgreSQL database")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--same-subject",
        type=int,
        default=0,
        metavar="N",
        help="also store N same-subject pairs per photo and time mode=object instead",
    )
    parser.add_argument(
        "--upload-same-subject",
        action="store_true",
        help="give every photo object vectors and local features, and time POST /api/search/ "
        "with an uploaded image, mode=object (baseline: the same request with mode=colour)",
    )
    parser.add_argument(
        "--subject-share",
        type=float,
        default=0.02,
        help="with --upload-same-subject: share of photos showing the query's subject",
    )
    parser.add_argument("--upload-size", default="4000x3000", help="the query JPEG's WxH")
    parser.add_argument(
        "--upload-grain", type=float, default=0.0, help="sigma of grain added to the query"
    )
    args = parser.parse_args(argv)
    if args.upload_same_subject:
        args.requests = min(args.requests, 200)
    mode = "&mode=object" if args.same_subject else ""
    if not 1 <= args.requests <= 2000 or not 0 <= args.warmup <= 200:
        raise SystemExit("--requests must be 1..2000 and --warmup 0..200")

    data_dir = Path(tempfile.mkdtemp(prefix="focal-bench-http-"))
    # The same settings as the server's, so this process can insert into its database.
    os.environ["FOCAL_DATA_DIR"] = str(data_dir)
    os.environ["SECRET_KEY"] = "local-site-secret"
    os.environ.setdefault("FOCAL_MODEL_DIR", str(ROOT / "var" / "models"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "focal.settings"
    os.environ.pop("REDIS_URL", None)  # filesystem broker: the worker is idle here anyway
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    from tests.localsite import local_site

    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        if args.database_url:
            stack.enter_context(throwaway_postgres(args.database_url))
        log(f"starting the server in {data_dir}")
        site = stack.enter_context(local_site(data_dir, keep_services=bool(args.database_url)))
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        engine = connection.vendor
        pop = populate(args.photos, args.bob_share, args.public_share, args.seed, args.same_subject)
        subject_photos = 0
        if args.upload_same_subject:
            started = time.perf_counter()
            subject_photos = populate_objects(args.seed, args.subject_share)
            pop.insert_s += time.perf_counter() - started
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
        connection.close()
        log(f"inserted in {pop.insert_s:.1f} s; warming up (the server loads its index)")
        if args.upload_same_subject:
            width, height = (int(v) for v in args.upload_size.split("x"))
            image = query_jpeg(width, height, args.upload_grain)
            uploads = {}
            for name in ("alice", "bob"):
                client = Client(site.url, getattr(pop, f"{name}_token"))
                if name == "alice":  # the server loads both indexes
                    started = time.perf_counter()
                    status, body = client.post_image(
                        "/api/search/", {"mode": "object", "k": str(K)}, image
                    )
                    load_s = time.perf_counter() - started
                    if status != 200:
                        raise RuntimeError(f"warm-up: HTTP {status}: {body[:500]!r}")
                    load_before = os.getloadavg()[0]
                log(f"{args.requests} object + {args.requests} colour uploads as {name}")
                uploads[name] = time_uploads(
                    client, image, pop.visible[name], args.requests, args.warmup
                )
                client.close()
            print_uploads(args, engine, settings, pop, uploads, len(image), subject_photos)
            print(
                f"first search (loads and builds both indexes) {load_s:.1f} s; load average "
                f"{load_before:.2f} before timing, {os.getloadavg()[0]:.2f} at the end"
            )
            return

        tokens = {"alice": pop.alice_token, "bob": pop.bob_token, "anonymous": None}
        clients = {name: Client(site.url, token) for name, token in tokens.items()}
        first = int(pop.visible["anonymous"][0])
        started = time.perf_counter()
        status, body = clients["alice"].get(f"/api/photos/{first}/similar/?k={K}", timeout=900)
        load_s = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"warm-up: HTTP {status}: {body[:500]!r}")
        rng = np.random.default_rng(args.seed + 1)
        for name, client in clients.items():
            for photo_id in rng.choice(pop.visible[name], size=args.warmup).tolist():
                client.get(f"/api/photos/{photo_id}/similar/?k={K}{mode}")
                client.get(f"/api/photos/{photo_id}/")

        results: dict[str, Timings] = {}
        load_before = os.getloadavg()[0]
        for name, client in clients.items():
            log(f"{args.requests} similar + {args.requests} detail requests as {name}")
            results[name] = run_user(
                client, pop.visible[name], pop.visible[name], args.requests, rng, mode
            )
        for client in clients.values():
            client.close()
        server_log = site.log_path.read_text(errors="replace")
        loaded = [line for line in server_log.splitlines() if "loaded" in line and "index" in line]

    n = args.photos
    what = f"mode=object, {args.same_subject} stored pairs per photo" if mode else "colour"
    print(f"## Similar-photos endpoint over HTTP ({what})\n")
    print(
        f"{n:,} photos ({engine}, {settings.FOCAL_INDEX_KIND} index, threshold "
        f"{settings.FOCAL_INDEX_THRESHOLD:,}), `manage.py serve` (waitress, 8 "
        f"threads), {os.cpu_count()} CPUs, load average {load_before:.2f} before timing; "
        f"{args.requests} requests per user, one at a time, keep-alive, k={K}. "
        f"Inserting took {pop.insert_s:.1f} s; the first search (server loads and indexes every "
        f"descriptor) {load_s:.1f} s.\n"
    )
    if loaded:
        print(f"Server log: `{loaded[-1].strip()[-120:]}`\n")
    rows = []
    for name, t in results.items():
        share = len(pop.visible[name]) / n
        sim_med, sim_p95 = fmt(t.similar_ms)
        det_med, det_p95 = fmt(t.detail_ms)
        own = np.median(t.similar_ms) - np.median(t.detail_ms)
        rps = len(t.similar_ms) / t.wall_s
        verdict = "met" if np.median(t.similar_ms) < TARGET_MEDIAN_MS else "NOT met"
        rows.append(
            f"| {name} | {len(pop.visible[name]):,} ({share:.1%}) | {sim_med} / {sim_p95} | "
            f"{rps:.0f} | {det_med} / {det_p95} | {own:.1f} | {t.short} | "
            f"< {TARGET_MEDIAN_MS:.0f} ms median: {verdict} |"
        )
    print(
        "| user | photos visible | similar ms (median / p95) | similar req/s (sequential) | "
        "detail ms, baseline (median / p95) | search's own share, ms (median difference) | "
        f"answers with < {K} results | target at 100k |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end (2 cores shared: timings noisy)")


def print_uploads(
    args: argparse.Namespace,
    engine: str,
    settings: Any,
    pop: Population,
    uploads: dict[str, UploadTimings],
    image_bytes: int,
    subject_photos: int,
) -> None:
    n = args.photos
    print("## Same subject of an uploaded image over HTTP (POST /api/search/, mode=object)\n")
    print(
        f"{n:,} photos ({engine}, {settings.FOCAL_INDEX_KIND} index), {subject_photos:,} of "
        f"them showing the query's subject; query: {args.upload_size} JPEG "
        f"({image_bytes / 1e6:.1f} MB, grain {args.upload_grain:g}) of scikit-image's "
        f"{QUERY_SUBJECT}; `manage.py serve` "
        f"(waitress, 8 threads), {os.cpu_count()} CPUs; {args.requests} requests per user and "
        f"mode after {args.warmup} untimed, one at a time, keep-alive, k={K}. Inserting took "
        f"{pop.insert_s:.1f} s.\n"
    )
    print(
        "| user (photos visible) | mode=object ms (median / p95) | mode=colour ms, same-run "
        "baseline (median / p95) | difference of medians | object results (min-max) | "
        "target < 150 ms median |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for name, t in uploads.items():
        share = len(pop.visible[name]) / n
        obj_med, obj_p95 = fmt(t.object_ms)
        col_med, col_p95 = fmt(t.colour_ms)
        diff = np.median(t.object_ms) - np.median(t.colour_ms)
        verdict = "met" if np.median(t.object_ms) < 150 else "NOT met"
        print(
            f"| {name} ({share:.1%}) | {obj_med} / {obj_p95} | {col_med} / {col_p95} | "
            f"{diff:.1f} | {min(t.found)}-{max(t.found)} | {verdict} |"
        )


if __name__ == "__main__":
    main()

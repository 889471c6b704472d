"""The gallery timeline at scale: server time of the first page and of the next scroll batch
with N photos, against OFFSET pagination as the same-run baseline; and the bytes a browser
fetches for the first screen.

    .venv/bin/python -m bench.bench_gallery [--photos 100000] [--requests 200]
        [--database-url postgres://postgres@127.0.0.1:5432/focal_bench_gallery] [--no-bytes]

1. Server time. It starts Focal as `make run` does (tests.localsite: web server + worker) in a
   temporary data directory, on SQLite by default or on a throwaway PostgreSQL database (created
   and dropped by the benchmark; ANALYZEd after the bulk load). N ready photos are bulk-inserted
   with dates spread over ten years: alice owns most (--bob-share go to bob), a share of each
   user's photos is public and approved. For alice, bob and anonymous visitors it times
   `GET /` (the first page, whole HTML) and `GET /?after=<cursor>&fragment=1` (the next batch
   as scrolling asks for it) at random depths of their timeline, one request at a time on a
   keep-alive connection. Every answer is checked (status 200, 48 photos the user may see).
   Baseline in the same run, in this process against the same database: the same page of the
   same visible photos by LIMIT/OFFSET (Django's Paginator), the classic way, at the same depths.
2. First-screen bytes. In a separate small gallery of real processed photos (gallery.demo, 60
   photos), headless Chromium opens `/` at 1366x900 and sums the encoded bytes of every
   response it loaded before the page settled (HTML, CSS, scripts, thumbnails), without
   scrolling. Target: under 1.5 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.bench_similar_http import Client, throwaway_postgres

if TYPE_CHECKING:
    from gallery.browse import User
else:
    User = Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0
TARGET_BYTES = 1.5e6
INSERT_BATCH = 5_000


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def populate(n: int, bob_share: float, public_share: float, seed: int) -> dict[str, str]:
    """Insert the photos; returns a session cookie for alice and for bob (pages use sessions)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client as DjangoClient

    from gallery.models import Moderation, Photo, Status, Visibility

    users = get_user_model()
    alice = users.objects.get(username="alice")
    bob = users.objects.create_user(username="bob")
    rng = np.random.default_rng(seed)
    owners = np.where(rng.random(n) < bob_share, bob.pk, alice.pk)
    public = rng.random(n) < public_share
    start = datetime(2016, 1, 1, tzinfo=UTC)
    seconds = np.sort(rng.uniform(0, 10 * 365 * 86400, n))
    for first in range(0, n, INSERT_BATCH):
        last = min(n, first + INSERT_BATCH)
        with transaction.atomic():
            Photo.objects.bulk_create(
                Photo(
                    owner_id=int(owners[i]),
                    original=f"photos/bench/{i}/original.jpg",
                    thumbnail=f"photos/bench/{i}/thumb.webp",
                    tile=f"photos/bench/{i}/tile.webp",
                    preview=f"photos/bench/{i}/preview.jpg",
                    sha256=secrets.token_hex(32),
                    byte_size=2_000_000,
                    width=4000 if i % 3 else 3000,
                    height=3000 if i % 3 else 4000,
                    format="JPEG",
                    title=f"Bench photo {i}",
                    shot_at=start + timedelta(seconds=float(seconds[i])),
                    visibility=Visibility.PUBLIC if public[i] else Visibility.PRIVATE,
                    moderation=Moderation.APPROVED if public[i] else Moderation.PENDING,
                    status=Status.READY,
                )
                for i in range(first, last)
            )
        if (last // INSERT_BATCH) % 5 == 0 or last == n:
            log(f"inserted {last:,} photos")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    sessions = {}
    for user in (alice, bob):
        client = DjangoClient()
        client.force_login(user)
        sessions[user.username] = client.cookies["sessionid"].value
    return sessions


def depths(user: User, count: int, rng: np.random.Generator) -> list[tuple[str, int]]:
    """(cursor after which to load, offset of that position) at random depths of the timeline."""
    from django.db.models import Q

    from gallery.browse import Cursor
    from gallery.models import Photo, Status

    visible = Photo.objects.visible_to(user).filter(
        Q(status=Status.READY) | Q(owner_id=getattr(user, "pk", None))
    )
    keys = list(visible.order_by("-shot_at", "-id").values_list("shot_at", "id"))
    chosen = rng.integers(0, max(1, len(keys) - 60), size=count)
    return [(str(Cursor(*keys[i])), int(i) + 1) for i in chosen]


def keyset_in_process(user: User, cursors: list[str]) -> np.ndarray:
    """Milliseconds per page of gallery.browse.timeline at the same positions, in-process."""
    from gallery.browse import Cursor, timeline

    times = []
    for cursor in cursors:
        started = time.perf_counter()
        timeline(user, after=Cursor.parse(cursor))
        times.append((time.perf_counter() - started) * 1e3)
    return np.array(times)


def offset_baseline(user: User, offsets: list[int], page: int) -> np.ndarray:
    """Milliseconds per page by LIMIT/OFFSET of the same visible photos (Django's Paginator)."""
    from django.core.paginator import Paginator
    from django.db.models import Q

    from gallery.models import Photo, Status

    visible = (
        Photo.objects.visible_to(user)
        .filter(Q(status=Status.READY) | Q(owner_id=getattr(user, "pk", None)))
        .select_related("owner")
        .order_by("-shot_at", "-id")
    )
    times = []
    for offset in offsets:
        started = time.perf_counter()
        paginator = Paginator(visible, page)
        number = offset // page + 1
        list(paginator.get_page(number).object_list)
        times.append((time.perf_counter() - started) * 1e3)
    return np.array(times)


def server_times(args: argparse.Namespace) -> list[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="focal-bench-gallery-"))
    os.environ.update(
        FOCAL_DATA_DIR=str(data_dir),
        SECRET_KEY="local-site-secret",
        DJANGO_SETTINGS_MODULE="focal.settings",
    )
    os.environ.setdefault("FOCAL_MODEL_DIR", str(ROOT / "var" / "models"))
    os.environ.pop("REDIS_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    from tests.localsite import local_site

    rows = []
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        if args.database_url:
            stack.enter_context(throwaway_postgres(args.database_url))
        site = stack.enter_context(local_site(data_dir, keep_services=bool(args.database_url)))
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import AnonymousUser
        from django.db import connection

        engine = connection.vendor
        started = time.perf_counter()
        tokens = populate(args.photos, args.bob_share, args.public_share, args.seed)
        log(f"inserted {args.photos:,} photos in {time.perf_counter() - started:.0f} s")
        users = get_user_model().objects
        people: dict[str, tuple[User, str | None]] = {
            "alice": (users.get(username="alice"), tokens["alice"]),
            "bob": (users.get(username="bob"), tokens["bob"]),
            "anonymous": (AnonymousUser(), None),
        }
        rng = np.random.default_rng(args.seed)
        page_size = settings.FOCAL_PAGE_SIZE
        for name, (user, session) in people.items():
            client = Client(site.url, None)
            client.headers["Accept"] = "text/html"
            if session is not None:
                client.headers["Cookie"] = f"sessionid={session}"
            positions = depths(user, args.requests, rng)
            for _ in range(5):  # warm-up
                client.get("/")
            first, later = [], []
            for cursor, _offset in positions:
                t0 = time.perf_counter()
                status, body = client.get("/")
                first.append((time.perf_counter() - t0) * 1e3)
                assert status == 200 and body.count(b'class="tile"') == page_size, status
                t0 = time.perf_counter()
                status, body = client.get(f"/?after={cursor}&fragment=1")
                later.append((time.perf_counter() - t0) * 1e3)
                assert status == 200, (status, body[:200])
                assert len(re.findall(rb'class="tile"', body)) == page_size
            client.close()
            baseline = offset_baseline(user, [offset for _, offset in positions], page_size)
            keyset = keyset_in_process(user, [cursor for cursor, _ in positions])
            visible_count = count_visible(user)
            first_ms, later_ms = np.median(first), np.median(later)
            verdict = "met" if max(first_ms, later_ms) < TARGET_MS else "NOT met"
            rows.append(
                f"| {engine} | {name} | {visible_count:,} | {first_ms:.1f} / "
                f"{np.percentile(first, 95):.1f} | {later_ms:.1f} / {np.percentile(later, 95):.1f}"
                f" | {np.median(keyset):.1f} / {np.percentile(keyset, 95):.1f}"
                f" | {np.median(baseline):.1f} / {np.percentile(baseline, 95):.1f} | "
                f"{np.median(baseline) / np.median(keyset):.1f}x | {verdict} |"
            )
            log(rows[-1])
        connection.close()
    return rows


def count_visible(user: User) -> int:
    from gallery.models import Photo

    return Photo.objects.visible_to(user).count()


def first_screen_bytes() -> tuple[int, int, dict[str, int]]:
    """Bytes Chromium fetches for `/` at 1366x900 in a 60-photo demo gallery, by type."""
    data_dir = Path(tempfile.mkdtemp(prefix="focal-bench-bytes-"))
    os.environ.update(FOCAL_DATA_DIR=str(data_dir), SECRET_KEY="local-site-secret")
    os.environ.pop("DATABASE_URL", None)
    from tests.browser.checks import ARGS, CHROMIUM
    from tests.localsite import local_site

    with local_site(data_dir) as site:
        import subprocess

        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "seed_demo", "--photos", "60"],
            env={**os.environ}, cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        from playwright.sync_api import sync_playwright

        sizes: dict[str, int] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            login = browser.new_page()
            login.goto(f"{site.url}/accounts/login/")
            login.fill("input[name=username]", "alice")
            login.fill("input[name=password]", "alice-pass-123")
            login.click("form button[type=submit]")
            login.wait_for_load_state("networkidle")
            # A fresh context with alice's cookies: nothing cached from the log-in page.
            context = browser.new_context(
                storage_state=login.context.storage_state(), viewport={"width": 1366, "height": 900}
            )
            page = context.new_page()
            responses = []
            page.on("requestfinished", lambda request: responses.append(request))
            page.goto(f"{site.url}/", wait_until="networkidle")
            for request in responses:
                kind = request.resource_type
                sizes[kind] = sizes.get(kind, 0) + request.sizes()["responseBodySize"]
            images = page.evaluate(
                "[...document.images].filter(i => i.complete && i.currentSrc).length"
            )
            browser.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    return sum(sizes.values()), images, sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="per user and kind of page")
    parser.add_argument("--bob-share", type=float, default=0.05)
    parser.add_argument("--public-share", type=float, default=0.05)
    parser.add_argument("--database-url", default=None, help="throwaway PostgreSQL database")
    parser.add_argument("--no-bytes", action="store_true", help="skip the first-screen bytes")
    parser.add_argument("--bytes-only", action="store_true", help="only the first-screen bytes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = [] if args.bytes_only else server_times(args)
    print(f"## Gallery timeline, {args.photos:,} photos, {os.cpu_count()} CPUs\n")
    print(
        "| database | user | photos visible | HTTP first page ms (median / p95) | HTTP next "
        "batch ms (median / p95) | keyset query, in-process ms | OFFSET baseline, in-process "
        f"ms | OFFSET / keyset | target < {TARGET_MS:.0f} ms over HTTP |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    if not args.no_bytes:
        total, images, sizes = first_screen_bytes()
        verdict = "met" if total < TARGET_BYTES else "NOT met"
        parts = ", ".join(f"{kind} {size / 1e3:.0f} kB" for kind, size in sorted(sizes.items()))
        print(
            f"\nFirst screen at 1366x900 (60-photo demo gallery): {total / 1e6:.2f} MB "
            f"({parts}; {images} images loaded); target < 1.5 MB: {verdict}"
        )


if __name__ == "__main__":
    main()

"""Organising at scale: bulk trash and restore of 10,000 photos (time, and whether the search
index agrees with the database afterwards), and zip downloads against reading the same files.

    .venv/bin/python -m bench.bench_organise [--photos 10000] [--zip-photos 200] [--zip-mb 2]
        [--database-url postgres://postgres@127.0.0.1:5432/focal_bench_organise]

Runs in this process against a fresh data directory (SQLite by default; with --database-url a
throwaway PostgreSQL database, created and dropped). Photos are bulk-inserted ready, with
descriptors and index-log rows as processing leaves them.

1. Trash / restore: `POST /api/photos/bulk/` with all N ids, action trash, then restore, through
   Django's test client (the whole view, serializer and action; no network). After each, the
   process's similarity index catches up from the log, and its ids are compared with the
   database's: the photos with a current descriptor that are not in the trash. Baseline in the
   same run: the naive way, one `DELETE /api/photos/{id}/` per photo, on a sample of 500 photos
   (time per photo, scaled).
2. Zip: M photos with originals of S MB each (random bytes: stored, not compressed, so the
   content does not matter), downloaded as one streamed zip through `GET /photos/download`,
   against reading the same files from disk in 1 MB pieces; and the peak of Python memory
   allocated while streaming (tracemalloc), to show that the zip is not built in memory.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_similar_http import throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def setup(data_dir: Path, database_url: str | None) -> None:
    os.environ.update(
        FOCAL_DATA_DIR=str(data_dir),
        SECRET_KEY="bench",
        DJANGO_SETTINGS_MODULE="focal.settings",
        ALLOWED_HOSTS="testserver",  # Django's test client, in this process
    )
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(n: int, files_mb: float = 0, with_files: int = 0) -> tuple[Any, list[int]]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from gallery import files
    from gallery.models import Photo, Status
    from search.descriptors import DESCRIPTOR_DIM, DESCRIPTOR_VERSION
    from search.models import Descriptor, IndexChange

    user = get_user_model().objects.create_user(f"alice{secrets.token_hex(3)}")
    rng = np.random.default_rng(0)
    ids: list[int] = []
    for start in range(0, n, 5000):
        stop = min(n, start + 5000)
        with transaction.atomic():
            photos = [
                Photo(
                    owner=user, original=f"photos/bench/{user.pk}-{i}/original.jpg",
                    sha256=secrets.token_hex(32), byte_size=int(files_mb * 2**20) or 1000,
                    width=4000, height=3000, format="JPEG", title=f"photo {i}",
                    status=Status.READY,
                )
                for i in range(start, stop)
            ]  # fmt: skip
            Photo.objects.bulk_create(photos)
            vectors = np.abs(rng.normal(size=(len(photos), DESCRIPTOR_DIM))).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            Descriptor.objects.bulk_create(
                Descriptor(photo=p, version=DESCRIPTOR_VERSION, vector=Descriptor.pack(v))
                for p, v in zip(photos, vectors, strict=True)
            )
            IndexChange.objects.bulk_create(IndexChange(photo_id=p.pk, added=True) for p in photos)
            ids += [p.pk for p in photos]
    for photo in Photo.objects.filter(pk__in=ids[:with_files]):
        files.write_atomic(str(photo.original.name), os.urandom(int(files_mb * 2**20)))
    return user, ids


def index_agrees() -> tuple[bool, int]:
    from gallery.models import Photo
    from search.descriptors import DESCRIPTOR_VERSION
    from search.models import Descriptor
    from search.service import photo_index

    index = photo_index()
    index.sync(force=True)
    indexed = set(index.index.ids().tolist())
    live = set(
        Descriptor.objects.filter(
            version=DESCRIPTOR_VERSION, photo__trashed_at__isnull=True
        ).values_list("photo_id", flat=True)
    )
    return indexed == live and Photo.objects.exists(), len(indexed)


def bulk(client: object, ids: list[int], action: str) -> float:
    started = time.perf_counter()
    response = client.post(  # type: ignore[attr-defined]
        "/api/photos/bulk/", {"ids": ids, "action": action}, content_type="application/json"
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["done"] == len(ids), response.content
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--zip-photos", type=int, default=200)
    parser.add_argument("--zip-mb", type=float, default=2.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="focal-bench-organise-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        if args.database_url:
            stack.enter_context(throwaway_postgres(args.database_url))
        setup(data_dir, args.database_url)
        from django.db import connection
        from django.test import Client

        engine = connection.vendor
        log(f"inserting {args.photos:,} photos ({engine})")
        user, ids = populate(args.photos)
        client = Client()
        client.force_login(user)
        agrees, size = index_agrees()
        log(f"index loaded: {size:,} photos, agrees with the database: {agrees}")
        trash_s = bulk(client, ids, "trash")
        after_trash = index_agrees()
        restore_s = bulk(client, ids, "restore")
        after_restore = index_agrees()
        sample = ids[:500]
        started = time.perf_counter()
        for photo_id in sample:
            assert client.delete(f"/api/photos/{photo_id}/").status_code == 204
        one_by_one = (time.perf_counter() - started) / len(sample)
        bulk(client, sample, "restore")

        log(f"writing {args.zip_photos} originals of {args.zip_mb} MB")
        zip_user, zip_ids = populate(args.zip_photos, args.zip_mb, args.zip_photos)
        zip_client = Client()
        zip_client.force_login(zip_user)
        from gallery import files
        from gallery.models import Photo

        paths = [
            files.media_path(str(p.original.name)) for p in Photo.objects.filter(pk__in=zip_ids)
        ]
        started = time.perf_counter()
        read = 0
        for path in paths:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    read += len(chunk)
        read_s = time.perf_counter() - started
        tracemalloc.start()
        started = time.perf_counter()
        response = zip_client.get("/photos/download", {"ids": ",".join(map(str, zip_ids))})
        chunks: list[bytes] = response.streaming_content  # type: ignore[attr-defined]
        streamed = sum(len(chunk) for chunk in chunks)
        zip_s = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        connection.close()

    n = args.photos
    print(f"## Organising, {n:,} photos ({engine}), {os.cpu_count()} CPUs\n")
    print("| operation | time | per photo | index agrees with the database afterwards |")
    print("|---|---:|---:|---|")
    print(
        f"| bulk trash of {n:,} photos (one request) | {trash_s:.2f} s | "
        f"{trash_s / n * 1e3:.3f} ms | {after_trash[0]} ({after_trash[1]:,} indexed) |"
    )
    print(
        f"| bulk restore of {n:,} photos (one request) | {restore_s:.2f} s | "
        f"{restore_s / n * 1e3:.3f} ms | {after_restore[0]} ({after_restore[1]:,} indexed) |"
    )
    print(
        f"| baseline: DELETE /api/photos/{{id}}/ one by one (500 photos) | "
        f"{one_by_one * n:.1f} s for {n:,} (scaled) | {one_by_one * 1e3:.2f} ms | – |"
    )
    print()
    total_mb = read / 2**20
    print(
        f"Zip of {args.zip_photos} originals, {total_mb:.0f} MB: streamed "
        f"{streamed / 2**20:.0f} MB "
        f"in {zip_s:.2f} s ({total_mb / zip_s:.0f} MB/s) against reading the files in "
        f"{read_s:.2f} s ({total_mb / read_s:.0f} MB/s): {read_s / zip_s:.2f} of the read speed; "
        f"peak Python memory while streaming {peak / 2**20:.1f} MB."
    )


if __name__ == "__main__":
    main()

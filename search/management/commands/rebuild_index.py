"""Recompute stale descriptors (colour or local features: missing, or of an older version) from
the originals.

Serving processes pick the new vectors up by themselves through the change log; the command
also drops descriptors of other versions once the current ones exist.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Q

from gallery import files, memory
from gallery.imaging import ImageError
from gallery.models import Photo, Status
from gallery.processing import decode_for_gallery
from search.descriptors import DESCRIPTOR_VERSION
from search.indexing import describe, describe_locally, record_descriptor
from search.local_features import LOCAL_VERSION
from search.models import Descriptor, LocalDescriptor


class Command(BaseCommand):
    help = (
        "Recompute missing or outdated descriptors (colour and local features); "
        "--all recomputes every one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Recompute even current ones.")
        parser.add_argument(
            "--matches",
            action="store_true",
            help="Then work out every ready photo's same-subject matches again.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        photos = Photo.objects.filter(status=Status.READY).order_by("pk")
        if not options["all"]:
            current = Descriptor.objects.filter(version=DESCRIPTOR_VERSION).values("photo_id")
            local = LocalDescriptor.objects.filter(version=LOCAL_VERSION).values("photo_id")
            photos = photos.exclude(Q(pk__in=current) & Q(pk__in=local))
        todo = list(photos.values_list("pk", "original"))
        started = time.perf_counter()
        done = failed = 0
        for photo_id, original in todo:
            try:
                preview, small = decode_for_gallery(
                    files.media_path(original), hold=memory.for_worker
                )
            except (ImageError, OSError) as exc:
                failed += 1
                self.stderr.write(f"photo {photo_id}: {exc}")
                continue
            with transaction.atomic():
                if Photo.objects.filter(pk=photo_id).exists():
                    record_descriptor(photo_id, describe(small), describe_locally(preview))
            done += 1
            if done % 100 == 0:
                self.stdout.write(f"{done}/{len(todo)} descriptors")
        dropped, _ = Descriptor.objects.exclude(version=DESCRIPTOR_VERSION).delete()
        self.stdout.write(
            f"Recomputed {done} descriptor(s) (version {DESCRIPTOR_VERSION}) in "
            f"{time.perf_counter() - started:.1f} s; {failed} failed; "
            f"removed {dropped} of other versions."
        )
        if options["matches"]:
            from search.objects import match_photo

            started = time.perf_counter()
            ready = list(Photo.objects.filter(status=Status.READY).values_list("pk", flat=True))
            pairs = sum(match_photo(photo_id) for photo_id in ready)
            self.stdout.write(
                f"Matched {len(ready)} photo(s) ({pairs} verified pairs found) in "
                f"{time.perf_counter() - started:.1f} s."
            )

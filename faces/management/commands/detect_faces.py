"""Find faces again in photos whose faces are missing or from an older detector (FACES_VERSION),
or in every ready photo with --all. Corrections and removals made by people are kept
(faces.detection.store_faces). Workers do the same a few photos at a time (faces.rescan)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from effects.faces import FACES_VERSION
from faces.rescan import Outcome, rescan, stale_photos
from gallery.models import Photo, Status

BATCH = 100


class Command(BaseCommand):
    help = (
        "Find faces in ready photos not yet scanned by the current detector "
        f"(version {FACES_VERSION}); --all scans every one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Scan even current ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        photos = Photo.objects.filter(status=Status.READY) if options["all"] else stale_photos()
        todo = list(photos.order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        total = Outcome()
        for start in range(0, len(todo), BATCH):
            outcome = rescan(
                todo[start : start + BATCH],
                report=lambda photo_id, error: self.stderr.write(f"photo {photo_id}: {error}"),
            )
            total.done += outcome.done
            total.found += outcome.found
            total.failed += outcome.failed
            self.stdout.write(f"{min(start + BATCH, len(todo))}/{len(todo)} photos")
        self.stdout.write(
            f"Scanned {total.done} photo(s) for faces (version {FACES_VERSION}) in "
            f"{time.perf_counter() - started:.1f} s: {total.found} face(s); {total.failed} failed."
        )

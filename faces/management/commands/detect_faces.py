"""Find faces again in photos whose faces are missing or from an older detector (FACES_VERSION),
or in every ready photo with --all. Corrections and removals made by people are kept
(faces.detection.store_faces)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from effects.faces import FACES_VERSION
from faces.detection import find_in_decode, store_faces
from faces.models import FaceScan
from gallery import files, memory
from gallery.imaging import ImageError
from gallery.models import Photo, Status
from gallery.processing import decode_for_gallery

BATCH = 100


class Command(BaseCommand):
    help = (
        "Find faces in ready photos not yet scanned by the current detector "
        f"(version {FACES_VERSION}); --all scans every one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Scan even current ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        photos = Photo.objects.filter(status=Status.READY)
        if not options["all"]:
            current = FaceScan.objects.filter(version=FACES_VERSION).values("photo_id")
            photos = photos.exclude(pk__in=current)
        todo = list(photos.order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        done = failed = found = 0
        for start in range(0, len(todo), BATCH):
            batch = Photo.objects.filter(pk__in=todo[start : start + BATCH]).order_by("pk")
            for photo_id, original, width, height in batch.values_list(
                "pk", "original", "width", "height"
            ):
                try:
                    preview, _ = decode_for_gallery(
                        files.media_path(original), hold=memory.for_worker
                    )
                except (ImageError, OSError) as exc:
                    failed += 1
                    self.stderr.write(f"photo {photo_id}: {exc}")
                    continue
                finding = find_in_decode(preview, width, height)
                if finding.error:
                    failed += 1
                    self.stderr.write(f"photo {photo_id}: {finding.error}")
                with transaction.atomic():
                    # The photo's lock: a correction being saved waits, and a photo deleted
                    # meanwhile is skipped.
                    if Photo.objects.select_for_update().filter(pk=photo_id).exists():
                        store_faces(photo_id, finding)
                done += 1
                found += len(finding.faces)
            self.stdout.write(f"{min(start + BATCH, len(todo))}/{len(todo)} photos")
        self.stdout.write(
            f"Scanned {done} photo(s) for faces (version {FACES_VERSION}) in "
            f"{time.perf_counter() - started:.1f} s: {found} face(s); {failed} failed."
        )

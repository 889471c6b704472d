"""Faces found again in photos the current detector has not looked at (effects.faces'
FACES_VERSION changed, or faces came after the photo): by `manage.py detect_faces`, and a few at
a time by a worker chore (focal.chores), so an upgrade brings every photo's faces up to date by
itself. Corrections and removals made by people are kept (faces.detection.store_faces).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from effects.faces import FACES_VERSION
from faces.detection import FaceFinding, find_in_decode, store_faces
from faces.models import FaceScan
from gallery import files, memory
from gallery.imaging import ImageError
from gallery.models import Photo, Status
from gallery.processing import decode_for_gallery

CHORE_BATCH = 25  # photos a chore run looks at: about 1-2 s of one core
# A photo whose scan failed (models missing, an unreadable file) is tried again by the chore
# after this long; `manage.py detect_faces` tries it at once.
RETRY_FAILED_AFTER = timedelta(days=1)


@dataclass
class Outcome:
    done: int = 0
    found: int = 0
    failed: int = 0


def stale_photos(*, retry_failed_after: timedelta | None = None) -> QuerySet[Photo]:
    """Ready photos without a scan by the current detector. Failed scans (version 0) count
    only when older than `retry_failed_after`, if given."""
    current = FaceScan.objects.filter(version=FACES_VERSION)
    if retry_failed_after is not None:
        recent_failures = FaceScan.objects.filter(
            Q(version=0) & Q(scanned_at__gte=timezone.now() - retry_failed_after)
        )
        current = current | recent_failures
    return Photo.objects.filter(status=Status.READY).exclude(pk__in=current.values("photo_id"))


def rescan(photo_ids: Iterable[int], report: Callable[[int, str], object] | None = None) -> Outcome:
    """Find the faces of these photos again and store them; `report(photo_id, error)` hears of
    each one that failed (recorded as a failed scan, version 0)."""
    outcome = Outcome()
    rows = Photo.objects.filter(pk__in=list(photo_ids), status=Status.READY).order_by("pk")
    for photo_id, original, width, height in rows.values_list("pk", "original", "width", "height"):
        try:
            preview, _ = decode_for_gallery(files.media_path(original), hold=memory.for_worker)
        except (ImageError, OSError) as exc:
            finding = FaceFinding([], 0.0, f"the photo could not be read: {exc}"[:300])
        else:
            finding = find_in_decode(preview, width, height)
        with transaction.atomic():
            # The photo's lock: a correction being saved waits, and a photo deleted meanwhile
            # is skipped.
            if Photo.objects.select_for_update().filter(pk=photo_id).exists():
                store_faces(photo_id, finding)
        outcome.done += 1
        outcome.found += len(finding.faces)
        if finding.error:
            outcome.failed += 1
            if report is not None:
                report(photo_id, finding.error)
    return outcome


def rescan_some() -> int:
    """The chore: the newest CHORE_BATCH stale photos scanned again; returns how many. Safe in
    several workers at once: two that take the same photo store the same faces twice."""
    stale = stale_photos(retry_failed_after=RETRY_FAILED_AFTER).order_by("-pk")
    return rescan(stale.values_list("pk", flat=True)[:CHORE_BATCH]).done


def interval() -> float:
    """Seconds between chore runs (FOCAL_FACES_RESCAN_SECONDS; 0 turns the chore off)."""
    return float(settings.FOCAL_FACES_RESCAN_SECONDS)

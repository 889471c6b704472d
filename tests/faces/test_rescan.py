"""Workers bring faces up to date by themselves after the detector changes (faces.rescan, a
chore of focal.chores): a few stale photos per run, newest first, corrections kept, a photo that
cannot be read recorded as failed and not tried again at once. In-process, real models."""

from __future__ import annotations

from datetime import timedelta

import pytest

from effects.faces import FACES_VERSION
from faces import actions, rescan
from faces.models import FaceScan, Source
from focal.chores import RESCAN_FACES, chores
from gallery import files
from gallery.models import Photo
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db


def astronaut(n: int = 0) -> bytes:
    """scikit-image's astronaut as a JPEG of quality 90 + n (a distinct file per `n`)."""
    return images.encode(images.sample("astronaut"), "JPEG", quality=90 + n)


def processed(photo: Photo) -> Photo:
    assert process_photo(photo.pk) == "ready"
    photo.refresh_from_db()
    return photo


def test_the_chore_scans_stale_photos_again_and_keeps_corrections(alice, add_photo):
    old = processed(add_photo(alice, data=astronaut(1)))
    current = processed(add_photo(alice, data=astronaut(2)))
    face = old.faces.get()
    actions.correct_face(alice, face, left_eye=(250.0, 110.0))
    FaceScan.objects.filter(photo=old).update(version=FACES_VERSION - 1)  # an older detector
    assert list(rescan.stale_photos().values_list("pk", flat=True)) == [old.pk]

    assert rescan.rescan_some() == 1
    scan = FaceScan.objects.get(photo=old)
    assert (scan.version, scan.found, scan.error) == (FACES_VERSION, 1, "")
    [again] = old.faces.all()
    assert again.pk == face.pk and again.source == Source.CORRECTED
    assert again.left_eye == (250.0, 110.0)
    assert current.faces.count() == 1
    assert rescan.rescan_some() == 0  # nothing left to do


def test_the_chore_takes_the_newest_photos_a_batch_at_a_time(alice, add_photo, monkeypatch):
    photos = [processed(add_photo(alice, data=astronaut(n))) for n in range(3)]
    FaceScan.objects.all().delete()  # as if faces came after these photos
    monkeypatch.setattr(rescan, "CHORE_BATCH", 2)
    assert rescan.rescan_some() == 2
    scanned = set(FaceScan.objects.values_list("photo_id", flat=True))
    assert scanned == {photos[1].pk, photos[2].pk}
    assert rescan.rescan_some() == 1
    assert FaceScan.objects.filter(version=FACES_VERSION).count() == 3


def test_an_unreadable_photo_is_recorded_as_failed_and_retried_a_day_later(alice, add_photo):
    photo = processed(add_photo(alice, data=astronaut()))
    FaceScan.objects.filter(photo=photo).update(version=FACES_VERSION - 1)
    files.media_path(str(photo.original.name)).write_bytes(b"not a jpeg any more")
    assert rescan.rescan_some() == 1
    scan = FaceScan.objects.get(photo=photo)
    assert scan.version == 0 and "could not be read" in scan.error
    assert photo.faces.count() == 1  # the faces it had are kept
    assert rescan.rescan_some() == 0  # not again at once
    FaceScan.objects.filter(photo=photo).update(
        scanned_at=scan.scanned_at - rescan.RETRY_FAILED_AFTER - timedelta(minutes=1)
    )
    assert rescan.rescan_some() == 1
    # The command tries failed photos at once (stale_photos without a retry delay).
    assert list(rescan.stale_photos().values_list("pk", flat=True)) == [photo.pk]


def test_workers_run_it_unless_it_is_turned_off(settings):
    settings.FOCAL_FACES_RESCAN_SECONDS = 30
    by_name = {chore.name: chore for chore in chores()}
    assert by_name[RESCAN_FACES].run is rescan.rescan_some
    assert by_name[RESCAN_FACES].interval() == 30
    assert by_name[RESCAN_FACES].slow  # on a thread of its own: leases are renewed on time
    settings.FOCAL_FACES_RESCAN_SECONDS = 0
    assert RESCAN_FACES not in {chore.name for chore in chores()}

"""Turning an upload into a ready photo, run in-process (the worker tests run it for real)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gallery import files
from gallery.models import Photo, Status
from gallery.processing import PREVIEW_SIDE, THUMBNAIL_SIDE, process_photo
from gallery.tasks import process_photo as process_task
from tests import images

pytestmark = pytest.mark.django_db


def opened(name: str) -> Image.Image:
    return Image.open(files.media_path(name))


def test_it_makes_thumbnails_and_marks_the_photo_ready(alice, add_photo):
    photo = add_photo(alice, data=images.jpeg(2000, 1500, seed=5))
    assert process_photo(photo.pk) == "ready"
    photo.refresh_from_db()
    assert photo.status == Status.READY and photo.error == ""
    thumb, preview = opened(photo.thumbnail.name), opened(photo.preview.name)
    assert (thumb.format, thumb.size) == ("WEBP", (THUMBNAIL_SIDE, 240))
    assert (preview.format, preview.size) == ("JPEG", (PREVIEW_SIDE, 960))
    assert photo.processing_ms is not None


def test_small_photos_are_not_enlarged(alice, add_photo):
    photo = add_photo(alice, data=images.png(200, 100))
    process_photo(photo.pk)
    photo.refresh_from_db()
    assert opened(photo.preview.name).size == (200, 100)
    assert opened(photo.thumbnail.name).size == (200, 100)


def test_it_applies_the_exif_orientation(alice, add_photo):
    # A landscape array whose left half is red, tagged "rotate 90° clockwise" (6).
    array = np.zeros((60, 100, 3), np.uint8)
    array[:, :50] = (255, 0, 0)
    photo = add_photo(alice, data=images.jpeg_with_exif(array, orientation=6))
    process_photo(photo.pk)
    photo.refresh_from_db()
    preview = np.asarray(opened(photo.preview.name).convert("RGB")).astype(int)
    assert preview.shape[:2] == (100, 60)  # portrait now
    assert preview[10, 30, 0] > 200 and preview[90, 30, 0] < 60  # red on top after rotation
    assert (photo.width, photo.height) == (60, 100)


def test_the_original_is_never_modified(alice, add_photo):
    data = images.jpeg_with_exif(images.pixels(90, 60), orientation=8, taken=datetime(2020, 1, 2))
    photo = add_photo(alice, data=data)
    process_photo(photo.pk)
    assert Path(files.media_path(photo.original.name)).read_bytes() == data


def test_running_twice_is_harmless(alice, add_photo):
    photo = add_photo(alice)
    process_photo(photo.pk)
    assert process_photo(photo.pk) == "skipped"
    Photo.objects.filter(pk=photo.pk).update(status=Status.PENDING)
    assert process_photo(photo.pk) == "ready"
    folder = files.media_path(photo.folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "original.jpg",
        "preview.jpg",
        "thumb.webp",
        "tile.webp",
    ]


def test_a_deleted_photo_is_skipped(alice, add_photo):
    photo = add_photo(alice)
    Photo.objects.filter(pk=photo.pk).delete()
    assert process_photo(photo.pk) == "gone"


def test_an_original_damaged_on_disk_fails_visibly(alice, add_photo):
    photo = add_photo(alice)
    files.media_path(photo.original.name).write_bytes(b"\xff\xd8\xff garbage")
    assert process_task.apply(args=(photo.pk,)).get() == "failed"
    photo.refresh_from_db()
    assert photo.status == Status.FAILED
    assert photo.error.startswith("The image could not be processed")


def test_a_missing_original_fails_visibly(alice, add_photo):
    photo = add_photo(alice)
    files.media_path(photo.original.name).unlink()
    process_task.apply(args=(photo.pk,))
    photo.refresh_from_db()
    assert photo.status == Status.FAILED and "could not be processed" in photo.error

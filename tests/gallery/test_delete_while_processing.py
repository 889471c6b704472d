"""Deleting a photo while a worker processes it, or renders one of its variants, leaves nothing
behind: no files and no folder (a write never makes the deleted photo's folder again)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from effects.models import Variant
from effects.rendering import render_variant
from gallery import actions, files
from gallery.models import Photo, Status
from gallery.processing import make_renditions, process_photo
from tests import images
from tests.conftest import media_files

pytestmark = pytest.mark.django_db(transaction=True)  # the job runs in a thread of its own


def in_thread(job, *args) -> tuple[threading.Thread, list[str]]:
    outcome: list[str] = []

    def run() -> None:
        try:
            outcome.append(job(*args))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_for_status(model, pk: int, status: str) -> None:
    deadline = time.monotonic() + 30
    while not model.objects.filter(pk=pk, status=status).exists():
        assert time.monotonic() < deadline, f"never {status}"
        time.sleep(0.001)


@pytest.mark.usefixtures("own_jobs")
def test_deleting_a_photo_while_it_is_processed_leaves_no_folder(alice, add_photo):
    # A large PNG (no reduced-size decode) keeps the worker busy long enough to delete it.
    photo = add_photo(alice, data=images.png(4000, 3000, seed=5))
    folder = files.media_path(photo.folder)
    thread, outcome = in_thread(process_photo, photo.pk)
    wait_for_status(Photo, photo.pk, Status.PROCESSING)
    actions.delete_photo(alice, photo)
    thread.join(timeout=60)
    assert outcome == ["gone"]
    assert not folder.exists() and media_files() == []


@pytest.mark.usefixtures("own_jobs")
def test_a_variant_rendered_while_its_photo_is_deleted_leaves_no_folder(alice, add_photo):
    photo = add_photo(alice, data=images.person_photo())
    process_photo(photo.pk)
    variant = Variant.objects.create(photo=photo, effect="portrait", spec="portrait:subject=auto")
    folder = files.media_path(photo.folder)
    thread, outcome = in_thread(render_variant, variant.pk)
    wait_for_status(Variant, variant.pk, Status.PROCESSING)
    actions.delete_photo(alice, photo)
    thread.join(timeout=60)
    assert outcome == ["gone"]
    assert not folder.exists() and media_files() == []


def test_renditions_of_a_deleted_photo_are_never_written(alice, add_photo):
    photo = add_photo(alice)
    stale = Photo.objects.get(pk=photo.pk)
    actions.delete_photo(alice, photo)
    with pytest.raises(FileNotFoundError):
        make_renditions(stale)  # the original went with the folder
    with pytest.raises(files.FolderGone):
        files.write_atomic(stale.storage_name("thumb", "webp"), b"x", within=stale.folder)
    with pytest.raises(files.FolderGone):
        files.write_atomic(f"{stale.folder}/variants/v-image.jpg", b"x", within=stale.folder)
    assert not files.media_path(stale.folder).exists()


def test_derived_files_may_make_subfolders_of_a_photo_folder(alice, add_photo):
    photo = add_photo(alice)
    path = files.write_atomic(f"{photo.folder}/variants/v-image.jpg", b"x", within=photo.folder)
    assert path.read_bytes() == b"x"
    with pytest.raises(ValueError):
        files.write_atomic("photos/elsewhere/x.jpg", b"x", within=photo.folder)


def test_a_missing_original_of_a_live_photo_is_still_a_failure(alice, add_photo):
    photo = add_photo(alice)
    files.media_path(photo.original.name).unlink()
    with pytest.raises(FileNotFoundError):
        process_photo(photo.pk)

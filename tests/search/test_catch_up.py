"""Two index instances over one database stay in step by catching up from the change log."""

from __future__ import annotations

import numpy as np
import pytest

from gallery.models import Photo
from gallery.processing import process_photo
from search.descriptors import DESCRIPTOR_DIM
from search.indexing import record_descriptor
from search.models import IndexChange
from search.service import PhotoIndex

pytestmark = pytest.mark.django_db


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).random(DESCRIPTOR_DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_a_new_photo_reaches_every_instance(alice, add_photo):
    first, second = PhotoIndex(), PhotoIndex()
    first.sync(force=True)
    second.sync(force=True)
    photo = add_photo(alice)
    process_photo(photo.pk)
    for index in (first, second):
        index.sync(force=True)
        assert photo.pk in index.index.ids()


def test_a_deleted_photo_leaves_every_instance(alice, add_photo):
    photo = add_photo(alice)
    process_photo(photo.pk)
    first, second = PhotoIndex(), PhotoIndex()
    first.sync(force=True)
    second.sync(force=True)
    Photo.objects.filter(pk=photo.pk).delete()  # a queryset delete, as the admin does
    for index in (first, second):
        index.sync(force=True)
        assert photo.pk not in index.index.ids() and len(index.index) == 0


def test_deleting_the_owner_removes_her_photos(alice, add_photo):
    photo = add_photo(alice)
    process_photo(photo.pk)
    index = PhotoIndex()
    index.sync(force=True)
    alice.delete()
    index.sync(force=True)
    assert photo.pk not in index.index.ids()


def test_reprocessing_replaces_the_vector(alice, add_photo):
    photo = add_photo(alice)
    process_photo(photo.pk)
    index = PhotoIndex()
    index.sync(force=True)
    record_descriptor(photo.pk, unit(3))
    index.sync(force=True)
    assert len(index.index) == 1
    assert index.index.search(unit(3), 1)[0][0] == photo.pk


def test_a_change_committed_late_is_not_missed(alice, add_photo):
    """A transaction that took its sequence number earlier may commit after a later one."""
    photos = [add_photo(alice, seed=s) for s in range(2)]
    index = PhotoIndex()
    index.sync(force=True)
    base = IndexChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # The later change commits first...
    record_descriptor(photos[0].pk, unit(1))
    IndexChange.objects.filter(photo_id=photos[0].pk).update(id=base + 5)
    index.sync(force=True)
    assert index.last_seq == base + 5
    # ...then the earlier one, with a lower id than the index has already seen.
    record_descriptor(photos[1].pk, unit(2))
    IndexChange.objects.filter(photo_id=photos[1].pk).update(id=base + 3)
    index.sync(force=True)
    assert set(index.index.ids()) == {photos[0].pk, photos[1].pk}


def test_catching_up_is_cheap_when_nothing_changed(alice, add_photo, django_assert_max_num_queries):
    photo = add_photo(alice)
    process_photo(photo.pk)
    index = PhotoIndex()
    index.sync(force=True)
    with django_assert_max_num_queries(1):
        index.sync(force=True)

"""The over-fetch of PhotoIndex.search: complete, exact results for users who see a small share,
whichever way the fetch grows (larger fetches, or the search restricted to visible ids)."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser

from gallery.models import Moderation, Photo, Status, Visibility
from search import service
from search.descriptors import DESCRIPTOR_DIM, DESCRIPTOR_VERSION
from search.models import Descriptor
from search.service import PhotoIndex

pytestmark = pytest.mark.django_db


def make_photos(owner, n: int, rng: np.random.Generator, **fields) -> list[Photo]:
    photos = Photo.objects.bulk_create(
        Photo(
            owner=owner,
            original=f"photos/t/{owner.pk}-{i}/original.jpg",
            sha256=f"{owner.pk:08x}{rng.integers(2**62):056x}",
            byte_size=1,
            width=1,
            height=1,
            format="JPEG",
            status=Status.READY,
            **fields,
        )
        for i in range(n)
    )
    vectors = rng.random((n, DESCRIPTOR_DIM)).astype(np.float32) ** 4
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    Descriptor.objects.bulk_create(
        Descriptor(photo=p, version=DESCRIPTOR_VERSION, vector=Descriptor.pack(v))
        for p, v in zip(photos, vectors, strict=True)
    )
    return photos


@pytest.mark.parametrize("overfetch_limit", [2048, 64])
def test_a_small_visible_share_still_gets_the_exact_top_k(alice, bob, monkeypatch, overfetch_limit):
    monkeypatch.setattr(service, "OVERFETCH_LIMIT", overfetch_limit)
    rng = np.random.default_rng(3)
    make_photos(alice, 1500, rng)  # private: hidden from bob
    shared = make_photos(
        alice, 15, rng, visibility=Visibility.PUBLIC, moderation=Moderation.APPROVED
    )
    own = make_photos(bob, 15, rng)
    index = PhotoIndex(kind="flat")  # exact, so the expected answer is unambiguous
    visible_ids = [p.pk for p in shared + own]
    stored = {d.photo_id: Descriptor.unpack(d.vector) for d in Descriptor.objects.all()}
    for query_photo in (own[0], shared[0]):
        query = stored[query_photo.pk]
        found = index.search(query, 10, user=bob, exclude=[query_photo.pk])
        candidates = [i for i in visible_ids if i != query_photo.pk]
        scores = np.array([stored[i] @ query for i in candidates])
        expected = [candidates[j] for j in np.argsort(-scores, kind="stable")[:10]]
        assert [m.photo.pk for m in found] == expected
    # Anonymous sees only the 15 shared ones: fewer than k = 20 exist, all of them come back.
    found = index.search(stored[own[0].pk], 20, user=AnonymousUser(), exclude=[own[0].pk])
    assert sorted(m.photo.pk for m in found) == sorted(p.pk for p in shared)

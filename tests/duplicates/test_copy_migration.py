"""Copies kept apart before the copy was recorded get it (duplicates migration 0003): a pair
stored dismissed with no inliers is keep_apart's, and its later photo the copy; a pair the
search found and the owner dismissed is not."""

from __future__ import annotations

import pytest

from tests.migrating import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("duplicates", "0002_fingerprint_checked")]
AFTER = [("duplicates", "0003_pair_copy")]


def test_pairs_kept_apart_before_record_their_copy():
    apps = migrate(BEFORE)
    try:
        user = apps.get_model("auth", "User").objects.create(username="alice")
        Photo, Pair = apps.get_model("gallery", "Photo"), apps.get_model("duplicates", "Pair")
        a, b, c, d = (
            Photo.objects.create(owner=user, sha256=str(i) * 64, byte_size=1, width=1, height=1,
                                 format="JPEG", original=f"photos/{i}/original.jpg")
            for i in range(4)
        )  # fmt: skip
        kept_apart = Pair.objects.create(
            owner=user, first=a, second=b, score=0.0, inliers=0, coverage=0.0, dismissed=True
        )
        said_not = Pair.objects.create(
            owner=user, first=c, second=d, score=0.9, inliers=80, coverage=0.9, dismissed=True
        )
        Pair3 = migrate(AFTER).get_model("duplicates", "Pair")
        assert Pair3.objects.get(pk=kept_apart.pk).copy_id == b.pk
        assert Pair3.objects.get(pk=said_not.pk).copy_id is None
    finally:
        migrate_to_latest()

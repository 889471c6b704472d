"""Variants made before sources were recorded get them, and those whose background photo was
already deleted go, files included (effects migration 0002)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.migrating import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("effects", "0001_initial")]
AFTER = [("effects", "0002_variant_sources")]


def test_old_variants_get_their_sources_and_orphans_go_with_their_files():
    apps = migrate(BEFORE)
    try:
        user = apps.get_model("auth", "User").objects.create(username="alice")
        Photo, Variant0 = apps.get_model("gallery", "Photo"), apps.get_model("effects", "Variant")
        photo, behind = (
            Photo.objects.create(owner=user, sha256=str(i) * 64, byte_size=1, width=1, height=1,
                                 format="JPEG", original=f"photos/{i}/original.jpg")
            for i in (1, 2)
        )  # fmt: skip
        plain = Variant0.objects.create(photo=photo, effect="colorpop", spec="colorpop:subject=cat")
        composed = Variant0.objects.create(
            photo=photo, effect="background", spec=f"background:subject=cat,photo={behind.pk}"
        )
        orphan = Variant0.objects.create(
            photo=photo, effect="background", spec="background:subject=cat,photo=987654",
            image="photos/1/variants/x-image.jpg", matte="photos/1/variants/x-matte.png",
        )  # fmt: skip
        leftovers = [Path(settings.MEDIA_ROOT, str(f.name)) for f in (orphan.image, orphan.matte)]
        for path in leftovers:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"pixels of a deleted photo")
        Variant2 = migrate(AFTER).get_model("effects", "Variant")
        assert [p.pk for p in Variant2.objects.get(pk=plain.pk).sources.all()] == [photo.pk]
        sources = {p.pk for p in Variant2.objects.get(pk=composed.pk).sources.all()}
        assert sources == {photo.pk, behind.pk}
        assert not Variant2.objects.filter(pk=orphan.pk).exists()
        assert not any(path.exists() for path in leftovers)
    finally:
        migrate_to_latest()

"""Jobs a killed worker took with it are queued again when a worker starts (local broker)."""

from __future__ import annotations

import pytest

from effects.models import Variant
from focal.recovery import requeue_unfinished
from gallery.models import Photo, Status
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db


def test_unfinished_photos_and_variants_are_queued_again(alice, add_photo, monkeypatch):
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr("gallery.tasks.process_photo.delay", lambda pk: queued.append(("p", pk)))
    monkeypatch.setattr("effects.tasks.render_variant.delay", lambda pk: queued.append(("v", pk)))
    stuck = add_photo(alice, seed=1)  # pending: its message was lost
    Photo.objects.filter(pk=stuck.pk).update(status=Status.PROCESSING)
    done = add_photo(alice, seed=2)
    process_photo(done.pk)
    waiting = Variant.objects.create(photo=done, effect="cutout", spec="cutout:subject=person")
    Variant.objects.create(
        photo=done, effect="colorpop", spec="colorpop:subject=person", status=Status.READY
    )
    assert requeue_unfinished() == (1, 1)
    assert sorted(queued) == [("p", stuck.pk), ("v", waiting.pk)]

"""Finding duplicates: an edited copy is found, a photo of the same colours is not, owners never
mix, a dismissed pair is not proposed again; and the real worker does it after processing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from duplicates.finding import find_for
from duplicates.groups import groups_of
from duplicates.models import Fingerprint, Pair
from duplicates.resolving import not_duplicates
from gallery.processing import process_photo
from tests import images
from tests.conftest import wait_for
from tests.duplicates import edits


@pytest.fixture
def ready(add_photo):
    def make(owner, data: bytes, **kw):
        photo = add_photo(owner, data=data, **kw)
        process_photo(photo.pk)
        photo.refresh_from_db()
        return photo

    return make


def astronaut_and_co():
    photo = images.sample("astronaut")
    return (
        edits.as_jpeg(photo),
        edits.as_jpeg(edits.edited_copy(photo)),
        edits.as_jpeg(edits.look_alike(photo)),
        images.sample_jpeg("coffee"),
    )


@pytest.mark.django_db
def test_an_edited_copy_is_found_and_a_look_alike_is_not(alice, ready):
    original, copy, look_alike, other = (ready(alice, data) for data in astronaut_and_co())
    for photo in (original, other, look_alike, copy):
        find_for(photo.pk)
    assert Fingerprint.objects.count() == 4
    assert list(Pair.objects.values_list("first_id", "second_id")) == [(original.pk, copy.pk)]
    (group,) = groups_of(alice)
    assert group.suggested == original  # the larger one
    assert find_for(copy.pk) == 0  # idempotent: nothing found twice


@pytest.mark.django_db
def test_a_group_never_mixes_owners(alice, bob, ready):
    original, copy, *_ = astronaut_and_co()
    mine = ready(alice, original)
    ready(bob, copy)
    theirs = ready(bob, original)
    assert find_for(mine.pk) == 0
    find_for(theirs.pk)
    assert groups_of(alice) == []
    assert {p.owner_id for g in groups_of(bob) for p in g.photos} == {bob.pk}


@pytest.mark.django_db
def test_a_dismissed_pair_is_not_proposed_again(alice, ready):
    original, copy, *_ = astronaut_and_co()
    a, b = ready(alice, original), ready(alice, copy)
    find_for(b.pk)
    not_duplicates(alice, [a.pk, b.pk])
    Fingerprint.objects.all().delete()  # as if the photos were scanned afresh
    find_for(a.pk)
    find_for(b.pk)
    call_command("find_duplicates", "--user", "alice")
    assert groups_of(alice) == []
    assert Pair.objects.get().dismissed


@pytest.mark.django_db
def test_the_command_scans_existing_photos(alice, ready):
    original, copy, *_ = astronaut_and_co()
    ready(alice, original)
    ready(alice, copy)
    call_command("find_duplicates")
    assert len(groups_of(alice)) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_finds_an_uploaded_copy(celery_worker_process, api, alice):
    client = api(alice)
    uploaded = []
    for name, data in zip(("original", "copy", "look-alike", "other"), astronaut_and_co(),
                          strict=True):  # fmt: skip
        file = SimpleUploadedFile(f"{name}.jpg", data, "image/jpeg")
        response = client.post("/api/photos/", {"image": file}, format="multipart")
        assert response.status_code == 201, response.json()
        uploaded.append(response.json()["id"])

    def one_group():
        body = client.get("/api/duplicates/").json()
        return body["count"] == 1 and body

    body = wait_for(one_group, 90)
    assert sorted(p["id"] for p in body["results"][0]["photos"]) == sorted(uploaded[:2])
    assert body["results"][0]["suggested"] == uploaded[0]
    # Every photo's search finishes (and none adds a pair), before the test's rows go.
    wait_for(lambda: Fingerprint.objects.filter(checked__isnull=False).count() == 4, 60)
    assert Pair.objects.count() == 1

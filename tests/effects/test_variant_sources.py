"""A variant is made from photos (its own, and a background photo); it is seen only by whoever
may see every one of them, in every path, and it goes when any of them goes."""

from __future__ import annotations

import pytest

from effects.models import Variant
from effects.rendering import render_variant
from effects.tasks import render_variant as render_task
from gallery import files
from gallery.models import Moderation, Photo, Visibility
from gallery.processing import process_photo
from tests import images

pytestmark = pytest.mark.django_db

SHARED = {"visibility": Visibility.PUBLIC, "moderation": Moderation.APPROVED}


@pytest.fixture
def photo_of(add_photo):
    """A processed photo: a person by default, or plain pixels with `seed`."""

    def make(owner, *, seed: int | None = None, **kw) -> Photo:
        data = images.person_photo() if seed is None else images.jpeg(320, 240, seed=seed)
        photo = add_photo(owner, data=data, **kw)
        process_photo(photo.pk)
        photo.refresh_from_db()
        return photo

    return make


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="root-pass-123")


def ask(client, target: Photo, **spec):
    return client.post(f"/api/photos/{target.pk}/variants/", spec, format="json")


def rendered(client, target: Photo, **spec) -> Variant:
    response = ask(client, target, **spec)
    assert response.status_code == 202, response.content
    assert render_variant(response.json()["id"]) == "ready"
    return Variant.objects.get(pk=response.json()["id"])


def seen_by(viewer_api, viewer_page, variant: Variant) -> dict[str, bool]:
    """Whether each path shows the variant to this viewer."""
    image, matte = variant.file_url("image"), variant.file_url("matte")
    listing = viewer_api.get(f"/api/photos/{variant.photo_id}/variants/")
    page = viewer_page.get(f"/photos/{variant.photo_id}/")
    panel = page.content.decode() if page.status_code == 200 else ""
    return {
        "detail": viewer_api.get(f"/api/variants/{variant.pk}/").status_code == 200,
        "list": listing.status_code == 200
        and variant.pk in [v["id"] for v in listing.json()["results"]],
        "image": viewer_api.get(image).status_code == 200,
        "matte": viewer_api.get(matte).status_code == 200,
        "page": f"/variants/{variant.pk}/file/" in panel,
    }


def nowhere(seen: dict[str, bool]) -> bool:
    return not any(seen.values())


def everywhere(seen: dict[str, bool]) -> bool:
    return all(seen.values())


# --- Which photos can be backgrounds ------------------------------------------------------


def test_a_background_must_be_one_of_the_requesters_own_photos(api, alice, bob, photo_of):
    photo = photo_of(alice, **SHARED)
    for other in (photo_of(bob, seed=1, **SHARED), photo_of(bob, seed=2)):
        response = ask(api(alice), photo, effect="background", photo=other.pk)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "unusable_background"
        assert response.json()["error"]["message"].startswith("photo: there is no photo")
    assert ask(api(alice), photo, effect="background", photo=photo.pk).status_code == 422
    assert not Variant.objects.exists()


def test_a_variant_records_the_photos_it_is_made_from(api, alice, photo_of):
    photo, behind = photo_of(alice), photo_of(alice, seed=3)
    variant = rendered(api(alice), photo, effect="background", photo=behind.pk)
    assert set(variant.sources.all()) == {photo, behind}
    plain = rendered(api(alice), photo, effect="colorpop")
    assert list(plain.sources.all()) == [photo]


def test_the_owner_is_offered_only_their_own_ready_photos_as_backgrounds(
    login, alice, bob, photo_of
):
    photo = photo_of(alice)
    mine = photo_of(alice, seed=4, title="my beach")
    theirs = photo_of(bob, seed=5, title="bobs beach", **SHARED)
    page = login(alice).get(f"/photos/{photo.pk}/").content.decode()
    assert f'<option value="{mine.pk}">' in page
    assert f'<option value="{theirs.pk}">' not in page


# --- Visibility follows every source, in every path ---------------------------------------


def test_a_private_background_keeps_the_variant_from_everyone_else(
    api, login, alice, bob, moderator, photo_of
):
    # Variant 16 of the report: alice's approved public photo with her private, never
    # reviewed photo behind the subject.
    photo = photo_of(alice, **SHARED)
    behind = photo_of(alice, seed=6)
    variant = rendered(api(alice), photo, effect="background", photo=behind.pk)
    for user in (None, bob, moderator):
        assert nowhere(seen_by(api(user), login(user), variant)), user
    assert everywhere(seen_by(api(alice), login(alice), variant))
    # The photo's other variants are still shown to others.
    plain = rendered(api(alice), photo, effect="colorpop")
    assert everywhere(seen_by(api(), login(), plain))


def test_an_unreviewed_background_is_seen_by_moderators_only_until_approved(
    api, login, alice, bob, moderator, photo_of
):
    photo = photo_of(alice, **SHARED)
    behind = photo_of(alice, seed=7, visibility=Visibility.PUBLIC)  # waiting for review
    variant = rendered(api(alice), photo, effect="background", photo=behind.pk)
    assert everywhere(seen_by(api(moderator), login(moderator), variant))
    assert nowhere(seen_by(api(bob), login(bob), variant))
    assert nowhere(seen_by(api(), login(), variant))
    Photo.objects.filter(pk=behind.pk).update(moderation=Moderation.APPROVED)
    assert everywhere(seen_by(api(), login(), variant))


def test_a_background_made_private_hides_the_variant_at_once(api, login, alice, bob, photo_of):
    photo = photo_of(alice, **SHARED)
    behind = photo_of(alice, seed=8, **SHARED)
    variant = rendered(api(alice), photo, effect="background", photo=behind.pk)
    assert everywhere(seen_by(api(bob), login(bob), variant))
    response = api(alice).patch(f"/api/photos/{behind.pk}/", {"visibility": "private"})
    assert response.status_code == 200
    assert nowhere(seen_by(api(bob), login(bob), variant))
    assert nowhere(seen_by(api(), login(), variant))
    assert everywhere(seen_by(api(alice), login(alice), variant))


def test_moderators_see_in_the_admin_only_variants_whose_every_source_is_public(
    api, login, alice, moderator, superuser, photo_of
):
    photo = photo_of(alice, **SHARED)
    hidden = rendered(api(alice), photo, effect="background", photo=photo_of(alice, seed=9).pk)
    shown = rendered(api(alice), photo, effect="colorpop")
    moderator.user_permissions.add(*_variant_permissions())
    client = login(moderator)
    listing = client.get("/admin/effects/variant/").content.decode()
    assert f"/admin/effects/variant/{shown.pk}/change/" in listing
    assert f"/admin/effects/variant/{hidden.pk}/change/" not in listing
    assert client.get(f"/admin/effects/variant/{hidden.pk}/change/").status_code == 302
    assert client.get(f"/admin/effects/variant/{shown.pk}/change/").status_code == 200
    # Superusers administer everything (as for photos).
    listing = login(superuser).get("/admin/effects/variant/").content.decode()
    assert f"/admin/effects/variant/{hidden.pk}/change/" in listing


def _variant_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="effects")


# --- Checked again when the pixels are read -----------------------------------------------


def test_a_background_that_no_longer_qualifies_is_not_used(api, alice, bob, photo_of):
    # A row from before the rule (or any way round it): bob's photo behind alice's subject.
    photo = photo_of(alice, **SHARED)
    theirs = photo_of(bob, seed=10, **SHARED)
    variant = Variant.objects.create(
        photo=photo, effect="background", spec=f"background:subject=person,photo={theirs.pk}"
    )
    variant.sources.set([photo, theirs])
    assert render_task.apply(args=(variant.pk,)).get() == "failed"
    variant.refresh_from_db()
    assert variant.error.startswith("The background photo is in the trash or no longer one of")
    assert not variant.image and not variant.matte


def test_a_background_in_the_trash_hides_the_variant_and_is_not_used(api, login, alice, photo_of):
    photo, behind = photo_of(alice, **SHARED), photo_of(alice, seed=11, **SHARED)
    variant = rendered(api(alice), photo, effect="background", photo=behind.pk)
    assert api(alice).delete(f"/api/photos/{behind.pk}/").status_code == 204  # to the trash
    assert nowhere(seen_by(api(alice), login(alice), variant))
    assert nowhere(seen_by(api(), login(), variant))
    # Asked for again meanwhile (say it had failed), the render does not use it.
    Variant.objects.filter(pk=variant.pk).update(status="failed")
    response = ask(api(alice), photo, effect="background", photo=behind.pk)
    assert response.status_code == 422 and "among your own photos" in response.content.decode()
    Variant.objects.filter(pk=variant.pk).update(status="pending")
    assert render_task.apply(args=(variant.pk,)).get() == "failed"
    assert "no longer one of your photos" in Variant.objects.get(pk=variant.pk).error
    # Restored, the variant is back (as the photo is).
    assert api(alice).post(f"/api/photos/{behind.pk}/restore/").status_code == 200
    assert seen_by(api(), login(), variant)["detail"]


def test_a_variant_whose_background_was_deleted_before_rendering_is_gone(api, alice, photo_of):
    photo, behind = photo_of(alice), photo_of(alice, seed=12)
    variant_id = ask(api(alice), photo, effect="background", photo=behind.pk).json()["id"]
    api(alice).delete(f"/api/photos/{behind.pk}/")
    assert api(alice).delete(f"/api/trash/{behind.pk}/").status_code == 204  # for good
    assert not Variant.objects.filter(pk=variant_id).exists()
    assert render_task.apply(args=(variant_id,)).get() == "gone"


# --- Deleted with any source --------------------------------------------------------------


@pytest.mark.parametrize("how", ["api", "page", "trash expiry", "admin", "owner account"])
def test_deleting_a_background_deletes_the_variant_and_its_files(
    api, login, alice, superuser, photo_of, django_capture_on_commit_callbacks, how
):
    photo, behind = photo_of(alice), photo_of(alice, seed=13)
    variant = rendered(api(alice), photo, effect="background", photo=behind.pk)
    kept = rendered(api(alice), photo, effect="colorpop")
    paths = [files.media_path(str(variant.image.name)), files.media_path(str(variant.matte.name))]
    assert all(path.exists() for path in paths)
    with django_capture_on_commit_callbacks(execute=True):
        if how == "api":
            assert api(alice).delete(f"/api/photos/{behind.pk}/").status_code == 204
            assert Variant.objects.filter(pk=variant.pk).exists()  # the trash can be undone
            assert api(alice).delete(f"/api/trash/{behind.pk}/").status_code == 204
        elif how == "page":
            assert login(alice).post(f"/photos/{behind.pk}/delete").status_code == 302
            response = login(alice).post("/trash/delete", {"photo": [behind.pk]})
            assert response.status_code == 302
        elif how == "trash expiry":
            from gallery.trash import purge_expired, trash

            trash(alice, [behind.pk])
            assert purge_expired(days=0) == 1
        elif how == "admin":
            response = login(superuser).post(
                "/admin/gallery/photo/",
                {"action": "delete_selected", "_selected_action": [behind.pk], "post": "yes"},
            )
            assert response.status_code == 302
        else:
            behind.owner.delete()
    assert not Variant.objects.filter(pk=variant.pk).exists()
    assert not any(path.exists() for path in paths)
    if how != "owner account":  # alice's own photo went with her account
        assert Variant.objects.filter(pk=kept.pk).exists()
        assert files.media_path(str(kept.image.name)).exists()

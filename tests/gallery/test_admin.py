"""Admin review: previews, filters, search and bulk actions."""

from __future__ import annotations

import pytest

from gallery.models import Moderation, Photo, Status
from gallery.processing import process_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="root-pass-123")


def changelist(client, **params):
    return client.get("/admin/gallery/photo/", params)


def test_the_list_shows_previews_of_shared_photos_only(login, superuser, alice, add_photo):
    public = add_photo(alice, seed=1, title="sunny", visibility="public")
    private = add_photo(alice, seed=2, title="secret")
    process_photo(public.pk)
    process_photo(private.pk)
    html = changelist(login(superuser)).content.decode()
    assert f"/photos/{public.pk}/file/tile" in html
    assert f"/photos/{private.pk}/file/" not in html and "Private" in html
    # The preview is a link: its image names the photo, or the link would have no name.
    assert 'alt="Preview of sunny"' in html


def test_the_review_page_links_to_the_admin_only_for_those_allowed_there(
    login, moderator, add_photo, alice
):
    from gallery.demo import moderators_group

    add_photo(alice, seed=1, visibility="public")
    link = "Filters and bulk actions in the admin"
    client = login(moderator)
    assert link not in client.get("/review/").content.decode()  # staff only: the admin says no
    assert changelist(client).status_code == 403
    moderator.groups.add(moderators_group())
    assert link in client.get("/review/").content.decode()
    assert changelist(client).status_code == 200


def test_the_demo_moderator_can_use_the_admin_photo_list():
    from gallery.demo import seed

    moderator = seed(0)["mod"]
    assert moderator.is_staff and not moderator.is_superuser
    assert moderator.has_perms(["gallery.view_photo", "gallery.change_photo"])


def test_filters_and_search(login, superuser, alice, bob, add_photo):
    add_photo(alice, seed=1, title="alpha", visibility="public")
    add_photo(bob, seed=2, title="beta")
    client = login(superuser)
    assert "beta" not in changelist(client, visibility__exact="public").content.decode()
    assert "alpha" in changelist(client, review="pending").content.decode()
    assert "alpha" not in changelist(client, q="beta").content.decode()
    assert "beta" in changelist(client, owner__id__exact=bob.pk).content.decode()
    assert "alpha" in changelist(client, status__exact="pending").content.decode()


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("approve", "moderation", Moderation.APPROVED),
        ("reject", "moderation", Moderation.REJECTED),
        ("reprocess", "status", Status.PENDING),
    ],
)
def test_bulk_actions(login, superuser, alice, add_photo, action, field, value):
    photos = [add_photo(alice, seed=s, visibility="public") for s in range(3)]
    Photo.objects.update(status=Status.FAILED)
    response = login(superuser).post(
        "/admin/gallery/photo/",
        {"action": action, "_selected_action": [p.pk for p in photos[:2]]},
    )
    assert response.status_code == 302
    values = [getattr(Photo.objects.get(pk=p.pk), field) for p in photos]
    assert values[:2] == [value, value] and values[2] != value


def test_the_review_queue_lists_pending_public_photos_oldest_first(
    login, moderator, alice, add_photo
):
    first = add_photo(alice, seed=1, title="first-up", visibility="public")
    second = add_photo(alice, seed=2, title="second-up", visibility="public")
    add_photo(alice, seed=3, title="not-shared")
    html = login(moderator).get("/review/").content.decode()
    assert html.index("first-up") < html.index("second-up")
    assert "not-shared" not in html
    assert first.created <= second.created


def test_awaiting_review_means_public_and_not_yet_decided(login, superuser, alice, add_photo):
    add_photo(alice, seed=1, title="to-review", visibility="public")
    add_photo(alice, seed=2, title="just-private")  # never reviewed, and never needs to be
    add_photo(alice, seed=3, title="done", visibility="public", moderation="approved")
    html = changelist(login(superuser), review="pending").content.decode()
    assert "to-review" in html and "just-private" not in html and "done" not in html


def test_moderators_see_only_public_photos_in_the_admin(login, moderator, alice, add_photo):
    from django.contrib.auth.models import Permission

    moderator.user_permissions.add(*Permission.objects.filter(codename__endswith="_photo"))
    shared = add_photo(alice, seed=1, title="shared-one", visibility="public")
    private = add_photo(alice, seed=2, title="private-one")
    client = login(moderator)
    html = changelist(client).content.decode()
    assert "shared-one" in html and "private-one" not in html
    assert client.get(f"/admin/gallery/photo/{private.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/gallery/photo/{shared.pk}/change/").status_code == 200


def test_the_change_page_links_files_through_the_checked_view(login, superuser, alice, add_photo):
    photo = add_photo(alice, seed=1, visibility="public")
    process_photo(photo.pk)
    html = login(superuser).get(f"/admin/gallery/photo/{photo.pk}/change/").content.decode()
    assert "_unserved_media" not in html
    for kind in ("original", "preview", "thumb"):
        assert f"/photos/{photo.pk}/file/{kind}?v=" in html
        url = html.split(f"/photos/{photo.pk}/file/{kind}?v=")[1].split('"')[0]
        response = login(superuser).get(f"/photos/{photo.pk}/file/{kind}", {"v": url})
        assert response.status_code == 200

"""Pages for organising photos: albums, the trash, undo, and downloading many photos as a zip.

With scripts, the selection bar calls the API (gallery.organise_api); these views are the pages
themselves and the plain-form fallbacks.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from focal.auth import AuthenticatedHttpRequest
from focal.ids import parse_ids
from focal.redirects import redirect_back
from gallery import albums, trash, zips
from gallery.models import Album, Photo, Visibility

MAX_ZIP = 2_000  # photos in one download


def album_list(request: HttpRequest) -> HttpResponse:
    mine = list(Album.objects.owned_by(request.user))
    cards = [(album, album.cover_for(request.user), album.photos_for(request.user).count())
             for album in mine]  # fmt: skip
    return render(request, "gallery/albums.html", {"cards": cards})


def album_page(request: HttpRequest, pk: int) -> HttpResponse:
    album = get_object_or_404(Album.objects.visible_to(request.user).select_related("owner"), pk=pk)
    photos = list(
        album.photos_for(request.user).select_related("owner")[: settings.FOCAL_ALBUM_PAGE]
    )
    is_owner = album.owner_id == request.user.pk
    shared = album.visibility == Visibility.PUBLIC
    context = {
        "album": album,
        "photos": photos,
        "is_owner": is_owner,
        "visibility_choices": Visibility.choices,
        "selectable": is_owner,
        # The owner of a shared album is told how many of its photos others see; a visitor
        # who sees none is told there are some they cannot see, never how many.
        "reach": albums.reach(album) if is_owner and shared else None,
        "none_for_you": not is_owner and not photos and albums.holds_photos(album),
    }
    return render(request, "gallery/album.html", context)


@login_required
@require_POST
def album_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = parse_ids(request.POST.getlist("photo"), name="photo", limit=MAX_ZIP)
    album = albums.create_album(request.user, request.POST.get("title", ""), ids)
    messages.success(request, f"Album “{album.title}” made.")
    return redirect(album)


@login_required
@require_POST
def album_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    album = get_object_or_404(Album.objects.owned_by(request.user), pk=pk)
    if "title" in request.POST:
        albums.rename(request.user, album, request.POST["title"])
    if request.POST.get("visibility") in Visibility.values:
        albums.set_visibility(request.user, album, request.POST["visibility"])
    shared = album.visibility == Visibility.PUBLIC
    messages.success(
        request, "Album saved: anyone with the link can open it." if shared else "Album saved."
    )
    return redirect(album)


@login_required
@require_POST
def album_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    album = get_object_or_404(Album.objects.owned_by(request.user), pk=pk)
    albums.delete_album(request.user, album)
    messages.success(request, f"Album “{album.title}” deleted; its photos are still here.")
    return redirect("gallery:albums")


@login_required
@require_POST
def album_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Put photos in an album (the viewer's "Add to album"), making the album if it is new."""
    ids = parse_ids(request.POST.getlist("photo"), name="photo", limit=MAX_ZIP)
    title = request.POST.get("new_album", "").strip()
    if title:
        album = albums.create_album(request.user, title, ids)
    else:
        chosen = parse_ids([request.POST.get("album", "")], name="album", limit=1)
        album = get_object_or_404(Album.objects.owned_by(request.user), pk=chosen[0])
        albums.add_photos(request.user, album, ids)
    messages.success(request, f"Added to “{album.title}”.")
    return redirect_back(request, album.get_absolute_url())


@login_required
def trash_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    photos = list(Photo.objects.in_trash_of(request.user).select_related("owner")[:1000])
    context = {"photos": photos, "days": settings.FOCAL_TRASH_DAYS, "selectable": True}
    return render(request, "gallery/trash.html", context)


@login_required
@require_POST
def photo_trash(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Move a photo to the trash, with Undo in the message that says so."""
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    trash.trash(request.user, [photo.pk])
    messages.success(
        request, f"“{photo.display_title}” moved to the trash.", extra_tags=_undo([pk])
    )
    return redirect("gallery:home")


@login_required
@require_POST
def trash_restore(request: AuthenticatedHttpRequest) -> HttpResponse:
    ids = parse_ids(request.POST.getlist("photo"), name="photo", limit=10_000)
    back = trash.restore(request.user, ids)
    messages.success(request, f"Restored {len(back)} photo{'' if len(back) == 1 else 's'}.")
    if len(back) == 1:
        return redirect("gallery:photo", back[0])
    return redirect_back(request, "/trash/")


@login_required
@require_POST
def trash_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.POST.get("everything") == "1":
        ids = list(Photo.objects.in_trash_of(request.user).values_list("pk", flat=True))
    else:
        ids = parse_ids(request.POST.getlist("photo"), name="photo", limit=10_000)
    count = trash.delete_for_good(request.user, ids)
    messages.success(request, f"Deleted {count} photo{'' if count == 1 else 's'} for good.")
    return redirect("gallery:trash")


def download(request: HttpRequest) -> StreamingHttpResponse:
    """Photos as one zip of their originals, streamed (never built in memory)."""
    ids = parse_ids(request.GET.get("ids", "").split(","), name="ids", limit=MAX_ZIP)
    photos = Photo.objects.visible_to(request.user).filter(pk__in=ids).order_by("-shot_at", "-id")
    return _zip_response(list(photos), "photos")


def album_download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    album = get_object_or_404(Album.objects.visible_to(request.user), pk=pk)
    return _zip_response(list(album.photos_for(request.user)[:MAX_ZIP]), album.title)


def _zip_response(photos: list[Photo], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(zips.stream_zip(photos), content_type="application/zip")
    filename = zips.safe_name(name) or "photos"
    response["Content-Disposition"] = f'attachment; filename="{filename}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


def _undo(ids: list[int]) -> str:
    """Message tags that make the message show an Undo button (base.html)."""
    return "undo " + " ".join(f"photo-{pk}" for pk in ids)

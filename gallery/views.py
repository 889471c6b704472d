"""Gallery pages. Short views: permissions via querysets and decorators, work in gallery.actions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from focal.auth import request_user
from gallery import actions, files
from gallery.imaging import CONTENT_TYPES, ImageError
from gallery.models import Moderation, Photo, Status, Visibility
from gallery.uploads import upload_limit_text, upload_too_large


def home(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("show") == "mine" and request.user.is_authenticated
    photos = Photo.objects.visible_to(request.user)
    if mine:
        photos = photos.owned_by(request.user)
    # Other people's photos appear once they are ready; your own show their progress.
    photos = photos.filter(Q(status=Status.READY) | Q(owner_id=request.user.pk))
    page = Paginator(photos.select_related("owner"), settings.FOCAL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "gallery/home.html", {"page": page, "mine": mine})


def photo_detail(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.visible_to(request.user).select_related("owner"), pk=pk)
    context = {
        "photo": photo,
        "is_owner": photo.owner_id == request.user.pk,
        "visibility_choices": Visibility.choices,
    }
    return render(request, "gallery/photo.html", context)


def photo_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """Serve a photo's file after the same permission check as the pages (session or token)."""
    photo = get_object_or_404(Photo.objects.visible_to(request_user(request)), pk=pk)
    name = photo.file_name(kind)
    if not name:
        raise Http404("No such file.")
    content_type = {"thumb": "image/webp", "tile": "image/webp", "preview": "image/jpeg"}.get(
        kind, CONTENT_TYPES.get(photo.format, "application/octet-stream")
    )
    return files.file_response(
        name,
        content_type,
        filename=f"{actions.title_from_filename(photo.display_title) or 'photo'}"
        f".{name.rsplit('.', 1)[-1]}",
        download=request.GET.get("download") == "1",
    )


@login_required
@require_POST
def photo_update(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    if "title" in request.POST:
        actions.set_title(request.user, photo, request.POST["title"])
        messages.success(request, "Title saved.")
    visibility = request.POST.get("visibility")
    if visibility in Visibility.values:
        actions.set_visibility(request.user, photo, visibility)
        if photo.visibility == Visibility.PUBLIC and photo.moderation == Moderation.PENDING:
            messages.info(request, "The photo is public once a moderator approves it.")
        else:
            messages.success(request, f"The photo is now {photo.get_visibility_display()}.")
    return redirect(photo)


@login_required
@require_POST
def photo_delete(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    actions.delete_photo(request.user, photo)
    messages.success(request, f"Deleted “{photo.display_title}”.")
    return redirect("gallery:home")


@login_required
@require_POST
def photo_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    actions.reprocess([photo])
    messages.info(request, "Processing again.")
    return redirect(photo)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The upload page. With JavaScript, files go to the API one by one with progress bars;
    without it, the form posts here and the page lists the outcome of each file."""
    outcomes: list[dict[str, object]] = []
    visibility = request.POST.get("visibility", Visibility.PRIVATE)
    if visibility not in Visibility.values:
        visibility = Visibility.PRIVATE
    if request.method == "POST":
        uploads = request.FILES.getlist("image")
        if upload_too_large(request):
            outcomes.append(
                {"name": "", "error": f"The upload is larger than {upload_limit_text()}."}
            )
        elif not uploads:
            outcomes.append({"name": "", "error": "Choose one or more image files to upload."})
        for item in uploads:
            try:
                added = actions.add_photo(request.user, item, visibility=visibility)  # type: ignore[arg-type]
            except ImageError as exc:
                outcomes.append({"name": item.name, "error": exc.message})
            else:
                outcomes.append(
                    {"name": item.name, "photo": added.photo, "duplicate": added.duplicate}
                )
    status = 400 if outcomes and all("error" in o for o in outcomes) else 200
    context = {
        "outcomes": outcomes,
        "visibility": visibility,
        "visibility_choices": Visibility.choices,
        "max_upload_bytes": settings.FOCAL_MAX_UPLOAD_BYTES,
    }
    return render(request, "gallery/upload.html", context, status=status)


@staff_member_required
def moderation_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Photo.objects.awaiting_review().select_related("owner"), settings.FOCAL_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "gallery/moderation.html", {"page": page})


@staff_member_required
@require_POST
def moderation_decide(request: HttpRequest) -> HttpResponse:
    decision = request.POST.get("decision")
    ids = [int(i) for i in request.POST.getlist("photo") if i.isdigit()]
    if decision not in (Moderation.APPROVED, Moderation.REJECTED) or not ids:
        messages.error(request, "Choose photos and approve or reject them.")
        return redirect("gallery:moderation")
    count = actions.moderate(Photo.objects.awaiting_review().filter(pk__in=ids), decision)
    messages.success(request, f"{count} photo(s) {decision}.")
    return redirect("gallery:moderation")

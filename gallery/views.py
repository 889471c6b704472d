"""Gallery pages. Short views: permissions via querysets and decorators, work in gallery.actions."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from focal.auth import AuthenticatedHttpRequest, request_user
from focal.ids import parse_ids
from focal.redirects import redirect_back
from focal.usererror import UserError
from gallery import actions, browse, files
from gallery.exif import exif_rows
from gallery.imaging import CONTENT_TYPES
from gallery.models import Album, Moderation, Photo, Visibility
from gallery.uploads import upload_limit_text, upload_too_large

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Offered to moderators when rejecting; the owner reads the one chosen (or one written).
REJECTION_REASONS = (
    "Not suitable for everyone",
    "Shows someone's private information",
    "Not the uploader's photo to share (copyright)",
    "Spam or advertising",
)
MAX_DECISIONS = 1000  # photos approved or rejected by one click
# The upload page sends each file to /api/uploads/ (tus) in pieces of this size: a dropped
# connection costs at most one piece, and a piece is few requests' worth of overhead.
UPLOAD_PIECE_BYTES = 4 * 2**20


def home(request: HttpRequest) -> HttpResponse:
    """The timeline, newest first; `?after=<cursor>` continues it, `&fragment=1` for scrolling."""
    mine = request.GET.get("show") == "mine" and request.user.is_authenticated
    after = browse.Cursor.parse(request.GET.get("after"))
    page = browse.timeline(request.user, mine=mine, after=after, limit=settings.FOCAL_PAGE_SIZE)
    next_url = None
    if page.next_cursor is not None:
        next_url = "?" + urlencode(
            {**({"show": "mine"} if mine else {}), "after": page.next_cursor}
        )
    context = {
        "months": browse.by_month(
            page.photos, previous=after.shot_at.astimezone(UTC).date() if after else None
        ),
        "mine": mine,
        "next_url": next_url,
        "context_query": "?in=mine" if mine else "",
        "selectable": request.user.is_authenticated,
    }
    if request.GET.get("fragment") == "1":
        return render(request, "gallery/_timeline.html", context)
    return render(request, "gallery/home.html", context)


def photo_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The viewer: the photo full screen, its neighbours in the timeline, info and effects."""
    photo = get_object_or_404(Photo.objects.visible_to(request.user).select_related("owner"), pk=pk)
    mine = request.GET.get("in") == "mine" and request.user.is_authenticated
    newer, older = browse.neighbours(request.user, photo, mine=mine)
    context_query = "?in=mine" if mine else ""
    context = {
        "photo": photo,
        "is_owner": photo.owner_id == request.user.pk,
        "visibility_choices": Visibility.choices,
        "newer": newer,
        "older": older,
        "context_query": context_query,
        "back_url": reverse("gallery:home") + ("?show=mine" if mine else ""),
        "exif_rows": exif_rows(photo.exif),
        "photo_albums": list(Album.objects.visible_to(request.user).filter(photos=photo)[:20]),
        "may_review": _may_review(request.user, photo),
        "reasons": REJECTION_REASONS,
    }
    return render(request, "gallery/photo.html", context)


def photo_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """Serve a photo's file after the same permission check as the pages (session or token)."""
    photo = get_object_or_404(Photo.objects.files_visible_to(request_user(request)), pk=pk)
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
def photo_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the title and who may see the photo; the message says what actually changed."""
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    said = []
    title = request.POST.get("title")
    if title is not None and title.strip()[:200] != photo.title:
        actions.set_title(request.user, photo, title)
        said.append("Title saved.")
    visibility = request.POST.get("visibility")
    if visibility in Visibility.values and visibility != photo.visibility:
        actions.set_visibility(request.user, photo, visibility)
        said.append(photo.who_sees_it)
    elif said and photo.visibility == Visibility.PUBLIC and photo.moderation == Moderation.PENDING:
        said.append("Others will see it once a moderator approves the change.")
    messages.success(request, " ".join(said) or "Nothing to save: nothing was changed.")
    return redirect(photo)


@login_required
@require_POST
def photo_reprocess(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    actions.reprocess([photo])
    messages.info(request, "Processing again.")
    return redirect(photo)


@login_required
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The upload page. With JavaScript, each file goes to the resumable upload API (tus) in
    pieces, with its progress bar, and continues after a lost connection or a reload; without
    it, the form posts here and the page lists the outcome of each file."""
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
                added = actions.add_photo(request.user, item, visibility=visibility)
            except UserError as exc:  # shown beside its file; the other files still count
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
        "piece_bytes": UPLOAD_PIECE_BYTES,
    }
    return render(request, "gallery/upload.html", context, status=status)


@staff_member_required
def moderation_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Photo.objects.awaiting_review().select_related("owner"), settings.FOCAL_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "gallery/moderation.html", {"page": page, "reasons": REJECTION_REASONS})


@staff_member_required
@require_POST
def moderation_decide(request: HttpRequest) -> HttpResponse:
    """Approve or reject, from the review queue or a photo's page. The photo page's form sends
    `next` (itself): the moderator goes back there while they still see every photo decided
    on, and to the queue otherwise (someone else's rejected photo is hidden from them)."""
    decision = request.POST.get("decision")
    ids = parse_ids(request.POST.getlist("photo"), name="photo", limit=MAX_DECISIONS)
    if decision not in (Moderation.APPROVED, Moderation.REJECTED) or not ids:
        messages.error(request, "Choose photos, then approve or reject them.")
        return redirect("gallery:moderation")
    note = ""
    if decision == Moderation.REJECTED:
        note = (request.POST.get("note_other") or request.POST.get("note") or "").strip()[:300]
    photos = Photo.objects.reviewable().filter(pk__in=ids)
    count = actions.moderate(photos, decision, note=note)
    messages.success(request, _decided(decision, count))
    queue = reverse("gallery:moderation")
    if Photo.objects.visible_to(request.user).filter(pk__in=ids).count() < len(ids):
        return redirect(queue)
    return redirect_back(request, queue)


def _decided(decision: str, count: int) -> str:
    photos = f"{count} photo{'' if count == 1 else 's'}"
    if decision == Moderation.APPROVED:
        return f"Approved {photos}."
    if count == 0:
        return f"Rejected {photos}."
    seen = "only its owner sees it now" if count == 1 else "only their owners see them now"
    return f"Rejected {photos}: {seen}."


def _may_review(user: AbstractBaseUser | AnonymousUser, photo: Photo) -> bool:
    """Whether `user` may approve or reject `photo`: moderation_decide's own rules (the
    staff_member_required test, then Photo.objects.reviewable()). Owners who are staff too
    may, as the review queue has always let them."""
    if not (user.is_active and getattr(user, "is_staff", False)):
        return False
    return Photo.objects.reviewable().filter(pk=photo.pk).exists()

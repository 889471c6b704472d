"""Effect pages: the form fallback for making variants (the photo page's script uses the API)
and the permission-checked files of variants."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from effects.actions import delete_variant, request_variant
from effects.copies import save_as_photo
from effects.models import Variant
from effects.registry import EFFECTS
from effects.spec import parse_spec
from focal.auth import AuthenticatedHttpRequest, request_user
from focal.usererror import UserError
from gallery import files
from gallery.actions import AddedPhoto, title_from_filename
from gallery.models import Photo, Visibility


def variant_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    variant = get_object_or_404(Variant.objects.visible_to(request_user(request)), pk=pk)
    field = {"image": variant.image, "matte": variant.matte}.get(kind)
    if not field or not field.name:
        raise Http404("No such file.")
    extension = field.name.rsplit(".", 1)[-1]
    stem = title_from_filename(variant.photo.display_title) or "photo"
    return files.file_response(
        field.name,
        "image/png" if extension == "png" else "image/jpeg",
        filename=f"{stem}-{variant.effect}{'-matte' if kind == 'matte' else ''}.{extension}",
        download=request.GET.get("download") == "1",
    )


# The page's form has one button per way of asking for an effect (effects.registry: the
# effect's name, or one per choice such as "background-color") and every effect's fields;
# each button sends its own.
FORM_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    action: (effect.name, fields)
    for effect in EFFECTS.values()
    for action, fields in effect.forms.items()
}
# How the page's script sends each field in its JSON body ("number" or "text").
FORM_KINDS: dict[str, str] = {f.name: f.form for effect in EFFECTS.values() for f in effect.fields}


def form_spec(form: QueryDict) -> dict[str, str]:
    effect, fields = FORM_ACTIONS.get(form.get("action", ""), ("", ()))
    data = {"effect": effect or form.get("action", "")}
    data.update({name: str(form[name]) for name in fields if form.get(name)})
    return data


@login_required
@require_POST
def variant_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(Photo.objects.owned_by(request.user), pk=pk)
    requested = request_variant(request.user, photo, parse_spec(form_spec(request.POST)))
    if requested.queued:
        messages.info(request, "Rendering… the result appears here when it is ready.")
    query = urlencode({"variant": requested.variant.pk})
    return redirect(f"{reverse('gallery:photo', args=[photo.pk])}?{query}#effects")


@login_required
@require_POST
def variant_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    variant = get_object_or_404(
        Variant.objects.filter(photo__in=Photo.objects.owned_by(request.user)), pk=pk
    )
    photo = variant.photo
    delete_variant(request.user, variant)
    messages.success(request, "Variant deleted.")
    return redirect(f"{photo.get_absolute_url()}#effects")


@login_required
@require_POST
def variant_save_as_photo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The form of a ready variant: save it as a new photo (private unless asked), then open it."""
    variant = get_object_or_404(
        Variant.objects.visible_to(request.user).select_related("photo"), pk=pk
    )
    visibility = request.POST.get("visibility") or None
    if visibility is not None and visibility not in Visibility.values:
        raise UserError("Choose who sees the new photo: private or public.", code="invalid")
    added = save_as_photo(request.user, variant, visibility=visibility)
    messages.success(request, saved_message(added))
    return redirect(added.photo)


def saved_message(added: AddedPhoto) -> str:
    photo = added.photo
    said = (
        f"This effect was saved before, as “{photo.display_title}”."
        if added.duplicate
        else (f"Saved as a new photo, “{photo.display_title}”.")
    )
    return f"{said} {photo.who_sees_it}"

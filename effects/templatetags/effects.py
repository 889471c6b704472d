from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import ordinal
from django.http import HttpRequest

from effects.models import Variant
from effects.registry import DEFAULT_STRENGTH
from effects.sources import usable_backgrounds
from effects.spec import DEFAULT_BLUR, SUBJECT_CLASSES
from effects.views import FORM_ACTIONS, FORM_KINDS
from gallery.models import Photo, Status

register = template.Library()


@register.simple_tag(takes_context=True)
def photo_effects(context: template.Context, photo: Photo) -> dict[str, Any]:
    """What the photo page's effects panel shows: the variants, the one on display, and for the
    owner the choices of subject and background photo. `photo` is already permission-checked;
    each variant is checked too, since a background photo may be hidden from this viewer."""
    request: HttpRequest = context["request"]
    variants = list(Variant.objects.visible_to(request.user).filter(photo=photo)[:48])
    wanted = request.GET.get("variant", "")
    current: Variant | None = next((v for v in variants if str(v.pk) == wanted), None)
    if current is None:  # one still rendering: the page follows its progress
        current = next(
            (v for v in variants if v.status in (Status.PENDING, Status.PROCESSING)), None
        )
    is_owner = request.user.is_authenticated and photo.owner_id == request.user.pk
    backgrounds = []
    faces = []
    if is_owner:
        faces = list(photo.faces.order_by("x", "pk"))
        backgrounds = list(
            usable_backgrounds(request.user)
            .filter(status=Status.READY)
            .exclude(pk=photo.pk)
            .only("pk", "title")[:100]
        )
    return {
        "variants": variants,
        "current": current,
        "is_owner": is_owner,
        "subjects": SUBJECT_CLASSES,
        "default_blur": DEFAULT_BLUR,
        "backgrounds": backgrounds,
        "faces": faces,
        "face_choices": face_choices(faces),
        "default_strength": DEFAULT_STRENGTH,
        "open_faces": request.GET.get("effects") == "faces",
        # The page script builds its API requests from the same table as the form fallback.
        "actions": {"actions": FORM_ACTIONS, "kinds": FORM_KINDS},
    }


def face_choices(faces: list[Any]) -> list[tuple[int, str]]:
    """(face id, label) for choosing one face of several: its place counted from the left and
    its expression, e.g. "Only the 2nd from the left (smiling)". `faces` run left to right.
    None for a single face: "The face" already means it."""
    if len(faces) < 2:
        return []
    return [
        (face.pk, f"Only the {ordinal(i)} from the left ({face.get_expression_display().lower()})")
        for i, face in enumerate(faces, start=1)
    ]

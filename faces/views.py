"""The labelling page: a person's faces, one at a time, to click the pupils of."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from faces.models import Face
from focal.auth import signed_in_user
from gallery.models import Status

MAX_LABEL_FACES = 1000  # per visit: the page carries them all, so that it moves on at once


@login_required
def label(request: HttpRequest) -> HttpResponse:
    """Every face of the user's ready photos, newest photo first; `?photo=` starts there."""
    faces = (
        Face.objects.owned_by(signed_in_user(request))
        .filter(photo__status=Status.READY)
        .select_related("photo")
        .order_by("-photo__shot_at", "-photo_id", "x", "id")
    )
    queue = [_entry(face) for face in faces[: MAX_LABEL_FACES + 1]]
    start = 0
    if (wanted := request.GET.get("photo", "")).isdigit():
        start = next((i for i, e in enumerate(queue) if e["photo"] == int(wanted)), 0)
    return render(
        request,
        "faces/label.html",
        {
            "queue": queue[:MAX_LABEL_FACES],
            "more": len(queue) > MAX_LABEL_FACES,
            "limit": MAX_LABEL_FACES,
            "start": start,
        },
    )


def _entry(face: Face) -> dict[str, Any]:
    photo = face.photo
    return {
        "id": face.pk,
        "photo": photo.pk,
        "title": photo.display_title,
        "page": reverse("gallery:photo", args=[photo.pk]),
        "width": photo.width,
        "height": photo.height,
        "preview": photo.file_url("preview"),
        "original": photo.file_url("original"),
        "box": [round(v, 2) for v in face.box],
        "left_eye": [round(v, 2) for v in face.left_eye],
        "right_eye": [round(v, 2) for v in face.right_eye],
        "source": face.source,
    }

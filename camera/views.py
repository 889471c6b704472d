"""The Camera page: a live portrait preview computed in the browser, and capture into the gallery.

No frame reaches the server until the person takes the shot; the shot is then uploaded through
the photo API and the same effect is requested through the variants API, so the stored result
comes from the server's pipeline.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone

from effects.modelstore import (
    CAMERA_FILES,
    FACE_DETECTOR_SHORT,
    FETCH_COMMAND,
    SELFIE_LANDSCAPE,
    TASKS_VISION_DIR,
    missing_models,
)
from effects.sources import usable_backgrounds
from gallery.models import Status

# MediaPipe compiles its WebAssembly with WebAssembly.instantiate(Streaming): CSP level 3 lets
# exactly that through with 'wasm-unsafe-eval' (no eval of JavaScript). Only this page needs it.
CAMERA_CSP = {"script-src": ["'wasm-unsafe-eval'"]}
# The camera may be used by this site's own pages only, never by a page that frames it.
PERMISSIONS_POLICY = "camera=(self), microphone=()"


@login_required
@csp_update(CAMERA_CSP)
def camera(request: HttpRequest) -> HttpResponse:
    missing = missing_models(settings.FOCAL_MODEL_DIR, CAMERA_FILES)
    backgrounds = [
        (photo, photo.file_url("preview"))
        for photo in usable_backgrounds(request.user)  # the rule the render checks again
        .filter(status=Status.READY)
        .order_by("-shot_at")[:100]
    ]
    context = {
        "missing": [m.name for m in missing],
        "fetch_command": FETCH_COMMAND,
        "lib_url": static(f"camera/{TASKS_VISION_DIR}/"),
        "model_url": static(f"camera/{SELFIE_LANDSCAPE.name}"),
        "face_model_url": static(f"camera/{FACE_DETECTOR_SHORT.name}"),
        "backgrounds": [(photo, url) for photo, url in backgrounds if url],
        # Shots are titled with the date as the gallery writes it, in the site's time zone.
        "time_zone": timezone.get_current_timezone_name(),
    }
    response = render(request, "camera/camera.html", context)
    response["Permissions-Policy"] = PERMISSIONS_POLICY
    return response

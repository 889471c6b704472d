"""Stop reading an upload as soon as it is known to be too large.

Django would otherwise write the whole body to a temporary file before any view can refuse it.
The view sees `request.upload_too_large` and answers 413 with a readable message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from focal.usererror import UserError
from gallery.imaging import ImageTooLarge

# Multipart framing and the other form fields around the file.
_ENVELOPE_BYTES = 64 * 1024


def max_request_bytes() -> int:
    """The largest request body worth reading: a form may carry several files up to the limit.

    The web server refuses longer bodies before reading them (focal/webserver.py).
    """
    return 4 * settings.FOCAL_MAX_UPLOAD_BYTES + _ENVELOPE_BYTES


class SizeLimitUploadHandler(FileUploadHandler):
    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        if content_length > max_request_bytes():
            # Absurdly large: answer without reading gigabytes just to discard them.
            self._flag()
            return QueryDict(), MultiValueDict()
        # Otherwise receive_data_chunk stops at the limit and Django drains the rest, so the
        # client is still listening when the 413 message comes back.
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.FOCAL_MAX_UPLOAD_BYTES:
            self._refuse(reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _flag(self) -> None:
        if self.request is not None:
            self.request.upload_too_large = True  # type: ignore[attr-defined]

    def _refuse(self, *, reset: bool) -> None:
        self._flag()
        raise StopUpload(connection_reset=reset)


def upload_too_large(request: Any) -> bool:
    return bool(getattr(request, "upload_too_large", False)) or bool(
        getattr(getattr(request, "_request", None), "upload_too_large", False)
    )


def single_upload(request: Any, *, what: str = "an image file") -> UploadedFile:
    """The one file of the multipart field "image" (of an HttpRequest or a DRF Request).

    ImageTooLarge past the limit; a UserError when there is none, or more than one (which
    would otherwise keep the last one silently).
    """
    uploads = request.FILES.getlist("image")  # parsing stops early for an oversized body
    if upload_too_large(request):
        raise ImageTooLarge(f"The file is larger than the {upload_limit_text()} limit.")
    if not uploads:
        raise UserError(f"Choose {what} (multipart field “image”).", code="missing_file")
    if len(uploads) > 1:
        raise UserError(
            f"Send one image per request; the field “image” came {len(uploads)} times.",
            code="too_many_files",
        )
    return uploads[0]


def upload_limit_text() -> str:
    """The upload limit as people read it, e.g. "40 MB"."""
    return f"{settings.FOCAL_MAX_UPLOAD_BYTES / 2**20:.3g} MB"

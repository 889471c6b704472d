"""Resumable uploads over tus 1.0 (https://tus.io/protocols/resumable-upload): /api/uploads/.

Core protocol (HEAD for the offset, PATCH pieces) with the creation, termination and expiration
extensions, authenticated like the rest of the API (a session with its CSRF token, or a token).
`GET /api/uploads/{id}/` says, as JSON, how far an upload got and which photo it made; the
last PATCH also names the photo in `Focal-Photo-Id`. The work is in gallery.resumable.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from focal.auth import signed_in_user
from focal.schema import errors
from gallery import resumable, tus
from gallery.api import AbsoluteUrls, PhotoSerializer
from gallery.models import Upload

TUS_METHODS = ("POST", "HEAD", "PATCH", "DELETE")


class UploadSerializer(AbsoluteUrls, serializers.ModelSerializer[Upload]):
    url = serializers.SerializerMethodField(help_text="Where to send HEAD, PATCH and DELETE.")
    photo = PhotoSerializer(
        read_only=True, allow_null=True, help_text="The photo made once every byte arrived."
    )

    class Meta:
        model = Upload
        fields = [
            "id",
            "url",
            "filename",
            "title",
            "visibility",
            "length",
            "offset",
            "created",
            "expires",
            "finished",
            "photo",
            "duplicate",
        ]
        read_only_fields = fields

    def get_url(self, upload: Upload) -> str | None:
        return self._absolute(upload.get_absolute_url())


# --- OpenAPI (conventions in focal/schema.py) ------------------------------------------------
def _header(name: str, description: str, **kwargs: Any) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.HEADER, description=description, **kwargs)


TUS_RESUMABLE = _header("Tus-Resumable", "The protocol version: 1.0.0.", required=True)
STATE_HEADERS = [
    _header("Upload-Offset", "Bytes received so far.", response=[200, 204]),
    _header("Upload-Expires", "When the upload expires unless more bytes arrive.", response=[204]),
    _header("Focal-Photo-Id", "Once complete: the photo the upload made.", response=[200, 204]),
    _header("Focal-Photo-Duplicate", "`true` when the photo was yours already.", response=[204]),
]


class SignedInExceptOptions(permissions.BasePermission):
    """OPTIONS tells anyone what the server supports; everything else needs a user."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method == "OPTIONS" or bool(request.user and request.user.is_authenticated)


class TusView(APIView):
    """What both endpoints share: the Tus-Resumable check, X-HTTP-Method-Override, the
    protocol's headers on every answer (errors included), and OPTIONS."""

    permission_classes = [SignedInExceptOptions]
    parser_classes: list[Any] = []  # PATCH bodies are streamed to disk, never parsed

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # tus: for clients behind proxies that know only GET and POST.
        override = request.META.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").strip().upper()
        if request.method == "POST" and override:
            request.method = override
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # A method this endpoint lacks is a 405 whatever the version says.
        has_method = hasattr(self, str(request.method).lower())
        if request.method in TUS_METHODS and has_method:
            tus.check_version(request.headers.get("Tus-Resumable"))
        super().initial(request, *args, **kwargs)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = tus.VERSION
        if request.method == "OPTIONS" or response.status_code == 412:
            response["Tus-Version"] = ",".join(tus.SUPPORTED_VERSIONS)
        return response

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        response = Response(status=204)
        response["Tus-Extension"] = ",".join(tus.EXTENSIONS)
        response["Tus-Max-Size"] = str(settings.FOCAL_MAX_UPLOAD_BYTES)
        return response


@extend_schema_view(
    get=extend_schema(
        operation_id="uploads_list",
        summary="Your unfinished uploads",
        responses={200: inline_serializer("UploadList", {"results": UploadSerializer(many=True)})},
    ),
    post=extend_schema(
        summary="Create a resumable upload (tus creation)",
        description="An empty body with the file's length; send its bytes to the `Location` "
        "with PATCH. Refused as `POST /api/photos/` would refuse a file of that size.",
        parameters=[
            TUS_RESUMABLE,
            _header("Upload-Length", "The file's size in bytes.", required=True),
            _header(
                "Upload-Metadata",
                "Comma-separated `key base64(value)` pairs: `filename`, `title`, `visibility` "
                "(`private` or `public`).",
            ),
            _header("Location", "Where to send the bytes.", response=[201]),
        ],
        request=None,
        responses={201: UploadSerializer},
        extensions=errors(412, 413),
    ),
)
class UploadsView(TusView):
    """POST creates an upload (tus creation); GET lists your unfinished ones."""

    def get(self, request: Request) -> Response:
        uploads = Upload.objects.owned_by(signed_in_user(request)).unfinished()
        data = UploadSerializer(uploads, many=True, context={"request": request}).data
        return _no_store(Response({"results": data}))

    def post(self, request: Request) -> Response:
        if "Upload-Defer-Length" in request.headers:
            raise tus.ProtocolError(
                "This server needs the length first (Upload-Length); "
                "Upload-Defer-Length is not supported.",
                code="defer_length_unsupported",
            )
        if _content_length(request) > 0:
            raise tus.ProtocolError(
                "Create the upload with an empty body, then send its bytes with PATCH "
                "(creation-with-upload is not supported).",
                code="creation_with_upload_unsupported",
            )
        length = tus.parse_count(request.headers.get("Upload-Length"), "Upload-Length")
        upload = resumable.create_upload(
            signed_in_user(request), length, request.headers.get("Upload-Metadata")
        )
        response = Response(UploadSerializer(upload, context={"request": request}).data, 201)
        response["Location"] = request.build_absolute_uri(upload.get_absolute_url())
        response["Upload-Expires"] = tus.http_date(upload.expires)
        return response


@extend_schema_view(
    get=extend_schema(
        summary="How far an upload got, and its photo",
        responses={200: UploadSerializer},
        extensions=errors(410),
    ),
    patch=extend_schema(
        summary="Send the next piece (tus)",
        description="The bytes from `Upload-Offset` on. The last piece makes the photo (the "
        "same checks and deduplication as `POST /api/photos/`) and names it in "
        "`Focal-Photo-Id`; a refused file answers that endpoint's error and leaves nothing. "
        "409: `Upload-Offset` is not the upload's offset (ask with HEAD); 413: the piece goes "
        "past the declared length; 423: another request is writing to this upload (ask for "
        "the offset again); 410: the upload expired.",
        parameters=[
            TUS_RESUMABLE,
            _header("Upload-Offset", "Where this piece starts.", required=True),
            *STATE_HEADERS,
        ],
        request={tus.OFFSET_CONTENT_TYPE: OpenApiTypes.BINARY},
        responses={204: OpenApiResponse(description="Kept; Upload-Offset is the new offset.")},
        extensions=errors(409, 410, 411, 412, 423, 507),
    ),
    delete=extend_schema(
        summary="Cancel an upload (tus termination)",
        parameters=[TUS_RESUMABLE],
        responses={204: None},
        extensions=errors(412, 423),
    ),
)
class UploadView(TusView):
    """One upload: HEAD its offset, PATCH its next piece, DELETE it, GET it as JSON."""

    def get(self, request: Request, pk: UUID) -> Response:
        upload = resumable.current(self._upload(request, pk))
        return _no_store(Response(UploadSerializer(upload, context={"request": request}).data))

    def head(self, request: Request, pk: UUID) -> Response:
        upload = resumable.current(self._upload(request, pk))
        response = _state(Response(status=200), upload)
        response["Upload-Length"] = str(upload.length)
        if upload.metadata:
            response["Upload-Metadata"] = upload.metadata
        return _no_store(response)

    def patch(self, request: Request, pk: UUID) -> Response:
        if not tus.is_offset_content_type(request.META.get("CONTENT_TYPE")):
            raise tus.WrongContentType(
                f"Send the bytes as Content-Type: {tus.OFFSET_CONTENT_TYPE}."
            )
        offset = tus.parse_count(request.headers.get("Upload-Offset"), "Upload-Offset")
        upload = self._upload(request, pk)
        upload = resumable.receive(upload, offset, request._request, _content_length(request))
        return _state(Response(status=204), upload)

    def delete(self, request: Request, pk: UUID) -> Response:
        resumable.terminate(self._upload(request, pk))
        return Response(status=204)

    def _upload(self, request: Request, pk: UUID) -> Upload:
        # Someone else's upload is not found, as one that never existed.
        return get_object_or_404(Upload.objects.owned_by(signed_in_user(request)), pk=pk)


def _state(response: Response, upload: Upload) -> Response:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Expires"] = tus.http_date(upload.expires)
    if upload.photo_id is not None:
        response["Focal-Photo-Id"] = str(upload.photo_id)
        response["Focal-Photo-Duplicate"] = "true" if upload.duplicate else "false"
    return response


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


def _content_length(request: Request) -> int:
    """The body's length. A body without one (chunked) cannot be checked against the upload's
    length before it is read, and Django would read it as empty: 411."""
    if "Transfer-Encoding" in request.headers:
        raise tus.LengthRequired("Send the piece with a Content-Length (not chunked).")
    return tus.parse_count(request.META.get("CONTENT_LENGTH") or "0", "Content-Length")


def schema_with_head_and_options(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular leaves HEAD and OPTIONS out of every schema; tus clients need them."""
    paths = result.get("paths", {})
    one, collection = paths.get("/api/uploads/{id}/"), paths.get("/api/uploads/")
    if not one or not collection:
        return result

    def headers(**described: str) -> dict[str, Any]:
        return {
            name: {"schema": {"type": "string"}, "description": text}
            for name, text in described.items()
        }

    def error(text: str) -> dict[str, Any]:
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        return {"description": text, "content": body}

    version = {
        "name": "Tus-Resumable",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The protocol version: 1.0.0.",
    }
    one["head"] = {
        "operationId": "uploads_offset",
        "summary": "How many bytes an upload has (tus)",
        "tags": ["uploads"],
        "security": one["get"].get("security", []),
        "parameters": [*one["get"].get("parameters", []), version],
        "responses": {
            "200": {
                "description": "No body; never cached (`Cache-Control: no-store`).",
                "headers": headers(
                    **{
                        "Upload-Offset": "Bytes received so far: send the next piece from here.",
                        "Upload-Length": "The file's size.",
                        "Upload-Metadata": "As sent at creation.",
                        "Focal-Photo-Id": "Once complete: the photo the upload made.",
                    }
                ),
            },
            **{
                str(code): error(text)
                for code, text in (
                    (404, "No such upload."),
                    (410, "The upload expired."),
                    (412, "Another protocol version."),
                )
            },
        },
    }
    for path in (one, collection):
        path["options"] = {
            "operationId": f"uploads_options{'_one' if path is one else ''}",
            "summary": "What this tus server supports (anyone may ask)",
            "tags": ["uploads"],
            "security": [{}],
            "responses": {
                "204": {
                    "description": "No body.",
                    "headers": headers(
                        **{
                            "Tus-Version": "1.0.0",
                            "Tus-Extension": ",".join(tus.EXTENSIONS),
                            "Tus-Max-Size": "The largest file accepted, in bytes.",
                        }
                    ),
                }
            },
        }
    return result

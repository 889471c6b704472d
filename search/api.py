"""Similar-image search API: same error shape and permissions as the photos API."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from focal.auth import signed_in_user
from gallery import actions
from gallery.api import PhotoSerializer
from gallery.models import Photo
from gallery.uploads import single_upload
from search import queries
from search.service import Match

K_PARAM = OpenApiParameter("k", OpenApiTypes.INT, description="How many results, 1 to 100 (10).")
RESULTS = inline_serializer(
    "SimilarResults",
    {
        "results": serializers.ListField(
            child=inline_serializer(
                "SimilarPhoto",
                {
                    "id": serializers.IntegerField(),
                    "score": serializers.FloatField(help_text="0 to 1; 1 = identical."),
                    "thumbnail_url": serializers.URLField(),
                    "title": serializers.CharField(),
                    "page_url": serializers.URLField(),
                },
            )
        )
    },
)


def results(request: Request, matches: list[Match], **extra: Any) -> Response:
    def url(path: str | None) -> str | None:
        return request.build_absolute_uri(path) if path else None

    body = {
        "results": [
            {
                "id": m.photo.pk,
                "score": round(m.score, 4),
                "thumbnail_url": url(m.photo.file_url("thumb")),
                "title": m.photo.display_title,
                "page_url": url(m.photo.get_absolute_url()),
            }
            for m in matches
        ],
        **extra,
    }
    return Response(body)


@extend_schema(tags=["search"], parameters=[K_PARAM], responses=RESULTS)
class SimilarPhotosView(APIView):
    """The photos most similar to this one that you may see, most similar first."""

    permission_classes = [permissions.AllowAny]

    def get(self, request: Request, pk: int) -> Response:
        photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
        k = queries.parse_k(request.query_params.get("k"))
        return results(request, queries.similar_to_photo(photo, request.user, k))


class SearchView(APIView):
    """Search by colour (GET) or by an uploaded image (POST)."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(
        tags=["search"],
        parameters=[
            K_PARAM,
            OpenApiParameter(
                "color",
                OpenApiTypes.STR,
                description="#RRGGBB; up to three, repeated or comma-separated.",
                required=True,
            ),
        ],
        responses=RESULTS,
    )
    def get(self, request: Request) -> Response:
        k = queries.parse_k(request.query_params.get("k"))
        colours = queries.parse_colours(request.query_params.getlist("color"))
        return results(request, queries.dominated_by(colours, request.user, k))

    @extend_schema(
        tags=["search"],
        request={
            "multipart/form-data": inline_serializer(
                "SearchByImage",
                {
                    "image": serializers.FileField(),
                    "k": serializers.IntegerField(required=False),
                    "add": serializers.BooleanField(
                        required=False, help_text="Also add the image to your gallery."
                    ),
                },
            )
        },
        responses=RESULTS,
    )
    def post(self, request: Request) -> Response:
        upload = single_upload(request, what="an image to search with")
        k = queries.parse_k(request.POST.get("k"))
        vector, _ = queries.describe_upload(upload)
        extra: dict[str, Any] = {}
        if str(request.POST.get("add", "")).lower() in ("1", "true", "yes", "on"):
            added = actions.add_photo(signed_in_user(request), upload)
            extra["added"] = PhotoSerializer(added.photo, context={"request": request}).data
            extra["duplicate"] = added.duplicate
        return results(request, queries.similar_to_vector(vector, request.user, k), **extra)

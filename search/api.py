"""Similar-image search API: same error shape and permissions as the photos API."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from focal.auth import signed_in_user
from focal.schema import errors
from focal.serializers import RejectUnknownFields, StrictBooleanField
from gallery import actions
from gallery.api import PhotoSerializer
from gallery.models import Photo
from gallery.uploads import single_upload
from search import queries
from search.service import Match

K_PARAM = OpenApiParameter("k", queries.K_SCHEMA, description="How many results, 1 to 100 (10).")
MODE_DESCRIPTION = (
    "object: only photos verified to show the same thing (local features + geometry); "
    "colour: only photos alike in colour and layout; left out: both, same-subject first."
)
MODE_PARAM = OpenApiParameter(
    "mode", str, enum=list(queries.MODES), required=False, description=MODE_DESCRIPTION
)
COLOR_PARAM = OpenApiParameter(
    "color",
    queries.COLOR_SCHEMA,
    description="One to three colours as #RRGGBB, comma-separated.",
    required=True,
)


class SimilarPhotoSerializer(serializers.Serializer[Any]):
    """A photo you may see, with how similar it is."""

    id = serializers.IntegerField()
    match = serializers.ChoiceField(
        choices=queries.MODES,
        help_text="object: verified to show the same thing; colour: alike in colour.",
    )
    score = serializers.FloatField(
        min_value=0,
        max_value=1,
        help_text="1 = identical. For object matches: the share of keypoints matched.",
    )
    thumbnail_url = serializers.URLField(allow_null=True)
    title = serializers.CharField()
    page_url = serializers.URLField()


class SimilarResultsSerializer(serializers.Serializer[Any]):
    """The most similar photos you may see, most similar first."""

    results = SimilarPhotoSerializer(many=True)


class SearchByImageResultsSerializer(SimilarResultsSerializer):
    """The most similar photos, and the photo kept when `add` was true."""

    added = PhotoSerializer(required=False, help_text="The photo kept, when `add` was true.")
    duplicate = serializers.BooleanField(
        required=False, help_text="With `add`: the photo was in your gallery already."
    )


class SearchByImageSerializer(RejectUnknownFields):
    """Search by an image of your own; `add` also keeps it as a photo."""

    image = serializers.FileField(
        allow_empty_file=True, help_text="A JPEG, PNG or WebP image; it is not kept."
    )
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=queries.MAX_K)
    add = StrictBooleanField(
        required=False, default=False, help_text="Also add the image to your gallery."
    )
    mode = serializers.ChoiceField(
        choices=queries.MODES, required=False, help_text=MODE_DESCRIPTION
    )


def results(request: Request, matches: list[Match], **extra: Any) -> Response:
    def url(path: str | None) -> str | None:
        return request.build_absolute_uri(path) if path else None

    body = {
        "results": [
            {
                "id": m.photo.pk,
                "match": m.kind,
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


@extend_schema(
    tags=["search"],
    parameters=[K_PARAM, MODE_PARAM],
    responses=SimilarResultsSerializer,
    extensions=errors(409),
)
class SimilarPhotosView(APIView):
    """The photos most similar to this one that you may see, most similar first."""

    permission_classes = [permissions.AllowAny]

    def get(self, request: Request, pk: int) -> Response:
        photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
        k = queries.parse_k(request.query_params.get("k"))
        mode = queries.parse_mode(request.query_params.get("mode"))
        return results(request, queries.similar_to_photo(photo, request.user, k, mode))


class SearchView(APIView):
    """Search by colour (GET) or by an uploaded image (POST)."""

    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(
        tags=["search"],
        parameters=[K_PARAM, COLOR_PARAM],
        responses=SimilarResultsSerializer,
    )
    def get(self, request: Request) -> Response:
        k = queries.parse_k(request.query_params.get("k"))
        colours = queries.parse_colours(request.query_params.getlist("color"))
        return results(request, queries.dominated_by(colours, request.user, k))

    @extend_schema(
        tags=["search"],
        request={"multipart/form-data": SearchByImageSerializer},
        responses=SearchByImageResultsSerializer,
    )
    def post(self, request: Request) -> Response:
        upload = single_upload(request, what="an image to search with")
        form = SearchByImageSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        k = form.validated_data["k"]
        query = queries.describe_upload(upload)
        extra: dict[str, Any] = {}
        if form.validated_data["add"]:
            added = actions.add_photo(signed_in_user(request), upload)
            extra["added"] = PhotoSerializer(added.photo, context={"request": request}).data
            extra["duplicate"] = added.duplicate
        mode = form.validated_data.get("mode")
        return results(request, queries.similar_to_image(query, request.user, k, mode), **extra)

"""JSON API for photos: /api/photos/. Same permissions as the pages (Photo.objects.visible_to)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from focal.auth import signed_in_user
from focal.ids import MAX_ID, parse_ids
from focal.parsers import JSONParser
from focal.query import parse_bool
from focal.serializers import RejectUnknownFields, TitleField
from gallery import actions
from gallery.models import Photo, Visibility
from gallery.uploads import single_upload

MAX_IDS = 200  # photos asked for by id in one request
IDS_PARAMETER = OpenApiParameter(
    "ids",
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "minItems": 1,
        "maxItems": MAX_IDS,
    },
    style="form",
    explode=False,
    description=f"Only these photos: up to {MAX_IDS} ids, comma-separated (ids=3,5,8).",
)
MINE_PARAMETER = OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only your own photos.")


class AbsoluteUrls:
    """For serializers: site paths as absolute URLs of the request being answered."""

    context: dict[str, Any]

    def _absolute(self, path: str | None) -> str | None:
        request = self.context.get("request")
        if path is None or request is None:
            return path
        return request.build_absolute_uri(path)


class PhotoSerializer(AbsoluteUrls, RejectUnknownFields, serializers.ModelSerializer[Photo]):
    """A photo; PATCH changes `title` and `visibility` only."""

    title = TitleField(required=False)
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    image_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    preview_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = [
            "id",
            "status",
            "error",
            "width",
            "height",
            "title",
            "visibility",
            "moderation",
            "image_url",
            "thumbnail_url",
            "preview_url",
            "page_url",
            "created",
            "taken_at",
            "camera",
            "format",
            "byte_size",
            "owner",
        ]
        read_only_fields = [f for f in fields if f not in ("title", "visibility")]

    def get_image_url(self, photo: Photo) -> str | None:
        return self._absolute(photo.file_url("original"))

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return self._absolute(photo.file_url("thumb"))

    def get_preview_url(self, photo: Photo) -> str | None:
        return self._absolute(photo.file_url("preview"))

    def get_page_url(self, photo: Photo) -> str | None:
        return self._absolute(photo.get_absolute_url())


class PhotoUploadSerializer(RejectUnknownFields):
    """The form of an upload. The image itself is checked by gallery.imaging."""

    # Empty files too: gallery.imaging refuses them with its own code and message.
    image = serializers.FileField(allow_empty_file=True, help_text="A JPEG, PNG or WebP image.")
    title = TitleField(required=False, default="")
    visibility = serializers.ChoiceField(
        choices=Visibility.choices, required=False, default=Visibility.PRIVATE
    )


class UploadedPhotoSerializer(PhotoSerializer):
    """The photo uploaded, or the one these bytes were uploaded as before."""

    duplicate = serializers.SerializerMethodField(
        help_text="True when these bytes were uploaded before (status 200)."
    )
    who_sees_it = serializers.CharField(
        read_only=True, help_text="Who can see the photo, in a sentence for its owner."
    )

    class Meta(PhotoSerializer.Meta):
        fields = [*PhotoSerializer.Meta.fields, "duplicate", "who_sees_it"]
        read_only_fields = fields

    def get_duplicate(self, photo: Photo) -> bool:
        return bool(self.context.get("duplicate", False))


class IsOwnerOrReadOnly(permissions.BasePermission):
    message = "Only the owner can change this photo."

    def has_object_permission(self, request: Request, view: Any, obj: Photo) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "DELETE" and request.user.is_staff:
            return True
        return bool(obj.owner_id == request.user.pk)


@extend_schema(tags=["photos"])
class PhotoViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Photo],
):
    serializer_class = PhotoSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Photo]:
        photos = Photo.objects.visible_to(self.request.user).select_related("owner")
        if self.action != "list":
            return photos
        params = self.request.query_params
        if parse_bool(params.get("mine"), "mine"):
            photos = photos.owned_by(self.request.user)
        if (ids := params.get("ids")) is not None:
            photos = photos.filter(pk__in=parse_ids(ids.split(","), name="ids", limit=MAX_IDS))
        return photos

    @extend_schema(parameters=[MINE_PARAMETER, IDS_PARAMETER])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={201: UploadedPhotoSerializer, 200: UploadedPhotoSerializer},
        description="Upload a photo. The same bytes uploaded again by the same user return "
        'the existing photo with `"duplicate": true` and status 200.',
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = single_upload(request, what="an image file to upload")
        fields = PhotoUploadSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        added = actions.add_photo(
            signed_in_user(request),
            upload,
            title=fields.validated_data["title"],
            visibility=fields.validated_data["visibility"],
        )
        context = {"request": request, "duplicate": added.duplicate}
        body = UploadedPhotoSerializer(added.photo, context=context).data
        return Response(body, status=status.HTTP_200_OK if added.duplicate else 201)

    def perform_update(self, serializer: serializers.BaseSerializer[Photo]) -> None:
        photo = serializer.instance
        assert photo is not None
        data = serializer.validated_data
        if "title" in data:
            actions.set_title(self.request.user, photo, data["title"])
        if "visibility" in data:
            actions.set_visibility(self.request.user, photo, data["visibility"])

    @extend_schema(
        responses={204: None},
        description="Move the photo to the trash (restore it with POST "
        "/api/photos/{id}/restore/; DELETE /api/trash/{id}/ deletes it for good).",
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Photo) -> None:
        from gallery.trash import trash

        if instance.owner_id != self.request.user.pk:
            actions.delete_photo(self.request.user, instance)  # staff removing a photo
        else:
            trash(self.request.user, [instance.pk])

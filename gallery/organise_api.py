"""JSON API for organising photos: albums, the trash, and actions on many photos at once.

    GET/POST /api/albums/                 GET/PATCH/DELETE /api/albums/{id}/
    POST/DELETE /api/albums/{id}/photos/  {"ids": [...]}
    GET /api/trash/    DELETE /api/trash/{id}/    POST /api/photos/{id}/restore/
    POST /api/photos/bulk/                {"ids": [...], "action": ..., ...}

Same permissions as the pages: an album is seen by its owner, and by others while public (then
with only the photos each may see); only the owner changes it, with photos they own.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from focal.auth import signed_in_user
from focal.ids import MAX_ID
from focal.parsers import JSONParser
from focal.serializers import NameField, RejectUnknownFields, StrictIntegerField
from focal.usererror import UserError
from gallery import actions, albums, trash
from gallery.api import AbsoluteUrls, PhotoSerializer
from gallery.models import Album, Photo, Visibility

MAX_BULK = 10_000  # photos in one bulk request
ALBUM_PAGE = 500  # photos listed with an album


class IdsSerializer(RejectUnknownFields):
    """Photo ids."""

    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BULK,
        help_text=f"Photo ids, 1 to {MAX_BULK:,} of them.",
    )


BULK_ACTIONS = ("trash", "restore", "delete", "set_visibility", "add_to_album", "remove_from_album")


class BulkSerializer(IdsSerializer):
    """One action on many photos."""

    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    album = StrictIntegerField(min_value=1, max_value=MAX_ID, required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["action"] == "set_visibility" and "visibility" not in data:
            raise serializers.ValidationError({"visibility": "set_visibility needs visibility."})
        if data["action"] in ("add_to_album", "remove_from_album") and "album" not in data:
            raise serializers.ValidationError({"album": f"{data['action']} needs album."})
        return data


class ReachSerializer(serializers.Serializer[albums.Reach]):
    """What others see of a shared album (gallery.albums.Reach), as its page tells the owner."""

    seen = serializers.IntegerField(help_text="Photos others see.")
    total = serializers.IntegerField(help_text="Photos in the album, out of the trash.")
    private = serializers.IntegerField(help_text="Hidden from others: private.")
    pending = serializers.IntegerField(help_text="Hidden from others: waiting for review.")
    rejected = serializers.IntegerField(help_text="Hidden from others: rejected.")
    sentence = serializers.CharField(help_text="The page's words for it (empty when no photos).")


class AlbumSerializer(AbsoluteUrls, serializers.ModelSerializer[Album]):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    count = serializers.SerializerMethodField(help_text="Photos in it that you may see.")
    cover_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    others_see = serializers.SerializerMethodField(
        help_text="For the owner of a shared album: how many of its photos others see, and "
        "why the rest are hidden. null for anyone else, and while the album is private."
    )

    class Meta:
        model = Album
        fields = ["id", "title", "visibility", "owner", "count", "cover_url", "page_url",
                  "others_see", "created", "updated"]  # fmt: skip
        read_only_fields = ["id", "owner", "count", "cover_url", "page_url", "others_see",
                            "created", "updated"]  # fmt: skip

    def _user(self) -> Any:
        return self.context["request"].user

    def get_count(self, album: Album) -> int:
        return album.photos_for(self._user()).count()

    def get_cover_url(self, album: Album) -> str | None:
        cover = album.cover_for(self._user())
        return self._absolute(cover.file_url("thumb")) if cover else None

    def get_page_url(self, album: Album) -> str | None:
        return self._absolute(album.get_absolute_url())

    @extend_schema_field(ReachSerializer(allow_null=True))
    def get_others_see(self, album: Album) -> dict[str, Any] | None:
        # The page's rule (organise_views.album_page): only the owner, only once shared.
        if album.owner_id != self._user().pk or album.visibility != Visibility.PUBLIC:
            return None
        return ReachSerializer(albums.reach(album)).data  # sentence() is called by DRF


def _bulk_schema() -> dict[str, Any]:
    """BulkSerializer as the schema states it: what each action needs besides the ids."""
    ids = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
           "minItems": 1, "maxItems": MAX_BULK}  # fmt: skip
    optional = {
        "visibility": {"type": "string", "enum": list(Visibility.values)},
        "album": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }
    groups = [
        (["trash", "restore", "delete"], []),
        (["set_visibility"], ["visibility"]),
        (["add_to_album", "remove_from_album"], ["album"]),
    ]
    return {
        "oneOf": [
            {
                "title": " / ".join(names),
                "type": "object",
                "properties": {"ids": ids, "action": {"type": "string", "enum": names}, **optional},
                "required": ["ids", "action", *needs],
                "additionalProperties": False,
            }
            for names, needs in groups
        ]
    }


class NewAlbumSerializer(RejectUnknownFields):
    """A new album, with photos of yours in it."""

    title = NameField()
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_BULK,
        required=False,
        help_text="Photos of yours to put in it.",
    )


class AlbumWriteSerializer(RejectUnknownFields):
    """What an album's owner may change."""

    title = NameField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    cover = StrictIntegerField(min_value=1, max_value=MAX_ID, required=False)


class AlbumListSerializer(serializers.Serializer[Any]):
    """Your albums."""

    results = AlbumSerializer(many=True)


class PhotoListSerializer(serializers.Serializer[Any]):
    """Photos."""

    results = PhotoSerializer(many=True)


def _album(request: Request, pk: int) -> Album:
    return get_object_or_404(Album.objects.visible_to(request.user), pk=pk)


def _counted(**counts: int) -> Response:
    return Response(counts)


@extend_schema(tags=["albums"])
class AlbumsView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(responses=AlbumListSerializer, description="Your albums.")
    def get(self, request: Request) -> Response:
        mine: QuerySet[Album] = Album.objects.owned_by(request.user).select_related("owner")
        data = AlbumSerializer(mine, many=True, context={"request": request}).data
        return Response({"results": data})

    @extend_schema(request=NewAlbumSerializer, responses={201: AlbumSerializer})
    def post(self, request: Request) -> Response:
        fields = NewAlbumSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        data = fields.validated_data
        album = albums.create_album(signed_in_user(request), data["title"], data.get("ids", []))
        body = AlbumSerializer(album, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["albums"])
class AlbumView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(responses=AlbumSerializer)
    def get(self, request: Request, pk: int) -> Response:
        album = _album(request, pk)
        body = dict(AlbumSerializer(album, context={"request": request}).data)
        photos = album.photos_for(request.user).select_related("owner")[:ALBUM_PAGE]
        body["photos"] = PhotoSerializer(photos, many=True, context={"request": request}).data
        return Response(body)

    @extend_schema(request=AlbumWriteSerializer, responses=AlbumSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        album = _album(request, pk)
        user = signed_in_user(request)
        fields = AlbumWriteSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        unknown = sorted(set(request.data) - set(AlbumWriteSerializer().fields))
        if unknown:
            raise UserError(f"Unknown or read-only fields: {', '.join(unknown)}.")
        data = fields.validated_data
        if "title" in data:
            albums.rename(user, album, data["title"])
        if "visibility" in data:
            albums.set_visibility(user, album, data["visibility"])
        if "cover" in data:
            albums.set_cover(user, album, data["cover"])
        return Response(AlbumSerializer(album, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        albums.delete_album(signed_in_user(request), _album(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["albums"])
class AlbumPhotosView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        request=IdsSerializer,
        responses=inline_serializer("AlbumAdded", {"added": serializers.IntegerField()}),
    )
    def post(self, request: Request, pk: int) -> Response:
        album = _album(request, pk)
        ids = IdsSerializer(data=request.data)
        ids.is_valid(raise_exception=True)
        return _counted(added=albums.add_photos(request.user, album, ids.validated_data["ids"]))

    @extend_schema(
        request=IdsSerializer,
        responses=inline_serializer("AlbumRemoved", {"removed": serializers.IntegerField()}),
    )
    def delete(self, request: Request, pk: int) -> Response:
        album = _album(request, pk)
        ids = IdsSerializer(data=request.data)
        ids.is_valid(raise_exception=True)
        removed = albums.remove_photos(request.user, album, ids.validated_data["ids"])
        return _counted(removed=removed)


@extend_schema(tags=["trash"])
class TrashView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(responses=PhotoListSerializer, description="Your photos in the trash.")
    def get(self, request: Request) -> Response:
        photos = Photo.objects.in_trash_of(request.user).select_related("owner")[:MAX_BULK]
        data = PhotoSerializer(photos, many=True, context={"request": request}).data
        return Response({"results": data})


@extend_schema(tags=["trash"])
class TrashedPhotoView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(responses={204: None}, description="Delete a photo in the trash for good.")
    def delete(self, request: Request, pk: int) -> Response:
        photo = get_object_or_404(Photo.objects.in_trash_of(request.user), pk=pk)
        trash.delete_for_good(request.user, [photo.pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["trash"])
class RestoreView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=None, responses=PhotoSerializer)
    def post(self, request: Request, pk: int) -> Response:
        photo = get_object_or_404(Photo.objects.in_trash_of(request.user), pk=pk)
        trash.restore(request.user, [photo.pk])
        photo.refresh_from_db()
        return Response(PhotoSerializer(photo, context={"request": request}).data)


@extend_schema(tags=["photos"])
class BulkView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        request={"application/json": _bulk_schema()},
        responses=inline_serializer("BulkDone", {"done": serializers.IntegerField()}),
        description="One action on many of your photos: trash, restore, delete (for good, "
        "from the trash), set_visibility (with `visibility`), add_to_album or "
        "remove_from_album (with `album`). Photos that are not yours are left alone; `done` "
        "counts the photos changed.",
    )
    def post(self, request: Request) -> Response:
        fields = BulkSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        data = fields.validated_data
        user, ids, action = request.user, data["ids"], data["action"]
        if action == "trash":
            done = len(trash.trash(user, ids))
        elif action == "restore":
            done = len(trash.restore(user, ids))
        elif action == "delete":
            done = trash.delete_for_good(user, ids)
        elif action == "set_visibility":
            done = actions.set_visibility_of(user, ids, data["visibility"])
        else:
            album = get_object_or_404(Album.objects.owned_by(user), pk=data["album"])
            change = albums.add_photos if action == "add_to_album" else albums.remove_photos
            done = change(user, album, ids)
        return _counted(done=done)

"""JSON API for duplicates: your groups, and the decisions the review page makes.

    GET  /api/duplicates/                      your groups
    POST /api/duplicates/keep/                 {"photos": [...], "keeper": id}: all of one group
    POST /api/duplicates/keep-suggested/       keep the suggested photo in every group
    POST /api/duplicates/not-duplicates/       {"photos": [...]}
    POST /api/duplicates/undo/                 the latest decision (or batch)

Only the owner's photos are ever in a group; photos that are not one of your current groups
(someone else's, in the trash, or never paired) answer 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from duplicates import resolving
from duplicates.groups import groups_of
from focal.auth import signed_in_user
from focal.ids import MAX_ID
from focal.parsers import JSONParser
from focal.schema import errors
from focal.serializers import RejectUnknownFields, StrictIntegerField
from gallery.api import PhotoSerializer

MAX_GROUP = 500  # photos named in one decision


class GroupSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The smallest photo id in the group.")
    suggested = serializers.IntegerField(
        help_text="The photo to keep: most pixels, then the largest file (sizes within 2% "
        "count as equal), then the oldest."
    )
    suggested_reason = serializers.CharField(
        help_text='Why, in words: "Suggested: more pixels (4000×3000) than photo 2."'
    )
    score = serializers.FloatField(help_text="The lowest appearance agreement of its pairs, 0..1.")
    photos = PhotoSerializer(many=True)


class GroupListSerializer(serializers.Serializer[Any]):
    """Your duplicate groups, the one with the newest photo first."""

    count = serializers.IntegerField()
    results = GroupSerializer(many=True)


def _photo_ids(min_length: int = 2, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        min_length=min_length,
        max_length=MAX_GROUP,
        **kwargs,
    )


class KeepSerializer(RejectUnknownFields):
    """Keep one photo of a group; the others named go to the trash."""

    photos = _photo_ids(
        min_length=1, help_text="Photos of the group to move to the trash (the keeper stays)."
    )
    keeper = StrictIntegerField(min_value=1, max_value=MAX_ID, help_text="The photo to keep.")


class PhotosSerializer(RejectUnknownFields):
    """Photos of one group that are not duplicates of each other."""

    photos = _photo_ids()


class OutcomeSerializer(serializers.Serializer[Any]):
    batch = serializers.UUIDField(help_text="The decision; undo reverses the latest one.")
    groups = serializers.IntegerField(help_text="Groups decided.")
    trashed = serializers.ListField(child=serializers.IntegerField())
    message = serializers.CharField()


def _outcome(outcome: resolving.Outcome) -> Response:
    return Response(
        {
            "batch": str(outcome.batch),
            "groups": outcome.groups,
            "trashed": outcome.trashed,
            "message": outcome.message,
        }
    )


@extend_schema(tags=["duplicates"])
class DuplicatesView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(responses=GroupListSerializer)
    def get(self, request: Request) -> Response:
        groups = groups_of(signed_in_user(request))
        context = {"request": request}
        results = [
            {
                "id": g.id,
                "suggested": g.suggested.pk,
                "suggested_reason": g.reason,
                "score": round(g.score, 4),
                "photos": PhotoSerializer(g.photos, many=True, context=context).data,
            }
            for g in groups
        ]
        return Response({"count": len(results), "results": results})


@extend_schema(tags=["duplicates"])
class KeepView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=KeepSerializer, responses=OutcomeSerializer)
    def post(self, request: Request) -> Response:
        body = KeepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = signed_in_user(request)
        data = body.validated_data
        return _outcome(resolving.keep(user, data["photos"], data["keeper"]))


@extend_schema(tags=["duplicates"])
class KeepSuggestedView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=None, responses=OutcomeSerializer)
    def post(self, request: Request) -> Response:
        return _outcome(resolving.keep_suggested_everywhere(signed_in_user(request)))


@extend_schema(tags=["duplicates"])
class NotDuplicatesView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=PhotosSerializer, responses=OutcomeSerializer)
    def post(self, request: Request) -> Response:
        body = PhotosSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = signed_in_user(request)
        return _outcome(resolving.not_duplicates(user, body.validated_data["photos"]))


@extend_schema(tags=["duplicates"])
class UndoView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=None, responses=OutcomeSerializer, extensions=errors(409))
    def post(self, request: Request) -> Response:
        return _outcome(resolving.undo(signed_in_user(request)))

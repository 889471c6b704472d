"""Faces API: /api/photos/{id}/faces/, /api/faces/{id}/ and /api/faces/export.

Faces are seen by whoever may see their photo (Photo.objects.visible_to); only the owner
corrects, adds or removes them. Points are [x, y] in pixels of the original image as shown
(EXIF rotation applied); `left_eye` is the subject's own left eye. The mesh landmarks stay on
the server: the effects use them, the API does not give them out.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from faces import actions
from faces.models import Expression, Face
from focal.auth import signed_in_user
from focal.parsers import JSONParser
from focal.serializers import RejectUnknownFields
from gallery.models import Photo

POINT_SCHEMA = {
    "type": "array",
    "items": {"type": "number", "minimum": 0, "maximum": 1_000_000},
    "minItems": 2,
    "maxItems": 2,
    "description": "[x, y] in pixels of the original image; it must lie inside the image.",
}


@extend_schema_field(POINT_SCHEMA)
class PointField(serializers.Field):
    """[x, y]: two JSON numbers (not strings, not booleans)."""

    default_error_messages = {"invalid": "Give the point as [x, y], two numbers."}

    def to_internal_value(self, data: Any) -> tuple[float, float]:
        if not isinstance(data, list) or len(data) != 2:
            self.fail("invalid")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in data):
            self.fail("invalid")
        if not all(math.isfinite(v) and v >= 0 for v in data):
            raise serializers.ValidationError("The point must lie inside the image.")
        return (float(data[0]), float(data[1]))

    def to_representation(self, value: Any) -> list[float]:
        return [round(float(value[0]), 2), round(float(value[1]), 2)]


class FaceSerializer(serializers.ModelSerializer[Face]):
    box = serializers.SerializerMethodField(help_text="[x, y, width, height] in pixels.")
    left_eye = PointField(read_only=True, help_text="The subject's own left pupil, [x, y].")
    right_eye = PointField(read_only=True, help_text="The subject's own right pupil, [x, y].")
    score = serializers.FloatField(
        read_only=True, help_text="The detector's confidence, 0 to 1 (1 for a face added by hand)."
    )
    expression = serializers.ChoiceField(choices=Expression.choices, read_only=True)

    class Meta:
        model = Face
        fields = ["id", "box", "left_eye", "right_eye", "score", "expression", "source"]
        read_only_fields = fields
        extra_kwargs = {
            "source": {"help_text": '"corrected" once a person moved its pupils or added the face.'}
        }

    @extend_schema_field(
        {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}
    )
    def get_box(self, face: Face) -> list[float]:
        return [round(v, 2) for v in face.box]


class FaceListSerializer(serializers.Serializer[Any]):
    faces = FaceSerializer(many=True)


class NewFaceSerializer(RejectUnknownFields):
    """A face the detector missed, given by its two pupils; its box is derived from them."""

    left_eye = PointField(help_text="The subject's own left pupil, [x, y].")
    right_eye = PointField(help_text="The subject's own right pupil, [x, y].")


class FaceCorrectionSerializer(RejectUnknownFields):
    """New pupils; either or both."""

    left_eye = PointField(required=False, help_text="The subject's own left pupil, [x, y].")
    right_eye = PointField(required=False, help_text="The subject's own right pupil, [x, y].")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give left_eye, right_eye or both.")
        return attrs


CORRECTION_REQUEST = {
    "type": "object",
    "properties": {"left_eye": POINT_SCHEMA, "right_eye": POINT_SCHEMA},
    "minProperties": 1,
    "additionalProperties": False,
}


def visible_photo(request: Request, pk: int) -> Photo:
    return get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)


def _faces_body(request: Request, faces: QuerySet[Face]) -> dict[str, Any]:
    return {"faces": FaceSerializer(faces, many=True, context={"request": request}).data}


@extend_schema(tags=["faces"])
class PhotoFacesView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(
        responses=FaceListSerializer,
        description="The faces of a photo you may see: found when it was processed, corrected "
        "or added by its owner.",
    )
    def get(self, request: Request, pk: int) -> Response:
        photo = visible_photo(request, pk)
        return Response(_faces_body(request, photo.faces.all()))

    @extend_schema(
        request=NewFaceSerializer,
        responses={201: FaceSerializer},
        description="Add a face the detector missed (owner only), from its two pupils.",
    )
    def post(self, request: Request, pk: int) -> Response:
        photo = visible_photo(request, pk)
        body = NewFaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        face = actions.add_face(
            signed_in_user(request),
            photo,
            left_eye=body.validated_data["left_eye"],
            right_eye=body.validated_data["right_eye"],
        )
        return Response(FaceSerializer(face).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["faces"])
class FaceView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    def get_object(self, request: Request, pk: int) -> Face:
        faces = Face.objects.visible_to(request.user).select_related("photo")
        return get_object_or_404(faces, pk=pk)

    @extend_schema(responses=FaceSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(FaceSerializer(self.get_object(request, pk)).data)

    @extend_schema(
        request={"application/json": CORRECTION_REQUEST},
        responses=FaceSerializer,
        description='Move the pupils of a face (owner only); it becomes "corrected", and every '
        "eye effect uses the new points. Detecting faces again never undoes a correction.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        face = self.get_object(request, pk)
        body = FaceCorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        face = actions.correct_face(signed_in_user(request), face, **body.validated_data)
        return Response(FaceSerializer(face).data)

    @extend_schema(
        responses={204: None},
        description="Remove a false face (owner only); detecting again will not bring it back.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        actions.remove_face(signed_in_user(request), self.get_object(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


EXPORT_COLUMNS = [
    "photo_id",
    "face_id",
    "photo_width",
    "photo_height",
    "source",
    "box_x",
    "box_y",
    "box_w",
    "box_h",
    "left_eye_x",
    "left_eye_y",
    "right_eye_x",
    "right_eye_y",
    "detected_left_x",
    "detected_left_y",
    "detected_right_x",
    "detected_right_y",
    "score",
    "expression",
]


EXPORT_FORMATS = ("json", "csv")


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        out = io.StringIO()
        if isinstance(data, dict) and "faces" in data:
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(_flat(face) for face in data["faces"])
        else:  # an error: its message, as a one-cell table
            error = data.get("error", {}) if isinstance(data, dict) else {}
            csv.writer(out, lineterminator="\n").writerows([["error"], [error.get("message")]])
        return out.getvalue().encode()


def _flat(face: dict[str, Any]) -> dict[str, Any]:
    row = {key: face[key] for key in ("photo_id", "photo_width", "photo_height", "source")}
    row["face_id"] = face["id"]
    row.update(zip(("box_x", "box_y", "box_w", "box_h"), face["box"], strict=True))
    for name, key in (("left_eye", "left_eye"), ("right_eye", "right_eye")):
        row[f"{name}_x"], row[f"{name}_y"] = face[key]
    for side in ("left", "right"):
        point = face[f"detected_{side}_eye"] or ["", ""]
        row[f"detected_{side}_x"], row[f"detected_{side}_y"] = point
    row["score"] = face["score"]
    row["expression"] = face["expression"]
    return row


class ExportedFaceSerializer(FaceSerializer):
    photo_id = serializers.IntegerField(read_only=True)
    photo_width = serializers.IntegerField(source="photo.width", read_only=True)
    photo_height = serializers.IntegerField(source="photo.height", read_only=True)
    detected_left_eye = serializers.SerializerMethodField(
        help_text="The detector's own point; null for a face added by hand."
    )
    detected_right_eye = serializers.SerializerMethodField(
        help_text="The detector's own point; null for a face added by hand."
    )

    class Meta(FaceSerializer.Meta):
        fields = [
            "photo_id",
            *FaceSerializer.Meta.fields,
            "photo_width",
            "photo_height",
            "detected_left_eye",
            "detected_right_eye",
        ]
        read_only_fields = fields

    @extend_schema_field({**POINT_SCHEMA, "nullable": True})
    def get_detected_left_eye(self, face: Face) -> list[float] | None:
        return _point(face.detected_left_x, face.detected_left_y)

    @extend_schema_field({**POINT_SCHEMA, "nullable": True})
    def get_detected_right_eye(self, face: Face) -> list[float] | None:
        return _point(face.detected_right_x, face.detected_right_y)


def _point(x: float | None, y: float | None) -> list[float] | None:
    return None if x is None or y is None else [round(x, 2), round(y, 2)]


class ExportSerializer(serializers.Serializer[Any]):
    faces = ExportedFaceSerializer(many=True)


@extend_schema(tags=["faces"])
class FaceExportView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # DRF reads ?format= itself: it answers 404 for an unknown one and ignores an empty one.
        wanted = request.query_params.get("format")
        if not force and wanted is not None and wanted not in EXPORT_FORMATS:
            raise serializers.ValidationError({"format": ["Ask for json or csv."]})
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(EXPORT_FORMATS),
                description="json (the default) or csv (one row per face, with a header).",
            )
        ],
        responses={(200, "application/json"): ExportSerializer, (200, "text/csv"): str},
        description="Every face of your own photos (not those in the trash), for training or "
        "checking a detector: the points eye effects use, the detector's own points, the box.",
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        faces = Face.objects.owned_by(user).select_related("photo").order_by("photo_id", "id")
        body = {"faces": ExportedFaceSerializer(faces, many=True).data}
        response = Response(body)
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = 'attachment; filename="faces.csv"'
        return response

"""Variants API: /api/photos/{id}/variants/, /api/variants/{id}/ and
/api/variants/{id}/save-as-photo/.

A variant is seen by whoever may see every photo it is made from (Variant.objects.visible_to);
only the owner makes or deletes them.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from effects.actions import delete_variant, request_variant
from effects.copies import save_as_photo
from effects.models import Variant
from effects.spec import EFFECT_NAMES, EffectSpec, SpecError, parse_spec, request_json_schema
from focal.auth import signed_in_user
from focal.parsers import JSONParser
from focal.schema import errors
from focal.serializers import RejectUnknownFields
from gallery.api import AbsoluteUrls, UploadedPhotoSerializer
from gallery.models import Photo, Visibility


class VariantSerializer(AbsoluteUrls, serializers.ModelSerializer[Variant]):
    params = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    mask_url = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id",
            "photo",
            "effect",
            "spec",
            "params",
            "summary",
            "title",
            "details",
            "status",
            "error",
            "error_code",
            "subject",
            "image_url",
            "mask_url",
            "render_ms",
            "timings",
            "created",
        ]
        read_only_fields = fields

    title = serializers.CharField(read_only=True, help_text='The kind of effect, e.g. "Portrait".')
    details = serializers.CharField(
        read_only=True, help_text="What sets this variant apart: subject, blur, background."
    )

    def get_summary(self, variant: Variant) -> str:
        return variant.label

    def get_params(self, variant: Variant) -> dict[str, Any]:
        return variant.params

    def get_image_url(self, variant: Variant) -> str | None:
        return self._absolute(variant.file_url("image"))

    def get_mask_url(self, variant: Variant) -> str | None:
        return self._absolute(variant.file_url("matte"))


class VariantListSerializer(serializers.Serializer[Any]):
    results = VariantSerializer(many=True)


# The body of POST /api/photos/{id}/variants/, derived from the effects table.
VARIANT_REQUEST = request_json_schema()
_validator = Draft4Validator(VARIANT_REQUEST)


def visible_photo(request: Request, pk: int) -> Photo:
    return get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)


def spec_from_request(request: Request) -> EffectSpec:
    """The body, held to the schema exactly (parse_spec alone would also take "PORTRAIT",
    " person" or "50" for 50, as the page's form needs), with parse_spec's readable reasons."""
    data: Any = request.data
    if _validator.is_valid(data):
        return parse_spec(data)
    spec = parse_spec(data)  # when it refuses the body too, its reason is the clearest
    # Otherwise say what the schema of this effect wants.
    for alternative in VARIANT_REQUEST["oneOf"]:
        if alternative["properties"]["effect"]["enum"] != [data.get("effect")]:
            continue
        if not set(alternative["required"]) <= set(data):  # background: colour or photo
            continue
        problem = best_match(Draft4Validator(alternative).iter_errors(data))
        if problem is not None:
            field = ".".join(str(part) for part in problem.absolute_path) or "body"
            raise SpecError(field, f"{problem.message}, as the API takes it")
    raise SpecError("effect", f"write it as one of: {', '.join(EFFECT_NAMES)} (for {spec.effect})")


@extend_schema(tags=["effects"])
class PhotoVariantsView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(responses=VariantListSerializer)
    def get(self, request: Request, pk: int) -> Response:
        photo = visible_photo(request, pk)
        variants = Variant.objects.visible_to(request.user).filter(photo=photo)
        data = VariantSerializer(variants, many=True, context={"request": request}).data
        return Response({"results": data})

    @extend_schema(
        request={"application/json": VARIANT_REQUEST},
        responses={202: VariantSerializer, 200: VariantSerializer},
        extensions=errors(409, 422),
        description="Render an effect of the photo (owner only). 202 with the variant queued "
        "for rendering (new, failed before, or stuck because its worker died), whose status "
        "moves pending → processing → ready | failed; 200 with the existing variant when the "
        "same parameters were asked for before. 429 (with Retry-After) when you already have "
        "FOCAL_MAX_QUEUED_RENDERS effects waiting; 409 when the photo has its maximum number "
        "of variants (delete one first); 422 when the background photo is not one of yours.",
    )
    def post(self, request: Request, pk: int) -> Response:
        photo = visible_photo(request, pk)
        spec = spec_from_request(request)
        requested = request_variant(request.user, photo, spec)
        body = VariantSerializer(requested.variant, context={"request": request}).data
        return Response(body, status=202 if requested.queued else 200)


@extend_schema(tags=["effects"])
class VariantView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get_object(self, request: Request, pk: int) -> Variant:
        return get_object_or_404(Variant.objects.visible_to(request.user), pk=pk)

    @extend_schema(responses=VariantSerializer)
    def get(self, request: Request, pk: int) -> Response:
        variant = self.get_object(request, pk)
        return Response(VariantSerializer(variant, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        variant = self.get_object(request, pk)
        delete_variant(request.user, variant)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SaveAsPhotoSerializer(RejectUnknownFields):
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="Who sees the new photo (default private; public waits for review). Given, "
        "it applies to a copy saved before too.",
    )


@extend_schema(tags=["effects"])
class VariantSaveAsPhotoView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        request=SaveAsPhotoSerializer,
        responses={201: UploadedPhotoSerializer, 200: UploadedPhotoSerializer},
        extensions=errors(409, 410),
        description="Save a ready variant as a new photo of yours (owner only), made from the "
        "variant's image as an upload would be: processed, indexed, and reviewed when public. "
        "The copy carries no metadata of the original (no GPS position, camera or date), and "
        "the original is not changed. 201 with the new photo; 200 with the photo saved from "
        "this variant before (`duplicate`: true). 409 while the variant is not ready; 410 "
        "when its file is gone.",
    )
    def post(self, request: Request, pk: int) -> Response:
        variant = get_object_or_404(
            Variant.objects.visible_to(request.user).select_related("photo"), pk=pk
        )
        body = SaveAsPhotoSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        added = save_as_photo(
            signed_in_user(request), variant, visibility=body.validated_data.get("visibility")
        )
        context = {"request": request, "duplicate": added.duplicate}
        data = UploadedPhotoSerializer(added.photo, context=context).data
        return Response(data, status=status.HTTP_200_OK if added.duplicate else 201)

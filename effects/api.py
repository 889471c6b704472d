"""Variants API: /api/photos/{id}/variants/ and /api/variants/{id}/.

Anyone who may see a photo may see its variants (Photo.objects.visible_to); only the owner
makes or deletes them.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from effects.actions import delete_variant, request_variant
from effects.models import Variant
from effects.spec import BOKEH_SHAPES, EFFECTS, SUBJECT_CLASSES, EffectSpec, parse_spec
from focal.parsers import JSONParser
from gallery.api import AbsoluteUrls
from gallery.models import Photo


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


VARIANT_REQUEST = inline_serializer(
    "VariantRequest",
    {
        "effect": serializers.ChoiceField(choices=EFFECTS),
        "subject": serializers.CharField(
            required=False,
            help_text="auto, a PASCAL VOC class ("
            + ", ".join(SUBJECT_CLASSES)
            + '), or a point "x,y" (fractions of the width and height, 0 to 1) or {"x", "y"}. '
            "Default auto.",
        ),
        "blur": serializers.IntegerField(
            required=False, min_value=0, max_value=100, help_text="portrait: 0 to 100 (50)."
        ),
        "bokeh": serializers.ChoiceField(choices=BOKEH_SHAPES, required=False),
        "color": serializers.CharField(required=False, help_text="background: #rrggbb."),
        "photo": serializers.IntegerField(
            required=False, help_text="background: the id of a photo to put behind the subject."
        ),
    },
)


def visible_photo(request: Request, pk: int) -> Photo:
    return get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)


def spec_from_request(request: Request) -> EffectSpec:
    data: Any = request.data
    if hasattr(data, "dict"):  # a form: single values, minus Django's CSRF field
        data = {k: v for k, v in data.dict().items() if k != "csrfmiddlewaretoken"}
    return parse_spec(data)


@extend_schema(tags=["effects"])
class PhotoVariantsView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=VariantSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        photo = visible_photo(request, pk)
        variants = photo.variants.all()
        data = VariantSerializer(variants, many=True, context={"request": request}).data
        return Response({"results": data})

    @extend_schema(
        request=VARIANT_REQUEST,
        responses={202: VariantSerializer, 200: VariantSerializer},
        description="Render an effect of the photo (owner only). 202 with the new variant, "
        "whose status moves pending → processing → ready | failed; 200 with the existing "
        "variant when the same parameters were asked for before.",
    )
    def post(self, request: Request, pk: int) -> Response:
        photo = visible_photo(request, pk)
        spec = spec_from_request(request)
        requested = request_variant(request.user, photo, spec)
        body = VariantSerializer(requested.variant, context={"request": request}).data
        return Response(body, status=202 if requested.created else 200)


@extend_schema(tags=["effects"])
class VariantView(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get_object(self, request: Request, pk: int) -> Variant:
        photos = Photo.objects.visible_to(request.user)
        return get_object_or_404(Variant.objects.filter(photo__in=photos), pk=pk)

    @extend_schema(responses=VariantSerializer)
    def get(self, request: Request, pk: int) -> Response:
        variant = self.get_object(request, pk)
        return Response(VariantSerializer(variant, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        variant = self.get_object(request, pk)
        delete_variant(request.user, variant)
        return Response(status=status.HTTP_204_NO_CONTENT)

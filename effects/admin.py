"""Variants in the admin: what was rendered, how long it took and why it failed."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from effects.models import Variant
from gallery.models import Visibility


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin[Variant]):
    list_display = ["preview_tag", "spec", "photo", "status", "subject", "render_ms", "created"]
    list_display_links = ["preview_tag", "spec"]
    list_filter = ["effect", "status"]
    search_fields = ["spec", "photo__title", "photo__owner__username"]
    list_select_related = ["photo"]
    readonly_fields = [f.name for f in Variant._meta.fields] + ["sources", "preview_tag"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # variants are made from the photo page or the API

    @admin.display(description="Result")
    def preview_tag(self, variant: Variant) -> str:
        url = variant.file_url("image")
        if not url:
            return "—"
        # In the list the preview is a link to the variant: its text is the image's alt.
        return format_html(
            '<img src="{}" alt="Result of {} on photo {}" class="focal-preview">',
            url,
            variant.spec,
            variant.photo_id,
        )

    class Media:
        css = {"all": ["focal/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Variant]:
        """Moderators see variants of public photos only, as for photos: every source of the
        variant public (a private background photo keeps it from them)."""
        variants = super().get_queryset(request)
        if not request.user.is_superuser:
            variants = variants.filter(photo__visibility=Visibility.PUBLIC).exclude(
                sources__visibility=Visibility.PRIVATE
            )
        return variants

"""Admin review: previews, filters, search and bulk moderation / reprocessing."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from gallery import actions
from gallery.models import Moderation, Photo, Visibility


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin[Photo]):
    list_display = [
        "preview_tag",
        "__str__",
        "owner",
        "visibility",
        "moderation",
        "status",
        "width",
        "height",
        "created",
    ]
    list_display_links = ["preview_tag", "__str__"]
    list_filter = [
        "moderation",
        "status",
        "visibility",
        ("owner", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "owner__username", "sha256", "camera"]
    date_hierarchy = "created"
    list_select_related = ["owner"]
    list_per_page = 60
    ordering = ["-created"]
    actions = ["approve", "reject", "reprocess"]
    readonly_fields = [
        "preview_tag",
        "key",
        "owner",
        "original",
        "thumbnail",
        "preview",
        "sha256",
        "byte_size",
        "width",
        "height",
        "format",
        "taken_at",
        "camera",
        "status",
        "error",
        "processing_ms",
        "created",
        "updated",
    ]
    fields = ["preview_tag", "title", "visibility", "moderation", *readonly_fields[1:]]

    @admin.display(description="Preview")
    def preview_tag(self, photo: Photo) -> str:
        if not photo.thumbnail:
            return photo.get_status_display()
        # Moderators review shared photos; private photos stay private, even here.
        if photo.visibility == Visibility.PRIVATE:
            return "Private"
        url = reverse("gallery:photo-file", args=[photo.pk, "thumb"])
        return format_html('<img src="{}" alt="" style="height:72px;border-radius:6px">', url)

    @admin.action(description="Approve selected photos")
    def approve(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        count = actions.moderate(queryset, Moderation.APPROVED)
        self.message_user(request, f"Approved {count} photo(s).", messages.SUCCESS)

    @admin.action(description="Reject selected photos")
    def reject(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        count = actions.moderate(queryset, Moderation.REJECTED)
        self.message_user(request, f"Rejected {count} photo(s).", messages.SUCCESS)

    @admin.action(description="Reprocess selected photos")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Photo]) -> None:
        count = actions.reprocess(queryset)
        self.message_user(request, f"Queued {count} photo(s) for processing.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # photos arrive through uploads, which validate them

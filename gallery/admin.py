"""Admin review: previews, filters, search and bulk moderation / reprocessing."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from gallery import actions
from gallery.models import Moderation, Photo, Visibility


class ReviewFilter(admin.SimpleListFilter):
    """Review state as moderators mean it: only public photos can await review."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("pending", "Awaiting review"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Photo]) -> QuerySet[Photo]:
        if self.value() == "pending":
            return queryset.filter(visibility=Visibility.PUBLIC, moderation=Moderation.PENDING)
        if self.value() in (Moderation.APPROVED, Moderation.REJECTED):
            return queryset.filter(moderation=self.value())
        return queryset


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
        ReviewFilter,
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
        "files",
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
    fields = [
        "preview_tag",
        "title",
        "visibility",
        "moderation",
        "moderation_note",
        *readonly_fields[1:],
    ]

    class Media:
        css = {"all": ["focal/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Photo]:
        """Moderators (staff who are not superusers) see public photos only: nobody sees
        another user's private photos, here included."""
        photos = super().get_queryset(request)
        if not request.user.is_superuser:
            photos = photos.filter(visibility=Visibility.PUBLIC)
        return photos

    @admin.display(description="Files")
    def files(self, photo: Photo) -> str:
        """Links through the permission-checked file view (media is never served directly)."""
        links = [
            format_html('<a href="{}">{}</a>', url, label)
            for kind, label in (
                ("original", "Original"),
                ("preview", "Preview"),
                ("thumb", "Thumbnail"),
            )
            if (url := photo.file_url(kind))
        ]
        return format_html_join(" · ", "{}", ((link,) for link in links)) or "—"

    @admin.display(description="Preview")
    def preview_tag(self, photo: Photo) -> str:
        if not photo.thumbnail:
            return photo.get_status_display()
        # Moderators review shared photos; private photos stay private, even here.
        if photo.visibility == Visibility.PRIVATE:
            return "Private"
        url = photo.file_url("tile" if photo.tile else "thumb")
        # In the list the preview is a link to the photo: its text is the image's alt.
        return format_html('<img src="{}" alt="Preview of {}" class="focal-preview">', url, photo)

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

"""Faces in the admin: what the detector found, what people corrected, and scans that failed.

Read-only: pupils are corrected on the photo page and the labelling page, by the photo's owner.
Delete permission stays Django's own, because deleting a photo in the admin deletes its faces
with it (the admin refuses a cascade into a model it may not delete); faces have no delete
action of their own here.
Moderators (staff who are not superusers) see the faces of public photos only, as for photos.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from faces.models import Face, FaceScan
from gallery.models import Visibility


class ReadOnlyAdmin(admin.ModelAdmin):
    """No adding, changing or deleting here; lists only the photos the viewer may review."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        if not request.user.is_superuser:
            rows = rows.filter(photo__visibility=Visibility.PUBLIC)
        return rows


@admin.register(Face)
class FaceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "photo", "source", "expression", "score", "version", "updated"]
    list_filter = ["source", "expression", "version"]
    search_fields = ["photo__title", "photo__owner__username"]
    list_select_related = ["photo"]
    exclude = ["landmarks"]  # 478 packed points: nothing a person can read


@admin.register(FaceScan)
class FaceScanAdmin(ReadOnlyAdmin):
    list_display = ["photo", "version", "found", "ms", "error", "scanned_at"]
    list_filter = ["version"]
    search_fields = ["photo__title", "error"]
    list_select_related = ["photo"]

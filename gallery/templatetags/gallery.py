"""Template helpers for photos: grid tiles sized for their row, dates as people say them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import timezone

from gallery.models import Album, Photo
from gallery.processing import PREVIEW_SIDE, THUMBNAIL_SIDE, TILE_SIDE

register = template.Library()

# Target row heights of the justified grid in CSS pixels (focal.css: --row), and how much a row
# may grow to fill its width; `sizes` tells the browser which rendition is enough.
ROW_PHONE, ROW_DESKTOP, ROW_WIDE = 132, 200, 240
ROW_GROWTH = 1.2


@register.inclusion_tag("gallery/_tile.html", takes_context=True)
def photo_tile(
    context: template.Context, photo: Photo, label: str = "", query: str = ""
) -> dict[str, Any]:
    """`selectable` in the page's context gives the owner's tiles a check button."""
    """One tile of a justified grid: the photo at its own aspect ratio, sized for its row."""
    user = context.get("user")
    ratio = photo.width / photo.height if photo.width and photo.height else 1.0
    ratio = min(max(ratio, 0.25), 4.0)
    sources = []
    for kind, side, present in (
        ("thumb", THUMBNAIL_SIDE, photo.thumbnail),
        ("tile", TILE_SIDE, photo.tile),
        ("preview", PREVIEW_SIDE, photo.preview),
    ):
        if present:
            sources.append(f"{photo.file_url(kind)} {photo.fitted_size(side)[0]}w")
    thumb_width, thumb_height = photo.fitted_size(THUMBNAIL_SIDE)

    def width(row: int) -> int:
        return round(ratio * row * ROW_GROWTH)

    return {
        "photo": photo,
        "href": photo.get_absolute_url() + query,
        "ratio": f"{ratio:.4f}",
        "src": photo.file_url("thumb") if photo.thumbnail else None,
        "srcset": ", ".join(sources),
        "sizes": f"(max-width: 699px) {width(ROW_PHONE)}px, (min-width: 1600px) "
        f"{width(ROW_WIDE)}px, {width(ROW_DESKTOP)}px",
        "thumb_width": thumb_width,
        "thumb_height": thumb_height,
        "label": label,
        "is_owner": user is not None and user.is_authenticated and photo.owner_id == user.pk,
        "selectable": bool(context.get("selectable")),
    }


@register.filter
def day_heading(day: date) -> str:
    """ "Today", "Yesterday", "Monday 23 November" this year, "Sunday 3 May 2020" before."""
    today = timezone.localdate()
    if day == today:
        return "Today"
    if (today - day).days == 1:
        return "Yesterday"
    if day.year == today.year:
        return f"{day:%A} {day.day} {day:%B}"
    return f"{day:%A} {day.day} {day:%B %Y}"


@register.filter
def day_heading_short(day: date) -> str:
    """ "Today", "Yesterday", "Sat 28 Nov", "Sun 3 May 2020"."""
    today = timezone.localdate()
    if day == today:
        return "Today"
    if (today - day).days == 1:
        return "Yesterday"
    return f"{day:%a} {day.day} {day:%b}" + ("" if day.year == today.year else f" {day.year}")


@register.filter
def month_heading(day: date) -> str:
    return f"{day:%B %Y}"


@register.filter
def preview_size(photo: Photo) -> tuple[int, int]:
    """(width, height) of the photo's preview rendition."""
    return photo.fitted_size(PREVIEW_SIDE)


@register.filter
def megapixels(photo: Photo) -> str:
    return f"{photo.width * photo.height / 1e6:.1f}"


@register.filter
def tile_size(photo: Photo) -> tuple[int, int]:
    """(width, height) of the photo's tile rendition (or its thumbnail, made before tiles)."""
    return photo.fitted_size(TILE_SIDE if photo.tile else THUMBNAIL_SIDE)


@register.simple_tag(takes_context=True)
def my_albums(context: template.Context) -> list[Album]:
    """The signed-in user's albums, for "Add to album" menus."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return []
    return list(Album.objects.owned_by(user).only("pk", "title")[:200])


@register.filter
def undo_ids(tags: str) -> list[int]:
    """The photo ids of an "undo" message (gallery.organise_views._undo)."""
    words = (tags or "").split()
    if "undo" not in words:
        return []
    return [int(w[6:]) for w in words if w.startswith("photo-") and w[6:].isdigit()]


@register.filter
def tile_url(photo: Photo) -> str | None:
    """The photo's 640 px rendition (its thumbnail where it has none yet)."""
    return photo.file_url("tile") if photo.tile else photo.file_url("thumb")

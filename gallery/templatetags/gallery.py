"""Template helpers for photos: grid tiles sized for their row, dates as people say them."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from focal.templatetags.focal import icon
from gallery.models import Album, Moderation, Photo, Status, Visibility
from gallery.processing import PREVIEW_SIDE, THUMBNAIL_SIDE, TILE_SIDE

register = template.Library()

# Target row heights of the justified grid in CSS pixels (focal.css: --row), and how much a row
# may grow to fill its width; `sizes` tells the browser which rendition is enough.
ROW_PHONE, ROW_DESKTOP, ROW_WIDE = 132, 200, 240
ROW_GROWTH = 1.2


@register.simple_tag(takes_context=True)
def photo_tile(
    context: template.Context, photo: Photo, label: str = "", query: str = ""
) -> SafeString:
    """One tile of a justified grid: the photo at its own aspect ratio, sized for its row.

    Built here rather than in a template: a page has hundreds of tiles and rendering a
    sub-template for each was most of the page's time. `selectable` in the page's context
    gives the owner's tiles a check button (gallery/static/gallery/selection.js).
    """
    user = context.get("user")
    mine = user is not None and user.is_authenticated and photo.owner_id == user.pk
    ratio = photo.width / photo.height if photo.width and photo.height else 1.0
    ratio = min(max(ratio, 0.25), 4.0)
    title = photo.display_title
    if photo.thumbnail:
        sources = ", ".join(
            f"{photo.file_url(kind)} {photo.fitted_size(side)[0]}w"
            for kind, side, present in (
                ("thumb", THUMBNAIL_SIDE, photo.thumbnail),
                ("tile", TILE_SIDE, photo.tile),
                ("preview", PREVIEW_SIDE, photo.preview),
            )
            if present
        )
        sizes = ", ".join(
            f"{query_part}{round(ratio * row * ROW_GROWTH)}px"
            for query_part, row in (
                ("(max-width: 699px) ", ROW_PHONE),
                ("(min-width: 1600px) ", ROW_WIDE),
                ("", ROW_DESKTOP),
            )
        )
        width, height = photo.fitted_size(THUMBNAIL_SIDE)
        picture = format_html(
            '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" '
            'loading="lazy" decoding="async">',
            photo.file_url("thumb"), sources, sizes, width, height, title,
        )  # fmt: skip
    else:
        state = "Failed" if photo.status == Status.FAILED else "Processing…"
        picture = format_html(
            '<span class="tile-placeholder">{}<span class="visually-hidden"> {}</span></span>',
            state, title,
        )  # fmt: skip
    badges = []
    if mine:
        if photo.status != Status.READY:
            badges.append(
                format_html(
                    '<span class="badge {}">{}</span>', photo.status, photo.get_status_display()
                )  # fmt: skip
            )
        if photo.visibility == Visibility.PRIVATE:
            badges.append(
                format_html(
                    '<span class="badge private" title="Private">{}</span>', icon("lock", "Private")
                )  # fmt: skip
            )
        elif photo.moderation != Moderation.APPROVED:
            badges.append(
                format_html(
                    '<span class="badge {}">{}</span>',
                    photo.moderation,
                    photo.get_moderation_display(),
                )  # fmt: skip
            )
    elif photo.moderation == Moderation.PENDING and photo.visibility == Visibility.PUBLIC:
        # Only staff are shown someone else's photo before review (PhotoQuerySet.visible_to).
        badges.append(
            format_html('<span class="badge pending">{}</span>', Moderation.PENDING.label)
        )
    check = ""
    if mine and context.get("selectable"):
        check = format_html(
            '<button type="button" class="tile-check" tabindex="-1" aria-pressed="false" '
            'aria-label="Select {}">{}</button>',
            title, icon("check"),
        )  # fmt: skip
    return format_html(
        '<div class="tile" data-photo="{}" data-ar="{}"{}>'
        '<a class="tile-link" href="{}{}" title="{}">{}{}{}'
        '<span class="tile-title" aria-hidden="true">{}</span></a>{}</div>',
        photo.pk, f"{ratio:.4f}", mark_safe(' data-mine="1"') if mine else "",
        photo.get_absolute_url(), query, title, picture,
        format_html('<span class="tile-badges">{}</span>', mark_safe("".join(badges)))
        if badges else "",
        format_html('<span class="tile-label">{}</span>', label) if label else "",
        title, check,
    )  # fmt: skip


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
def day_heading_tight(day: date) -> str:
    """What a day heading says where "Sat 28 Nov" does not fit: "28 Nov", "3 May 2020"."""
    today = timezone.localdate()
    if (today - day).days in (0, 1):
        return day_heading_short(day)
    return f"{day.day} {day:%b}" + ("" if day.year == today.year else f" {day.year}")


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


@register.filter
def trash_time_left(photo: Photo) -> str:
    """ "12 days left" on a trashed photo's tile (gallery.trash.time_left)."""
    from gallery.trash import time_left

    return time_left(photo)

"""Template helpers shared by every app: icons drawn inline (no icon font, no extra request)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# 24x24 outline shapes drawn for Focal: stroke="currentColor", so they take the text colour.
_SHAPES = {
    "photos": '<rect x="3" y="3" width="8" height="8" rx="1.5"/><rect x="13" y="3" width="8" '
    'height="5" rx="1.5"/><rect x="13" y="10" width="8" height="11" rx="1.5"/><rect x="3" '
    'y="13" width="8" height="8" rx="1.5"/>',
    "search": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5 21 21"/>',
    "upload": '<path d="M12 16V4M7 9l5-5 5 5M4 17v2.5A1.5 1.5 0 0 0 5.5 21h13a1.5 1.5 0 0 0 '
    '1.5-1.5V17"/>',
    "review": '<path d="M12 3 4 6v6c0 4.5 3.4 8 8 9 4.6-1 8-4.5 8-9V6z"/><path d="m8.5 12 2.5 '
    '2.5 4.5-5"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c1.2-4 4.3-6 8-6s6.8 2 8 6"/>',
    "close": '<path d="M6 6l12 12M18 6 6 18"/>',
    "back": '<path d="M20 12H5M11 5l-7 7 7 7"/>',
    "prev": '<path d="m15 5-7 7 7 7"/>',
    "next": '<path d="m9 5 7 7-7 7"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>',
    "download": '<path d="M12 4v12M7 11l5 5 5-5M4 20h16"/>',
    "trash": '<path d="M4 7h16M9 7V4.5h6V7M6 7l1 13h10l1-13M10 11v6M14 11v6"/>',
    "wand": '<path d="m4 20 10-10M14 4v3M12.5 5.5h3M19 9v3M17.5 10.5h3M19 2.5v2M18 3.5h2"/>'
    '<path d="m13 11 1-1"/>',
    "zoom": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5 21 21M10.5 7.5v6M7.5 '
    '10.5h6"/>',
    "target": '<circle cx="12" cy="12" r="8"/><circle cx="12" cy="12" r="2.5"/><path d="M12 '
    '1.5v3M12 19.5v3M1.5 12h3M19.5 12h3"/>',
    "similar": '<rect x="3" y="5" width="11" height="14" rx="1.5"/><path d="M17 7h2.5A1.5 1.5 0 '
    '0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5H17"/>',
    "lock": '<rect x="5" y="10.5" width="14" height="10" rx="1.5"/><path d="M8 10.5V7.5a4 4 0 0 '
    '1 8 0v3"/>',
    "globe": '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.6 3.5 5.6 3.5 9s-1 '
    '6.4-3.5 9c-2.5-2.6-3.5-5.6-3.5-9s1-6.4 3.5-9z"/>',
    "camera": '<path d="M3 8h4l2-3h6l2 3h4v12H3z"/><circle cx="12" cy="13.5" r="3.5"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "check": '<path d="m5 12.5 4.5 4.5L19 7.5"/>',
    "eye": '<path d="M2 12s3.6-6.5 10-6.5S22 12 22 12s-3.6 6.5-10 6.5S2 12 2 12Z"/>'
    '<circle cx="12" cy="12" r="3"/>',
    "album": '<rect x="3" y="6" width="14" height="14" rx="1.5"/>'
    '<path d="M7 3h12.5A1.5 1.5 0 0 1 21 4.5V17"/><path d="m3 16 4-4 3 3 2.5-2.5L17 17"/>',
    "restore": '<path d="M4 12a8 8 0 1 0 2.3-5.6L4 8.7"/><path d="M4 4v4.7h4.7"/>',
    "alert": '<path d="M12 3 2 20h20z"/><path d="M12 10v4.5M12 17.5v.5"/>',
}


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    """An inline SVG icon; with `label` it is announced, otherwise hidden from screen readers."""
    shape = _SHAPES[name]
    if label:
        return format_html(
            '<svg class="icon" viewBox="0 0 24 24" role="img" aria-label="{}">{}</svg>',
            label,
            mark_safe(shape),  # noqa: S308 - constant markup defined above
        )
    return mark_safe(
        f'<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{shape}</svg>'
    )


@register.filter
def can_administer(user: Any) -> bool:
    """Whether the admin site would show this user anything: staff with at least one
    permission (the admin's index is empty for staff without any)."""
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.get_all_permissions())

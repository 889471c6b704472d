from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def megabytes(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} kB"

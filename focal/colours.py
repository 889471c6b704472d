"""The one parser of hex colours (#rrggbb) in Focal: effect specs, compositing and colour search.

Pure (no Django), so the pixel code uses it too.
"""

from __future__ import annotations

import re

# fullmatch only: "$" would let a trailing newline through.
_HEX_COLOUR = re.compile(r"#([0-9a-fA-F]{6})")
_HEX_COLOUR_HASH_OPTIONAL = re.compile(r"#?([0-9a-fA-F]{6})")


def parse_hex_colour(text: str, *, hash_optional: bool = False) -> tuple[int, int, int]:
    """'#00ff00' -> (0, 255, 0). Raises ValueError for anything else.

    `hash_optional` also takes '00ff00', as colour search does (a '#' is awkward in a URL).
    """
    pattern = _HEX_COLOUR_HASH_OPTIONAL if hash_optional else _HEX_COLOUR
    match = pattern.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a #rrggbb colour: {str(text)[:20]!r}")
    digits = match.group(1)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    """(0, 255, 0) -> '#00ff00', the canonical spelling."""
    return "#" + "".join(f"{channel:02x}" for channel in rgb)

"""Hostile images for memory tests and bench/bench_memory.py: tiny files, huge pixel counts.

The PNGs are written row by row through zlib, so making a 100 MP image costs a few MB here
(the point is what *decoding* them costs).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
import skimage.data
from PIL import Image

SIDE = 9999  # 9999 x 9999 = 99.98 MP: just under the 100 MP limit


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(
    width: int, height: int, bit_depth: int, colour_type: int, row: Callable[[int], bytes]
) -> bytes:
    """A PNG whose scanline y is `row(y)` (filter byte included)."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row(y)) for y in range(height)]
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def rgba_png(side: int = SIDE, variant: int = 0) -> bytes:
    """RGBA, a soft diagonal pattern with a transparent band (a few hundred KB at 9999 px).

    Each `variant` gives different bytes (uploads of the same bytes are deduplicated)."""
    x = np.arange(side) + variant
    first = np.stack(
        [x % 251, (x // 7) % 256, 255 - x % 256, np.where(x % 1000 < 200, 0, 255)], axis=1
    ).astype(np.uint8)
    plain = b"\x00" + first.tobytes()
    shifted = b"\x00" + np.roll(first, 3, axis=0).tobytes()
    same_as_above = b"\x02" + bytes(side * 4)  # filter "Up", no change

    def row(y: int) -> bytes:
        if y % 1000 == 0:
            return plain if (y // 1000) % 2 == 0 else shifted
        return same_as_above

    return _png(side, side, 8, 6, row)


def one_bit_png(side: int = SIDE, variant: int = 0) -> bytes:
    """1-bit black and white, mostly white with a few lines (about 12 KB at 9999 px)."""
    width_bytes = (side + 7) // 8
    white = b"\x00" + b"\xff" * width_bytes
    line = b"\x00" + b"\x00" * width_bytes

    def row(y: int) -> bytes:
        return line if (y + variant) % 500 < 2 else white

    return _png(side, side, 1, 0, row)


def large_jpeg(width: int = SIDE, height: int = SIDE, variant: int = 0, quality: int = 85) -> bytes:
    """scikit-image's astronaut photo enlarged to width x height: a person, so portraits render.

    Made in this process's memory (about 1 GB at 100 MP)."""
    photo = Image.fromarray(np.roll(skimage.data.astronaut(), variant, axis=1))
    buffer = io.BytesIO()
    photo.resize((width, height), Image.Resampling.BILINEAR).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()

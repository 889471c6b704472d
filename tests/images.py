"""Images made in memory for tests: no binary fixtures in the repository."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

import numpy as np
from PIL import Image

SHARED = __import__("pathlib").Path(__file__).resolve().parents[1].parent / "shared"


def pixels(width: int = 96, height: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth, seeded RGB pattern: distinct per seed, compresses like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(0, 255, size=3)
    freq = rng.uniform(0.02, 0.12, size=3)
    channels = [
        (base[c] + 80 * np.sin(x * freq[c] + y * freq[(c + 1) % 3])) % 256 for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=2), 0, 255).astype(np.uint8)


def encode(array: np.ndarray, fmt: str = "JPEG", **params: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg(width: int = 96, height: int = 64, seed: int = 0, quality: int = 90) -> bytes:
    return encode(pixels(width, height, seed), "JPEG", quality=quality)


def png(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    return encode(pixels(width, height, seed), "PNG")


def webp(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    return encode(pixels(width, height, seed), "WEBP", quality=80)


def jpeg_with_exif(
    array: np.ndarray,
    *,
    orientation: int = 1,
    taken: datetime | None = None,
    make: str = "",
    model: str = "",
) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    return encode(array, "JPEG", quality=92, exif=exif.tobytes())


def truncated_jpeg() -> bytes:
    data = jpeg(640, 480, seed=7)
    return data[: len(data) // 2]


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb's calling card."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def person_photo(name: str = "vs_001.jpg") -> bytes:
    """A real photo of a person from the shared evaluation set (not copied into the repo)."""
    return (SHARED / "datasets" / "human_segmentation" / "images" / name).read_bytes()

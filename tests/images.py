"""Images made in memory for tests: no binary fixtures in the repository."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

import cv2
import numpy as np
from PIL import Image


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


# --- real photos: the public-domain samples scikit-image ships (every clone has them) ---------

SAMPLES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "motorcycle",
)

# Hand-labelled boxes (x0, y0, x1, y1) on scikit-image's 512x512 `astronaut`: regions that are
# certainly the person (face, neck ring, suit) and certainly not (flag, wall, the model rocket).
# The edges between them are left out: the boxes judge a matte without a pixel-exact mask.
ASTRONAUT_PERSON = ((190, 60, 265, 170), (150, 180, 280, 260), (60, 290, 270, 500))
ASTRONAUT_BACKGROUND = ((0, 0, 60, 200), (60, 0, 150, 150), (330, 40, 512, 250), (300, 0, 512, 40))
# The face (BlazeFace's box, about 172-274 x 73-176) and, well below it, the suit.
ASTRONAUT_FACE = ((180, 82, 266, 168),)
ASTRONAUT_SUIT = ((60, 300, 270, 500),)


def sample(name: str = "astronaut") -> np.ndarray:
    """One of scikit-image's bundled sample photos as a C-contiguous RGB uint8 array."""
    from skimage import data

    if name not in SAMPLES:
        raise ValueError(f"{name!r} is not one of {SAMPLES}")
    rgb = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb[:, :, :3])


def sample_jpeg(name: str = "astronaut", *, scale: float = 1.0, quality: int = 92) -> bytes:
    """A sample photo as JPEG bytes, optionally resized (cubic) by `scale`."""
    rgb = sample(name)
    if scale != 1.0:
        height, width = rgb.shape[:2]
        size = (round(width * scale), round(height * scale))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC))
    return encode(rgb, "JPEG", quality=quality)


def person_photo() -> bytes:
    """A real photo of a person: scikit-image's `astronaut` (NASA, public domain)."""
    return sample_jpeg("astronaut")


def box_mask(shape: tuple[int, ...], boxes: tuple[tuple[int, int, int, int], ...]) -> np.ndarray:
    """A boolean (H, W) mask of the union of the boxes, scaled from the 512x512 original."""
    height, width = shape[:2]
    mask = np.zeros((height, width), bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0 * height // 512 : y1 * height // 512, x0 * width // 512 : x1 * width // 512] = True
    return mask


def group_photo() -> tuple[np.ndarray, list[tuple[float, float, int]]]:
    """A 1280x960 'group photo': the astronaut's head pasted 7 times, 70-180 px wide, onto
    scikit-image's coffee. Returns the image and each head's (centre x, centre y, width)."""
    head = sample("astronaut")[40:220, 140:310]
    image = cv2.resize(sample("coffee"), (1280, 960), interpolation=cv2.INTER_CUBIC)
    heads = []
    for k, width in enumerate((70, 85, 100, 120, 150, 170, 180)):
        height = round(width * head.shape[0] / head.shape[1])
        x, y = 40 + (k % 4) * 310, 120 + (k // 4) * 420 + (k % 3) * 40
        image[y : y + height, x : x + width] = cv2.resize(
            head, (width, height), interpolation=cv2.INTER_AREA
        )
        heads.append((x + width / 2, y + height / 2, width))
    return image, heads

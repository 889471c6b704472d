"""Validating, decoding and encoding images.

Pure functions over files and numpy arrays: no Django imports, so the worker, the effects
pipeline and the benchmarks share one implementation of "open a photo the way the gallery does".
Arrays are RGB (or RGBA / single channel where said), uint8, C-contiguous, already rotated by
the EXIF orientation tag.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from focal.usererror import UserError

# Pillow format name -> file extension we store the original under.
ACCEPTED_FORMATS: dict[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
CONTENT_TYPES: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}

# The pixel limit is enforced by inspect_image() with the configured value; Pillow's own
# decompression-bomb guard stays on as a second line but must never fire first.
Image.MAX_IMAGE_PIXELS = None


class ImageError(UserError):
    """An image a user gave us cannot be used. `code` and `message` are shown to the user."""

    status = 400
    code = "invalid_image"


class UnsupportedImage(ImageError):
    status = 415
    code = "unsupported_type"


class CorruptImage(ImageError):
    status = 400
    code = "corrupt_image"


class ImageTooLarge(ImageError):
    status = 413
    code = "too_large"


@dataclass(frozen=True)
class ImageInfo:
    format: str  # a key of ACCEPTED_FORMATS
    width: int  # after EXIF orientation
    height: int
    orientation: int  # EXIF orientation tag, 1 when absent
    taken_at: datetime | None
    camera: str

    @property
    def extension(self) -> str:
        return ACCEPTED_FORMATS[self.format]

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def inspect_image(fp: IO[bytes], *, max_pixels: int) -> ImageInfo:
    """Check that `fp` holds one whole JPEG, PNG or WebP image and describe it.

    The whole compressed stream is decoded, so truncated or corrupt files are caught here and
    not later in a worker. JPEGs are decoded at 1/8 scale (the DCT scaling in libjpeg reads every
    entropy-coded block but skips most of the inverse transform), which makes this check cheap
    even for 12 MP photos. The pixel limit is checked from the header before any decoding.
    """
    fp.seek(0)
    head = fp.read(16)
    if not head:
        raise CorruptImage("The file is empty.", code="empty_file")
    fp.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=list(ACCEPTED_FORMATS))
    except UnidentifiedImageError:
        raise UnsupportedImage(
            "This is not a JPEG, PNG or WebP image.", code="unsupported_type"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptImage(f"The image could not be read: {exc}.") from None
    with image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise CorruptImage("The image has no pixels.")
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"The image is {width}x{height} = {width * height / 1e6:.0f} megapixels; "
                f"the limit is {max_pixels / 1e6:.0f} megapixels.",
                code="too_many_pixels",
            )
        fmt = str(image.format)
        exif = image.getexif()
        try:
            if fmt == "JPEG":
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CorruptImage(
                f"The image is damaged or incomplete ({exc}).", code="corrupt_image"
            ) from None
    orientation = _orientation(exif)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(
        format=fmt,
        width=width,
        height=height,
        orientation=orientation,
        taken_at=_taken_at(exif),
        camera=_camera(exif),
    )


def load_rgb(source: str | Path | IO[bytes] | bytes, max_side: int | None = None) -> np.ndarray:
    """Decode an image to an RGB uint8 array, rotated upright by its EXIF orientation.

    With `max_side`, the long side of the result is at most that many pixels. JPEGs are then
    decoded at a reduced DCT scale (1/2, 1/4 or 1/8, never smaller than asked) before the final
    area resize, which is several times faster than a full decode of a large photo.
    Transparent pixels are composited onto white.
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    with Image.open(source, formats=list(ACCEPTED_FORMATS)) as image:
        if max_side is not None and image.format == "JPEG":
            scale = max_side / max(image.size)
            if scale < 1:
                image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))
        # In place: no copy of the pixels when the orientation is 1 or absent (most photos);
        # otherwise the same transpose as exif_transpose() returning a new image.
        ImageOps.exif_transpose(image, in_place=True)
        rgb = _to_rgb_array(image)
    if max_side is not None:
        rgb = fit_long_side(rgb, max_side)
    return rgb


def fit_long_side(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink (never enlarge) so the long side is at most `max_side`, with area averaging."""
    height, width = pixels.shape[:2]
    long_side = max(height, width)
    if long_side <= max_side:
        return pixels
    scale = max_side / long_side
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def encode_image(pixels: np.ndarray, fmt: str, *, quality: int = 85) -> bytes:
    """Encode an RGB, RGBA or single-channel uint8 array as JPEG, PNG or WebP bytes."""
    fmt = fmt.upper()
    if fmt == "WEBP":
        # Pillow's WebP at method 0 is ~4x faster than OpenCV's default and nearly as small.
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "WEBP", quality=quality, method=0)
        return buffer.getvalue()
    if pixels.ndim == 3:
        code = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
        pixels = cv2.cvtColor(pixels, code)
    if fmt == "JPEG":
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
        ok, data = cv2.imencode(".jpg", pixels, params)
    elif fmt == "PNG":
        # Level 1: mattes and cut-outs are large; the highest levels cost 5x the time for ~10%.
        ok, data = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    else:
        raise ValueError(f"unsupported output format {fmt!r}")
    if not ok:
        raise ValueError(f"could not encode {pixels.shape} as {fmt}")
    return data.tobytes()


def _to_rgb_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: keep the top 8 bits instead of Pillow's clipping conversion.
        wide = np.asarray(image, dtype=np.uint32) >> 8
        grey = np.clip(wide, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")  # convert() copies even when the mode is already RGB
    return np.ascontiguousarray(np.asarray(image))


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _taken_at(exif: Image.Exif) -> datetime | None:
    details = exif.get_ifd(ExifTags.IFD.Exif)
    raw = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = details.get(ExifTags.Base.OffsetTimeOriginal)
    tz: timezone = UTC  # camera clocks without an offset: we cannot know better
    if isinstance(offset, str) and len(offset) >= 6 and offset[0] in "+-":
        try:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        except ValueError:
            pass
    return taken.replace(tzinfo=tz)


def _camera(exif: Image.Exif) -> str:
    make = str(exif.get(ExifTags.Base.Make, "")).strip("\x00 ")
    model = str(exif.get(ExifTags.Base.Model, "")).strip("\x00 ")
    if make and model.lower().startswith(make.lower().split()[0]):
        return model[:120]
    return " ".join(part for part in (make, model) if part)[:120]

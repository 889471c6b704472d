"""Validating, decoding and encoding images.

Pure functions over files and numpy arrays: no Django imports, so the worker, the effects
pipeline and the benchmarks share one implementation of "open a photo the way the gallery does".
Arrays are RGB (or RGBA / single channel where said), uint8, C-contiguous, already rotated by
the EXIF orientation tag.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

import cv2
import numpy as np
import simplejpeg
from PIL import ExifTags, Image, UnidentifiedImageError

from focal.usererror import UserError

log = logging.getLogger(__name__)

# Called with the bytes an operation is about to need; held while it runs (gallery.memory).
Hold = Callable[[int], AbstractContextManager[object]]

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


def inspect_image(fp: IO[bytes], *, max_pixels: int, hold: Hold | None = None) -> ImageInfo:
    """Check that `fp` holds one whole JPEG, PNG or WebP image and describe it.

    The whole compressed stream is decoded, so truncated or corrupt files are caught here and
    not later in a worker. The pixel limit is checked from the header before any decoding.
    PNG and WebP are decoded whole (inside `hold`, with their decoded size); JPEG is checked by
    check_jpeg_data, which needs little memory. Messages are our own: what Pillow or libjpeg
    say goes to the log, not to the user.
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
        log.info("refused an image whose header cannot be read: %r", exc)
        raise CorruptImage(
            "The image cannot be read: its header is damaged or not a JPEG, PNG or WebP header."
        ) from None
    with image:
        width, height, mode, fmt = image.width, image.height, image.mode, str(image.format)
        if width <= 0 or height <= 0:
            raise CorruptImage("The image has no pixels.")
        if width * height > max_pixels:
            raise ImageTooLarge(
                f"The image is {width}x{height} = {width * height / 1e6:.0f} megapixels; "
                f"the limit is {max_pixels / 1e6:.0f} megapixels.",
                code="too_many_pixels",
            )
    try:
        if fmt == "JPEG":
            fp.seek(0)
            data = fp.read()
            check_jpeg_data(data)
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
        else:
            # Opened again inside the hold, so the decoded pixels are freed (when the image
            # is) before the memory is given back. For PNG, getexif() decodes the whole image
            # to look for an eXIf chunk after the pixels, so it is read in here too.
            with hold(full_decode_bytes(width, height, mode)) if hold else nullcontext():
                fp.seek(0)
                with Image.open(fp, formats=[fmt]) as image:
                    image.load()
                    exif = image.getexif()
                del image  # leaving `with` closes the file, not the pixels
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        log.info("refused a damaged %s image: %r", fmt, exc)
        raise CorruptImage(
            "The image is damaged or incomplete; nothing was saved. Try exporting it again.",
            code="corrupt_image",
        ) from None
    finally:
        fp.seek(0)
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


def check_jpeg_data(data: bytes) -> None:
    """Refuse JPEG data that libjpeg can only decode with a warning.

    libjpeg "recovers" from a stream that ends early or has damaged entropy-coded data by
    filling the rest with grey, and reports it only as a warning, which Pillow discards: a
    photo cut off at a third plus an end marker, or a small photo whose header claims 100 MP,
    would be accepted. TurboJPEG's stop-on-warning flag (simplejpeg's `strict`) turns every
    warning into an error, per call and thread-safely. The stream is decoded at 1/8 scale in
    grey: libjpeg still reads every entropy-coded block of every component, but skips most of
    the inverse DCT and all colour conversion, so this costs a few milliseconds per 12 MP
    photo and little memory even for a 100 MP one.
    """
    try:
        simplejpeg.decode_jpeg(data, colorspace="GRAY", min_height=1, min_width=1, strict=True)
    except ValueError as exc:
        log.info("refused JPEG data: libjpeg says %s", exc)
        if "premature end" in str(exc).lower():
            message = (
                "The image is damaged or incomplete: the JPEG data ends before the picture "
                "does (it was probably cut off while being copied); nothing was saved."
            )
        else:
            message = (
                "The image is damaged or incomplete: its JPEG data is corrupt; nothing was saved."
            )
        raise CorruptImage(message, code="corrupt_image") from None


def load_rgb(
    source: str | Path | IO[bytes] | bytes,
    max_side: int | None = None,
    *,
    hold: Hold | None = None,
) -> np.ndarray:
    """Decode an image to an RGB uint8 array, rotated upright by its EXIF orientation.

    With `max_side`, the long side of the result is at most that many pixels. JPEGs are then
    decoded at a reduced DCT scale (1/2, 1/4 or 1/8, never smaller than asked) before the final
    area resize, which is several times faster than a full decode of a large photo. PNG and
    WebP cannot be decoded at a reduced size: they are decoded once in their own (often
    compact) mode and converted and reduced a strip at a time, so a 100 MP RGBA PNG costs its
    400 MB decode and a few MB more, not the several copies a whole-image conversion makes.
    Transparent pixels are composited onto white. `hold(nbytes)`, when given, is entered
    around the decode with its estimated memory (gallery.memory).
    """
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    # The hold is taken from the header, and released only once the image (opened inside it)
    # has been freed, so the memory it gives back is really free.
    with hold(load_bytes(source, max_side)) if hold else nullcontext():
        if not isinstance(source, str | Path):
            source.seek(0)
        with Image.open(source, formats=list(ACCEPTED_FORMATS)) as image:
            _draft(image, max_side)
            rgb = _reduced_rgb(image, _box_factor(image.size, max_side))
            orientation = _orientation(image.getexif())  # (a PNG's may follow its pixels)
        del image  # leaving `with` closes the file, not the pixels
    rgb = _upright(rgb, orientation)
    if max_side is not None:
        rgb = fit_long_side(rgb, max_side)
    return rgb


def load_bytes(source: str | Path | IO[bytes], max_side: int | None = None) -> int:
    """Memory load_rgb(source, max_side) will need, from the file's header alone."""
    if not isinstance(source, str | Path):
        source.seek(0)
    with Image.open(source, formats=list(ACCEPTED_FORMATS)) as image:
        _draft(image, max_side)
        return decode_bytes(image, _box_factor(image.size, max_side))


def side_for_pixels(width: int, height: int, max_pixels: int) -> int | None:
    """The long side that brings width x height down to at most `max_pixels` (None: fits)."""
    if width * height <= max_pixels:
        return None
    scale = (max_pixels / (width * height)) ** 0.5
    return max(1, int(max(width, height) * scale))


def decode_bytes(image: Image.Image, factor: int = 1) -> int:
    """Memory that load_rgb needs for `image` (as opened, after any draft), reduced by `factor`."""
    width, height = image.size
    decoded = width * height * _PILLOW_BYTES_PER_PIXEL.get(image.mode, 4)
    result = (width // factor) * (height // factor) * 3
    strip = min(height, _strip_rows(width, factor)) * width * _STRIP_BYTES_PER_PIXEL
    return decoded + result + strip


def full_decode_bytes(width: int, height: int, mode: str) -> int:
    """Memory Pillow's decoder needs for the whole image in `mode`."""
    return width * height * _PILLOW_BYTES_PER_PIXEL.get(mode, 4)


# Pillow keeps 1-bit, grey and palette images in one byte per pixel, 16-bit grey in two, and
# everything else (RGB too) in four.
_PILLOW_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
# A strip being converted: its crop and array (4 + 4), the white composite's 16-bit temporaries
# (about 18), the RGB result (3); measured about 30 at 2 MP.
_STRIP_BYTES_PER_PIXEL = 30
_STRIP_PIXELS = 2_000_000


def _draft(image: Image.Image, max_side: int | None) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still gives `max_side`."""
    if max_side is not None and image.format == "JPEG":
        scale = max_side / max(image.size)
        if scale < 1:
            image.draft("RGB", (int(image.width * scale) + 1, int(image.height * scale) + 1))


def _box_factor(size: tuple[int, int], max_side: int | None) -> int:
    """The largest whole reduction that keeps the long side at least `max_side`."""
    if max_side is None:
        return 1
    return max(1, min(max(size) // max_side, min(size)))


def _strip_rows(width: int, factor: int) -> int:
    rows = max(factor, _STRIP_PIXELS // max(1, width))
    return rows - rows % factor


def _reduced_rgb(image: Image.Image, factor: int) -> np.ndarray:
    """The image as RGB, box-averaged by a whole `factor`, converted a strip at a time.

    A remainder of fewer than `factor` rows or columns at the bottom and right is dropped.
    """
    width, height = image.size
    out_width, out_height = max(1, width // factor), max(1, height // factor)
    if factor == 1 and image.mode == "RGB":
        # No conversion needed: one copy into numpy, no strips.
        return np.ascontiguousarray(np.asarray(image))
    result = np.empty((out_height, out_width, 3), np.uint8)
    rows = _strip_rows(width, factor)
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        if factor > 1 and bottom - top < factor:
            break
        pixels = _to_rgb_array(image.crop((0, top, width, bottom)))
        row = top // factor
        if factor > 1:
            used_height = (bottom - top) // factor * factor
            pixels = cv2.resize(
                pixels[:used_height, : out_width * factor],
                (out_width, used_height // factor),
                interpolation=cv2.INTER_AREA,
            )
        result[row : row + pixels.shape[0]] = pixels
    return result


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply the EXIF orientation tag (the same transposes as ImageOps.exif_transpose)."""
    method = _TRANSPOSE.get(orientation)
    if method is None:
        return pixels
    return np.ascontiguousarray(np.asarray(Image.fromarray(pixels).transpose(method)))


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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
        rgba = np.asarray(image if image.mode == "RGBA" else image.convert("RGBA"))
        return _over_white(rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")  # convert() copies even when the mode is already RGB
    return np.ascontiguousarray(np.asarray(image))


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """RGBA composited onto white, rounded to nearest (about 10x faster than Pillow's)."""
    alpha = rgba[..., 3:].astype(np.uint16)
    mixed = rgba[..., :3] * alpha + (255 - alpha) * 255 + 127
    return (mixed // 255).astype(np.uint8)


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

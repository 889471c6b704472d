"""Camera settings from a photo's EXIF, for the viewer's info panel.

Pure functions (no Django): `exif_details()` reads what the file says into a small JSON-ready
dict stored on the photo at upload; `exif_rows()` turns that dict into labelled lines for people.
Only the header is parsed, never the pixels. GPS positions are deliberately not read: the info
panel is shown to everyone who may see the photo.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import IO, Any

from PIL import ExifTags, Image, UnidentifiedImageError

_BASE = ExifTags.Base


def exif_details(fp: IO[bytes]) -> dict[str, Any]:
    """Lens, exposure, aperture, ISO, focal length, flash and software, where the file has them."""
    fp.seek(0)
    try:
        with Image.open(fp) as image:
            if image.format == "PNG" and "exif" not in image.info:
                # Pillow would decode every pixel to look for an eXIf chunk after them (400 MB
                # for a 100 MP PNG); one before the pixels is already in `info`.
                return {}
            exif = image.getexif()
            details = dict(exif.get_ifd(ExifTags.IFD.Exif))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return {}
    finally:
        fp.seek(0)
    found: dict[str, Any] = {}
    lens = " ".join(
        text for text in (_text(details.get(_BASE.LensMake)), _text(details.get(_BASE.LensModel)))
        if text
    )  # fmt: skip
    if lens:
        found["lens"] = lens[:120]
    if (exposure := _number(details.get(_BASE.ExposureTime))) and exposure > 0:
        found["exposure_s"] = round(exposure, 6)
    if (f_number := _number(details.get(_BASE.FNumber))) and f_number > 0:
        found["f_number"] = round(f_number, 1)
    iso = details.get(_BASE.ISOSpeedRatings)
    if isinstance(iso, tuple | list):
        iso = iso[0] if iso else None
    if (iso_value := _number(iso)) and iso_value > 0:
        found["iso"] = int(iso_value)
    if (focal := _number(details.get(_BASE.FocalLength))) and focal > 0:
        found["focal_mm"] = round(focal, 1)
    if (focal35 := _number(details.get(_BASE.FocalLengthIn35mmFilm))) and focal35 > 0:
        found["focal_35mm"] = int(focal35)
    bias = _number(details.get(_BASE.ExposureBiasValue))
    if bias is not None and bias != 0:
        found["exposure_bias"] = round(bias, 2)
    flash = details.get(_BASE.Flash)
    if isinstance(flash, int):
        found["flash"] = bool(flash & 1)
    if software := _text(exif.get(_BASE.Software)):
        found["software"] = software[:80]
    return found


def exif_rows(details: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines in reading order, e.g. ("Exposure", "1/250 s")."""
    rows: list[tuple[str, str]] = []
    if lens := details.get("lens"):
        rows.append(("Lens", str(lens)))
    if exposure := details.get("exposure_s"):
        rows.append(("Exposure", format_exposure(float(exposure))))
    if f_number := details.get("f_number"):
        rows.append(("Aperture", f"ƒ/{float(f_number):g}"))
    if iso := details.get("iso"):
        rows.append(("ISO", str(iso)))
    if focal := details.get("focal_mm"):
        text = f"{float(focal):g} mm"
        if focal35 := details.get("focal_35mm"):
            text += f" ({focal35} mm equiv.)"
        rows.append(("Focal length", text))
    if bias := details.get("exposure_bias"):
        rows.append(("Exposure bias", f"{float(bias):+g} EV"))
    if "flash" in details:
        rows.append(("Flash", "Fired" if details["flash"] else "Did not fire"))
    if software := details.get("software"):
        rows.append(("Software", str(software)))
    return rows


def format_exposure(seconds: float) -> str:
    """Shutter speeds as photographers write them: 1/250 s, 0.5 s, 2 s."""
    if seconds >= 0.3:
        return f"{seconds:g} s"
    return f"1/{round(1 / seconds)} s"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, tuple) and len(value) == 2:  # an unparsed rational
            number = float(Fraction(int(value[0]), int(value[1])))
        else:
            number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip("\x00 ").strip() if value else ""

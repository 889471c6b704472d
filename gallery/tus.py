"""The tus 1.0.0 resumable upload protocol's headers (https://tus.io/protocols/resumable-upload).

Pure functions that read and write header values, and the protocol's errors as UserErrors, so
the API answers them in its one error shape. No Django imports: the views in
gallery.uploads_api and the actions in gallery.resumable use these.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from email.utils import format_datetime

from focal.usererror import UserError

VERSION = "1.0.0"
SUPPORTED_VERSIONS = (VERSION,)
EXTENSIONS = ("creation", "termination", "expiration")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
MAX_METADATA_CHARS = 4096

_COUNT = re.compile(r"[0-9]{1,18}")  # ASCII digits; 18 digits stay within a 64-bit integer
_KEY = re.compile(r"[!-+\--~]+")  # printable ASCII without space and comma


class ProtocolError(UserError):
    """A request that does not follow the protocol: a header missing or malformed."""

    status = 400
    code = "invalid_upload_request"


class UnsupportedVersion(UserError):
    status = 412
    code = "unsupported_tus_version"


class WrongContentType(UserError):
    status = 415
    code = "unsupported_media_type"


class LengthRequired(UserError):
    status = 411
    code = "length_required"


def check_version(value: str | None) -> None:
    """The request's Tus-Resumable header must name a version this server speaks."""
    if value is None:
        raise UnsupportedVersion(
            f"Send the header Tus-Resumable: {VERSION} (this server speaks tus {VERSION})."
        )
    if value.strip() not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(
            f"Tus-Resumable {value.strip()[:20]!r} is not supported; this server speaks tus "
            f"{', '.join(SUPPORTED_VERSIONS)}."
        )


def parse_count(value: str | None, header: str) -> int:
    """A header holding a byte count or offset: a non-negative whole number."""
    if value is None:
        raise ProtocolError(f"The header {header} is missing.", code=f"missing_{_snake(header)}")
    text = value.strip()
    if not _COUNT.fullmatch(text):
        raise ProtocolError(
            f"{header} must be a whole number of bytes, not “{text[:24]}”.",
            code=f"invalid_{_snake(header)}",
        )
    return int(text)


def parse_metadata(value: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated pairs of a key and its value in base64, such as
    `filename cGhvdG8uanBn,visibility cHVibGlj`; a key may come without a value ("")."""
    if value is None or not value.strip():
        return {}
    if len(value) > MAX_METADATA_CHARS:
        raise ProtocolError(
            f"Upload-Metadata is {len(value)} characters; at most {MAX_METADATA_CHARS}.",
            code="invalid_upload_metadata",
        )
    pairs: dict[str, str] = {}
    for item in value.split(","):
        parts = item.strip().split(" ")
        key = parts[0]
        if not _KEY.fullmatch(key) or len(parts) > 2:
            raise ProtocolError(
                f"Upload-Metadata: “{item.strip()[:40]}” is not a key and a base64 value.",
                code="invalid_upload_metadata",
            )
        if key in pairs:
            raise ProtocolError(
                f"Upload-Metadata names “{key}” twice.", code="invalid_upload_metadata"
            )
        pairs[key] = _decode(key, parts[1]) if len(parts) == 2 else ""
    return pairs


def format_metadata(pairs: dict[str, str]) -> str:
    """The Upload-Metadata value for `pairs` (what a client sends)."""
    return ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}" if value else key
        for key, value in pairs.items()
    )


def http_date(moment: datetime) -> str:
    """A time as HTTP writes it (Upload-Expires): `Wed, 25 Jun 2014 16:00:00 GMT`."""
    return format_datetime(moment, usegmt=True)


def is_offset_content_type(value: str | None) -> bool:
    return (value or "").split(";")[0].strip().lower() == OFFSET_CONTENT_TYPE


def _decode(key: str, encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise ProtocolError(
            f"Upload-Metadata: the value of “{key}” is not base64-encoded UTF-8 text.",
            code="invalid_upload_metadata",
        ) from None


def _snake(header: str) -> str:
    return header.lower().replace("-", "_")

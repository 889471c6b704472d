"""Many photos as one zip, streamed: each original is read in 1 MB pieces and handed on as it is
written, so a download of gigabytes needs a few megabytes of memory and starts at once.

Photos are stored, not compressed again (JPEG, PNG and WebP are compressed already). The zip
is written without seeking (entries carry data descriptors), with Zip64 for large files.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator

from gallery import files
from gallery.models import Photo

CHUNK = 1 << 20


class _Pipe(io.RawIOBase):
    """A write-only stream that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def stream_zip(photos: Iterable[Photo]) -> Iterator[bytes]:
    pipe = _Pipe()
    used: set[str] = set()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for photo in photos:
            try:
                handle = files.media_path(str(photo.original.name)).open("rb")
            except FileNotFoundError:
                continue  # deleted meanwhile
            with handle:
                info = zipfile.ZipInfo(_unique(photo, used), date_time=_when(photo))
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=photo.byte_size > 2**31 - 2**20) as out:
                    while chunk := handle.read(CHUNK):
                        out.write(chunk)
                        yield pipe.take()
            yield pipe.take()
    yield pipe.take()


def safe_name(text: str) -> str:
    """A file name from a title: no folders, no control or reserved characters."""
    cleaned = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", text)
    return " ".join(cleaned.split()).strip(" .")[:120]


def _unique(photo: Photo, used: set[str]) -> str:
    stem = safe_name(photo.display_title) or f"photo-{photo.pk}"
    extension = str(photo.original.name).rsplit(".", 1)[-1].lower()
    name, number = f"{stem}.{extension}", 2
    while name.lower() in used:
        name, number = f"{stem} ({number}).{extension}", number + 1
    used.add(name.lower())
    return name


def _when(photo: Photo) -> tuple[int, int, int, int, int, int]:
    when = photo.shot_at
    if when.year < 1980:  # the zip format's epoch
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)

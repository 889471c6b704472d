"""Damaged images are refused at upload with our own readable message, and nothing is kept.

The files are made here from scikit-image's astronaut photo: the first third of a JPEG plus an
end-of-image marker (baseline and progressive), and an 11 KB JPEG whose header was patched to
claim 10000x9999 pixels. libjpeg decodes all three "successfully" with a warning.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import skimage.data
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery.imaging import CorruptImage, inspect_image
from gallery.models import Photo

pytestmark = pytest.mark.django_db

END_OF_IMAGE = b"\xff\xd9"
START_OF_FRAME = (0xC0, 0xC1, 0xC2)


def astronaut_jpeg(*, progressive: bool = False, side: int = 512, quality: int = 90) -> bytes:
    photo = Image.fromarray(skimage.data.astronaut()).resize((side, side))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=quality, progressive=progressive)
    return buffer.getvalue()


def first_third_with_end_marker(data: bytes) -> bytes:
    return data[: len(data) // 3] + END_OF_IMAGE


def with_patched_size(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its frame header claiming another size."""
    patched = bytearray(data)
    at = 2  # after the start-of-image marker
    while patched[at + 1] not in START_OF_FRAME:
        at += 2 + int.from_bytes(patched[at + 2 : at + 4], "big")
    patched[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(patched)


def png_with_huge_text_chunk() -> bytes:
    """A valid tiny PNG, plus a compressed text chunk that inflates to 8 MB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    text = b"Comment\x00\x00" + zlib.compress(b"a" * (8 * 2**20))
    pixels = zlib.compress((b"\x00" + b"\x80" * 4) * 4)  # 4 rows: filter byte, 4 grey pixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"zTXt", text)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


TRUNCATED_BASELINE = first_third_with_end_marker(astronaut_jpeg())
TRUNCATED_PROGRESSIVE = first_third_with_end_marker(astronaut_jpeg(progressive=True))
SMALL_CLAIMING_100_MP = with_patched_size(astronaut_jpeg(side=192, quality=85), 10000, 9999)


def upload(client, data: bytes):
    image = SimpleUploadedFile("photo.jpg", data, "image/jpeg")
    return client.post("/api/photos/", {"image": image}, format="multipart")


def test_the_hostile_files_are_what_the_review_describes():
    assert 10_000 < len(SMALL_CLAIMING_100_MP) < 13_000  # "an 11 KB JPEG"
    with Image.open(io.BytesIO(SMALL_CLAIMING_100_MP)) as image:
        assert image.size == (10000, 9999)
    for data in (TRUNCATED_BASELINE, TRUNCATED_PROGRESSIVE, SMALL_CLAIMING_100_MP):
        assert data.endswith(END_OF_IMAGE)
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (image.width // 8, image.height // 8))
            image.load()  # Pillow alone accepts every one of them


@pytest.mark.parametrize(
    "data",
    [TRUNCATED_BASELINE, TRUNCATED_PROGRESSIVE, SMALL_CLAIMING_100_MP],
    ids=["truncated-baseline", "truncated-progressive", "header-claims-100-mp"],
)
def test_it_rejects_corrupt_jpeg_and_keeps_nothing(api, alice, media_snapshot, data):
    response = upload(api(alice), data)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "corrupt_image"
    assert "ends before the picture does" in error["message"]
    assert "JPEG data:" not in error["message"]  # libjpeg's own words stay in the log
    assert not Photo.objects.exists()
    assert media_snapshot() == []


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_it_accepts_the_same_photo_whole(api, alice, progressive):
    response = upload(api(alice), astronaut_jpeg(progressive=progressive))
    assert response.status_code == 201, response.content


def test_a_jpeg_with_damaged_data_in_the_middle_is_refused():
    data = bytearray(astronaut_jpeg())
    middle = len(data) // 2
    data[middle : middle + 64] = np.random.default_rng(3).integers(0, 255, 64, np.uint8).tobytes()
    with pytest.raises(CorruptImage) as refused:
        inspect_image(io.BytesIO(bytes(data)), max_pixels=100_000_000)
    assert "damaged or incomplete" in refused.value.message


def test_pillow_messages_do_not_reach_the_user(api, alice):
    response = upload(api(alice), png_with_huge_text_chunk())
    assert response.status_code == 400, response.content
    message = response.json()["error"]["message"]
    assert "MAX_TEXT_CHUNK" not in message and "PngImagePlugin" not in message
    assert "damaged" in message

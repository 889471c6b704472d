"""Camera settings read from EXIF for the info panel (gallery/exif.py)."""

from __future__ import annotations

import io

from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from gallery.exif import exif_details, exif_rows, format_exposure
from tests import images


def jpeg_with_settings() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Software] = "Darkroom 3"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.ExposureTime] = IFDRational(1, 250)
    details[ExifTags.Base.FNumber] = IFDRational(28, 10)
    details[ExifTags.Base.ISOSpeedRatings] = 400
    details[ExifTags.Base.FocalLength] = IFDRational(50, 1)
    details[ExifTags.Base.FocalLengthIn35mmFilm] = 75
    details[ExifTags.Base.LensModel] = "XF 50mm F2"
    details[ExifTags.Base.Flash] = 16  # did not fire
    return images.encode(images.pixels(64, 48, 3), "JPEG", exif=exif.tobytes())


def test_it_reads_lens_exposure_aperture_iso_focal_length_and_flash():
    found = exif_details(io.BytesIO(jpeg_with_settings()))
    assert found == {
        "lens": "XF 50mm F2",
        "exposure_s": 0.004,
        "f_number": 2.8,
        "iso": 400,
        "focal_mm": 50.0,
        "focal_35mm": 75,
        "flash": False,
        "software": "Darkroom 3",
    }
    assert exif_rows(found) == [
        ("Lens", "XF 50mm F2"),
        ("Exposure", "1/250 s"),
        ("Aperture", "ƒ/2.8"),
        ("ISO", "400"),
        ("Focal length", "50 mm (75 mm equiv.)"),
        ("Flash", "Did not fire"),
        ("Software", "Darkroom 3"),
    ]


def test_a_file_without_exif_or_not_an_image_gives_nothing():
    assert exif_details(io.BytesIO(images.png())) == {}
    assert exif_details(io.BytesIO(b"not an image")) == {}
    assert exif_rows({}) == []


def test_long_exposures_read_in_seconds():
    assert format_exposure(2.0) == "2 s"
    assert format_exposure(0.5) == "0.5 s"
    assert format_exposure(1 / 60) == "1/60 s"


def test_an_upload_keeps_its_camera_settings(alice, add_photo, db):
    photo = add_photo(alice, data=jpeg_with_settings())
    assert photo.exif["iso"] == 400 and photo.exif["lens"] == "XF 50mm F2"

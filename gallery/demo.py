"""A demo gallery: users with known passwords and photos of many shapes and dates, processed.

For screenshots (`make screenshots`), the browser tests and trying the site out; never on a real
site. Photos are scikit-image's public-domain samples (astronaut, chelsea the cat, coffee, ...;
scikit-image is a development dependency) and generated scenes, with EXIF dates spread over
several weeks; each is processed in this process (no worker needed).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gallery import actions
from gallery.models import Moderation, Photo, Visibility
from gallery.processing import process_photo

DEMO_USERS = {"alice": "alice-pass-123", "bob": "bob-pass-123", "mod": "mod-pass-123"}
SAMPLES = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle", "retina", "hubble_deep_field")
# (width, height) of generated scenes: phones, cameras, squares, panoramas, portraits.
SHAPES = ((1600, 1200), (1200, 1600), (1500, 1000), (1000, 1500), (1200, 1200), (1920, 1080),
          (2400, 1000), (900, 1600), (1600, 1000))  # fmt: skip
CAMERAS = (("Fujifilm", "X-T5"), ("Google", "Pixel 9"), ("Apple", "iPhone 16"), ("", ""))


def seed(count: int = 60) -> dict[str, Any]:
    """Create the demo users (alice, bob, mod) and `count` processed photos; returns the users.

    Every fourth photo is bob's and public; a third of alice's are public; most public photos
    are approved, a few wait for review.
    """
    users = _users()
    rng = np.random.default_rng(7)
    start = datetime(2026, 11, 28, 18, 0)
    for number in range(count):
        owner = users["alice"] if number % 4 else users["bob"]
        pixels = _picture(number, rng)
        taken = start - timedelta(hours=float(number * 9 + rng.uniform(0, 6)))
        make, model = CAMERAS[number % len(CAMERAS)]
        data = _jpeg(pixels, taken if number % 7 else None, make, model)
        public = number % 3 == 0 or owner == users["bob"]
        upload = SimpleUploadedFile(f"{_title(number)}.jpg", data, "image/jpeg")
        photo = actions.add_photo(
            owner, upload, visibility=Visibility.PUBLIC if public else Visibility.PRIVATE
        ).photo
        if public and number % 11 != 5:
            Photo.objects.filter(pk=photo.pk).update(moderation=Moderation.APPROVED)
        if number % 7 == 0:  # no EXIF date: sorted by upload time, spread out too
            Photo.objects.filter(pk=photo.pk).update(shot_at=taken.replace(tzinfo=UTC))
        process_photo(photo.pk)
    return users


def _users() -> dict[str, Any]:
    model = get_user_model()
    users = {}
    for name, password in DEMO_USERS.items():
        user, created = model.objects.get_or_create(username=name)
        if created:
            user.set_password(password)
            user.is_staff = name == "mod"
            user.save()
        users[name] = user
    users["mod"].groups.add(moderators_group())
    return users


def moderators_group() -> Any:
    """The group that lets a staff member use the admin's photo list (filters, bulk actions).

    Staff status alone opens /review/; without these permissions the admin shows nothing.
    """
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="gallery", codename__in=("view_photo", "change_photo")
        )
    )
    return group


def _title(number: int) -> str:
    places = ("Harbour", "Old town", "Morning walk", "Garden", "Market", "Ridge", "Kitchen")
    return f"{places[number % len(places)]} {number + 1}"


def _picture(number: int, rng: np.random.Generator) -> np.ndarray:
    """A sample photo for some numbers, a generated scene for the others."""
    if number % 3 == 1:
        from skimage import data

        name = SAMPLES[(number // 3) % len(SAMPLES)]
        rgb = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
        rgb = np.asarray(rgb)[..., :3]
        scale = 1600 / max(rgb.shape[:2])
        image = Image.fromarray(rgb).resize(
            (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), Image.Resampling.BICUBIC
        )
        return np.asarray(image)
    width, height = SHAPES[number % len(SHAPES)]
    return _scene(width, height, rng)


def _scene(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Sky over ground with a sun and some hills: smooth, photo-like, different every time."""
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    top, bottom, ground = (rng.uniform(0, 255, 3).astype(np.float32) for _ in range(3))
    sky = top * (1 - y) + bottom * y + np.zeros_like(x)
    horizon = 0.55 + 0.15 * np.sin(x * rng.uniform(3, 9) + rng.uniform(0, 6))
    image = np.where(y > horizon, ground * (0.6 + 0.5 * (1 - y)), sky)
    cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.4), rng.uniform(0.05, 0.12)
    sun = ((x - cx) ** 2 * (width / height) ** 2 + (y - cy) ** 2) < r**2
    image = np.where(sun, np.array([255, 230, 160], np.float32), image)
    noise = rng.normal(0, 4, (height, width, 1)).astype(np.float32)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def _jpeg(pixels: np.ndarray, taken: datetime | None, make: str, model: str) -> bytes:
    exif = Image.Exif()
    if make:
        exif[0x010F], exif[0x0110] = make, f"{make} {model}"
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=88, exif=exif.tobytes())
    return buffer.getvalue()

"""Rendering one variant: the Django plumbing around effects.pipeline.render.

Called by the Celery task with a variant id. Idempotent: a ready variant is skipped; files are
written atomically under fresh names and the row changes last, so a worker killed at any point
leaves either the old state or the new one, never a half-written file on a ready row.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from effects.faces import FoundFace
from effects.models import Variant
from effects.pipeline import render
from effects.segmentation import get_segmenter
from effects.sources import usable_backgrounds
from effects.spec import parse_canonical
from focal.leases import new_lease
from focal.usererror import UserError
from gallery import files, memory
from gallery.imaging import encode_image, load_bytes, load_rgb, side_for_pixels
from gallery.models import Photo, Status

log = logging.getLogger(__name__)

JPEG_QUALITY = 90
# Renders work on (and produce) at most this many pixels. A portrait at the full resolution of
# a 100 MP photo took 7 s and 1.9 GB; at 24 MP (6000x4000, the largest common camera output,
# three times a 4K screen) it takes about 1 s and 590 MB in all, so a worker stays under 1 GB.
RENDER_MAX_PIXELS = 24_000_000
# Memory a render needs per working pixel (matte, guided filter, blur, composite, encoding),
# measured at 12 to 100 MP: 15 to 17 bytes, plus the 3 of the decoded photo.
RENDER_BYTES_PER_PIXEL = 20


class BackgroundMissing(UserError):
    code = "background_missing"

    def __init__(self) -> None:
        super().__init__(
            "The background photo is in the trash or no longer one of your photos; "
            "choose another one."
        )


def render_variant(variant_id: int) -> str:
    """Render one variant; returns a word for the log: ready, skipped or gone.

    Raises focal.usererror.UserError (NoSubjectFound, ImageError, BackgroundMissing) for
    failures the user should read, effects.modelstore.ModelsNotInstalled for the operator.
    """
    with transaction.atomic():
        variant = (
            Variant.objects.select_for_update(of=("self",))
            .select_related("photo__owner")
            .filter(pk=variant_id)
        ).first()
        if variant is None:
            return "gone"
        if variant.status == Status.READY and variant.image:
            return "skipped"
        if variant.status == Status.FAILED:
            return "skipped"  # a stale message: asking again sets the variant pending first
        variant.status = Status.PROCESSING
        variant.lease_until = new_lease()
        variant.save(update_fields=["status", "lease_until", "updated"])

    try:
        return _render_and_record(variant)
    except (FileNotFoundError, files.FolderGone):
        if Variant.objects.filter(pk=variant_id).exists():
            raise  # a file is missing: a real failure
        return _deleted_meanwhile(variant)


def _render_and_record(variant: Variant) -> str:
    variant_id = variant.pk
    started = time.perf_counter()
    spec = parse_canonical(variant.spec)
    sources = spec.source_photos()
    behind = _background_photo(variant.photo.owner, sources[0]) if sources else None
    path = files.media_path(str(variant.photo.original.name))
    side = side_for_pixels(variant.photo.width, variant.photo.height, RENDER_MAX_PIXELS)
    # The largest of: decoding the photo, decoding the background beside it, rendering.
    working = min(variant.photo.width * variant.photo.height, RENDER_MAX_PIXELS)
    needed = max(load_bytes(path, side), working * (RENDER_BYTES_PER_PIXEL + 3))
    with memory.for_worker(needed):  # not nested: the loads below are given no hold
        original = load_rgb(path, max_side=side)
        decoded = time.perf_counter()
        background = None
        if behind is not None:
            # Decoded at about the size it will cover; compose.cover does the exact fit.
            background = load_rgb(
                files.media_path(str(behind.original.name)), max_side=max(original.shape[:2])
            )
        needs = spec.definition.needs
        segmenter = get_segmenter(settings.FOCAL_MODEL_DIR) if "segmenter" in needs else None
        faces = None
        if "faces" in needs:
            faces = stored_faces(variant.photo, original.shape[1] / variant.photo.width)
        result = render(original, spec, segmenter, background, faces)
        encoded_at = time.perf_counter()
        extension = "png" if result.format == "PNG" else "jpg"
        image_name = variant.storage_name("image", extension)
        matte_name = variant.storage_name("matte", "png")
        folder = variant.photo.folder  # never made again if the photo was deleted meanwhile
        image = encode_image(result.pixels, result.format, quality=JPEG_QUALITY)
        files.write_atomic(image_name, image, within=folder)
        files.write_atomic(matte_name, encode_image(result.matte, "PNG"), within=folder)
        subject, effect_timings = result.subject, result.timings_ms
        del original, background, result, image  # freed before the budget is given back
    finished = time.perf_counter()
    timings = {
        "decode": round((decoded - started) * 1000, 1),
        **effect_timings,
        "encode": round((finished - encoded_at) * 1000, 1),
    }

    with transaction.atomic():
        current = Variant.objects.select_for_update().filter(pk=variant_id).first()
        if current is None:  # deleted while we worked
            return _deleted_meanwhile(variant, image_name, matte_name)
        current.image.name = image_name
        current.matte.name = matte_name
        current.subject = subject
        current.status = Status.READY
        current.lease_until = None
        current.error = ""
        current.error_code = ""
        current.timings = timings
        current.render_ms = round((finished - started) * 1000)
        current.save()
    log.info(
        "variant %s (%s) ready in %d ms (%s)",
        variant_id,
        variant.spec,
        current.render_ms,
        ", ".join(f"{k} {v:.0f}" for k, v in timings.items()),
    )
    return "ready"


def _deleted_meanwhile(variant: Variant, *names: str) -> str:
    """The variant, or its photo, was deleted while we worked: remove what we wrote."""
    if Photo.objects.filter(pk=variant.photo_id).exists():
        for name in names:
            files.delete_file(name)
    else:  # the photo's folder went before our files were written: remove it again
        files.delete_tree(variant.photo.folder)
    return "gone"


def stored_faces(photo: Photo, scale: float) -> dict[int, FoundFace]:
    """The photo's faces as stored (a person's corrections included), by id, with their
    coordinates scaled from the original's pixels to the render's. Effects read stored faces
    and never detect again; a photo whose faces were not looked for yet has none."""
    from faces.models import Face

    return {
        face.pk: face.as_found_face().scaled(scale)
        for face in Face.objects.filter(photo=photo).order_by("pk")
    }


def _background_photo(owner: AbstractBaseUser, photo_id: int) -> Photo:
    # The request was checked against the same rule; checked again just before the pixels
    # are read, so a photo that stopped qualifying in between is not used.
    photo = usable_backgrounds(owner).filter(pk=photo_id).first()
    if photo is None:
        raise BackgroundMissing()
    return photo

"""A ready variant saved as a photo of its own, e.g. to share a copy with the faces hidden.

The variant's rendered file goes through gallery.actions.add_photo, the path every upload
takes: the same size, pixel and queue limits, sha256 deduplication (saving one variant twice
gives the same photo), processing (thumbnails, faces, search, duplicates) and, for a public
copy, review by a moderator.

What the copy carries is the variant's pixels and nothing else: the renderer encodes them with
OpenCV (gallery.imaging.encode_image), which writes no EXIF, XMP or ICC data, so none of the
original's metadata (GPS position, camera, date, serial numbers) reaches the copy. The upload
path stores files as they are and strips nothing, so this is what keeps a copy made for privacy
private. The original is never changed, its visibility included.
"""

from __future__ import annotations

import logging
import os

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile

from duplicates.resolving import keep_apart
from effects.models import Variant
from effects.registry import EFFECTS
from effects.spec import parse_canonical
from focal.usererror import UserError
from gallery import files
from gallery.actions import AddedPhoto, PermissionDenied, User, add_photo, set_visibility
from gallery.models import Status, Visibility

log = logging.getLogger(__name__)

TITLE_LENGTH = 200  # Photo.title


class VariantNotReady(UserError):
    status = 409
    code = "variant_not_ready"


class VariantFileGone(UserError):
    status = 410
    code = "variant_gone"


def copy_title(variant: Variant) -> str:
    """The original's title and what the effect did, in the words of the effects table:
    "Beach (faces blurred)", "Beach (portrait)"."""
    effect = EFFECTS.get(variant.effect)
    suffix = (
        f" {effect.copy_suffix(parse_canonical(variant.spec).params)}" if effect else " (effect)"
    )
    return variant.photo.display_title[: TITLE_LENGTH - len(suffix)].rstrip() + suffix


def save_as_photo(user: User, variant: Variant, *, visibility: str | None = None) -> AddedPhoto:
    """A new photo of the owner's made from the variant's image (or the one made before).

    `visibility` None makes a new copy private and leaves an existing one as it is; given, it
    is applied to an existing copy too (through set_visibility, so going public is reviewed).
    Raises PermissionDenied for anyone but the owner, VariantNotReady until the variant has
    rendered, and whatever add_photo raises (size, pixels, the upload queue).
    """
    photo = variant.photo
    if not user.is_authenticated or photo.owner_id != user.pk:
        raise PermissionDenied("Only the owner can save this effect as a photo.")
    if visibility is not None and visibility not in Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    if photo.trashed_at is not None:
        raise UserError(
            "This photo is in the trash; restore it to save its effects.",
            code="photo_in_trash",
            status=409,
        )
    if variant.status == Status.FAILED:
        raise VariantNotReady("This effect failed to render, so there is nothing to save.")
    if variant.status != Status.READY or not variant.image:
        raise VariantNotReady("This effect is still rendering; save it once it is ready.")
    name = str(variant.image.name)
    try:
        data = files.media_path(name).open("rb")
    except FileNotFoundError:
        raise VariantFileGone("This effect's file is gone; make the effect again.") from None
    assert isinstance(user, AbstractBaseUser)
    with data:
        upload = UploadedFile(
            data,
            name=f"{variant.effect}.{name.rsplit('.', 1)[-1]}",
            size=os.fstat(data.fileno()).st_size,
        )
        added = add_photo(
            user,
            upload,
            title=copy_title(variant),
            visibility=visibility or Visibility.PRIVATE,
        )
    if added.photo.pk != photo.pk:  # a copy of the photo is not a duplicate to clear away
        keep_apart(photo.owner_id, photo.pk, added.photo.pk)
    if added.duplicate and visibility is not None and added.photo.visibility != visibility:
        set_visibility(user, added.photo, visibility)
    log.info(
        "variant %s (%s) saved as photo %s%s",
        variant.pk,
        variant.spec,
        added.photo.pk,
        " (made before)" if added.duplicate else "",
    )
    return added

"""Which photos a variant may be made from.

A variant is made from its photo and, for the `background` effect with a photo, a second
photo whose pixels end up in the result. The rule for that second photo: **only a photo the
requester owns**. Sharing a photo lets others look at it, not put it into pictures of their
own; a composite of two people's photos is content that neither of them published and no
moderator reviewed; and with one owner for every pixel, that owner's choices (private,
delete) decide alone what happens to the variant. Visibility still follows every source
(VariantQuerySet.visible_to): the owner's private or unreviewed photo behind a shared one
keeps the variant to the owner until that photo is shared and approved too.

The rule is checked when the variant is asked for and again when the worker reads the pixels,
with the same query, so a rule change or an old row cannot slip a photo in between.
"""

from __future__ import annotations

from gallery.actions import User
from gallery.models import Photo, PhotoQuerySet


def usable_backgrounds(user: User) -> PhotoQuerySet:
    """The photos `user` may put behind the subject of their own photo."""
    return Photo.objects.owned_by(user)

"""Albums: making, renaming, sharing and deleting them, and putting photos in and out.

Only an album's owner changes it, and only with photos they own (nobody puts someone else's
photo in an album). Deleting an album leaves its photos where they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q

from focal.usererror import UserError
from gallery.actions import PermissionDenied, User
from gallery.models import Album, AlbumPhoto, Moderation, Photo, Visibility

MAX_TITLE = 200


def create_album(user: User, title: str, ids: Iterable[int] = ()) -> Album:
    if not user.is_authenticated:
        raise PermissionDenied("Log in to make albums.")
    album = Album.objects.create(owner_id=user.pk, title=_title(title))
    add_photos(user, album, ids)
    return album


def rename(user: User, album: Album, title: str) -> Album:
    _require_owner(user, album)
    album.title = _title(title)
    album.save(update_fields=["title", "updated"])
    return album


def set_visibility(user: User, album: Album, visibility: str) -> Album:
    _require_owner(user, album)
    if visibility not in Visibility.values:
        raise UserError("Visibility is private or public.")
    album.visibility = visibility
    album.save(update_fields=["visibility", "updated"])
    return album


def set_cover(user: User, album: Album, photo_id: int) -> Album:
    _require_owner(user, album)
    if not album.photos.filter(pk=photo_id, owner_id=user.pk).exists():
        raise UserError("The cover must be a photo in the album.")
    album.cover_id = photo_id
    album.save(update_fields=["cover", "updated"])
    return album


def add_photos(user: User, album: Album, ids: Iterable[int]) -> int:
    """Put the user's own photos among `ids` in the album; returns how many were new to it."""
    _require_owner(user, album)
    wanted = list(
        Photo.objects.owned_by(user).filter(pk__in=list(ids)).values_list("pk", flat=True)
    )
    with transaction.atomic():
        present = set(album.photos.filter(pk__in=wanted).values_list("pk", flat=True))
        new = [pk for pk in wanted if pk not in present]
        AlbumPhoto.objects.bulk_create(AlbumPhoto(album=album, photo_id=pk) for pk in new)
        album.save(update_fields=["updated"])
    return len(new)


def remove_photos(user: User, album: Album, ids: Iterable[int]) -> int:
    _require_owner(user, album)
    with transaction.atomic():
        removed, _ = AlbumPhoto.objects.filter(album=album, photo_id__in=list(ids)).delete()
        if album.cover_id is not None and not album.photos.filter(pk=album.cover_id).exists():
            album.cover = None
        album.save(update_fields=["cover", "updated"])
    return removed


def delete_album(user: User, album: Album) -> None:
    _require_owner(user, album)
    album.delete()


@dataclass(frozen=True)
class Reach:
    """How many of an album's photos others see, and why the rest are hidden from them."""

    total: int  # photos in the album, not in the trash
    seen: int  # of them, those anyone who opens the album sees
    private: int
    pending: int  # public, waiting for review
    rejected: int  # public, rejected by a moderator

    @property
    def hidden(self) -> int:
        return self.total - self.seen

    def sentence(self) -> str:
        """For the owner: "Others see 0 of 4 photos: the other 4 are private." """
        if self.total == 0:
            return ""
        if not self.hidden:
            return (
                "Others see its photo."
                if self.total == 1
                else f"Others see all {self.total} photos."
            )
        reasons = [
            (count, why)
            for count, why in (
                (self.private, "private"),
                (self.pending, "waiting for review"),
                (self.rejected, "rejected by a moderator"),
            )
            if count
        ]
        other = f"the other {self.hidden}"
        if self.hidden == 1:
            other = "it" if self.total == 1 else "the other one"
        if len(reasons) == 1:
            why = f"{other} {_be(self.hidden)} {reasons[0][1]}"
        else:
            listed = [f"{count} {_be(count)} {why}" for count, why in reasons]
            why = f"of {other}, {', '.join(listed[:-1])} and {listed[-1]}"
        photos = "photo" if self.total == 1 else "photos"
        return f"Others see {self.seen} of {self.total} {photos}: {why}."


def reach(album: Album) -> Reach:
    """What others (visitors and other users) see of `album` once it is public. Each photo
    keeps its own visibility and review, so a shared album can show them fewer photos than it
    holds, even none."""
    photos = Photo.objects.filter(albums=album, trashed_at__isnull=True)
    public = Q(visibility=Visibility.PUBLIC)
    counts = photos.aggregate(
        total=Count("pk"),
        private=Count("pk", filter=Q(visibility=Visibility.PRIVATE)),
        pending=Count("pk", filter=public & Q(moderation=Moderation.PENDING)),
        rejected=Count("pk", filter=public & Q(moderation=Moderation.REJECTED)),
    )
    return Reach(seen=album.photos_for(None).count(), **counts)


def holds_photos(album: Album) -> bool:
    """Whether the album has any photo out of the trash, seen by the one asking or not."""
    return Photo.objects.filter(albums=album, trashed_at__isnull=True).exists()


def _be(count: int) -> str:
    return "is" if count == 1 else "are"


def _title(title: str) -> str:
    cleaned = " ".join(str(title).split())[:MAX_TITLE]
    if not cleaned:
        raise UserError("Give the album a name.")
    return cleaned


def _require_owner(user: User, album: Album) -> None:
    if not (user.is_authenticated and album.owner_id == user.pk):
        raise PermissionDenied("Only the owner can change this album.")

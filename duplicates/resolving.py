"""What the owner decides about a group: keep one (the others go to the trash), not duplicates,
and undo. Pages and the API call these.

Keeping one photo of a group:
- the others are moved to the trash (gallery.trash: never deleted for good here; the trash
  deletes them after FOCAL_TRASH_DAYS, and restoring one brings its group back);
- the kept photo joins every album the trashed copies were in, and becomes the cover where one
  of them was;
- it takes the title of the oldest titled copy if it has none (a new title is reviewed again
  before others see it, as any new title is);
- its visibility does not change. A copy that was shared goes to the trash with the others and
  the kept photo stays as private as it was: the owner may have shared a crop precisely to keep
  the rest of the picture to themselves, so widening it automatically could publish what they
  kept private. The page says so, and sharing it is one click on its page (then it is reviewed).

Every decision is recorded (duplicates.models.Resolution) with what it changed; undo reverses
the latest batch: restores the trashed copies, takes the kept photo out of the albums it was
added to, puts covers and the title (with its review state) back, or proposes the group again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from django.db import transaction
from django.utils import timezone

from duplicates.groups import Group, group_with, groups_of
from duplicates.models import Pair, Resolution
from focal.usererror import UserError
from gallery import trash
from gallery.actions import User, set_title
from gallery.models import Album, AlbumPhoto, Photo


def _owner(user: User) -> int:
    """The signed-in user's id (callers checked that someone is signed in)."""
    return cast(int, user.pk)


class GroupNotFound(UserError):
    status = 404
    code = "not_found"


class NothingToUndo(UserError):
    status = 409
    code = "nothing_to_undo"


@dataclass(frozen=True)
class Outcome:
    batch: uuid.UUID
    groups: int
    trashed: list[int]
    message: str


def _group(user: User, photo_ids: list[int]) -> Group:
    group = group_with(user, photo_ids) if user.is_authenticated and photo_ids else None
    if group is None:
        raise GroupNotFound("These photos are not a group of your duplicates (any more).")
    return group


def keep(user: User, photo_ids: list[int], keeper_id: int) -> Outcome:
    """Keep `keeper_id`, trash the rest of `photo_ids` (photos of one group as shown)."""
    group = _group(user, [*photo_ids, keeper_id])
    batch = uuid.uuid4()
    with transaction.atomic():
        trashed = _keep(user, group, keeper_id, set(photo_ids) - {keeper_id}, batch)
    keeper = next(p for p in group.photos if p.pk == keeper_id)
    return Outcome(batch, 1, trashed, _kept_message(group, keeper, trashed))


def keep_suggested_everywhere(user: User) -> Outcome:
    """Keep the suggested photo of every group at once (one batch: one undo), except in groups
    where that would trash a shared photo while the kept one stays private: those are left
    for the owner to decide one by one."""
    batch = uuid.uuid4()
    trashed: list[int] = []
    groups = groups_of(user)
    decided = [g for g in groups if not g.shared_over_private]
    with transaction.atomic():
        for group in decided:
            others = {p.pk for p in group.photos} - {group.suggested.pk}
            trashed += _keep(user, group, group.suggested.pk, others, batch)
    return Outcome(batch, len(decided), trashed, _everywhere_message(decided, groups, trashed))


def _everywhere_message(decided: list[Group], groups: list[Group], trashed: list[int]) -> str:
    left = len(groups) - len(decided)
    kept = _count(len(decided), "group")
    message = (
        f"Kept one photo in each of {kept}; {_count(len(trashed), 'photo')} moved to the trash."
    )
    if not decided:
        message = "Nothing moved to the trash."
    if left:
        message += (
            f" {_count(left, 'group')} left for you to decide: keeping the suggested photo "
            "would trash a shared one and keep a private one."
        )
    return message


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _keep(
    user: User, group: Group, keeper_id: int, others: set[int], batch: uuid.UUID
) -> list[int]:
    keeper = Photo.objects.select_for_update().get(pk=keeper_id, owner_id=_owner(user))
    copies = [p for p in group.photos if p.pk in others]
    if not copies:
        raise UserError("Choose at least one other photo of the group to move to the trash.")
    changes: dict[str, object] = {}
    moved = trash.trash(user, [p.pk for p in copies])
    changes["trashed"] = moved
    # Albums: the kept photo takes the trashed copies' places.
    added = []
    present = set(AlbumPhoto.objects.filter(photo=keeper).values_list("album_id", flat=True))
    for album_id in (
        AlbumPhoto.objects.filter(photo_id__in=moved, album__owner_id=_owner(user))
        .values_list("album_id", flat=True)
        .distinct()
    ):
        if album_id not in present:
            added.append(AlbumPhoto.objects.create(album_id=album_id, photo=keeper).pk)
            present.add(album_id)
    changes["albums"] = added
    covers = {}
    for album in Album.objects.filter(owner_id=_owner(user), cover_id__in=moved):
        covers[str(album.pk)] = album.cover_id
        album.cover_id = keeper.pk
        album.save(update_fields=["cover", "updated"])
    changes["covers"] = covers
    # Title: the oldest titled copy's, if the kept photo has none.
    changes["title"] = None
    if not keeper.title:
        titled = [p for p in copies if p.title and p.pk in moved]
        if titled:
            changes["title"] = {"before": keeper.title, "moderation": keeper.moderation,
                                "after": titled[0].title}  # fmt: skip
            set_title(user, keeper, titled[0].title)  # reviewed again, as any new title
    Resolution.objects.create(
        owner_id=_owner(user),
        kind=Resolution.Kind.KEEP,
        batch=batch,
        keeper=keeper,
        changes=changes,
    )
    return moved


def _kept_message(group: Group, keeper: Photo, trashed: list[int]) -> str:
    plural = "s" if len(trashed) != 1 else ""
    message = f"Kept “{keeper.display_title}”; {len(trashed)} photo{plural} moved to the trash."
    shared = [p for p in group.photos if p.pk in trashed and p.visibility != keeper.visibility]
    if shared and keeper.visibility == "private":
        message += " A trashed copy was shared; the photo you kept stays private."
    return message


def keep_apart(owner_id: int, original: int, copy: int) -> None:
    """`copy` was made on purpose from `original` (effects.copies): it is never proposed as a
    duplicate, of its original or of anything else (duplicates.groups leaves it out of every
    group, so no keep can trash it). Their pair is stored dismissed and marked with the copy,
    found or not, so the finder does not verify it either. Unlike "Not duplicates" there is
    nothing to undo."""
    first, second = sorted((original, copy))
    Pair.objects.update_or_create(
        first_id=first,
        second_id=second,
        defaults={"dismissed": True, "copy_id": copy},
        create_defaults={
            "owner_id": owner_id,
            "score": 0.0,
            "inliers": 0,
            "coverage": 0.0,
            "dismissed": True,
            "copy_id": copy,
        },
    )


def not_duplicates(user: User, photo_ids: list[int]) -> Outcome:
    """The photos shown as a group are not duplicates: never propose these pairs again."""
    group = _group(user, photo_ids)
    wanted = set(photo_ids)
    batch = uuid.uuid4()
    with transaction.atomic():
        pairs = list(
            Pair.objects.filter(
                owner_id=_owner(user),
                pk__in=group.pairs,
                first_id__in=wanted,
                second_id__in=wanted,
                dismissed=False,
            ).values_list("pk", flat=True)
        )
        Pair.objects.filter(pk__in=pairs).update(dismissed=True)
        Resolution.objects.create(
            owner_id=_owner(user),
            kind=Resolution.Kind.NOT_DUPLICATE,
            batch=batch,
            changes={"dismissed": pairs},
        )
    return Outcome(batch, 1, [], "Marked as not duplicates; they will not be proposed again.")


def undo(user: User) -> Outcome:
    """Reverse the user's latest decision (a whole batch)."""
    if not user.is_authenticated:
        raise NothingToUndo("Nothing to undo.")
    latest = (
        Resolution.objects.filter(owner_id=_owner(user), undone__isnull=True)
        .order_by("-created", "-id")
        .first()
    )
    if latest is None:
        raise NothingToUndo("Nothing to undo.")
    restored: list[int] = []
    with transaction.atomic():
        batch = list(
            Resolution.objects.select_for_update().filter(
                owner_id=_owner(user), batch=latest.batch, undone__isnull=True
            )
        )
        for resolution in batch:
            restored += _reverse(user, resolution)
        Resolution.objects.filter(pk__in=[r.pk for r in batch]).update(undone=timezone.now())
    return Outcome(latest.batch, len(batch), [], "Undone.")


def _reverse(user: User, resolution: Resolution) -> list[int]:
    changes = resolution.changes
    if resolution.kind == Resolution.Kind.NOT_DUPLICATE:
        Pair.objects.filter(owner_id=_owner(user), pk__in=changes.get("dismissed", [])).update(
            dismissed=False
        )
        return []
    restored = trash.restore(user, changes.get("trashed", []))
    if resolution.keeper_id is None:  # the kept photo was deleted for good since
        return restored
    AlbumPhoto.objects.filter(
        pk__in=changes.get("albums", []),
        album__owner_id=_owner(user),
        photo_id=resolution.keeper_id,
    ).delete()
    for album_id, cover_id in changes.get("covers", {}).items():
        Album.objects.filter(
            pk=int(album_id), owner_id=_owner(user), cover_id=resolution.keeper_id
        ).update(cover_id=cover_id)
    title = changes.get("title")
    if title:
        # Only if nobody changed it since: then the title and its review go back as they were.
        Photo.objects.filter(
            pk=resolution.keeper_id, owner_id=_owner(user), title=title["after"]
        ).update(title=title["before"], moderation=title["moderation"], updated=timezone.now())
    return restored

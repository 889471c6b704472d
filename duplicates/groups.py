"""An owner's duplicate groups, computed from the stored pairs when asked.

A group is a connected set of pairs whose photos are both the owner's, ready and in the library
(not in the trash), and not dismissed; a copy made from a photo by an effect on purpose
(Pair.copy) is in none. Only the owner's own photos ever appear: pairs are made
between one owner's photos, and the photos are read through Photo.objects.owned_by(user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from duplicates.models import Pair
from gallery.actions import User
from gallery.models import Photo, Status, Visibility

# Files within this share of the largest count as the same size: re-saving a file or
# stripping its metadata changes a few bytes, which says nothing about compression (and the
# page shows both sizes rounded alike).
SAME_SIZE = 0.02


@dataclass
class Group:
    photos: list[Photo]  # oldest first
    suggested: Photo  # the one to keep: KEEP_RULES
    pairs: list[int]  # Pair ids inside the group
    score: float  # the lowest appearance agreement of its pairs

    @property
    def id(self) -> int:
        return min(photo.pk for photo in self.photos)

    @property
    def reason(self) -> str:
        return why_suggested(self.photos, self.suggested)

    @property
    def shared_over_private(self) -> list[Photo]:
        """The shared photos that keeping the suggested one would trash while it stays private:
        "Keep suggested in all groups" leaves such a group for the owner to decide."""
        if self.suggested.visibility != Visibility.PRIVATE:
            return []
        return [p for p in self.photos if p.visibility != Visibility.PRIVATE]

    @property
    def shared_note(self) -> str:
        """What the page says about shared_over_private ("" when there are none)."""
        shared = self.shared_over_private
        if not shared:
            return ""
        number = {p.pk: i for i, p in enumerate(self.photos, 1)}
        names = _photo_numbers([number[p.pk] for p in shared])
        verb = "is" if len(shared) == 1 else "are"
        return (
            f"{names[0].upper()}{names[1:]} {verb} shared and the suggested photo is private: "
            "“Keep suggested in all groups” leaves this group to you."
        )


def _most_pixels(photos: list[Photo]) -> list[Photo]:
    most = max(p.width * p.height for p in photos)
    return [p for p in photos if p.width * p.height == most]


def _largest_files(photos: list[Photo]) -> list[Photo]:
    largest = max(p.byte_size for p in photos)
    return [p for p in photos if p.byte_size >= largest * (1 - SAME_SIZE)]


def _when(photo: Photo) -> datetime:
    """When the photo was taken, or else added, to the second (as EXIF gives it): two files
    added within one second are as old as each other, and the one added first is kept."""
    return (photo.taken_at or photo.created).replace(microsecond=0)


def _oldest(photos: list[Photo]) -> list[Photo]:
    oldest = min(_when(p) for p in photos)
    return [p for p in photos if _when(p) == oldest]


def _added_first(photos: list[Photo]) -> list[Photo]:
    return [min(photos, key=lambda p: p.pk)]


# Each rule keeps the photos it prefers among those the rules before it left.
KEEP_RULES = (_most_pixels, _largest_files, _oldest, _added_first)


def suggested_keeper(photos: list[Photo]) -> Photo:
    left = photos
    for rule in KEEP_RULES:
        left = rule(left)
    return left[0]


def why_suggested(photos: list[Photo], keeper: Photo) -> str:
    """Why `keeper` is suggested, naming the others by their place in `photos` (from 1): for
    each rule of KEEP_RULES in turn, the photos it set aside. File sizes are given exactly, as
    the page shows them rounded to kB."""
    number = {p.pk: i for i, p in enumerate(photos, 1)}
    pixels = f"{keeper.width}×{keeper.height}"

    def sizes(beaten: list[Photo]) -> str:
        theirs = _and([f"{p.byte_size:,}" for p in beaten])
        return f"{keeper.byte_size:,} bytes against {theirs}"

    words = [
        lambda names, _: f"more pixels ({pixels}) than {names}",
        lambda names, beaten: (
            f"the same pixels as {names} but a larger file ({sizes(beaten)}), so less compressed"
        ),
        lambda names, beaten: (
            f"the same pixels and about the same file size as {names}, "
            f"but {_older(keeper, beaten, number)}"
        ),
        lambda names, _: (
            f"the same pixels, about the same file size and the same date as {names}, "
            "but added first"
        ),
    ]
    clauses = []
    left = photos
    for rule, say in zip(KEEP_RULES, words, strict=True):
        kept = rule(left)
        beaten = [p for p in left if p not in kept]
        if beaten:
            clauses.append(say(_photo_numbers([number[p.pk] for p in beaten]), beaten))
        left = kept
    return f"Suggested: {'; '.join(clauses)}."


def _older(keeper: Photo, beaten: list[Photo], number: dict[int, int]) -> str:
    """How `keeper` is older than `beaten`, in words the page lets one check: it shows each
    photo's day, so a photo of the keeper's day gets the times, to the minute or, when that
    would not tell them apart, to the second (in the page's time zone)."""
    day = timezone.localtime(_when(keeper)).date()
    same_day = [p for p in beaten if timezone.localtime(_when(p)).date() == day]
    if not same_day:
        return "older"
    times = [timezone.localtime(_when(p)) for p in [keeper, *same_day]]
    clock = "%H:%M" if len({t.strftime("%H:%M") for t in times}) == len(times) else "%H:%M:%S"
    mine, theirs = times[0].strftime(clock), _and([t.strftime(clock) for t in times[1:]])
    if len(same_day) == len(beaten):
        return f"earlier on the same day ({mine} against {theirs})"
    older = _photo_numbers([number[p.pk] for p in beaten if p not in same_day])
    same = _photo_numbers([number[p.pk] for p in same_day])
    return f"older than {older} and earlier on the same day as {same} ({mine} against {theirs})"


def _and(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _photo_numbers(numbers: list[int]) -> str:
    return ("photo " if len(numbers) == 1 else "photos ") + _and([str(n) for n in numbers])


def live_pairs(user: User) -> list[tuple[int, int, int, float]]:
    """(pair id, first, second, score) of the user's pairs that can be shown: none with a
    photo made from another by an effect (Pair.copy)."""
    if not user.is_authenticated:
        return []
    live = Q(first__trashed_at__isnull=True, second__trashed_at__isnull=True) & Q(
        first__status=Status.READY, second__status=Status.READY
    )
    mine = Pair.objects.filter(owner_id=user.pk)
    copies = mine.filter(copy__isnull=False).values("copy_id")
    rows = (
        mine.filter(live, dismissed=False)
        .exclude(first_id__in=copies)
        .exclude(second_id__in=copies)
    )
    return list(rows.values_list("id", "first_id", "second_id", "score"))


def groups_of(user: User) -> list[Group]:
    """The user's groups, the group with the newest photo first."""
    pairs = live_pairs(user)
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, a, b, _ in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    photos = Photo.objects.owned_by(user).filter(pk__in=list(parent)).in_bulk()
    members: dict[int, list[Photo]] = {}
    for photo_id in parent:
        if photo_id in photos:
            members.setdefault(root(photo_id), []).append(photos[photo_id])
    inside: dict[int, list[tuple[int, float]]] = {}
    for pair_id, a, b, score in pairs:
        if a in photos and b in photos:
            inside.setdefault(root(a), []).append((pair_id, score))
    groups = []
    for key, group_photos in members.items():
        if len(group_photos) < 2 or key not in inside:
            continue
        group_photos.sort(key=lambda p: (_when(p), p.pk))
        groups.append(
            Group(
                group_photos,
                suggested_keeper(group_photos),
                [pair_id for pair_id, _ in inside[key]],
                min(score for _, score in inside[key]),
            )
        )
    groups.sort(key=lambda g: max(p.pk for p in g.photos), reverse=True)
    return groups


def group_with(user: User, photo_ids: list[int]) -> Group | None:
    """The user's current group holding all of `photo_ids`, or None."""
    wanted = set(photo_ids)
    for group in groups_of(user):
        if wanted <= {p.pk for p in group.photos}:
            return group
    return None

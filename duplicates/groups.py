"""An owner's duplicate groups, computed from the stored pairs when asked.

A group is a connected set of pairs whose photos are both the owner's, ready and in the library
(not in the trash), and not dismissed; a copy made from a photo by an effect on purpose
(Pair.copy) is in none. Only the owner's own photos ever appear: pairs are made
between one owner's photos, and the photos are read through Photo.objects.owned_by(user).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from duplicates.models import Pair
from gallery.actions import User
from gallery.models import Photo, Status, Visibility


@dataclass
class Group:
    photos: list[Photo]  # oldest first
    suggested: Photo  # the one to keep: most pixels, then the largest file, then the oldest
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


def _keep_order(p: Photo) -> tuple[int, int, object, int]:
    """Smallest first is kept: most pixels, then the largest file, then the oldest."""
    return (-(p.width * p.height), -p.byte_size, p.taken_at or p.created, p.pk)


def suggested_keeper(photos: list[Photo]) -> Photo:
    return min(photos, key=_keep_order)


def why_suggested(photos: list[Photo], keeper: Photo) -> str:
    """Why `keeper` is suggested, naming the others by their place in `photos` (from 1): for
    each rule of _keep_order in turn, the photos it set the keeper above."""
    number = {p.pk: i for i, p in enumerate(photos, 1)}
    pixels = f"{keeper.width}×{keeper.height}"
    rules = [
        lambda names: f"more pixels ({pixels}) than {names}",
        lambda names: f"the same pixels as {names} but a larger file, so less compressed",
        lambda names: f"the same pixels and file size as {names}, but older",
        lambda names: f"the same pixels, file size and date as {names}, but added first",
    ]
    mine = _keep_order(keeper)
    clauses = []
    tied = [p for p in photos if p.pk != keeper.pk]
    for rule, words in enumerate(rules):
        beaten = [p for p in tied if _keep_order(p)[rule] != mine[rule]]
        if beaten:
            clauses.append(words(_photo_numbers([number[p.pk] for p in beaten])))
        tied = [p for p in tied if p not in beaten]
    return f"Suggested: {'; '.join(clauses)}."


def _photo_numbers(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"photo {numbers[0]}"
    return f"photos {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


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
        group_photos.sort(key=lambda p: (p.taken_at or p.created, p.pk))
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

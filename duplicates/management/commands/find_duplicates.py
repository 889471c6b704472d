"""Look for duplicates among photos already in the library (the worker does it for new ones)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from duplicates.finding import find_for
from gallery.models import Photo, Status


class Command(BaseCommand):
    help = "Find duplicate groups among existing photos (all owners, or one with --user)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="only this user's photos (a user name)")

    def handle(self, *args: Any, **options: Any) -> None:
        photos = Photo.objects.filter(status=Status.READY, trashed_at__isnull=True)
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['user']!r}")
            photos = photos.filter(owner=user)
        ids = list(photos.order_by("id").values_list("id", flat=True))
        started = time.perf_counter()
        found = 0
        for n, photo_id in enumerate(ids, 1):
            found += find_for(photo_id)
            if n % 500 == 0:
                self.stdout.write(f"{n} of {len(ids)} photos, {found} pairs found")
        seconds = time.perf_counter() - started
        self.stdout.write(f"{len(ids)} photos checked in {seconds:.1f} s; {found} new pairs.")

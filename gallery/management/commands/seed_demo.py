"""Fill an empty Focal with a demo gallery (gallery.demo): for screenshots and trying it out."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gallery.demo import DEMO_USERS, seed
from gallery.models import Photo


class Command(BaseCommand):
    help = "Create demo users (alice, bob, mod) and a gallery of processed photos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--photos", type=int, default=60, help="How many photos (60).")

    def handle(self, *args: Any, **options: Any) -> None:
        if Photo.objects.exists():
            raise CommandError("There are photos already: seed_demo only fills an empty site.")
        seed(options["photos"])
        self.stdout.write(
            f"Seeded {options['photos']} photos for "
            + ", ".join(f"{name} / {password}" for name, password in DEMO_USERS.items())
        )

"""Print a user's API token (the last line of output), creating it if needed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print the API token of USERNAME as the last line (Authorization: Token <key>)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--create", action="store_true", help="Create the user (no password) if missing."
        )

    def handle(self, *args: Any, username: str, create: bool, **options: Any) -> None:
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        if user is None:
            if not create:
                raise CommandError(f"No user {username!r}. Use --create to make one.")
            user = users.objects.create_user(username=username)
            self.stdout.write(f"Created user {username!r} (set a password with changepassword).")
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)

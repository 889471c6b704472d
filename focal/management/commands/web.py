"""Serve the website alone (waitress): what `manage.py serve` runs beside the worker, and what
the Docker image runs. See focal/webserver.py for why waitress."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from focal import webserver
from gallery.uploads import max_request_bytes


class Command(BaseCommand):
    help = "Serve Focal's website on http://HOST:PORT (no worker; see `serve`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=settings.FOCAL_WEB_THREADS)

    def handle(self, *args: Any, **options: Any) -> None:
        from focal.wsgi import application

        config = webserver.WebServerConfig(
            host=options["host"],
            port=options["port"],
            threads=options["threads"],
            connection_limit=settings.FOCAL_WEB_CONNECTIONS,
            max_body_bytes=max_request_bytes(),
            behind_proxy=settings.FOCAL_BEHIND_PROXY,
        )
        webserver.run(application, config)

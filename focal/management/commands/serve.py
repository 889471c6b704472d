"""Run the website and the Celery workers together, and keep them running: what `make run`
starts.

There are two workers, one for processing uploads (queue "photos") and one for rendering
effects (queue "renders"), so processing never waits behind a render. All are children of a
small supervisor (focal/supervisor.py): if a worker or the web server dies it is started again
(with a back-off), while the others keep going; Ctrl-C or SIGTERM stops everything within 10 s.
The website is waitress (`manage.py web`, focal/webserver.py), bound to 127.0.0.1 unless --host
says otherwise.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from focal.supervisor import Child, Supervisor

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")


class Command(BaseCommand):
    help = "Serve Focal on http://HOST:PORT with local Celery workers, restarting any that stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--worker-concurrency",
            type=int,
            default=int(os.environ.get("FOCAL_WORKER_CONCURRENCY", str(os.cpu_count() or 2))),
        )
        parser.add_argument(
            "--render-concurrency",
            type=int,
            default=int(os.environ.get("FOCAL_RENDER_CONCURRENCY", "1")),
        )
        parser.add_argument("--web-threads", type=int, default=settings.FOCAL_WEB_THREADS)

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("focal.supervisor").setLevel(logging.INFO)
        python = sys.executable

        def worker(name: str, queue: str, concurrency: int) -> Child:
            return Child(
                name,
                [
                    python, "-m", "celery", "-A", "focal", "worker", "--queues", queue,
                    "--hostname", f"{queue}@%h", "--concurrency", str(concurrency),
                    "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                ],
                firm_signal=signal.SIGQUIT,  # Celery's cold shutdown: stop waiting for tasks
            )  # fmt: skip

        workers = [
            worker("worker", "photos", options["worker_concurrency"]),
            worker("render worker", "renders", options["render_concurrency"]),
        ]
        web = Child(
            "web server",
            [
                python, MANAGE, "web", "--host", options["host"], "--port", str(options["port"]),
                "--threads", str(options["web_threads"]),
            ],
        )  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(f"Focal is serving on http://{options['host']}:{options['port']}/")
        )
        sys.exit(Supervisor([*workers, web]).run())

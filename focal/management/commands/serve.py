"""Run the website and a Celery worker together, and keep them running: what `make run` starts.

Both are children of a small supervisor (focal/supervisor.py): if the worker or the web server
dies it is started again (with a back-off), while the other keeps going; Ctrl-C or SIGTERM
stops everything within 10 s. The website is waitress (`manage.py web`, focal/webserver.py),
bound to 127.0.0.1 unless --host says otherwise.
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
    help = "Serve Focal on http://HOST:PORT with a local Celery worker, restarting either."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--worker-concurrency",
            type=int,
            default=int(os.environ.get("FOCAL_WORKER_CONCURRENCY", str(os.cpu_count() or 2))),
        )
        parser.add_argument("--web-threads", type=int, default=settings.FOCAL_WEB_THREADS)

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("focal.supervisor").setLevel(logging.INFO)
        python = sys.executable
        worker = Child(
            "worker",
            [
                python, "-m", "celery", "-A", "focal", "worker",
                "--concurrency", str(options["worker_concurrency"]),
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
            ],
            firm_signal=signal.SIGQUIT,  # Celery's cold shutdown: stop waiting for tasks
        )  # fmt: skip
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
        sys.exit(Supervisor([worker, web]).run())

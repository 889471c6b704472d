"""Run the web server and a Celery worker together: what `make run` starts.

Both are child processes; if either stops, the other is stopped too, and Ctrl-C stops both.
Uses gunicorn (as in production) bound to 127.0.0.1 unless --host says otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Focal on http://HOST:PORT with a local Celery worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--worker-concurrency",
            type=int,
            default=int(os.environ.get("FOCAL_WORKER_CONCURRENCY", str(os.cpu_count() or 2))),
        )
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        worker_cmd = [
            python, "-m", "celery", "-A", "focal", "worker",
            "--concurrency", str(options["worker_concurrency"]),
            "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        web_cmd = [
            python, "-m", "gunicorn", "focal.wsgi",
            "--bind", f"{options['host']}:{options['port']}",
            "--workers", str(options["web_workers"]), "--threads", "4",
            "--worker-class", "gthread", "--timeout", "120", "--access-logfile", "-",
        ]  # fmt: skip
        children = {"worker": subprocess.Popen(worker_cmd), "web": subprocess.Popen(web_cmd)}
        self.stdout.write(
            self.style.SUCCESS(f"Focal is serving on http://{options['host']}:{options['port']}/")
        )
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    exit_code = child.returncode or 1
                    self.stderr.write(f"the {name} process exited with {child.returncode}")
                    stopping = True
            time.sleep(0.3)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if exit_code:
            sys.exit(exit_code)

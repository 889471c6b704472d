"""Start Focal as `make run` does (manage.py serve: gunicorn + a Celery worker) in a fresh data
directory, for tests and benchmarks that talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.http import free_port, request

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LocalSite:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@contextmanager
def local_site(
    data_dir: Path,
    *,
    worker_concurrency: int = 1,
    web_workers: int = 1,
    env_overrides: dict[str, str] | None = None,
    keep_services: bool = False,
) -> Iterator[LocalSite]:
    """Migrate, create user alice with an API token, serve on a free port, stop on exit.

    Without keep_services, DATABASE_URL and REDIS_URL are removed: SQLite and the filesystem
    broker, exactly what `make run` gives a new user.
    """
    drop = () if keep_services else ("DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in (*drop, "DJANGO_SETTINGS_MODULE")}
    env.update(
        FOCAL_DATA_DIR=str(data_dir), SECRET_KEY="local-site-secret", **(env_overrides or {})
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    token = subprocess.run(
        [*manage, "api_token", "alice", "--create"], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    port = free_port()
    log_path = data_dir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*manage, "serve", "--port", str(port), "--worker-concurrency",
             str(worker_concurrency), "--web-workers", str(web_workers)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    site = LocalSite(f"http://127.0.0.1:{port}", token, process, data_dir, log_path)
    try:
        _wait_until_up(site)
        yield site
    finally:
        if process.poll() is None:
            site.stop()


def _wait_until_up(site: LocalSite, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            up = request(site.url + "/")[0] == 200
        except OSError:
            up = False
        if up and b" ready." in site.log_path.read_bytes():
            return
        if site.process.poll() is not None or time.monotonic() > deadline:
            site.process.kill()
            raise RuntimeError("Focal did not start:\n" + site.log_path.read_text()[-3000:])
        time.sleep(0.3)

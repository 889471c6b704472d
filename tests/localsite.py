"""Start Focal as `make run` does (manage.py serve: the waitress web server and a Celery worker
under the supervisor) in a fresh data directory, for tests and benchmarks that talk HTTP."""

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
    env: dict[str, str]  # what its processes run with

    def token_for(self, username: str) -> str:
        """The API token of `username`, created with the account if need be."""
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "api_token", username, "--create"],
            env=self.env, check=True, cwd=ROOT, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@dataclass
class Prepared:
    """A migrated data directory with user alice and her API token."""

    data_dir: Path
    env: dict[str, str]
    token: str


def prepare(
    data_dir: Path, *, env_overrides: dict[str, str] | None = None, keep_services: bool = False
) -> Prepared:
    """Migrate and create user alice with an API token.

    Without keep_services, DATABASE_URL and REDIS_URL are removed: SQLite and the filesystem
    broker, exactly what `make run` gives a new user.
    """
    drop = () if keep_services else ("DATABASE_URL", "REDIS_URL")
    env = {k: v for k, v in os.environ.items() if k not in (*drop, "DJANGO_SETTINGS_MODULE")}
    env.update(
        FOCAL_DATA_DIR=str(data_dir), SECRET_KEY="local-site-secret", **(env_overrides or {})
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    token = subprocess.run(
        [*manage, "api_token", "alice", "--create"], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    return Prepared(data_dir, env, token)


def start(
    prepared: Prepared, *, worker_concurrency: int = 1, web_threads: int = 8, port: int = 0
) -> LocalSite:
    """`manage.py serve` on a free port, up and ready (its worker too).

    It leads its own process group, as a command typed in a terminal does, so a test can
    send the group a Ctrl-C (SIGINT).
    """
    port = port or free_port()
    log_path = prepared.data_dir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "serve", "--port", str(port),
             "--worker-concurrency", str(worker_concurrency), "--web-threads", str(web_threads)],
            env=prepared.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    site = LocalSite(
        f"http://127.0.0.1:{port}", prepared.token, process, prepared.data_dir, log_path,
        prepared.env,
    )  # fmt: skip
    try:
        _wait_until_up(site)
    except BaseException:
        if process.poll() is None:
            site.stop()
        raise
    return site


@contextmanager
def local_site(
    data_dir: Path,
    *,
    worker_concurrency: int = 1,
    web_threads: int = 8,
    env_overrides: dict[str, str] | None = None,
    keep_services: bool = False,
    port: int = 0,
) -> Iterator[LocalSite]:
    """Prepare `data_dir` (see prepare), serve it on `port` (default: a free one), stop on exit."""
    prepared = prepare(data_dir, env_overrides=env_overrides, keep_services=keep_services)
    site = start(
        prepared, worker_concurrency=worker_concurrency, web_threads=web_threads, port=port
    )
    try:
        yield site
    finally:
        if site.process.poll() is None:
            site.stop()


@contextmanager
def second_web_server(site: LocalSite) -> Iterator[str]:
    """Another `manage.py web` process on the same data directory (as a second web container
    would be); yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "web", "--port", str(port)],
        env=site.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(url + "/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the second web server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(site: LocalSite, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            up = request(site.url + "/")[0] == 200
        except OSError:
            up = False
        if up and site.log_path.read_bytes().count(b" ready.") >= 2:  # both workers
            return
        if site.process.poll() is not None or time.monotonic() > deadline:
            site.process.kill()
            raise RuntimeError("Focal did not start:\n" + site.log_path.read_text()[-3000:])
        time.sleep(0.3)

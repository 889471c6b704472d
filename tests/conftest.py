"""Fixtures shared by the whole suite: named users (alice owns, bob must not see), clients,
uploads, and a real Celery worker process."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gallery import actions
from gallery.models import Photo
from tests import images
from tests.workers import WorkerProcess

ROOT = Path(__file__).resolve().parents[1]

# The suite's workers do not look for faces again on their own (focal.chores): tests make ready
# photos without faces, and a chore storing faces for them would race each test's teardown.
# tests/faces/test_rescan.py runs the chore's function itself.
os.environ.setdefault("FOCAL_FACES_RESCAN_SECONDS", "0")


@pytest.fixture(autouse=True)
def isolated_media(request, settings, tmp_path):
    """Each test gets its own media folder, except tests that share one with a worker process."""
    if not {"celery_worker_process", "no_session_worker"} & set(request.fixturenames):
        settings.MEDIA_ROOT = tmp_path / "media"
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Rate-limit counts (in Redis or the database) start from zero in every test."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["ratelimit"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def fresh_search_index(monkeypatch):
    """The process-wide index must not carry rows from a rolled-back test into the next."""
    from search import service

    monkeypatch.setattr(service, "_indexes", {})


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pass-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="bob-pass-123")


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_user("mod", password="mod-pass-123", is_staff=True)


@pytest.fixture
def login() -> Callable[..., Client]:
    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api() -> Callable[..., APIClient]:
    """An API client authenticated with the user's token (anonymous without a user)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def add_photo() -> Callable[..., Photo]:
    """Store a photo directly through the action, as an upload would."""

    def make(owner, *, seed: int = 0, visibility="private", moderation=None, data=None, **kw):
        upload = SimpleUploadedFile("photo.jpg", data or images.jpeg(seed=seed), "image/jpeg")
        photo = actions.add_photo(owner, upload, visibility=visibility, **kw).photo
        if moderation:
            Photo.objects.filter(pk=photo.pk).update(moderation=moderation)
            photo.refresh_from_db()
        return photo

    return make


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def media_snapshot() -> Callable[[], list[Path]]:
    return media_files


_session_worker: WorkerProcess | None = None


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[WorkerProcess]:
    """A real `celery worker` process on the configured broker and the test database."""
    global _session_worker
    _drop_queued_jobs()  # leftovers from earlier runs
    worker = WorkerProcess(tmp_path_factory.mktemp("worker") / "worker.log")
    worker.start()
    _session_worker = worker
    try:
        yield worker
    finally:
        _session_worker = None
        worker.stop()
        if os.environ.get("FOCAL_SHOW_WORKER_LOG"):
            print(worker.log())


@pytest.fixture
def no_session_worker() -> Iterator[None]:
    """For tests that run workers of their own: the session's worker (if it was started) is
    stopped meanwhile, so that it takes none of their jobs, and started again after."""
    worker = _session_worker
    was_running = worker is not None and worker.running
    if worker is not None:
        worker.stop()
    try:
        yield
    finally:
        if worker is not None and was_running:
            _drop_queued_jobs()  # the test's own: their rows are gone with its database
            worker.start()


def _drop_queued_jobs() -> None:
    broker = settings.CELERY_BROKER_URL
    if broker.startswith("redis://"):
        import redis

        redis.Redis.from_url(broker).flushdb()


@pytest.fixture
def own_jobs(no_session_worker, settings, tmp_path):
    """For transactional tests whose rows queue jobs (an added photo, a corrected face) that the
    test runs itself or only checks are queued: the suite's worker (started by an earlier test)
    must not take them meanwhile. It would process the photo first, and its writes could still
    be going on when the test's database is flushed (a deadlock there fails the next test). A
    media folder of the test's own, as for other tests."""
    settings.MEDIA_ROOT = tmp_path / "media"


def wait_for(predicate: Callable[[], object], timeout: float = 60, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout} s")
        time.sleep(interval)

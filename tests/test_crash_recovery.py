"""A job whose worker died runs again (focal.leases), on Redis and on the local broker.

The end-to-end tests start workers of their own with a 3 s lease, kill one with SIGKILL
during two renders, and start another.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from effects.models import Variant
from focal import leases
from gallery.models import Photo, Status
from tests import images
from tests.conftest import wait_for
from tests.workers import WorkerProcess

LEASE = 3  # seconds, for the workers these tests start


def lapsed() -> datetime:
    return timezone.now() - timedelta(seconds=1)


def later() -> datetime:
    return timezone.now() + timedelta(seconds=60)


# --- The sweep and the renewal, on rows ------------------------------------------------


@pytest.fixture
def empty_queues(no_session_worker):
    """The broker's queues emptied, with no worker taking anything meanwhile."""
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("photos", "renders")
    yield broker
    broker.delete("photos", "renders")


def soon() -> datetime:
    return timezone.now() + timedelta(seconds=settings.FOCAL_JOB_LEASE_SECONDS - 2)


@pytest.mark.django_db
def test_a_job_whose_lease_lapsed_is_queued_again(alice, add_photo, empty_queues):
    photo = add_photo(alice, seed=1)
    Photo.objects.filter(pk=photo.pk).update(status=Status.PROCESSING, lease_until=lapsed())
    variant = Variant.objects.create(photo=photo, effect="cutout", spec="cutout:subject=person")
    Variant.objects.filter(pk=variant.pk).update(status=Status.PENDING, lease_until=lapsed())
    assert leases.sweep() == 2
    photo.refresh_from_db()
    variant.refresh_from_db()
    assert (photo.status, photo.lost_runs) == (Status.PENDING, 1)
    # It was waiting (its message lost), not running: not counted against it.
    assert (variant.status, variant.lost_runs) == (Status.PENDING, 0)
    # Each has a new lease: a worker is to take it by then, or it is looked at again.
    assert photo.lease_until and photo.lease_until > soon()
    assert variant.lease_until and variant.lease_until > soon()


@pytest.mark.django_db
def test_a_waiting_job_gets_more_time_while_its_queue_has_messages(alice, add_photo, empty_queues):
    from focal.celery import app

    photo = add_photo(alice, seed=11)
    Photo.objects.filter(pk=photo.pk).update(lease_until=lapsed())  # pending, lapsed
    app.send_task("gallery.tasks.process_photo", args=[0], queue="photos")  # a queue ahead
    assert leases.sweep() == 0
    photo.refresh_from_db()
    assert photo.status == Status.PENDING and photo.lease_until and photo.lease_until > soon()
    empty_queues.delete("photos")  # drained: now its message is surely gone
    Photo.objects.filter(pk=photo.pk).update(lease_until=lapsed())
    assert leases.sweep() == 1


@pytest.mark.django_db
def test_every_job_is_queued_with_a_lease(api, alice, add_photo):
    photo = add_photo(alice, seed=12)
    assert photo.lease_until and photo.lease_until > soon()
    response = api(alice).post(
        f"/api/photos/{photo.pk}/variants/", {"effect": "cutout"}, format="json"
    )
    variant = Variant.objects.get(pk=response.json()["id"])
    assert variant.lease_until and variant.lease_until > soon()


@pytest.mark.django_db
def test_live_leases_and_jobs_waiting_in_the_broker_are_left_alone(alice, add_photo):
    held = add_photo(alice, seed=2)
    Photo.objects.filter(pk=held.pk).update(status=Status.PROCESSING, lease_until=later())
    waiting = add_photo(alice, seed=3)  # pending, its lease running: a worker is to take it
    done = add_photo(alice, seed=4)
    Photo.objects.filter(pk=done.pk).update(status=Status.READY, lease_until=lapsed())
    assert leases.sweep() == 0
    assert Photo.objects.get(pk=held.pk).status == Status.PROCESSING
    assert Photo.objects.get(pk=waiting.pk).status == Status.PENDING


@pytest.mark.django_db
def test_a_processing_job_from_before_leases_counts_as_stuck(alice, add_photo):
    photo = add_photo(alice, seed=5)
    Photo.objects.filter(pk=photo.pk).update(status=Status.PROCESSING, lease_until=None)
    assert leases.sweep() == 1


@pytest.mark.django_db
def test_a_job_that_keeps_losing_its_worker_fails_with_a_reason(alice, add_photo):
    photo = add_photo(alice, seed=6)
    for run in range(1, settings.FOCAL_JOB_MAX_LOST_RUNS + 1):
        Photo.objects.filter(pk=photo.pk).update(status=Status.PROCESSING, lease_until=lapsed())
        queued = leases.sweep()
        assert queued == (1 if run < settings.FOCAL_JOB_MAX_LOST_RUNS else 0)
    photo.refresh_from_db()
    assert photo.status == Status.FAILED and photo.lease_until is None
    assert photo.error.startswith(f"Processing stopped {settings.FOCAL_JOB_MAX_LOST_RUNS} times")


@pytest.mark.django_db
def test_renewal_extends_the_leases_of_unfinished_jobs_it_holds(alice, add_photo):
    soon = timezone.now() + timedelta(seconds=1)
    photos = [add_photo(alice, seed=s) for s in (7, 8, 9)]
    Photo.objects.update(status=Status.PROCESSING, lease_until=soon)
    Photo.objects.filter(pk=photos[2].pk).update(status=Status.READY)
    leases.renew([("gallery.tasks.process_photo", p.pk) for p in photos[1:]])
    until = {p.pk: Photo.objects.get(pk=p.pk).lease_until for p in photos}
    assert until[photos[0].pk] == soon  # not held by this worker
    renewed = until[photos[1].pk]
    assert renewed and renewed > soon + timedelta(seconds=settings.FOCAL_JOB_LEASE_SECONDS - 2)
    assert until[photos[2].pk] == soon  # finished


@pytest.mark.django_db
def test_asking_again_for_a_stuck_variant_queues_it_again(api, alice, add_photo):
    photo = add_photo(alice, data=images.person_photo())
    url = f"/api/photos/{photo.pk}/variants/"
    variant_id = api(alice).post(url, {"effect": "colorpop"}, format="json").json()["id"]
    Variant.objects.filter(pk=variant_id).update(status=Status.PROCESSING, lease_until=later())
    again = api(alice).post(url, {"effect": "colorpop"}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "processing"  # alive
    Variant.objects.filter(pk=variant_id).update(lease_until=lapsed())
    again = api(alice).post(url, {"effect": "colorpop"}, format="json")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert again.json()["id"] == variant_id


@pytest.mark.django_db
def test_a_stale_message_for_a_failed_job_does_nothing(alice, add_photo):
    from gallery.processing import process_photo

    photo = add_photo(alice, seed=10)
    Photo.objects.filter(pk=photo.pk).update(status=Status.FAILED, error="gave up")
    assert process_photo(photo.pk) == "skipped"
    assert Photo.objects.get(pk=photo.pk).status == Status.FAILED


# --- Real workers killed with SIGKILL -------------------------------------------------


def two_slow_renders(api, alice, add_photo) -> list[int]:
    """Two portraits of a 32 MP photo: a few seconds of work each."""
    photo = add_photo(alice, data=images.sample_jpeg(scale=11))
    url = f"/api/photos/{photo.pk}/variants/"
    return [
        api(alice).post(url, {"effect": "portrait", "blur": blur}, format="json").json()["id"]
        for blur in (30, 60)
    ]


def statuses(ids: list[int]) -> list[str]:
    return [Variant.objects.get(pk=pk).status for pk in ids]


def kill_during_renders(worker: WorkerProcess, ids: list[int]) -> None:
    wait_for(lambda: statuses(ids) == [Status.PROCESSING] * 2, timeout=120, interval=0.05)
    pool = worker.pool_pids()
    assert len(pool) == 2
    worker.kill()
    # The pool processes die with the main process (billiard sets their parent-death signal).
    wait_for(lambda: not any(_alive(pid) for pid in pool), timeout=10)
    time.sleep(LEASE + 0.5)  # nobody renews their leases any more
    assert statuses(ids) == [Status.PROCESSING] * 2


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def recovered_within(ids: list[int], worker: WorkerProcess, *, lost_runs: int) -> float:
    """Start `worker`; seconds until both variants are ready."""
    worker.start()
    started = time.monotonic()
    wait_for(lambda: all(s in (Status.READY, Status.FAILED) for s in statuses(ids)), timeout=90)
    elapsed = time.monotonic() - started
    rows = Variant.objects.filter(pk__in=ids)
    assert [(v.status, v.error) for v in rows] == [(Status.READY, "")] * 2
    assert [(v.lost_runs, v.lease_until) for v in rows] == [(lost_runs, None)] * 2
    return elapsed


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_renders_of_a_killed_worker_run_again_on_redis(
    no_session_worker, tmp_path, api, alice, add_photo
):
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    env = {"FOCAL_JOB_LEASE_SECONDS": str(LEASE)}
    first = WorkerProcess(tmp_path / "first.log", env=env)
    first.start()
    ids = two_slow_renders(api, alice, add_photo)
    kill_during_renders(first, ids)
    # What the report saw: the messages wait in `unacked` for the visibility timeout.
    assert broker.hlen("unacked") >= 2
    # Asking again for one of them queues it at once; the sweep finds the other.
    url = f"/api/photos/{Variant.objects.get(pk=ids[0]).photo_id}/variants/"
    again = api(alice).post(url, {"effect": "portrait", "blur": 30}, format="json")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    second = WorkerProcess(tmp_path / "second.log", env=env)
    try:
        assert recovered_within(ids, second, lost_runs=1) < 60
    finally:
        second.stop()
        broker.flushdb()  # the dead worker's unacked messages; they would only skip


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_message_was_lost_runs_when_its_queue_is_empty(
    no_session_worker, tmp_path, api, alice, settings
):
    import redis

    settings.FOCAL_JOB_LEASE_SECONDS = LEASE  # the lease the upload is given

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    file = SimpleUploadedFile("p.jpg", images.jpeg(seed=31), "image/jpeg")
    photo_id = api(alice).post("/api/photos/", {"image": file}, format="multipart").json()["id"]
    # The message goes, as with a worker killed the instant it took it: nothing holds the job.
    assert broker.delete("photos") == 1
    worker = WorkerProcess(tmp_path / "worker.log", env={"FOCAL_JOB_LEASE_SECONDS": str(LEASE)})
    worker.start()
    try:
        wait_for(lambda: Photo.objects.get(pk=photo_id).status == Status.READY, timeout=30)
    finally:
        worker.stop()
    assert Photo.objects.get(pk=photo_id).lost_runs == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_renders_of_a_killed_worker_run_again_on_the_local_broker(
    no_session_worker, tmp_path, api, alice, add_photo
):
    # The filesystem broker of `make run`, in its own folder; the rows reach it through the
    # first worker's sweep (this test process publishes to the suite's broker).
    env = {
        "REDIS_URL": None,
        "FOCAL_DATA_DIR": str(settings.DATA_DIR),
        "FOCAL_JOB_LEASE_SECONDS": str(LEASE),
    }
    assert not (settings.DATA_DIR / "broker").exists() or not any(
        (settings.DATA_DIR / "broker").iterdir()
    )
    first = WorkerProcess(tmp_path / "first.log", env=env)
    ids = two_slow_renders(api, alice, add_photo)
    Variant.objects.filter(pk__in=ids).update(lease_until=lapsed())
    first.start()
    kill_during_renders(first, ids)
    second = WorkerProcess(tmp_path / "second.log", env=env)
    try:
        assert recovered_within(ids, second, lost_runs=1) < 60
    finally:
        second.stop()

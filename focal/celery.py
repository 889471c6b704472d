"""The Celery application. Workers start with `celery -A focal worker`."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_received, worker_ready, worker_shutdown

from focal.chores import ChoreRunner, chores, runners
from focal.leases import RENEW_LEASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "focal.settings")

app = Celery("focal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_local_broker_folders(sender: Celery, **kwargs: object) -> None:
    # The filesystem broker and result store need their folders before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = str(sender.conf.result_backend or "")
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


# Periodic chores (focal.chores) run in every worker's main process, job leases among them.
_chores: list[ChoreRunner] = []


@worker_ready.connect
def _start_chores(sender: object, **kwargs: object) -> None:
    for runner in runners(chores()):
        runner.start()
        _chores.append(runner)


@worker_shutdown.connect
def _stop_chores(sender: object, **kwargs: object) -> None:
    for runner in _chores:
        runner.stop()


@task_received.connect
def _renew_leases_now(sender: object, **kwargs: object) -> None:
    # A job this worker just took gets its lease at once, not at the next renewal.
    for runner in _chores:
        runner.wake(RENEW_LEASES)

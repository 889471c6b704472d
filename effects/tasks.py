"""Celery tasks for variants. They take ids, not objects, and are safe to run twice."""

from __future__ import annotations

import logging
from functools import partial

from celery import Task, shared_task

from effects.models import Variant
from effects.modelstore import ModelsNotInstalled
from effects.rendering import render_variant as run_render
from focal.jobs import MAX_RETRIES, run_job
from focal.usererror import UserError
from gallery.models import Status

log = logging.getLogger(__name__)

MODELS_MISSING = (
    "Portrait mode is not set up on this server yet: the segmentation models are missing. "
    "An administrator can install them with `python manage.py fetch_models`."
)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def render_variant(self: Task, variant_id: int) -> str:
    return run_job(
        self,
        partial(_render, variant_id),
        partial(mark_failed, variant_id),
        name=f"variant {variant_id}",
        gave_up="Rendering kept failing; try again later.",
        crashed="The effect could not be rendered ({exc}).",
    )


def _render(variant_id: int) -> str:
    try:
        return run_render(variant_id)
    except ModelsNotInstalled as exc:
        # The operator's log names the folder and files; the user gets what to do about it.
        log.error("variant %s: %s", variant_id, exc.message)
        return mark_failed(variant_id, MODELS_MISSING, "models_missing")
    except UserError as exc:
        # Recorded here rather than by run_job so that the code is kept beside the message.
        return mark_failed(variant_id, exc.message, exc.code)


def mark_failed(variant_id: int, reason: str, code: str = "") -> str:
    Variant.objects.filter(pk=variant_id).update(
        status=Status.FAILED, error=reason[:500], error_code=code[:32], lease_until=None
    )
    return "failed"

"""Celery tasks for variants. They take ids, not objects, and are safe to run twice."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from effects.matting import NoSubjectFound
from effects.models import Variant
from effects.modelstore import ModelsNotInstalled
from effects.rendering import BackgroundMissing
from effects.rendering import render_variant as run_render
from gallery.imaging import ImageError
from gallery.models import Status
from gallery.tasks import MAX_RETRIES, TRANSIENT_ERRORS

log = logging.getLogger(__name__)

MODELS_MISSING = (
    "Portrait mode is not set up on this server yet: the segmentation models are missing. "
    "An administrator can install them with `python manage.py fetch_models`."
)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def render_variant(self: Task, variant_id: int) -> str:
    try:
        return run_render(variant_id)
    except (NoSubjectFound, BackgroundMissing, ImageError) as exc:
        return mark_failed(variant_id, exc.message)
    except ModelsNotInstalled as exc:
        log.error("variant %s: %s", variant_id, exc.message)
        return mark_failed(variant_id, MODELS_MISSING)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            return mark_failed(variant_id, "Rendering kept failing; try again later.")
        log.warning("variant %s: transient error %r, retrying", variant_id, exc)
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    except Exception as exc:
        log.exception("variant %s: rendering failed", variant_id)
        return mark_failed(variant_id, f"The effect could not be rendered ({exc}).")


def mark_failed(variant_id: int, reason: str) -> str:
    Variant.objects.filter(pk=variant_id).update(status=Status.FAILED, error=reason[:500])
    return "failed"

"""The Focal Django project: settings, root URLs, the Celery app."""

from focal.celery import app as celery_app

__all__ = ["celery_app"]

from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


class FocalConfig(AppConfig):
    """The project package is an app too, for its templates, static files and commands."""

    name = "focal"
    verbose_name = "Focal"

    def ready(self) -> None:
        # Tasks queued by this process (`shared_task(...).delay`) go through this app and its
        # broker settings; `celery -A focal` finds it in focal.celery by itself.
        import focal.celery  # noqa: F401
        import focal.ratelimits  # noqa: F401  (connects the failed-log-in counter)

        post_migrate.connect(_create_cache_table, sender=self)


def _create_cache_table(using: str = "default", **kwargs: Any) -> None:
    """`migrate` also makes the database cache's table (rate-limit counts without Redis)."""
    call_command("createcachetable", database=using, verbosity=0)

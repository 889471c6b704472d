from django.apps import AppConfig


class FocalConfig(AppConfig):
    """The project package is an app too, for its templates, static files and commands."""

    name = "focal"
    verbose_name = "Focal"

    def ready(self) -> None:
        # Tasks queued by this process (`shared_task(...).delay`) go through this app and its
        # broker settings; `celery -A focal` finds it in focal.celery by itself.
        import focal.celery  # noqa: F401

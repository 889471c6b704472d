from django.apps import AppConfig


class FocalConfig(AppConfig):
    """The project package is an app too, for its templates, static files and commands."""

    name = "focal"
    verbose_name = "Focal"

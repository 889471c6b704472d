from django.apps import AppConfig


class EffectsConfig(AppConfig):
    name = "effects"
    verbose_name = "Portrait mode and effects"

    def ready(self) -> None:
        from effects import signals  # noqa: F401  (variants go with their source photos)

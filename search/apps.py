from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Similar-image search"

    def ready(self) -> None:
        from search import signals  # noqa: F401  (connects the index log to photo deletion)

from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = "Gallery"

    def ready(self) -> None:
        from celery.signals import task_postrun
        from django.core.signals import request_finished

        from gallery import memory

        # Memory a request or job freed goes back to the system once all of it is freed.
        request_finished.connect(memory.give_back_if_due, dispatch_uid="gallery.memory")
        task_postrun.connect(memory.give_back_if_due, dispatch_uid="gallery.memory", weak=False)

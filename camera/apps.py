from django.apps import AppConfig


class CameraConfig(AppConfig):
    name = "camera"
    default_auto_field = "django.db.models.BigAutoField"

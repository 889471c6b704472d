from django.conf import settings
from django.http import HttpRequest

from gallery.uploads import upload_limit_text


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "signup_enabled": settings.FOCAL_SIGNUP_ENABLED,
        "max_upload": upload_limit_text(),
        "reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }

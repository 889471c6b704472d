"""Who is asking, for plain Django views that API clients also call (image files)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def request_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The session's user, or the user of an `Authorization: Token <key>` header."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except exceptions.AuthenticationFailed:
        return AnonymousUser()
    return found[0] if found else AnonymousUser()

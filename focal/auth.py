"""Who is asking: the typed signed-in user for views, and token users for plain Django views.

Views behind @login_required annotate their request as AuthenticatedHttpRequest, so
`request.user` is a User to mypy and needs no casts. API views (and page code that checked
is_authenticated itself) call signed_in_user(request). Focal uses Django's own User model.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.request import Request

from focal.ratelimits import RateLimitedTokenAuthentication
from focal.usererror import NotSignedIn


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view that only signed-in users reach (@login_required)."""

    user: User


def signed_in_user(request: HttpRequest | Request) -> User:
    """The request's user; NotSignedIn (401) if nobody is signed in."""
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        return user
    raise NotSignedIn()


def request_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The session's user, or the user of an `Authorization: Token <key>` header."""
    if request.user.is_authenticated:
        return request.user
    try:
        found = RateLimitedTokenAuthentication().authenticate(Request(request))
    except exceptions.AuthenticationFailed:
        return AnonymousUser()
    return found[0] if found else AnonymousUser()

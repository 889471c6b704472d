"""Brute-force limits on log-in, API tokens and sign-up, counted with django-ratelimit.

Counts live in the "ratelimit" cache, which every web process shares: Redis when REDIS_URL is
set, otherwise a table in the database (focal.cache.AtomicDatabaseCache). Each limit is a rate
such as "10/15m": that many attempts in a fixed window of that length (each key's window has its
own phase); beyond it the request is refused with 429 and Retry-After until the window ends.

- Log-in (the site's form, the admin's, anything calling django.contrib.auth.authenticate):
  failed attempts per user name from one address, and per address for any user names.
  RateLimitedModelBackend refuses an attempt over the limits before checking the password;
  the user_login_failed signal counts failures. Successful log-ins do not count.
- API tokens: invalid `Authorization: Token ...` headers per address
  (RateLimitedTokenAuthentication, also used by the permission-checked file views).
- Sign-up: attempts (form posts) per address.
- Password resets: requests per email address asked about (whoever asks: the harm is a flood
  of mails into one inbox), and per client address for any email addresses. Counted whether or
  not the email address belongs to an account, so a refusal tells nothing about accounts.

Only the attacker's address is refused: somebody else logging in as the same user from another
address is not affected. People behind the same address (one NAT, one proxy not configured
with FOCAL_BEHIND_PROXY) share its per-address limits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django_ratelimit.core import _get_ip, get_usage  # _get_ip: the "ip" key's address
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.request import Request

from focal.usererror import UserError


class TooManyAttempts(UserError):
    status = 429
    code = "too_many_attempts"


@dataclass(frozen=True)
class Limit:
    group: str
    setting: str  # the settings name holding its rate ("10/15m"), None when turned off
    message: str  # why the request is refused; "{minutes}" is the wait, rounded up

    @property
    def rate(self) -> str | None:
        rate: str | None = getattr(settings, self.setting)
        return rate


LOGIN_PER_USER = Limit(
    "login-user",
    "FOCAL_LOGIN_FAILURES",
    "Too many failed log-ins for this user name from your address; try again in {minutes}.",
)
LOGIN_PER_ADDRESS = Limit(
    "login-address",
    "FOCAL_LOGIN_FAILURES_PER_ADDRESS",
    "Too many failed log-ins from your address; try again in {minutes}.",
)
TOKENS = Limit(
    "token",
    "FOCAL_TOKEN_FAILURES",
    "Too many invalid API tokens from your address; try again in {minutes}.",
)
SIGNUPS = Limit(
    "signup",
    "FOCAL_SIGNUPS",
    "Too many sign-ups from your address; try again in {minutes}.",
)

PASSWORD_RESETS = Limit(
    "reset-email",
    "FOCAL_PASSWORD_RESETS",
    "Too many password resets asked for this email address; try again in {minutes}.",
)
PASSWORD_RESETS_PER_ADDRESS = Limit(
    "reset-address",
    "FOCAL_PASSWORD_RESETS_PER_ADDRESS",
    "Too many password resets asked from your address; try again in {minutes}.",
)

Key = Callable[[str, Any], str]  # django-ratelimit's key function: (group, request) -> key


def refuse_if_over(request: HttpRequest | Request, limit: Limit, key: Key | str = "ip") -> None:
    """TooManyAttempts if the failures counted under `limit` have reached its rate."""
    usage = _usage(request, limit, key, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        raise _refusal(limit, usage)


def count(request: HttpRequest | Request, limit: Limit, key: Key | str = "ip") -> None:
    """Count one attempt (a failure, or a sign-up) under `limit`."""
    _usage(request, limit, key, increment=True)


def count_and_refuse_if_over(
    request: HttpRequest | Request, limit: Limit, key: Key | str = "ip"
) -> None:
    """Count this attempt; TooManyAttempts if it is beyond the rate (sign-ups)."""
    usage = _usage(request, limit, key, increment=True)
    if usage is not None and usage["should_limit"]:
        raise _refusal(limit, usage)


def forwarded_address(request: HttpRequest) -> str:
    """The client's address behind a proxy (FOCAL_BEHIND_PROXY): the last X-Forwarded-For
    entry, the one our own proxy appended (earlier ones come from the client, unchecked)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return str(request.META.get("REMOTE_ADDR", ""))


def email_key(email: str) -> Key:
    """Counts under an email address, from any client address."""
    normalised = email.strip().casefold()[:254]

    def key(group: str, request: Any) -> str:
        return normalised

    return key


def _user_name_key(user_name: str) -> Key:
    # With the address: failures from elsewhere never lock this user name out here.
    def key(group: str, request: Any) -> str:
        return f"{_get_ip(request)}|{user_name.strip().casefold()[:150]}"

    return key


def _usage(
    request: HttpRequest | Request, limit: Limit, key: Key | str, *, increment: bool
) -> dict[str, Any] | None:
    rate = limit.rate
    if rate is None:
        return None
    raw = request._request if isinstance(request, Request) else request
    usage: dict[str, Any] | None = get_usage(
        raw, group=f"focal.{limit.group}", key=key, rate=rate, increment=increment
    )
    return usage


def _refusal(limit: Limit, usage: dict[str, Any]) -> TooManyAttempts:
    seconds = max(1, int(usage["time_left"]))
    minutes = -(-seconds // 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return TooManyAttempts(limit.message.format(minutes=wait), retry_after=seconds)


class RateLimitedModelBackend(ModelBackend):
    """Django's user-and-password backend, refusing an attempt over the limits before any
    password is checked (TooManyAttempts propagates out of authenticate())."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is not None:  # authenticate() without a request: management commands
            refuse_if_over(request, LOGIN_PER_ADDRESS)
            if username:
                refuse_if_over(request, LOGIN_PER_USER, _user_name_key(username))
        return super().authenticate(request, username, password, **kwargs)


@receiver(user_login_failed)
def _count_failed_log_in(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    if request is None:
        return
    count(request, LOGIN_PER_ADDRESS)
    username = credentials.get("username")
    if isinstance(username, str) and username:
        count(request, LOGIN_PER_USER, _user_name_key(username))


class RateLimitedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing an address that sent too many invalid tokens."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no token: nothing to count
        refuse_if_over(request, TOKENS)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            count(request, TOKENS)
            raise

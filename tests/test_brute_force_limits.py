"""Brute-force limits (focal/ratelimits.py): failed log-ins, invalid API tokens and sign-ups are
counted per address in a cache every web process shares, and refused with 429 beyond the rate.

Defaults: 10 failed log-ins per user name from one address, 30 per address, 20 invalid tokens
per address (each per 15 minutes), 10 sign-ups per address per hour.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
import redis
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from rest_framework.authtoken.models import Token

from focal.cache import AtomicDatabaseCache
from tests.http import request
from tests.localsite import local_site, second_web_server

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


def log_in(username: str, password: str, address: str = ATTACKER, path="/accounts/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def test_40_wrong_passwords_are_stopped_after_10(alice):
    answers = [log_in("alice", f"guess-{i}").status_code for i in range(40)]
    assert answers == [200] * 10 + [429] * 30
    refused = log_in("alice", "guess-41")
    assert refused["Retry-After"].isdigit() and 0 < int(refused["Retry-After"]) <= 15 * 60
    assert "Too many failed log-ins" in refused.content.decode()
    # The right password does not get through from that address either: no oracle.
    assert log_in("alice", "alice-pass-123").status_code == 429


def test_the_owner_elsewhere_still_logs_in(alice):
    for i in range(15):
        log_in("alice", f"guess-{i}")
    response = log_in("alice", "alice-pass-123", address=ELSEWHERE)
    assert response.status_code == 302 and response["Location"] == "/"


def test_other_user_names_from_the_attackers_address_still_work_until_30(alice, bob):
    for i in range(10):
        log_in("alice", f"guess-{i}")
    assert log_in("bob", "bob-pass-123").status_code == 302


def test_trying_many_user_names_from_one_address_is_stopped_after_30():
    answers = [log_in(f"user{i}", "password").status_code for i in range(35)]
    assert answers == [200] * 30 + [429] * 5


def test_the_admin_log_in_counts_and_is_refused_too(moderator):
    answers = [log_in("mod", f"guess-{i}", path="/admin/login/").status_code for i in range(12)]
    assert answers == [200] * 10 + [429] * 2
    assert log_in("mod", "guess", path="/accounts/login/").status_code == 429  # one count


def test_user_names_count_without_case_or_spaces(alice):
    for i in range(10):
        log_in(["alice", "ALICE", " Alice "][i % 3], f"guess-{i}")
    assert log_in("alice", "guess").status_code == 429


def test_log_in_limits_follow_the_settings(alice, settings):
    settings.FOCAL_LOGIN_FAILURES = "3/m"
    assert [log_in("alice", "x").status_code for _ in range(4)] == [200, 200, 200, 429]
    settings.FOCAL_LOGIN_FAILURES = None  # "off"
    assert log_in("alice", "x").status_code == 200


def api_get(token: str, address: str = ATTACKER):
    return Client(REMOTE_ADDR=address).get("/api/photos/", HTTP_AUTHORIZATION=f"Token {token}")


def test_invalid_tokens_are_stopped_after_20(alice):
    answers = [api_get(f"{i:040x}").status_code for i in range(25)]
    assert answers == [401] * 20 + [429] * 5
    refused = api_get("0" * 40)
    assert refused["Retry-After"].isdigit()
    assert refused.json()["error"]["code"] == "too_many_attempts"
    good = Token.objects.create(user=alice).key
    assert api_get(good, address=ELSEWHERE).status_code == 200
    assert api_get(good).status_code == 429  # the refused address is refused whoever it is


def test_requests_without_a_token_are_not_counted(alice):
    client = Client(REMOTE_ADDR=ATTACKER)
    assert all(client.get("/api/photos/").status_code == 200 for _ in range(25))


def test_invalid_tokens_on_file_urls_count_too(alice, add_photo):
    photo = add_photo(alice)
    client = Client(REMOTE_ADDR=ATTACKER)
    url = f"/photos/{photo.pk}/file/original"
    answers = [client.get(url, HTTP_AUTHORIZATION=f"Token {i:040x}").status_code for i in range(21)]
    assert answers == [404] * 20 + [429]  # 404: the photo is private to anyone without a token


def sign_up(name: str, address: str = ATTACKER):
    password = "a-long-pass-phrase"
    form = {"username": name, "password1": password, "password2": password}
    return Client(REMOTE_ADDR=address).post("/accounts/signup/", form)


def test_sign_ups_from_one_address_are_stopped_after_10(django_user_model):
    answers = [sign_up(f"bot{i}").status_code for i in range(15)]
    assert answers == [302] * 10 + [429] * 5
    assert django_user_model.objects.count() == 10
    assert sign_up("carol", address=ELSEWHERE).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_database_cache_counts_lose_nothing_when_threads_race(settings):
    settings.CACHES = {
        **settings.CACHES,
        "counts": {"BACKEND": "focal.cache.AtomicDatabaseCache", "LOCATION": "focal_cache"},
    }
    call_command("createcachetable", "focal_cache")  # the tests may run with a Redis cache
    cache = caches["counts"]
    assert isinstance(cache, AtomicDatabaseCache)
    cache.add("hits", 0)

    def hammer() -> None:
        try:
            for _ in range(25):
                cache.incr("hits")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("hits") == 200


def invalid_tokens_over_http(urls: list[str], count: int) -> list[int]:
    """Invalid tokens sent to each web server in turn."""
    return [
        request(f"{urls[i % len(urls)]}/api/photos/", token=f"{i:040x}")[0] for i in range(count)
    ]


def test_counts_are_shared_by_web_processes_on_sqlite(tmp_path):
    """`make run`'s set-up (SQLite, no Redis), with a second web server process beside it."""
    with local_site(tmp_path / "data") as site, second_web_server(site) as other:
        assert invalid_tokens_over_http([site.url, other], 26) == [401] * 20 + [429] * 6


@pytest.fixture
def throwaway_postgres():
    """The URL of an empty PostgreSQL database beside the test database, dropped afterwards."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("this run uses SQLite; make test runs this test on PostgreSQL")
    name = f"{db['NAME']}_site"
    admin = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{admin['user']}@{admin['host']}:{admin['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_counts_are_shared_by_web_processes_on_postgresql_and_redis(
    tmp_path, settings, throwaway_postgres
):
    client = redis.Redis.from_url(settings.REDIS_URL)
    stale = list(client.scan_iter("focal:*"))  # counts left by an earlier run of this test
    if stale:
        client.delete(*stale)
    services = {"DATABASE_URL": throwaway_postgres, "REDIS_URL": settings.REDIS_URL}
    with (
        local_site(tmp_path / "data", env_overrides=services) as site,
        second_web_server(site) as other,
    ):
        assert invalid_tokens_over_http([site.url, other], 26) == [401] * 20 + [429] * 6

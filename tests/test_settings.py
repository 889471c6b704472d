"""Settings come from the environment through typed helpers; bad values stop start-up clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from focal import env

ROOT = Path(__file__).resolve().parents[1]


def test_env_int_reads_and_validates(monkeypatch):
    monkeypatch.setenv("FOCAL_X", "12")
    assert env.env_int("FOCAL_X", 3) == 12
    monkeypatch.setenv("FOCAL_X", "twelve")
    with pytest.raises(ImproperlyConfigured, match="FOCAL_X='twelve' is not an integer"):
        env.env_int("FOCAL_X", 3)
    monkeypatch.setenv("FOCAL_X", "0")
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        env.env_int("FOCAL_X", 3, minimum=1)


def test_env_bool_accepts_the_usual_spellings(monkeypatch):
    for text, value in [("1", True), ("yes", True), ("False", False), ("off", False)]:
        monkeypatch.setenv("FOCAL_B", text)
        assert env.env_bool("FOCAL_B", not value) is value
    monkeypatch.setenv("FOCAL_B", "maybe")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env.env_bool("FOCAL_B", False)


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    (tmp_path / "secret").write_text("s3cret\n")
    monkeypatch.delenv("FOCAL_S", raising=False)
    monkeypatch.setenv("FOCAL_S_FILE", str(tmp_path / "secret"))
    assert env.env_str("FOCAL_S") == "s3cret"
    monkeypatch.setenv("FOCAL_S_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env.env_str("FOCAL_S")


def test_env_duration_reads_a_number_and_a_unit(monkeypatch):
    for text, seconds in [("30s", 30), ("15m", 900), ("24h", 86400), ("7d", 604800)]:
        monkeypatch.setenv("FOCAL_D", text)
        assert env.env_duration("FOCAL_D", "1h").total_seconds() == seconds
    monkeypatch.delenv("FOCAL_D")
    assert env.env_duration("FOCAL_D", "1h").total_seconds() == 3600
    for bad in ("24", "0h", "1.5h", "3 weeks"):
        monkeypatch.setenv("FOCAL_D", bad)
        with pytest.raises(ImproperlyConfigured, match="is not a duration"):
            env.env_duration("FOCAL_D", "1h")


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("FOCAL_L", "a.example, b.example,,")
    assert env.env_list("FOCAL_L", []) == ["a.example", "b.example"]


def settings_in_subprocess(tmp_path, **variables: str) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL.split(':')[0], s.DEBUG)"
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "focal.settings"}
    base["FOCAL_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-c", code], env={**base, **variables}, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = settings_in_subprocess(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off" in result.stderr


def test_defaults_need_no_server(tmp_path):
    result = settings_in_subprocess(tmp_path, SECRET_KEY="x")
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem", "False"]


def test_urls_switch_to_postgres_and_redis(tmp_path):
    result = settings_in_subprocess(
        tmp_path,
        SECRET_KEY="x",
        DATABASE_URL="postgres://u@127.0.0.1:5432/focal",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis", "False"]


def test_a_bad_number_stops_start_up(tmp_path):
    result = settings_in_subprocess(tmp_path, SECRET_KEY="x", FOCAL_MAX_UPLOAD_MB="lots")
    assert (
        result.returncode != 0 and "FOCAL_MAX_UPLOAD_MB='lots' is not an integer" in result.stderr
    )


def test_env_rate_reads_count_per_period_or_off(monkeypatch):
    monkeypatch.setenv("FOCAL_R", "10/15m")
    assert env.env_rate("FOCAL_R", "5/h") == "10/15m"
    monkeypatch.setenv("FOCAL_R", "OFF")
    assert env.env_rate("FOCAL_R", "5/h") is None
    monkeypatch.delenv("FOCAL_R")
    assert env.env_rate("FOCAL_R", "5/h") == "5/h"
    for bad in ("10", "ten/m", "0/m", "10/15x", "10/m/s"):
        monkeypatch.setenv("FOCAL_R", bad)
        with pytest.raises(ImproperlyConfigured, match="is not a rate"):
            env.env_rate("FOCAL_R", "5/h")


def email_settings(tmp_path, **variables: str) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.EMAIL_BACKEND, getattr(s, 'EMAIL_HOST', '-'), getattr(s, 'EMAIL_PORT', '-'), "
    code += "getattr(s, 'EMAIL_HOST_PASSWORD', '-'), getattr(s, 'EMAIL_USE_TLS', '-'), "
    code += "s.EMAIL_FILE_PATH, s.DEFAULT_FROM_EMAIL, sep='|')"
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "focal.settings", "SECRET_KEY": "x"}
    base["FOCAL_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code], env={**base, **variables}, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.strip().split("|") if result.returncode == 0 else [result.stderr]


def test_mail_goes_to_files_in_the_data_dir_without_an_smtp_server(tmp_path):
    backend, _, _, password, _, folder, sender = email_settings(tmp_path)
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert (password, folder, sender) == ("", str(tmp_path / "mail"), "focal@localhost")
    console = email_settings(tmp_path, FOCAL_EMAIL_BACKEND="console")
    assert console[0] == "django.core.mail.backends.console.EmailBackend"


def test_mail_goes_over_smtp_when_a_host_is_set(tmp_path):
    secret = tmp_path / "mail-password"
    secret.write_text("s3cret\n")
    variables = {"FOCAL_EMAIL_HOST": "smtp.example.org", "FOCAL_EMAIL_FROM": "photos@example.org"}
    variables["FOCAL_EMAIL_PASSWORD_FILE"] = str(secret)
    backend, host, port, password, tls, _, sender = email_settings(tmp_path, **variables)
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (host, port, password, tls, sender) == (
        "smtp.example.org", "587", "s3cret", "True", "photos@example.org",
    )  # fmt: skip
    ssl = email_settings(tmp_path, **variables, FOCAL_EMAIL_PORT="465", FOCAL_EMAIL_USE_SSL="1")
    assert ssl[2:5] == ["465", "s3cret", "False"]
    bad = email_settings(tmp_path, FOCAL_EMAIL_BACKEND="smtp")
    assert "FOCAL_EMAIL_BACKEND=smtp needs FOCAL_EMAIL_HOST" in bad[0]

"""Focal settings. Every value a deployment may change comes from an environment variable.

With nothing set, Focal runs on SQLite with a filesystem message broker under FOCAL_DATA_DIR
(default ./var), so `make run` needs no server. DATABASE_URL switches to PostgreSQL and
REDIS_URL to Redis as broker and result store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from focal.env import (
    env_bool,
    env_choice,
    env_duration,
    env_int,
    env_list,
    env_path,
    env_rate,
    env_str,
)

# Lets annotations such as ModelAdmin[Photo] and QuerySet[Photo] work at runtime.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("FOCAL_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite cannot create its file's folder

DEBUG = env_bool("DEBUG", False)
_secret = env_str("SECRET_KEY")
if _secret is None:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off. "
            "`make run` creates one in var/secret_key for you."
        )
    _secret = "insecure-development-key-only-used-with-DEBUG-on"
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
_https = env_bool("FOCAL_HTTPS", False)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https and env_bool("FOCAL_SSL_REDIRECT", False)
_behind_proxy = env_bool("FOCAL_BEHIND_PROXY", False)
FOCAL_BEHIND_PROXY = _behind_proxy  # the web server trusts X-Forwarded-For/-Proto then
if _behind_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every response: scripts, styles and images from Focal
# itself only; no inline scripts, no inline style attributes (pages set per-photo values
# through scripts as CSS custom properties), no plugins, no framing, forms post only here.
_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:", "blob:"],
        "media-src": [_SELF, "blob:"],
        "connect-src": [_SELF],
        "font-src": [_SELF],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": [_SELF],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_ratelimit",
    "focal",
    "gallery",
    "search",
    "effects",
    "camera",
    "faces",
    "duplicates",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "focal.request_limits.limit_url_length",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "focal.middleware.UserErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "focal.urls"
WSGI_APPLICATION = "focal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "focal.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_sqlite_options = {
    # WAL lets the web server read while a worker writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}
_database_url = env_str("DATABASE_URL")
_database: dict[str, Any]
if _database_url:
    _database = dict(dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True))
else:
    _database = {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "focal.sqlite3"}
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {**_sqlite_options, **_database.get("OPTIONS", {})}
    # A file, not memory, so that worker processes started by the tests see the test database.
    _database["TEST"] = {"NAME": str(DATA_DIR / "test-focal.sqlite3")}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's ModelBackend with the log-in limits below.
AUTHENTICATION_BACKENDS = ["focal.ratelimits.RateLimitedModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:home"
LOGOUT_REDIRECT_URL = "gallery:home"
# Password-reset links are Django's tokens: valid for this long, and only until used (the token
# covers the password hash and the last log-in).
PASSWORD_RESET_TIMEOUT = env_int("FOCAL_PASSWORD_RESET_HOURS", 24, minimum=1) * 3600

# --- Email (password resets) --------------------------------------------------------------
# With FOCAL_EMAIL_HOST, mail goes out over SMTP; without it, each message is written as a file
# in the data directory (or printed, FOCAL_EMAIL_BACKEND=console), so `make run` needs no server.
_email_host = env_str("FOCAL_EMAIL_HOST")
_email_backend = env_choice(
    "FOCAL_EMAIL_BACKEND", "smtp" if _email_host else "file", ("smtp", "file", "console")
)
_email_module = {"smtp": "smtp", "file": "filebased", "console": "console"}[_email_backend]
EMAIL_BACKEND = f"django.core.mail.backends.{_email_module}.EmailBackend"
if _email_backend == "smtp":
    if not _email_host:
        raise ImproperlyConfigured("FOCAL_EMAIL_BACKEND=smtp needs FOCAL_EMAIL_HOST.")
    EMAIL_HOST = _email_host
    EMAIL_PORT = env_int("FOCAL_EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("FOCAL_EMAIL_USER", "") or ""
    EMAIL_HOST_PASSWORD = env_str("FOCAL_EMAIL_PASSWORD", "") or ""
    # STARTTLS by default (port 587); FOCAL_EMAIL_USE_SSL=1 for implicit TLS (port 465).
    EMAIL_USE_SSL = env_bool("FOCAL_EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = env_bool("FOCAL_EMAIL_USE_TLS", not EMAIL_USE_SSL)
    if EMAIL_USE_SSL and EMAIL_USE_TLS:
        raise ImproperlyConfigured("Set only one of FOCAL_EMAIL_USE_TLS and FOCAL_EMAIL_USE_SSL.")
    EMAIL_TIMEOUT = 20
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("FOCAL_EMAIL_FROM", "focal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env_path("FOCAL_STATIC_ROOT", DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here (collectstatic)
MEDIA_ROOT = DATA_DIR / "media"
# No URL pattern serves MEDIA_ROOT: every file goes through a view that checks permissions.
# (Django wants a value here; nothing routes it.)
MEDIA_URL = "/_unserved_media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# --- Focal --------------------------------------------------------------------------------
FOCAL_MAX_UPLOAD_MB = env_int("FOCAL_MAX_UPLOAD_MB", 40, minimum=1)
FOCAL_MAX_UPLOAD_BYTES = FOCAL_MAX_UPLOAD_MB * 1024 * 1024
FOCAL_MAX_PIXELS = env_int("FOCAL_MAX_PIXELS", 100_000_000, minimum=1)
# Memory that image decodes and renders may hold at once, across every process on this machine
# that uses this data directory (gallery/memory.py). The web server's own ~200 MB plus this
# stays under 1 GB.
FOCAL_MEMORY_BUDGET_MB = env_int("FOCAL_MEMORY_BUDGET_MB", 640, minimum=64)
FOCAL_SIGNUP_ENABLED = env_bool("FOCAL_SIGNUP_ENABLED", True)
FOCAL_AUTO_APPROVE = env_bool("FOCAL_AUTO_APPROVE", False)
FOCAL_MODEL_DIR = env_path("FOCAL_MODEL_DIR", DATA_DIR / "models")
# The Camera page's browser files (MediaPipe's script, WASM and models) are fetched into the
# model folder with sha256 checks (`manage.py fetch_models`) and served from there as static
# files, gzipped. A folder that is not there yet is left out: the page says what is missing.
STATICFILES_DIRS = [
    (f"camera/{folder}", FOCAL_MODEL_DIR / folder)
    for folder in ("web", "mediapipe")
    if (FOCAL_MODEL_DIR / folder).is_dir()
]


def _immutable_static(path: str, url: str) -> bool:
    """The browser libraries' folder names carry their version: cache those files for good."""
    return url.startswith(f"/{STATIC_URL}camera/web/")


WHITENOISE_IMMUTABLE_FILE_TEST = _immutable_static
FOCAL_PAGE_SIZE = env_int("FOCAL_PAGE_SIZE", 48, minimum=1)
FOCAL_ALBUM_PAGE = env_int("FOCAL_ALBUM_PAGE", 1000, minimum=1)  # photos shown on an album page
# Photos in the trash are deleted for good (files too) this many days after being trashed.
FOCAL_TRASH_DAYS = env_int("FOCAL_TRASH_DAYS", 30, minimum=1)
# Workers look for faces again in a few photos the current detector has not seen every this
# many seconds (faces.rescan; 0: never, leaving it to `manage.py detect_faces`).
FOCAL_FACES_RESCAN_SECONDS = env_int("FOCAL_FACES_RESCAN_SECONDS", 30, minimum=0)
# Similar-image index: "auto" is exact (flat) while small and approximate past the threshold.
FOCAL_INDEX_KIND = env_choice("FOCAL_INDEX_KIND", "auto", ("auto", "flat", "hnsw", "ivf"))
FOCAL_INDEX_THRESHOLD = env_int("FOCAL_INDEX_THRESHOLD", 20_000, minimum=1)
# The web server (focal/webserver.py): threads run Django; connections are held by its event
# loop, so slow clients use a socket each, not a thread.
FOCAL_WEB_THREADS = env_int("FOCAL_WEB_THREADS", 8, minimum=1)
FOCAL_WEB_CONNECTIONS = env_int("FOCAL_WEB_CONNECTIONS", 500, minimum=16)
# Resumable (tus) uploads, /api/uploads/: a person's unfinished ones are bounded in number and
# in declared bytes, and each is removed once it has had no new bytes for the expiry time.
FOCAL_PARTIAL_UPLOADS = env_int("FOCAL_PARTIAL_UPLOADS", 30, minimum=1)
FOCAL_PARTIAL_UPLOAD_MB = env_int("FOCAL_PARTIAL_UPLOAD_MB", 1024, minimum=1)
FOCAL_PARTIAL_UPLOAD_EXPIRY = env_duration("FOCAL_PARTIAL_UPLOAD_EXPIRY", "24h")
# Fair work (gallery.actions, effects.actions): per user, photos waiting to be processed and
# variants waiting to be rendered; beyond either, 429 with Retry-After.
FOCAL_MAX_QUEUED_UPLOADS = env_int("FOCAL_MAX_QUEUED_UPLOADS", 50, minimum=1)
FOCAL_MAX_QUEUED_RENDERS = env_int("FOCAL_MAX_QUEUED_RENDERS", 4, minimum=1)
# Distinct variants (parameter sets) one photo may have; beyond it, 409 until one is deleted.
FOCAL_MAX_VARIANTS_PER_PHOTO = env_int("FOCAL_MAX_VARIANTS_PER_PHOTO", 20, minimum=1)
# Django reads the whole multipart body before a view runs; refuse oversized bodies early.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": 3600}
else:
    # A broker that needs no server: messages are files in the data directory.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "focal.localbroker:Transport"  # kombu's, writing messages whole
    _queue_dir = str(DATA_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "control_folder": str(DATA_DIR / "broker-control"),
        "store_processed": False,
        # The worker only looks for messages this often, and also waits this long after a
        # task ends before taking the next one (with all its slots full it polls nothing).
        # 0.2 s capped ingest at ~10 photos/s; 0.05 s costs ~0.4% of a core when idle.
        "polling_interval": 0.05,
    }
    CELERY_RESULT_BACKEND = f"file://{DATA_DIR / 'celery-results'}"
# Two queues: uploads are processed on "photos"; renders (a full-size decode, seconds of CPU
# and up to gigabytes each) on "renders", consumed by workers of their own, so processing
# never waits behind a render (`make run` starts one worker per queue).
CELERY_TASK_DEFAULT_QUEUE = "photos"
CELERY_TASK_ROUTES = {"effects.tasks.render_variant": {"queue": "renders"}}
CELERY_TASK_ACKS_LATE = True
# A pool process that dies takes its task with it: the message is acknowledged as failed and
# the row's lease lapses, so focal.leases runs it again, counting lost runs (rejecting it back
# to the broker instead would retry a job that kills its worker forever).
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Job leases (focal.leases): a job whose worker died runs again within about 4/3 of this.
FOCAL_JOB_LEASE_SECONDS = env_int("FOCAL_JOB_LEASE_SECONDS", 30, minimum=1)
FOCAL_JOB_MAX_LOST_RUNS = env_int("FOCAL_JOB_MAX_LOST_RUNS", 3, minimum=1)
# Redis hands a message over as soon as a slot frees, and several workers may share it, so
# each takes one task per process at a time. The filesystem broker serves the single local
# worker by polling: a few tasks held in the worker's memory keep its processes busy
# between polls (1 MP ingest 18 -> 27 photos/s measured on 2 cores).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1 if REDIS_URL else 4
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Brute-force limits (focal/ratelimits.py) -------------------------------------------
# Rates are COUNT/PERIOD (s, m, h, d; "15m" is 15 minutes), or "off".
FOCAL_LOGIN_FAILURES = env_rate("FOCAL_LOGIN_FAILURES", "10/15m")
FOCAL_LOGIN_FAILURES_PER_ADDRESS = env_rate("FOCAL_LOGIN_FAILURES_PER_ADDRESS", "30/15m")
FOCAL_TOKEN_FAILURES = env_rate("FOCAL_TOKEN_FAILURES", "20/15m")
FOCAL_SIGNUPS = env_rate("FOCAL_SIGNUPS", "10/h")
FOCAL_PASSWORD_RESETS = env_rate("FOCAL_PASSWORD_RESETS", "3/h")
FOCAL_PASSWORD_RESETS_PER_ADDRESS = env_rate("FOCAL_PASSWORD_RESETS_PER_ADDRESS", "20/h")
# The counts must be shared by every web process: Redis, or a table in the database (made by
# `migrate`, see FocalConfig). Nothing else uses a cache.
_ratelimit_cache: dict[str, Any]
if REDIS_URL:
    _ratelimit_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    _ratelimit_cache["LOCATION"] = REDIS_URL
else:
    _ratelimit_cache = {"BACKEND": "focal.cache.AtomicDatabaseCache", "LOCATION": "focal_cache"}
    # Culling would drop live counters; rows expire with their window anyway.
    _ratelimit_cache["OPTIONS"] = {"MAX_ENTRIES": 200_000}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {**_ratelimit_cache, "KEY_PREFIX": "focal"},
}
RATELIMIT_USE_CACHE = "ratelimit"
if _behind_proxy:
    RATELIMIT_IP_META_KEY = "focal.ratelimits.forwarded_address"
# django-ratelimit warns about any cache it does not list; these two increment atomically.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "focal.ratelimits.RateLimitedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "focal.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "focal.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "focal.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Focal API",
    "DESCRIPTION": "Photos, similar-image search and portrait-mode variants.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Error responses and other conventions of every operation: see focal/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "gallery.uploads_api.schema_with_head_and_options",
        "focal.schema.apply_conventions",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # faiss logs every CPU-feature probe at INFO on import.
    "loggers": {"faiss.loader": {"level": "WARNING"}},
}

FILE_UPLOAD_HANDLERS = [
    "gallery.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

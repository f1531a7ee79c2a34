"""Vínculo settings: every value that differs between installs comes from the environment.

Development defaults are safe and need nothing set. ``VINCULO_ENV=production`` turns on the
production profile, which refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("VINCULO_ENV", "development").lower() == "production"
# Off unless asked for (DEBUG=1 while developing): someone trying the product sees its own
# error pages, never Django's technical ones with the settings and URL patterns on them.
DEBUG = env_bool("DEBUG", False)

DATA_DIR = Path(os.environ.get("VINCULO_DATA_DIR", "var")).resolve()
# Uploaded and received files, unless VINCULO_FILE_STORAGE chooses another store (STORAGES,
# below). Nothing serves them: each file is answered by a view that checks the organisation
# and the permission (core/files.py), in every profile.
MEDIA_ROOT = DATA_DIR / "uploads"
STATIC_ROOT = DATA_DIR / "static"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the project's own CSS and JS, beside the apps' own

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when VINCULO_ENV=production (a long random string)."
        )
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when VINCULO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Fernet keys for secrets stored in the database (mailbox passwords), newest first; see
# core/crypto.py. Without them a key is derived from SECRET_KEY.
VINCULO_ENCRYPTION_KEYS = env_list("VINCULO_ENCRYPTION_KEYS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "bootstrap",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "vinculo.core",
    "vinculo.customers",
    "vinculo.catalog",
    "vinculo.sales",
    "vinculo.billing",
    "vinculo.contracts",
    "vinculo.interactions",
    "vinculo.service",
    "vinculo.analytics",
    "vinculo.segments",
    "vinculo.marketing",
    "vinculo.packages",
    "vinculo.loyalty",
    "vinculo.attachments",
    "vinculo.integrations",
    "vinculo.automation",
    "vinculo.reports",
    "vinculo.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every answer (below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "vinculo.core.middleware.OrganizationScopeMiddleware",
    # a portal session is told 404, not "sign in", by every staff page and API
    "vinculo.portal.middleware.StaffPagesNotFoundMiddleware",
]

# Content-Security-Policy (django-csp), the same in every profile: scripts and styles only from
# our own static files — no inline <script>, style="" or on*= handler anywhere (templates
# use classes in vinculo.css and behaviours in vinculo.js; charts are drawn by charts.js from
# data attributes; htmx's and Plotly's injected <style> are turned off and their CSS shipped).
# data: images are Bootstrap's own SVG icons. Framing stays with X-Frame-Options (public web
# forms are embedded elsewhere and exempt from it).
# The empty style="" of colour bars, and the image-rendering style of heatmaps drawn as
# images; tests/core/test_csp.py derives both from the installed plotly.min.js.
PLOTLY_STYLE_HASHES = ["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
                       "'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8='"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # not 'unsafe-inline': two constant style attributes Plotly sets, each by its hash
        "style-src-attr": ["'unsafe-hashes'", *PLOTLY_STYLE_HASHES],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

ROOT_URLCONF = "vinculo.urls"
WSGI_APPLICATION = "vinculo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vinculo.core.context_processors.navigation",
            ],
        },
    },
]

# Commands that touch no data (the analyst's ``vinculo analytics FILE.csv``, see cli.py) leave
# the current folder alone: the data directory is only created for the product itself.
if not env_bool("VINCULO_NO_DATA_DIR", False):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'vinculo.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; the timeout queues writers instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Connections persist like PostgreSQL's (CONN_MAX_AGE): opening a WAL database costs far
    # more than a short request (the -wal and -shm files; the last connection to close
    # checkpoints and deletes the WAL), so a connection per request was most of the time of
    # the small public requests (the open pixel, the click redirect: bench/marketing_send.py).
# A PostgreSQL streaming replica for the heavy reads (analytics, forecast, exports) and only
# those, with a fallback to the primary when it is down or more than VINCULO_REPLICA_MAX_LAG
# seconds behind: core/db.py, docs/architecture.md "Read replicas".
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")), conn_health_checks=True,
    )
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 3}  # a dead host must not hang pages
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["vinculo.core.db.ReplicaRouter"]
try:
    VINCULO_REPLICA_MAX_LAG = float(os.environ.get("VINCULO_REPLICA_MAX_LAG", "30"))
except ValueError:
    VINCULO_REPLICA_MAX_LAG = 0.0
if not VINCULO_REPLICA_MAX_LAG > 0:  # NaN too
    raise ImproperlyConfigured("VINCULO_REPLICA_MAX_LAG must be a number of seconds above 0, "
                               f"not {os.environ['VINCULO_REPLICA_MAX_LAG']!r}.")
MIDDLEWARE.append("vinculo.core.db.ReplicaPinMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "vinculo.core.authentication.UserBackend",  # ModelBackend + the user's organisation
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Throttling of failed logins (django-axes): lock the username+IP pair after 5 failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"

# The cache. Sessions, login lock-outs (django-axes' attempts) and web-form rate limits are rows
# in the database, so every app host sharing it enforces the same ones. VINCULO_CACHE_URL (a
# redis:// URL; Django's own Redis backend) gives the hosts one shared cache: sessions are then
# read from it (written to both), sparing the database a query per page. Without it, each
# process keeps its own cache in memory and sessions are read from the database.
VINCULO_CACHE_URL = os.environ.get("VINCULO_CACHE_URL", "")
if VINCULO_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": VINCULO_CACHE_URL,
            # several installs (or test runs) may share one Redis
            "KEY_PREFIX": os.environ.get("VINCULO_CACHE_PREFIX", "vinculo"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Amounts as businesses print them (Spanish "3.844,36"): see vinculo/formats/ and core/formats.py.
FORMAT_MODULE_PATH = ["vinculo.formats"]

# Where uploaded and generated files live (attachments, imports, e-mail, letters, logos):
# VINCULO_FILE_STORAGE names a Django storage class — MEDIA_ROOT on this machine by default,
# or a shared store such as django-storages' "storages.backends.s3.S3Storage" — and
# VINCULO_FILE_STORAGE_OPTIONS (a JSON object) its options. core.files.PrivateStorage wraps it
# so that no backend ever hands out a URL that skips the permission checks.
FILE_STORAGE_BACKEND = os.environ.get("VINCULO_FILE_STORAGE", "").strip() or (
    "django.core.files.storage.FileSystemStorage")
try:
    FILE_STORAGE_OPTIONS = json.loads(os.environ.get("VINCULO_FILE_STORAGE_OPTIONS") or "{}")
except ValueError as exc:
    raise ImproperlyConfigured(
        f"VINCULO_FILE_STORAGE_OPTIONS must be a JSON object: {exc}.") from exc
if not isinstance(FILE_STORAGE_OPTIONS, dict):
    raise ImproperlyConfigured("VINCULO_FILE_STORAGE_OPTIONS must be a JSON object, such as "
                               '{"bucket_name": "vinculo"}.')
if "backend" in FILE_STORAGE_OPTIONS:
    raise ImproperlyConfigured("VINCULO_FILE_STORAGE_OPTIONS may not set 'backend': name the "
                               "storage class in VINCULO_FILE_STORAGE.")
STORAGES = {
    "default": {"BACKEND": "vinculo.core.files.PrivateStorage",
                "OPTIONS": {"backend": FILE_STORAGE_BACKEND, **FILE_STORAGE_OPTIONS}},
    # Compressed and under hashed names (cached for good) in every profile: core/staticfiles.py.
    "staticfiles": {"BACKEND": "vinculo.core.staticfiles.StaticStorage"},
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "vinculo.analytics.staticfiles.PlotlyFinder",  # vendor/plotly.min.js
]
WHITENOISE_USE_FINDERS = not PRODUCTION

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Vínculo <no-reply@localhost>")
# The address people reach this install at: links in e-mails (surveys, reminders) use it.
SITE_URL = os.environ.get("VINCULO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Campaign e-mail (marketing.sending): messages per batch (one SMTP connection each), and how
# long a sender may stay silent before another worker takes its campaign over.
MARKETING_SEND_BATCH = int(os.environ.get("VINCULO_CAMPAIGN_BATCH", "500"))
MARKETING_SEND_LEASE_SECONDS = float(os.environ.get("VINCULO_CAMPAIGN_LEASE_SECONDS", "120"))
# How long an invitation's one-time link works (days).
# Webhooks (integrations): targets on the internal network (loopback, private, link-local
# addresses) are refused unless this is set; retries, giving up, pausing and the time-out.
VINCULO_WEBHOOK_ALLOW_PRIVATE = env_bool("VINCULO_WEBHOOK_ALLOW_PRIVATE", False)
VINCULO_WEBHOOK_RETRY_SECONDS = [
    int(s) for s in env_list("VINCULO_WEBHOOK_RETRY_SECONDS", "10,60,300,1800,7200,21600,43200")]
VINCULO_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("VINCULO_WEBHOOK_MAX_ATTEMPTS", "8"))
VINCULO_WEBHOOK_PAUSE_AFTER = int(os.environ.get("VINCULO_WEBHOOK_PAUSE_AFTER", "10"))
VINCULO_WEBHOOK_TIMEOUT = float(os.environ.get("VINCULO_WEBHOOK_TIMEOUT", "10"))

# Reports: a preview or a run stops after this long (statement_timeout / a progress handler).
VINCULO_REPORT_TIMEOUT_MS = int(os.environ.get("VINCULO_REPORT_TIMEOUT_MS", "10000"))
VINCULO_INVITATION_DAYS = int(os.environ.get("VINCULO_INVITATION_DAYS", "7"))
# Promised delivery date of the order made when a customer accepts a quote on the portal
# (staff move it on the order as for any other).
VINCULO_PORTAL_PROMISE_DAYS = int(os.environ.get("VINCULO_PORTAL_PROMISE_DAYS", "14"))
# The portal's e-mailed sign-in link: minutes it lasts, links one address may ask for in the
# portal's lock-out window (portal.auth.FAILURE_PAUSE) from one client (one client: ten times
# that, whatever the addresses), and links one address may ask for from all clients together.
VINCULO_PORTAL_LINK_MINUTES = int(os.environ.get("VINCULO_PORTAL_LINK_MINUTES", "15"))
VINCULO_PORTAL_LINK_REQUESTS = int(os.environ.get("VINCULO_PORTAL_LINK_REQUESTS", "3"))
VINCULO_PORTAL_LINK_REQUESTS_PER_ADDRESS = int(
    os.environ.get("VINCULO_PORTAL_LINK_REQUESTS_PER_ADDRESS", "5"))
# Inbound e-mail limits: a larger message is kept raw and rejected; a larger attachment is
# dropped from the stored message, with its name, size and the reason.
MAIL_MAX_MESSAGE_BYTES = int(float(os.environ.get("VINCULO_MAIL_MAX_MESSAGE_MB", "40")) * 2**20)
MAIL_MAX_ATTACHMENT_BYTES = int(
    float(os.environ.get("VINCULO_MAIL_MAX_ATTACHMENT_MB", "25")) * 2**20)

# The folder of PostgreSQL's client programs (pg_dump, pg_restore, psql) for `vinculo backup`
# and `vinculo restore`, where they are neither in /usr/lib/postgresql/<version>/bin nor on PATH.
VINCULO_PG_BIN = os.environ.get("VINCULO_PG_BIN", "")

# Files attached to records (accounts, orders, tickets…): a larger one is refused.
MAX_UPLOAD_BYTES = int(float(os.environ.get("VINCULO_MAX_UPLOAD_MB", "25")) * 2**20)

# Background tasks (django-tasks), on one of two backends chosen by VINCULO_TASKS:
# "db" (default): the database is the queue, `vinculo worker` runs django-tasks-db's worker;
# "rq": Redis at REDIS_URL is the queue (django-tasks-rq on RQ), `vinculo worker` runs an RQ
# worker with its scheduler (deferred retries). The code enqueues the same way on both.
TASK_BACKENDS = {"db": "django_tasks_db.DatabaseBackend", "rq": "django_tasks_rq.RQBackend"}
VINCULO_TASKS = os.environ.get("VINCULO_TASKS", "db").strip().lower()
if VINCULO_TASKS not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"VINCULO_TASKS must be one of {', '.join(TASK_BACKENDS)}, not {VINCULO_TASKS!r}.")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[VINCULO_TASKS]}}
# django-rq's queues (read only when VINCULO_TASKS=rq): one queue, "default", as the tasks use;
# a recomputation of a large organisation may take long, so jobs get an hour, not RQ's 3 min.
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
if VINCULO_TASKS == "rq":
    INSTALLED_APPS.append("django_rq")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # before the personal tokens, which would refuse an integration key (vk_…)
        "vinculo.integrations.authentication.IntegrationKeyAuthentication",
        "vinculo.core.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["vinculo.core.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "vinculo.core.pagination.FastPageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "vinculo.core.api_schema.VinculoAutoSchema",
    "EXCEPTION_HANDLER": "vinculo.core.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vínculo API",
    "DESCRIPTION": "Operational, analytical and collaborative CRM. Every endpoint is scoped to "
    "the caller's organisation and role.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status", "kind" or "source": one schema name per choice set.
    "ENUM_NAME_OVERRIDES": {
        "ServiceTierEnum": "vinculo.customers.models.ServiceTier",
        "InteractionChannelEnum": "vinculo.interactions.models.Channel",
        "LanguageEnum": "vinculo.settings.LANGUAGES",  # contacts' and templates' language
        "RoleEnum": "vinculo.core.roles.Role",  # people's role, reports shared with roles
        "LoyaltyEntryKindEnum": "vinculo.loyalty.models.EntryKind",  # ledger and statement
        **{f"{name}Enum": f"vinculo.{app}.models.{name}"
        for app, names in {
            "customers": ["LifecycleStage", "SourceChannel", "CompanySize", "Channel",
                          "LeadStatus", "ImportStatus", "DuplicateMode"],
            "catalog": ["ProductKind", "Unit"],
            "sales": ["OpportunityStatus", "QuoteStatus", "OrderStatus"],  # = StageKind
            "billing": ["InvoiceKind", "InvoiceStatus", "PaymentMethod", "ReturnStatus",
                        "ReturnResolution"],
            # analytics: RunStatus = ImportStatus
            "interactions": ["Direction", "Outcome", "EmailStatus", "TaskStatus",
                             "TaskPriority", "WebFormKind"],
            "service": ["TicketType", "Priority", "TicketStatus", "SlaState", "ArticleStatus",
                        "AssignmentRule"],
        }.items()
        for name in names},
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_one_line": {"()": "vinculo.core.logs.ClientErrorsOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A 403 or 404 is one line, without the traceback of the exception behind it.
    "loggers": {"django.request": {"filters": ["client_errors_one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

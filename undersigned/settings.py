"""The one settings file. Everything comes from environment variables (docs/configuration.md).

With nothing set it runs a private SQLite instance under ./var; production sets DATABASE_URL,
REDIS_URL, EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS and BASE_URL.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


class ConfigError(ValueError):
    """An environment variable that cannot be parsed; raised at start-up with its name."""


def env_str(name: str, default: str = "") -> str:
    """The variable's value; set but empty counts as unset."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be on/off, true/false, yes/no or 1/0, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be {minimum} or more, not {raw!r}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DATA_DIR = Path(env_str("UNDERSIGNED_DATA_DIR", "./var")).resolve()
DEBUG = env_bool("DEBUG", False)
# Set by `undersigned demo`: shows the outbox page and the sample-data banner.
DEMO = env_bool("UNDERSIGNED_DEMO", False)
TESTING = False  # tests/conftest.py switches it on


def _secret_key() -> tuple[str, bool]:
    """SECRET_KEY from the environment, or one generated once and kept in the data folder."""
    if key := env_str("SECRET_KEY"):
        return key, True
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip(), False
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key, False


SECRET_KEY, SECRET_KEY_FROM_ENV = _secret_key()

BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Who speaks, as the statements' share images name it (else BASE_URL's host).
COALITION_NAME = env_str("COALITION_NAME")
_base = urlsplit(BASE_URL)
if _base.scheme not in {"http", "https"} or not _base.hostname:
    raise ConfigError(
        f"BASE_URL must be an http(s) address such as https://sign.example.org, not {BASE_URL!r}"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [_base.hostname, "127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]


def _networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(item, strict=False) for item in env_list(name)]
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


# Addresses whose X-Forwarded-For header is believed (a reverse proxy such as nginx).
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_countries",
    # Organizer two-factor authentication (undersigned.accounts.twofactor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "undersigned.audit",
    "undersigned.accounts",
    "undersigned.statements",
    "undersigned.signatures",
    "undersigned.moderation",
    "undersigned.delivery",
    "undersigned.tracker",
    "undersigned.api",
    "undersigned.console",
]

MIDDLEWARE = [
    # First: a second-long copy of the statement page, count and list for cookieless visitors
    # (undersigned.lib.microcache); a copy keeps every header the rest of the stack added.
    "undersigned.lib.microcache.MicroCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "undersigned.lib.charset.RequestCharsetMiddleware",
    # Access-Control-Allow-Origin for /api/v1 and /osdi/v1 reads (undersigned.api.cors).
    "undersigned.api.cors.CorsMiddleware",
    # django-csp, with the header built once (undersigned.lib.csp).
    "undersigned.lib.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware and MessageMiddleware, skipped on /api/, /osdi/ and /embed/
    # (undersigned.lib.middleware).
    "undersigned.lib.middleware.LocaleMiddleware",
    "undersigned.lib.middleware.LanguagePreferenceMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): logged in with the second factor (undersigned.accounts.twofactor).
    "django_otp.middleware.OTPMiddleware",
    "undersigned.lib.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "undersigned.urls"
WSGI_APPLICATION = "undersigned.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "undersigned.lib.context.site",
            ],
        },
    }
]

# Databases ----------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'undersigned.sqlite3'}"
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
except (ValueError, KeyError) as exc:
    raise ConfigError(f"DATABASE_URL is not a database address: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with writers queueing on a lock file (undersigned.lib.sqlite).
    _db["ENGINE"] = "undersigned.lib.sqlite"
    _db["CONN_MAX_AGE"] = None  # one connection per thread for the life of the process
    _db["CONN_HEALTH_CHECKS"] = False
    _db["OPTIONS"] = {
        # Take the write lock at BEGIN so two writers queue on busy_timeout instead of one
        # failing with "database is locked" when it upgrades a read transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # WAL with synchronous=NORMAL: a committed sign-on survives a crash of the server
        # process (it is in the WAL, flushed to the OS); only a power cut can lose the tail.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-32000;"
        ),
    }
    # Tests use a file too (not Django's shared in-memory database), so they see WAL and
    # real locking between threads, as production does; one per test run, so that two runs
    # side by side do not share it.
    _db["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    _db.setdefault("OPTIONS", {})
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{os.getpid()}"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, queue -------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        # Per-process cache for a second or two of hot, public reads (counts, rendered text).
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
    }
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_rq.RQBackend",
            "QUEUES": ["default"],
        }
    }
    # One Redis connection pool per process for queueing jobs (undersigned.lib.rq).
    RQ_QUEUES = {
        "default": {
            "URL": REDIS_URL,
            "DEFAULT_TIMEOUT": 120,
            "QUEUE_CLASS": "undersigned.lib.rq.SharedConnectionQueue",
        }
    }
    INSTALLED_APPS.append("django_rq")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "undersigned_cache",
        },
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
    }
    TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default"],
        }
    }

# Email --------------------------------------------------------------------------------------------
EMAIL_URL = env_str("EMAIL_URL") or f"outbox://{DATA_DIR / 'outbox'}"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"undersigned <noreply@{_base.hostname}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _email_settings(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme == "outbox":
        return {
            "EMAIL_BACKEND": "undersigned.lib.emails.OutboxBackend",
            "EMAIL_FILE_PATH": unquote(parts.netloc + parts.path),
        }
    if parts.scheme in {"smtp", "smtp+tls", "smtp+ssl"}:
        if not parts.hostname:
            raise ConfigError(
                f"EMAIL_URL needs a host, as in smtp://mail.example.org:25, not {url!r}"
            )
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port
            or {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}[parts.scheme],
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parts.scheme == "smtp+ssl",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["20"])[0]),
        }
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    raise ConfigError(
        "EMAIL_URL must start with smtp://, smtp+tls://, smtp+ssl://, outbox:// or console://, "
        f"not {url!r}"
    )


globals().update(_email_settings(EMAIL_URL))

# Sign-on behaviour --------------------------------------------------------------------------------
# How long a confirmation link works, and how long a withdraw link in any email works.
CONFIRM_TOKEN_MAX_AGE = 14 * 24 * 3600
WITHDRAW_TOKEN_MAX_AGE = 3 * 365 * 24 * 3600
# A repeat sign-on sends at most one email per signature in this many seconds, so a form
# cannot be used to flood someone's inbox.
REPEAT_EMAIL_INTERVAL = 15 * 60
SIGNATORIES_PAGE_SIZE = 100
# How long each process hands cookieless visitors its copy of a statement page, count or list
# page (undersigned.lib.microcache); 0 turns the copies off.
MICRO_CACHE_SECONDS = env_int("MICRO_CACHE_SECONDS", 1)
# Abuse screening (undersigned.signatures.screening): sign-ons past these limits from one
# address, or forms sent faster than a person can fill them, are held quietly for review.
RATE_LIMITS = env_bool("RATE_LIMITS", True)
RATE_LIMIT_PER_MINUTE = 5
RATE_LIMIT_PER_HOUR = 30
MIN_FILL_SECONDS = 3
# Writes through /osdi/v1 per organizer API token and minute (undersigned.api.osdi): a partner
# tool stuck in a loop cannot fill the queue with confirmation emails.
OSDI_RATE_LIMIT_PER_MINUTE = env_int("OSDI_RATE_LIMIT_PER_MINUTE", 600, minimum=1)

# Auth ---------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Organizers log in on the console's own page (throttled); the admin is for the operator.
LOGIN_URL = "accounts:login"
# Two-factor authentication (TOTP, docs/configuration.md). When on, the console sends every
# organizer without a confirmed authenticator app to set one up before anything else. Off by
# default so the demo opens with a password alone.
REQUIRE_ORGANIZER_2FA = env_bool("REQUIRE_ORGANIZER_2FA", False)
# The issuer shown in authenticator apps next to the organizer's address.
OTP_TOTP_ISSUER = "undersigned"
# Seconds between the password and the code on the log-in page before starting again.
LOGIN_CODE_MAX_AGE = 5 * 60

# Retention (undersigned.signatures.retention; `undersigned retention`, and daily in the email
# worker). Unconfirmed sign-ons are deleted this many days after they were made; signers'
# private data (email, phone, contact person, address hash) is erased this many days after
# their statement closed, keeping the public name and the counts. 0 turns either off.
PENDING_RETENTION_DAYS = env_int("PENDING_RETENTION_DAYS", 30)
ANONYMIZE_AFTER_CLOSE_DAYS = env_int("ANONYMIZE_AFTER_CLOSE_DAYS", 365)

# Languages ----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# The names Korean-speaking signers and the press use ("북한", "한국"), not the formal ones.
COUNTRIES_OVERRIDE = {"KP": _("North Korea"), "KR": _("South Korea")}
LANGUAGE_COOKIE_NAME = "undersigned_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# Static files -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "uploads"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the package; no collectstatic step needed

# Security -----------------------------------------------------------------------------------------
SECURE_HTTPS = _base.scheme == "https"
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Preloading commits a whole domain to HTTPS for good: the operator's decision, not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# No inline script or style and nothing from another origin: pages need nothing else.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING").upper()},
    "loggers": {
        "undersigned": {"level": env_str("LOG_LEVEL", "INFO").upper()},
        "django_tasks": {"level": "WARNING"},
    },
}

CSRF_FAILURE_VIEW = "undersigned.signatures.views.csrf_failure"

"""Settings for Inquiry, read from the environment.

One module for every deployment: development, tests, the demo and production
differ only by environment variables (see README "Configuration"). Without any
variable set, Inquiry runs in DEBUG on an SQLite file in the project folder.
"""

from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# A development key is allowed only with DEBUG on: production must set its own.
_DEV_SECRET_KEY = "django-insecure-development-only-not-for-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the site, used to build links sent to governments: never the
# request's Host header, which an attacker controls.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A personal link stops working this many days after its questionnaire's cut-off (until
# then, after the cut-off, it shows the reply as sent, read-only); see docs/security.md.
REPLY_LINK_GRACE_DAYS = env.int("REPLY_LINK_GRACE_DAYS", default=90)
# Addresses of the site's own reverse proxies (e.g. 127.0.0.1 for nginx on the same
# machine): for requests from them, the client's address is read from X-Forwarded-For.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "simple_history",
    "post_office",
    "surveys",
    "analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'inquiry.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock rather than fail at once when the outbox worker and the web
    # process write together. IMMEDIATE takes the write lock when a transaction begins:
    # SQLite's default (DEFERRED) takes it at the first write, and a transaction that has
    # read meanwhile then fails at once with "database is locked", whatever the timeout
    # (two States submitting at the same moment: one got an error page).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20,
                                                          transaction_mode="IMMEDIATE")

# The reply portal counts bad-link attempts here: with several web processes, use a
# shared cache (e.g. redis://127.0.0.1:6379/1, or dbcache://inquiry_cache after
# `manage.py createcachetable`) so that every process sees the same counts.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# dumpdata's JSON keeps timestamps to the microsecond (Django's own stops at the
# millisecond), so that a backup restores them exactly: see config/serializers.py.
SERIALIZATION_MODULES = {"json": "config.serializers"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The six official languages of the United Nations; the portal speaks all of them.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("ar", _("Arabic")),
    ("zh-hans", _("Chinese")),
    ("en", _("English")),
    ("fr", _("French")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
# Uploaded files (replies' official letters) live outside the web root and are
# served only through staff-only views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
MEDIA_URL = "/media/"

# E-mail: a queued outbox (django-post-office); the backend below is what the
# worker finally delivers through. Development prints to the console.
EMAIL_BACKEND = "post_office.EmailBackend"
_email = env.email_url("EMAIL_URL", default="consolemail://")
DELIVERY_EMAIL_BACKEND = _email["EMAIL_BACKEND"]
if DELIVERY_EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    # Django's, reconnecting when the server hangs up in the middle of a run.
    DELIVERY_EMAIL_BACKEND = "surveys.services.outbox.SMTPBackend"
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds, for each step of SMTP
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Inquiry <inquiry@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _admins(text: str) -> list[tuple[str, str]]:
    """ADMINS="Operations <ops@example.org>, Jane Doe <jane@example.org>" as Django wants it."""
    admins = []
    for name, address in getaddresses([text]) if text.strip() else []:
        if "@" not in address:
            raise ImproperlyConfigured(
                f"ADMINS: “{address or text}” is not an e-mail address; write "
                "ADMINS=\"Name <address>, Other name <address>\".")
        admins.append((name or address, address))
    return admins


# Who receives the report of a request that failed (500), with reply links and session
# cookies redacted (DEFAULT_EXCEPTION_REPORTER below); queued in the outbox like any mail.
ADMINS = _admins(env.str("ADMINS", default=""))
POST_OFFICE = {
    "BACKENDS": {"default": DELIVERY_EMAIL_BACKEND},
    "DEFAULT_PRIORITY": "medium",  # queued for the worker, never sent in the request
    "MAX_RETRIES": env.int("EMAIL_MAX_RETRIES", default=4),
    "RETRY_INTERVAL": timedelta(minutes=env.int("EMAIL_RETRY_MINUTES", default=15)),
    "CELERY_ENABLED": False,
    "LOG_LEVEL": 2,
    "MESSAGE_ID_ENABLED": True,
    # The worker sends batches of 50 over 5 connections. post_office stops waiting for a
    # batch after BATCH_DELIVERY_TIMEOUT and requeues the e-mails still in flight, which a
    # slow server may yet accept: they would go twice. So the deadline outlasts the
    # slowest batch EMAIL_TIMEOUT allows: 10 e-mails a connection, each of up to 10 steps
    # (connect, EHLO, STARTTLS, login, MAIL, RCPT, DATA, the text...) of EMAIL_TIMEOUT.
    "BATCH_SIZE": 50,
    "THREADS_PER_PROCESS": 5,
    "BATCH_DELIVERY_TIMEOUT": 10 * 10 * EMAIL_TIMEOUT,
}

# Staff imports need an explicit permission, not merely access to the admin.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Admin address: production may move it away from the well-known /admin/.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")

# Production hardening: on by default when DEBUG is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Personal reply links (/r/<token>/) are redacted from every log record (see
# surveys.throttle.install_log_redaction) and from error reports: a log file or an
# e-mail to ADMINS must not hold working links.
DEFAULT_EXCEPTION_REPORTER = "surveys.throttle.RedactingExceptionReporter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"reply_links": {"()": "surveys.throttle.RedactReplyLinks"}},
    "formatters": {"django.server": {"()": "django.utils.log.ServerFormatter",
                                     "format": "[{server_time}] {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["reply_links"]},
                 "django.server": {"class": "logging.StreamHandler",
                                   "formatter": "django.server"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["reply_links"]},
        # Redefined (as Django's default) only to add the filter.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False,
                          "filters": ["reply_links"]},
    },
}

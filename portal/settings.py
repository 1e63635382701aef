"""
Settings for the IOM Serbia Project Catalogue.

One module for every environment: everything that differs between a laptop
and production is read from environment variables (see README.md, section
"Configuration"). Nothing secret is committed.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    """Read a comma-separated environment variable as a list, dropping blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def refuse_to_start(message):
    """Stop with a plain message instead of a traceback.

    Exit status 4 is gunicorn's "app failed to load": its master stops instead of
    respawning workers that can never boot. manage.py exits non-zero with it too.
    """
    sys.stderr.write(f"Configuration error: {message}\n")
    raise SystemExit(4)


def is_real_secret_key(key):
    """Long, varied and not Django's development placeholder (the rules of `check --deploy`)."""
    return len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")


# Off unless asked for: a forgotten variable must never expose debug pages.
DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and not is_real_secret_key(SECRET_KEY):
    refuse_to_start(
        ("SECRET_KEY is not set. " if not SECRET_KEY else "SECRET_KEY is too short or a placeholder. ")
        + "With DEBUG off the portal needs a real secret key: set the SECRET_KEY environment variable "
        'to a long random string (python -c "import secrets; print(secrets.token_urlsafe(50))"), '
        "or set DEBUG=1 for local development."
    )
if not SECRET_KEY:
    # Development only: DEBUG is on, so this key never signs anything that matters.
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Full-text search on PostgreSQL (SearchVectorField needs the app installed; it does nothing on SQLite).
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    # Edit history with restore, in the admin (VersionAdmin): who changed what, when; deleted rows come back.
    "reversion",
    # Admin login throttling: repeated failures lock the username and address out for a while.
    "portal.apps.SignInAttemptsConfig",  # django-axes, named for staff (portal/apps.py)
    "projects",
]

MIDDLEWARE = [
    # First: a Host outside ALLOWED_HOSTS gets the 400 page before anything else asks for the host.
    "portal.middleware.AllowedHostsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise, which serves its own pre-compressed files; before anything that writes the page.
    "django.middleware.gzip.GZipMiddleware",
    # The language from the URL (/sr-latn/...; English without a prefix), before the page cache,
    # whose keys hold the active language. It cannot come after SessionMiddleware as Django suggests
    # (the cache must sit before the session): no language is kept in the session anyway.
    "django.middleware.locale.LocaleMiddleware",
    # The admin has no language prefix: it follows the staff member's browser (or language cookie).
    "portal.middleware.StaffLanguageMiddleware",
    # Before the session, CSRF and messages middleware, so it sees every cookie a response sets
    # and keeps none of those pages.
    "projects.caching.PageCacheMiddleware",
    "portal.routers.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication, as django-axes requires: answers a locked-out login with its lockout page.
    "axes.middleware.AxesMiddleware",
    # Last, so it sees a database error from any view or template: a 503 page, not a 500.
    "portal.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "portal.urls"

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
                "projects.context_processors.languages",
                "projects.context_processors.canonical_url",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

# SQLite is the embedded default so a fresh clone runs with no server;
# production sets DATABASE_URL=postgres://user:password@host:5432/name.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

# Reads of public pages may go to a replica (portal/routers.py); writes and the admin use the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            os.environ["DATABASE_REPLICA_URL"],
            conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        ),
        # The test suite has no replica: the alias reads the test database itself.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["portal.routers.PrimaryReplicaRouter"]

# Local memory by default (each process its own); Redis when REDIS_URL is set, so every app server
# shares one copy of each page. Either way an edit shows at once: pages are keyed by the catalogue
# generation, which lives in the database (projects/caching.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "catalogue"),
            # Fail fast while Redis is down: the portal then renders pages without the cache.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "catalogue"),
            # Pages are some tens of kilobytes: this bounds each process to a few tens of megabytes.
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    }
# Seconds a rendered public page is kept (an edit retires it at once anyway); 0 turns the page cache
# (and its ETags) off.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))
# Addresses per sitemap file (/sitemap-<section>.xml?p=N; projects/sitemaps.py): at most the protocol's 50,000.
SITEMAP_SECTION_SIZE = int(os.environ.get("SITEMAP_SECTION_SIZE", "50000"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one username from one
# address, that pair is refused for AXES_COOLOFF_MINUTES. Failures are kept in the database, so the
# limit holds across app servers. A successful sign-in resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface is in English and Serbian, in both its scripts; the project texts stay in English, as
# the source gives them. English keeps the unprefixed URLs; Serbian Cyrillic (Django's "sr") is under /sr/
# and Serbian Latin under /sr-latn/ (portal/urls.py). Each is named in its own language and script.
# The Cyrillic catalogue is derived from the Latin one by `make messages` (portal/serbian.py).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sr", "Српски"), ("sr-latn", "Srpski")]
# Compiled catalogues (.mo) are committed, so nothing needs GNU gettext at run time (make messages).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Belgrade"
USE_I18N = True
USE_TZ = True
# Numbers are grouped by our own template filters ("USD 650,000"), not by the locale.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names and pre-compressed files, so whitenoise can cache them forever.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Where `reload_catalogue` and `export_catalogue` read and write by default.
CATALOGUE_FIXTURES_DIR = Path(os.environ.get("CATALOGUE_FIXTURES_DIR", BASE_DIR / "fixtures"))

# --- Security. Each setting reads the environment variable of the same name; the defaults are
# the safe ones whenever DEBUG is off (README.md, "Production settings", lists them all).
# Behind a TLS proxy on loopback, an operator sets SECURE_SSL_REDIRECT=0 and, if the proxy
# says so, SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer probes /healthz over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
_proxy_header = env_list("SECURE_PROXY_SSL_HEADER")
if _proxy_header and len(_proxy_header) != 2:
    refuse_to_start(
        "SECURE_PROXY_SSL_HEADER must be a header and a value separated by a comma, "
        f"e.g. HTTP_X_FORWARDED_PROTO,https (got {os.environ['SECURE_PROXY_SSL_HEADER']!r})."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) or None
# Cookies travel only over HTTPS outside development, and scripts never read them.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Strict CSP (Django's built-in middleware): our own files only, no inline script or style,
# no plugins, no framing. Pages and charts are server-rendered and need nothing more.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Powerful browser features the portal never uses, switched off (portal.middleware).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

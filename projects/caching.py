"""
The page cache: rendered public pages, kept per catalogue generation.

One number, the catalogue generation, changes whenever the catalogue does: projects.signals
bumps it in the same transaction as every save or delete of a catalogue row, and reload_catalogue
and seed_synthetic bump it too. It lives in the database (CatalogueGeneration), not in the cache,
so the bump commits with the edit, and every app server and every worker reads the same number
even when each keeps its own local-memory cache. Every cached page's key holds the generation,
so one bump retires every page at once, everywhere. The same key gives each page its ETag. A
cached page costs one small query (the generation), like /healthz.

A cache outage must not take the portal down: while the cache server does not answer, pages
are rendered as if there were no cache, and the cache is left alone for a few seconds so no
request waits on it.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import F
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.functional import cached_property
from django.utils.http import http_date
from django.utils.translation import get_language
from redis.exceptions import RedisError

from .models import CatalogueGeneration

logger = logging.getLogger(__name__)

# After a failed call, how long this process renders without the cache before trying it again.
CACHE_RETRY_SECONDS = 5
# Cache-Control directives that say a response is for one visitor, or for nobody, to keep.
PRIVATE_DIRECTIVES = ("private", "no-store", "no-cache")


class CacheUnavailable(Exception):
    """The cache server did not answer (or failed recently): carry on without it."""


class _CacheHealth:
    """Per process: when the cache may be tried again after a failure."""

    retry_at = 0.0


def _call(operation, *args, **kwargs):
    """Run one cache operation, or raise CacheUnavailable if the cache server is down."""
    if time.monotonic() < _CacheHealth.retry_at:
        raise CacheUnavailable
    try:
        return operation(*args, **kwargs)
    except (RedisError, OSError) as error:
        logger.warning("Cache unavailable, serving pages without it for %ss: %s", CACHE_RETRY_SECONDS, error)
        _CacheHealth.retry_at = time.monotonic() + CACHE_RETRY_SECONDS
        raise CacheUnavailable from error


def _restart_generation(using):
    # From the clock, not 1: a flushed or recreated database must never reuse a generation that a
    # shared cache still holds pages under.
    CatalogueGeneration.objects.using(using).bulk_create(
        [CatalogueGeneration(pk=1, generation=time.time_ns() // 1000)], ignore_conflicts=True
    )


def catalogue_generation():
    """The current catalogue generation, from the primary database (a replica may lag behind it).

    Plain SQL rather than the ORM: it runs on every public request, and building the query costs
    more than running it (a profile showed two thirds of a cached page's time in the ORM's compiler).
    """
    sql = f"SELECT generation FROM {CatalogueGeneration._meta.db_table} WHERE id = 1"
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            _restart_generation(DEFAULT_DB_ALIAS)
            cursor.execute(sql)
            row = cursor.fetchone()
    return row[0]


def bump_catalogue_generation(using=DEFAULT_DB_ALIAS):
    """Retire every cached page, once the caller's transaction commits (it is part of it)."""
    if not CatalogueGeneration.objects.using(using).filter(pk=1).update(generation=F("generation") + 1):
        _restart_generation(using)


def is_public_read(request):
    """A GET or HEAD from a visitor who is not signed in (no session cookie): the same page for everyone."""
    return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES


def is_cacheable(response):
    """A complete 200 page, the same for every visitor: no cookie set, nothing marked private or no-store."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    return not any(directive in cache_control for directive in PRIVATE_DIRECTIVES)


def page_key(generation, request):
    """The cache key of a page: catalogue generation, language, and the full URL with its query string."""
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"page:{generation}:{get_language()}:{url}"


class PageCacheMiddleware:
    """Serve public pages from the cache, with an ETag and Last-Modified, and answer 304 when the visitor has it.

    Only for is_public_read() requests, and only is_cacheable() responses are kept: never the
    admin or a signed-in visitor's pages (they carry a session cookie), never errors, /healthz
    (no-store), streamed exports or responses that set a cookie. PAGE_CACHE_SECONDS=0 turns it off.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.seconds = settings.PAGE_CACHE_SECONDS
        if not self.seconds:
            raise MiddlewareNotUsed

    @cached_property
    def healthz_path(self):
        return reverse("healthz")  # once, on the first request: the URLconf is not loaded before

    def __call__(self, request):
        # /healthz must ask the database itself, and cost nothing else: it is the benchmarks' floor.
        if not is_public_read(request) or request.path == self.healthz_path:
            return self.get_response(request)
        try:
            key = page_key(catalogue_generation(), request)
            page = _call(cache.get, key)
        except (CacheUnavailable, DatabaseError):
            # Without the cache, or without the database: the view answers (a 503 page for the latter).
            return self.get_response(request)

        if page is None:
            response = self.get_response(request)
            if not is_cacheable(response):
                return response
            page = {
                "content": response.content,
                "headers": dict(response.headers),
                "etag": f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"',
                "last_modified": int(time.time()),
            }
            try:
                _call(cache.set, key, page, self.seconds)
            except CacheUnavailable:
                pass
        else:
            response = HttpResponse(page["content"], headers=page["headers"])

        response["ETag"] = page["etag"]
        response["Last-Modified"] = http_date(page["last_modified"])
        # Browsers may keep the page but must ask first: a 304 is cheap, and an edit shows at once.
        patch_cache_control(response, no_cache=True)
        return get_conditional_response(
            request, etag=page["etag"], last_modified=page["last_modified"], response=response
        )

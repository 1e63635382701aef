"""
The page cache: rendered public pages, kept per catalogue generation.

One number in the cache, the catalogue generation, changes whenever the catalogue does:
projects.signals bumps it on every save or delete of a catalogue row, and reload_catalogue
and seed_synthetic bump it once their transaction commits. Every cached page's key holds the
generation, so one bump retires every page at once, on every app server sharing the cache
(Redis when REDIS_URL is set). The same key gives each page its ETag.

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
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

GENERATION_KEY = "catalogue-generation"
# After a failed call, how long this process renders without the cache before trying it again.
CACHE_RETRY_SECONDS = 5
# Cache-Control directives that say a response is for one visitor, or for nobody, to keep.
PRIVATE_DIRECTIVES = ("private", "no-store", "no-cache")


class CacheUnavailable(Exception):
    """The cache server did not answer (or failed recently): carry on without it."""


class _CacheHealth:
    """Per process: when the cache may be tried again, and whether a generation bump was lost."""

    retry_at = 0.0
    missed_bump = False


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


def _fresh_generation():
    # From the clock, not 1: if the number is ever lost (evicted, or Redis restarted without its
    # data), the new one is above every generation pages were cached under before.
    return time.time_ns() // 1000


def catalogue_generation():
    """The current catalogue generation (a number that only goes up). Raises CacheUnavailable."""
    if _CacheHealth.missed_bump:
        bump_catalogue_generation()
    generation = _call(cache.get, GENERATION_KEY)
    if generation is None:
        _call(cache.add, GENERATION_KEY, _fresh_generation(), timeout=None)
        generation = _call(cache.get, GENERATION_KEY)
    return generation


def bump_catalogue_generation():
    """Retire every cached page. Never raises: with the cache down, the bump is retried when it is back."""
    try:
        try:
            _call(cache.incr, GENERATION_KEY)
        except ValueError:
            # No generation yet (or it was evicted): any fresh one is above those pages were cached under.
            _call(cache.add, GENERATION_KEY, _fresh_generation(), timeout=None)
    except CacheUnavailable:
        # Pages cached before the outage must not outlive it unchanged: bump as soon as the cache answers.
        _CacheHealth.missed_bump = True
    else:
        _CacheHealth.missed_bump = False


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

    def __call__(self, request):
        if not is_public_read(request):
            return self.get_response(request)
        try:
            key = page_key(catalogue_generation(), request)
            page = _call(cache.get, key)
        except CacheUnavailable:
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

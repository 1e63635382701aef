"""
The page cache: rendered public pages, kept per catalogue generation.

One number, the catalogue generation, changes whenever the catalogue does: projects.signals
bumps it in the same transaction as every save or delete of a catalogue row, and reload_catalogue
and seed_synthetic bump it too. It lives in the database (CatalogueGeneration), not in the cache,
so the bump commits with the edit, and every app server and every worker reads the same number
even when each keeps its own local-memory cache. Every cached page's key holds the generation,
so one bump retires every page at once, everywhere. The same key gives each page its ETag, and
the time of the bump (CatalogueGeneration.changed_at) its Last-Modified. A cached page costs one
small query (the generation), like /healthz.

The key holds the page's canonical address, not the raw one: parameters no page reads
(?utm_source=...) and empty values drop out and repeated values are sorted, so a client cannot
fill the cache by varying the query string. Redis is bounded by its own maxmemory and an LRU
policy (README, "Cache memory"); the local-memory cache by MAX_ENTRIES (settings).

A cache outage must not take the portal down: while the cache server does not answer, pages
are rendered as if there were no cache, and the cache is left alone for a few seconds so no
request waits on it.
"""

import datetime
import hashlib
import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import F
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.http import http_date
from django.utils.translation import get_language
from redis.exceptions import RedisError

from .filters import FILTER_PARAMETERS, MULTIPLE_VALUE_PARAMETERS
from .models import CatalogueGeneration

logger = logging.getLogger(__name__)

# After a failed call, how long this process renders without the cache before trying it again.
CACHE_RETRY_SECONDS = 5
# Cache-Control directives that say a response is for one visitor, or for nobody, to keep.
PRIVATE_DIRECTIVES = ("private", "no-store", "no-cache")
# How long after the catalogue's last change pages go without Last-Modified (see PageCacheMiddleware):
# longer than a change takes from stamping its time to committing.
LAST_MODIFIED_SETTLE_SECONDS = 5
# The query parameters public pages read; any other cannot change a page, so it stays out of the key.
PAGE_PARAMETERS = {*FILTER_PARAMETERS, "sort", "page", "p"}  # p: the sitemap's page
# Single flight (PageCacheMiddleware.wait_for_another_render): how long a render holds its page's lock at
# most, how long other requests for the page wait for its copy, and how often they look.
RENDER_LOCK_SECONDS = 10
RENDER_WAIT_SECONDS = 3
RENDER_POLL_SECONDS = 0.02
# Says how a public page was served: "hit" (from the cache), "miss" (rendered, and kept for the others),
# "shared" (waited for another request's render of it) or "rendered" (rendered without waiting any longer).
# The benchmark counts renders with it.
RENDER_HEADER = "X-Page-Cache"


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
        [CatalogueGeneration(pk=1, generation=time.time_ns() // 1000, changed_at=timezone.now())],
        ignore_conflicts=True,
    )


def _as_datetime(value):
    # PostgreSQL gives a datetime; SQLite, through a plain cursor, the stored text (in UTC).
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=datetime.UTC)


def catalogue_state():
    """(generation, changed_at): the current catalogue generation and when it began, from the primary database.

    The primary, as a replica may lag behind it. Plain SQL rather than the ORM: it runs on every
    public request, and building the query costs more than running it (a profile showed two thirds
    of a cached page's time in the ORM's compiler).
    """
    sql = f"SELECT generation, changed_at FROM {CatalogueGeneration._meta.db_table} WHERE id = 1"
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            _restart_generation(DEFAULT_DB_ALIAS)
            cursor.execute(sql)
            row = cursor.fetchone()
    return row[0], _as_datetime(row[1])


def catalogue_generation():
    """The current catalogue generation (see catalogue_state)."""
    return catalogue_state()[0]


def bump_catalogue_generation(using=DEFAULT_DB_ALIAS):
    """Retire every cached page, once the caller's transaction commits (it is part of it).

    Also stamps the time: every page's Last-Modified from now on.
    """
    updated = (
        CatalogueGeneration.objects.using(using)
        .filter(pk=1)
        .update(generation=F("generation") + 1, changed_at=timezone.now())
    )
    if not updated:
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


def canonical_query(query):
    """The parameters of a QueryDict that can change a page, as a query string in one fixed order.

    Unknown names and empty values drop out and repeated values of donor and area are sorted (they
    combine with "or"), so "?utm_source=x" and "?q=&donor=eu" give the strings of "" and "?donor=eu".
    """
    pairs = []
    for name in sorted(PAGE_PARAMETERS & set(query)):
        if name in MULTIPLE_VALUE_PARAMETERS:
            pairs += [(name, value) for value in sorted({v for v in query.getlist(name) if v.strip()})]
        elif query.get(name, "").strip():
            pairs.append((name, query.get(name)))
    return urlencode(pairs)


def page_key(generation, request):
    """The cache key of a page: catalogue generation, language, and the page's canonical address.

    The host stays in (absolute links in a page name it); the query string is canonical_query()'s.
    Call it only once the host is known to be allowed (portal.middleware.AllowedHostsMiddleware).
    """
    address = f"{request.scheme}://{request.get_host()}{request.path}?{canonical_query(request.GET)}"
    return f"page:{generation}:{get_language()}:{hashlib.sha256(address.encode()).hexdigest()}"


def render_lock_key(key):
    return f"{key}:rendering"


def _forget_quietly(key):
    try:
        _call(cache.delete, key)
    except CacheUnavailable:
        pass


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

    def wait_for_another_render(self, key):
        """(page, how) for a page not in the cache: one request renders it, the others wait for that copy.

        After an edit retires every page, a burst of requests for one address would otherwise render it once
        each. The first takes a lock (the cache's add(): atomic on Redis, shared by every worker and server;
        per process with the local-memory cache) and renders ("miss", page None); the others poll the cache
        for up to RENDER_WAIT_SECONDS and serve the copy when it arrives ("shared"). If it does not (the
        renderer failed, or the page cannot be cached), they render it themselves ("rendered"). The lock
        expires by itself after RENDER_LOCK_SECONDS, so a worker that died holding it holds nothing for long.
        """
        try:
            if _call(cache.add, render_lock_key(key), 1, RENDER_LOCK_SECONDS):
                return None, "miss"
            deadline = time.monotonic() + RENDER_WAIT_SECONDS
            while time.monotonic() < deadline:
                time.sleep(RENDER_POLL_SECONDS)
                page = _call(cache.get, key)
                if page is not None:
                    return page, "shared"
        except CacheUnavailable:
            pass
        return None, "rendered"

    @cached_property
    def passed_paths(self):
        """Paths the cache never looks at (reversed once, on the first request: the URLconf is not loaded before).

        /healthz must ask the database itself, and cost nothing else: it is the benchmarks' floor. The exports are
        streamed, and a streamed response is never kept: looking would only delay their first row (the generation
        query and the render lock, 0.3 ms), and a second request for the same file while the first one's view ran
        would wait RENDER_WAIT_SECONDS for a copy that never comes.
        """
        names = ["healthz", "project_export_csv", "project_export_json", "context_export_csv", "context_export_json"]
        return {reverse(name) for name in names}

    def __call__(self, request):
        if not is_public_read(request) or request.path in self.passed_paths:
            return self.get_response(request)
        try:
            generation, changed_at = catalogue_state()
            # Read once per request: the list's facet index (projects.facets) is filed under the same state.
            request.catalogue_state = (generation, changed_at)
            key = page_key(generation, request)
            page = _call(cache.get, key)
        except (CacheUnavailable, DatabaseError, DisallowedHost):
            # Without the cache, or without the database: the view answers (a 503 page for the latter).
            # A Host we do not serve gets its 400 page from Django (AllowedHostsMiddleware answers first).
            return self.get_response(request)

        how = "hit"
        if page is None:
            page, how = self.wait_for_another_render(key)
        if page is None:
            try:
                response = self.get_response(request)
                if not is_cacheable(response):
                    return response
                page = {
                    "content": response.content,
                    "headers": dict(response.headers),
                    "etag": f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"',
                }
                try:
                    _call(cache.set, key, page, self.seconds)
                except CacheUnavailable:
                    pass
            finally:
                # Only once the copy is in the cache, so nobody takes the lock to render the page again.
                if how == "miss":
                    _forget_quietly(render_lock_key(key))
            response[RENDER_HEADER] = how
        else:
            response = HttpResponse(page["content"], headers=page["headers"])
            response[RENDER_HEADER] = how

        response["ETag"] = page["etag"]
        # The catalogue's last change, not when this copy was cached. HTTP dates count whole seconds,
        # and a change's time is taken a moment before its transaction commits: while the last change
        # is that recent, a later one could still fall in the same second, and If-Modified-Since
        # alone would then get a stale 304. So a page carries Last-Modified (and a 304 is given on
        # the date) only once the change has settled; until then the ETag alone revalidates.
        modified = int(changed_at.timestamp())
        if time.time() - changed_at.timestamp() < LAST_MODIFIED_SETTLE_SECONDS:
            modified = None
        else:
            response["Last-Modified"] = http_date(modified)
        # Browsers may keep the page but must ask first: a 304 is cheap, and an edit shows at once.
        patch_cache_control(response, no_cache=True)
        return get_conditional_response(request, etag=page["etag"], last_modified=modified, response=response)

"""Two app servers, one PostgreSQL database, one Redis or none: an edit through one shows on both at once.

Two gunicorn processes with production settings (DEBUG off) share a throwaway PostgreSQL database
and one Redis cache (its own key prefix). Both cache the donor list; an editor renames a donor
through the admin of the first server; both then serve the new name on the very next request.
PostgreSQL and Redis run on this machine and in CI, whatever DATABASE_URL the suite uses;
TEST_POSTGRES_URL and TEST_REDIS_URL say where, if not at the defaults.
"""

import html
import os
import re
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from contextlib import ExitStack
from http.cookiejar import CookieJar

import psycopg
import pytest
import redis
from django.conf import settings

from bench.harness import Portal

pytestmark = pytest.mark.system

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
PASSWORD = secrets.token_urlsafe(16)


@pytest.fixture
def database_url():
    """A throwaway PostgreSQL database, dropped after the test."""
    name = f"iom_two_servers_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urllib.parse.urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    yield url
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cache_prefix():
    """A key prefix of this test's own in the shared Redis; its keys are deleted afterwards."""
    prefix = f"iom-two-servers-{secrets.token_hex(4)}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["redis", "local-memory"])
def shared_cache(request):
    """One Redis for both servers, or none: each server its own local-memory cache (the default)."""
    return request.param


@pytest.fixture
def production_env(database_url, cache_prefix, shared_cache):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_REPLICA_URL", "REDIS_URL")}
    if shared_cache == "redis":
        env["REDIS_URL"] = REDIS_URL
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        CACHE_KEY_PREFIX=cache_prefix,
        PAGE_CACHE_SECONDS="600",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(settings.STATIC_ROOT),
        # Plain HTTP on loopback, as behind a TLS proxy.
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput"],
        ["reload_catalogue"],
        ["createsuperuser", "--noinput", "--username", "editor", "--email", "editor@example.org"],
    ):
        subprocess.run(manage + command, env=env, cwd=settings.BASE_DIR, check=True, capture_output=True, timeout=180)
    return env


@pytest.fixture
def two_servers(production_env, tmp_path):
    """Two gunicorn servers on free ports; their base URLs."""
    with ExitStack() as stack:
        servers = [
            stack.enter_context(Portal(production_env, log_path=tmp_path / f"gunicorn-{n}.log", startup_seconds=60))
            for n in (1, 2)
        ]
        yield [server.base_url for server in servers]


def fetch(url, opener=None, data=None):
    opener = opener or urllib.request.build_opener()
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with opener.open(url, data=body, timeout=10) as response:
        return response.status, response.read().decode()


def csrf_token(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def rename_donor_through_the_admin(base, database_url, slug, new_name):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    _, login = fetch(f"{base}/admin/login/", opener)
    status, _ = fetch(
        f"{base}/admin/login/?next=/admin/",
        opener,
        {"username": "editor", "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(login)},
    )
    assert status == 200
    with psycopg.connect(database_url) as db:
        donor_id, slug, short_name, description = db.execute(
            "SELECT id, slug, short_name, description FROM projects_donor WHERE slug = %s", [slug]
        ).fetchone()
    change = f"{base}/admin/projects/donor/{donor_id}/change/"
    _, form = fetch(change, opener)
    status, page = fetch(
        change,
        opener,
        {
            "name": new_name,
            "slug": slug,
            "short_name": short_name,
            "description": description,
            "csrfmiddlewaretoken": csrf_token(form),
            # The stale-form check, as the page carries it.
            "edit_token": re.search(r'name="edit_token" value="([^"]*)"', form).group(1),
        },
    )
    assert status == 200 and "was changed successfully" in html.unescape(page)


def cached_pages(prefix):
    return list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{prefix}:*page:*"))


def test_an_admin_edit_on_one_server_shows_on_both_servers_at_once(
    two_servers, production_env, database_url, shared_cache
):
    first, second = two_servers
    for base in two_servers:
        for _ in range(2):
            status, page = fetch(f"{base}/donors/")
            assert status == 200 and "European Union" in page
    if shared_cache == "redis":
        # Both servers keep their pages in the one Redis.
        assert len(cached_pages(production_env["CACHE_KEY_PREFIX"])) == 2

    rename_donor_through_the_admin(first, database_url, "european-union", "European Commission")

    for base in two_servers:
        status, page = fetch(f"{base}/donors/")
        assert status == 200
        assert "European Commission" in page
        assert "European Union" not in page

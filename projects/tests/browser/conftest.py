"""Browser tests: Debian's Chromium, driven by Playwright, against the live portal with the real catalogue.

One browser for the session and a fresh context (cookies, history, viewport) for each page a test opens.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright
from pytest_django.live_server_helper import LiveServer

from bench.harness import DESKTOP, ChromiumMissing, launch_chromium

BROWSER_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Every test in this folder carries the `browser` marker, new ones too, so `-m "not browser"` leaves them out."""
    for item in items:
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright():
    with pytest.MonkeyPatch.context() as env:
        # Playwright's sync API keeps an asyncio event loop running in the test thread from here on,
        # and Django refuses ORM calls from a thread with a running loop (SynchronousOnlyOperation).
        # Our ORM calls stay synchronous and never touch that loop, so they are safe: say so to Django
        # for as long as the browser is up (the rest of the session, whichever tests run after).
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as driver:
            yield driver


def launched(playwright, **options):
    try:
        return launch_chromium(playwright, **options)
    except ChromiumMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = launched(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def page_with_back_forward_cache(playwright, live_server):
    """A desktop page in a Chromium that keeps pages in its back/forward cache, as visitors' browsers do."""
    chromium = launched(playwright, back_forward_cache=True)
    yield chromium.new_context(base_url=live_server.url, viewport=DESKTOP).new_page()
    chromium.close()


@pytest.fixture(scope="session")
def live_server(request, collected_static_files):
    """pytest-django's live server, with static files served by whitenoise, as in production.

    pytest-django's own live_server serves /static/ through staticfiles' finders, which know no hashed
    names: every stylesheet of the manifest storage would be a 404. Without that handler, requests for
    /static/ reach whitenoise's middleware, which serves what collectstatic wrote (the root conftest runs
    it first). Same fixture name, so pytest-django still gives each test a transactional database.
    """
    address = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(address, start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def catalogue(live_server):
    """The real catalogue (fixtures/), loaded into the test database the live server reads."""
    call_command("reload_catalogue", verbosity=0)


@pytest.fixture
def new_page(browser, live_server):
    """A factory: new_page(viewport=PHONE) opens a page in a fresh browser context on the live portal.

    Paths are relative to the portal (`page.goto("/projects/")`). The contexts close after the test.
    """
    contexts = []

    def open_page(viewport=DESKTOP):
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page on the live portal."""
    return new_page()

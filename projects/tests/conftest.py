"""Shared test set-up: small factories, and the static files the production storage needs."""

import copy

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.utils import translation

from projects import facets


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Run collectstatic once, so pages render through the real manifest storage, as in production."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache outlives each test's rolled-back database: no test may see pages another one cached,
    nor the facet index (projects.facets) another one built."""
    cache.clear()
    facets.forget()


@pytest.fixture(autouse=True)
def default_language_between_tests():
    """Each test starts in the default language. A request under /sr/ leaves its language active in the thread
    (LocaleMiddleware activates it and nothing deactivates it), so a later test's get_absolute_url() or number
    format would silently be Serbian: an English page's address came out as /sr/projects/... ."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A second alias, "replica", that mirrors the test database, as DATABASE_REPLICA_URL would add.

    No router uses it unless a test installs portal.routers.PrimaryReplicaRouter (test_routers.py),
    so every other test runs against "default" alone.
    """
    if "replica" not in settings.DATABASES:
        replica = copy.deepcopy(settings.DATABASES["default"])
        replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
        settings.DATABASES["replica"] = replica
        # The connection handler read DATABASES once already: let it read them again.
        connections.__dict__.pop("settings", None)


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """Tests that flush the database (backup restores) replace the content types; Django caches them
    per process, so a stale id would leak into the next test's edit history."""
    ContentType.objects.clear_cache()


@pytest.fixture
def catalogue(db, settings):
    """The real catalogue, loaded from the fixtures as an operator would."""
    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"
    call_command("reload_catalogue", verbosity=0)

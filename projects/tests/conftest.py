"""Shared test set-up: small factories, and the static files the production storage needs."""

import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Run collectstatic once, so pages render through the real manifest storage, as in production."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache():
    """The cache outlives each test's rolled-back database: no test may see pages another one cached."""
    cache.clear()

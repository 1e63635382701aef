"""Shared test set-up: small factories, and the static files the production storage needs."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Run collectstatic once, so pages render through the real manifest storage, as in production."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """Tests that flush the database (backup restores) replace the content types; Django caches them
    per process, so a stale id would leak into the next test's edit history."""
    ContentType.objects.clear_cache()

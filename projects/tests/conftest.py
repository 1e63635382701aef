"""Shared test set-up: small factories, and the static files the production storage needs."""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Run collectstatic once, so pages render through the real manifest storage, as in production."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def catalogue(db, settings):
    """The real catalogue, loaded from the fixtures as an operator would."""
    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"
    call_command("reload_catalogue", verbosity=0)

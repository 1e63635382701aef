"""
Retire every cached public page at once, on every app server sharing the cache:

    python manage.py retire_cached_pages

Every save or delete through Django already does this (projects.signals), and so does
reload_catalogue. Run it after a change that sends no signals: a QuerySet.update() or bulk
operation in a shell, raw SQL, or a database restored underneath the portal. It bumps the
catalogue generation (projects.caching), so pages are rendered afresh on their next request, and
so are the pieces of pages each worker keeps (projects.fragments); the old entries are never read
again and age out of the cache by themselves.
"""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction

from projects.caching import bump_catalogue_generation, catalogue_generation


def retire_cached_pages(using=DEFAULT_DB_ALIAS):
    """Bump the catalogue generation; return (old, new)."""
    with transaction.atomic(using=using):
        before = catalogue_generation()
        bump_catalogue_generation(using)
    return before, catalogue_generation()


class Command(BaseCommand):
    help = "Retire every cached page at once (after a QuerySet.update() or raw SQL, which send no signals)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        try:
            if dry_run:
                self.stdout.write(f"Would retire every cached page (catalogue generation {catalogue_generation()}).")
                return
            before, after = retire_cached_pages()
        except DatabaseError as error:
            self.stderr.write(
                f"Could not reach the database to retire the cached pages: {error}. "
                "Check DATABASE_URL and that the database answers, then run it again."
            )
            raise SystemExit(1) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Retired every cached page: catalogue generation {before} -> {after}; pages are rendered afresh."
            )
        )

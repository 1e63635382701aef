"""
Reload the catalogue from the fixtures, in one transaction.

    python manage.py reload_catalogue             # every *.json in fixtures/
    python manage.py reload_catalogue --dry-run   # check and count, write nothing
    python manage.py reload_catalogue path/to/file.json ...
    python manage.py reload_catalogue --overwrite-staff-edits   # apply the fixtures over staff edits too

Every object is checked before anything is kept: if one is broken, the command
names the file, the object and the field, exits non-zero and leaves the
database as it was. Rows are matched by natural key (slug), so a second run
reports nothing created or updated; rows the fixtures do not mention (entries
staff created) are left alone.

Objects staff edited, unpublished or deleted in the admin since the last load
keep the staff version: one line each names the object, the fields, who and
when. Exit status: 0 clean; 3 done, but staff edits were kept (nothing else
wrong: export them into the fixtures, or rerun with --overwrite-staff-edits);
1 fixture problems, nothing written (Django's CommandError).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.catalogue import FixtureError, default_fixture_paths, reload_catalogue
from projects.locking import CatalogueBusy

# The exit status of a reload that worked but left staff edits in place (1 is Django's for errors).
KEPT_STAFF_EDITS = 3


class Command(BaseCommand):
    help = "Load the catalogue fixtures in one transaction: check everything, then create or update by slug."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help=f"Fixture files (default: every *.json in {settings.CATALOGUE_FIXTURES_DIR})."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and count, but write nothing.")
        parser.add_argument(
            "--overwrite-staff-edits",
            action="store_true",
            help="Apply the fixtures to objects staff changed since the last load too (their versions stay in "
            "the edit history, restorable).",
        )

    def handle(self, *args, paths, dry_run, verbosity, overwrite_staff_edits, **options):
        paths = paths or default_fixture_paths(settings.CATALOGUE_FIXTURES_DIR)
        if not paths:
            raise CommandError(
                f"No fixture files in {settings.CATALOGUE_FIXTURES_DIR}. "
                "Name the files to load, or set CATALOGUE_FIXTURES_DIR."
            )

        def progress(done, total):
            if verbosity >= 1 and total >= 1000:
                self.stderr.write(f"  {done:,} of {total:,} objects checked")

        try:
            report = reload_catalogue(
                paths, dry_run=dry_run, progress=progress, overwrite_staff_edits=overwrite_staff_edits
            )
        except FixtureError as error:
            for problem in error.problems:
                self.stderr.write(self.style.ERROR(str(problem)))
            raise CommandError(
                f"{len(error.problems)} problem(s) found; nothing was written. "
                "Fix the fixtures and run the command again."
            ) from None
        except CatalogueBusy as busy:
            # Nothing was written: the lock is the transaction's first statement.
            raise CommandError(f"{busy} Nothing was written; run the command again.") from None

        if verbosity >= 2:
            self.stdout.write(f"{'':24}{'created':>9}{'updated':>9}{'unchanged':>11}")
            for label, created, updated, unchanged in report.rows():
                self.stdout.write(f"{label:24}{created:>9}{updated:>9}{unchanged:>11}")
        if verbosity >= 1:
            for line in report.staff_edits:
                self.stdout.write(self.style.WARNING(line))
            self.stdout.write(self.style.SUCCESS(f"Catalogue reloaded: {report.summary()}"))
        if report.kept_count:
            # Not a failure, but an automated run must be able to tell it from a clean one.
            raise CommandError(
                f"{report.kept_count} staff edit(s) kept (listed above). Export them into the fixtures "
                "(export_catalogue), or rerun with --overwrite-staff-edits to apply the fixtures over them.",
                returncode=KEPT_STAFF_EDITS,
            )

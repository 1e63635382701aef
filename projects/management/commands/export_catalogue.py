"""
Write the whole catalogue (published or not) out as fixtures, in the format
`reload_catalogue` and `loaddata` read, so staff edits can round-trip:

    python manage.py export_catalogue --output fixtures/catalogue.json
    python manage.py export_catalogue > catalogue.json

With --with-history it writes a full backup instead: the catalogue with its primary
keys, its edit history (django-reversion) and the staff accounts and groups, for
`loaddata` into an empty database (README.md, "Backups"):

    python manage.py export_catalogue --with-history --output backup.json
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.catalogue import export_backup, export_catalogue, snapshot


class RawOutput:
    """Writes through a command's stdout without the newline OutputWrapper adds to every write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text):
        self.wrapper.write(text, ending="")


class Command(BaseCommand):
    help = "Write the catalogue as a JSON fixture (to standard output, or to --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Write a full backup for loaddata: the catalogue with its keys, edit history, staff and groups.",
        )

    def handle(self, *args, output, with_history, verbosity, **options):
        export = export_backup if with_history else export_catalogue
        # One snapshot: a reload running at the same time never half-appears in the export.
        with snapshot():
            if not output:
                count = export(RawOutput(self.stdout))
            else:
                path = Path(output)
                partial = path.with_name(path.name + ".partial")
                try:
                    with partial.open("w", encoding="utf-8") as stream:
                        count = export(stream)
                except OSError as error:
                    raise CommandError(f"Cannot write {output}: {error.strerror}. Check the path.") from None
                # Replace the old file only once the new one is complete.
                partial.replace(path)
        if verbosity >= 1:
            where = output or "standard output"
            self.stderr.write(self.style.SUCCESS(f"Exported {count} objects to {where}."))

"""
Fill the database with a synthetic catalogue for benchmarks, or remove it.

    python manage.py seed_synthetic --projects 100000   # statuses, areas, donors, partners and N projects
    python manage.py seed_synthetic --remove            # delete every synthetic row, nothing else

Synthetic rows have slugs starting with "synthetic-" and names or titles that say so; the real
fixtures and export_catalogue never include them. Seeding refuses while synthetic projects exist:
remove them first. Everything happens in one transaction.
"""

from django.core.management.base import BaseCommand, CommandError

from projects.synthetic import SyntheticDataExists, remove_synthetic, seed_synthetic


class Command(BaseCommand):
    help = "Create a synthetic catalogue of --projects N projects for benchmarks, or --remove it."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--projects", type=int, metavar="N", help="How many synthetic projects to create.")
        action.add_argument("--remove", action="store_true", help="Delete every synthetic row.")
        parser.add_argument("--seed", type=int, default=0, help="Random seed: the same seed makes the same catalogue.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Projects per bulk insert (default 2000).")
        parser.add_argument("--dry-run", action="store_true", help="Do the work, then roll it back.")

    def handle(self, *args, projects, remove, seed, batch_size, dry_run, verbosity, **options):
        if remove:
            counts = remove_synthetic(dry_run=dry_run)
            verb = "Would remove" if dry_run else "Removed"
            line = ", ".join(f"{count:,} {label}" for label, count in counts.items())
            if verbosity >= 1:
                self.stdout.write(self.style.SUCCESS(f"{verb} the synthetic catalogue: {line}."))
            return
        if projects < 1 or batch_size < 1:
            raise CommandError("--projects and --batch-size must be at least 1.")

        def progress(done, total):
            if verbosity >= 1 and total >= 10 * batch_size:
                self.stderr.write(f"  {done:,} of {total:,} projects")

        try:
            report = seed_synthetic(projects, seed=seed, batch_size=batch_size, dry_run=dry_run, progress=progress)
        except SyntheticDataExists as error:
            raise CommandError(
                f"The database already holds {error.count:,} synthetic projects. "
                "Remove them first with: python manage.py seed_synthetic --remove"
            ) from None
        if verbosity >= 1:
            verb = "Would create (dry run, nothing kept)" if dry_run else "Created"
            self.stdout.write(self.style.SUCCESS(f"{verb} a synthetic catalogue: {report.summary()}."))

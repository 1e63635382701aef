"""
Show the database's plan for every SQL query that public pages run (on PostgreSQL, with real timings).

    python manage.py explain_queries /projects/ "/projects/?sort=-amount" > docs/query-plans.md

Each page is requested through the whole stack (page cache off), its queries are captured and
each one is run again under EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite. The output is Markdown. It is how
docs/query-plans.md was made, and how to check that a new filter or sort uses an index.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from projects.query_plans import EXPLAIN, explain_pages


class Command(BaseCommand):
    help = "Print the plan of every query the given public URLs run (EXPLAIN ANALYZE on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="+", help="Paths with their query strings, e.g. /projects/?sort=title")

    def handle(self, *args, urls, **options):
        if connection.vendor not in EXPLAIN:
            raise CommandError(f"explain_queries reads PostgreSQL and SQLite plans, not {connection.vendor}'s.")
        for url, status, plans in explain_pages(urls):
            self.stdout.write(f"\n## `{url}` ({status}, {len(plans)} queries)\n")
            for number, (sql, plan) in enumerate(plans, start=1):
                self.stdout.write(f"### Query {number}\n\n```sql\n{sql}\n```\n\n```\n{plan}\n```\n")

"""The SQL public pages run, with the database's plan for each: used by `manage.py explain_queries`."""

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

# PostgreSQL runs the query and reports real timings; SQLite can only say which indexes it would use.
EXPLAIN = {"postgresql": "EXPLAIN (ANALYZE, BUFFERS) ", "sqlite": "EXPLAIN QUERY PLAN "}


def explain_pages(urls):
    """Yield (url, status code, [(sql, plan text)]) for each URL, requested through the whole stack."""
    host = next((h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")), "localhost")
    # The page cache off, so every page runs its queries; HTTPS, so no redirect answers first.
    with override_settings(PAGE_CACHE_SECONDS=0, ALLOWED_HOSTS=[host]):
        client = Client(headers={"host": host})
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, secure=True)
            plans = []
            for query in captured.captured_queries:
                with connection.cursor() as cursor:
                    cursor.execute(EXPLAIN[connection.vendor] + query["sql"])
                    plans.append((query["sql"], "\n".join(str(row[-1]) for row in cursor.fetchall())))
            yield url, response.status_code, plans

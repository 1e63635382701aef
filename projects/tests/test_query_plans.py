"""explain_queries: the plan of every query a public page runs, as docs/query-plans.md records them."""

import io
import re

import pytest
from django.core.management import call_command

from projects.synthetic import seed_synthetic

pytestmark = pytest.mark.django_db


def test_explain_queries_shows_each_query_of_each_page_with_its_plan():
    seed_synthetic(30)
    out = io.StringIO()
    call_command("explain_queries", "/projects/?sort=-amount", "/projects/synthetic-000001/", stdout=out)
    text = out.getvalue()
    pages = re.findall(r"^## `([^`]+)` \((\d+), (\d+) queries\)$", text, flags=re.M)
    assert [(url, status) for url, status, _ in pages] == [
        ("/projects/?sort=-amount", "200"),
        ("/projects/synthetic-000001/", "200"),
    ]
    queries = sum(int(count) for _, _, count in pages)
    assert queries >= 10
    # Each query: its SQL, then its plan.
    assert text.count("```sql") == queries
    assert text.count("```\n") >= 2 * queries

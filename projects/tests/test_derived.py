"""Derived data has one owner: ProjectQuerySet.refresh_derived(), called by the signals, the loader and the
synthetic catalogue alike, so the search document and the largest grant can never drift from the rows."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.urls import reverse

from projects.models import Funding, Project, SearchDocument
from projects.synthetic import remove_synthetic

from .factories import make_donor, make_funding, make_project

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")


def on_postgresql():
    return connection.vendor == "postgresql"


def largest_grants_are_current():
    stated = dict(Funding.objects.values("project").annotate(largest=Max("amount")).values_list("project", "largest"))
    return {pk: stated.get(pk) for pk in Project.objects.values_list("pk", flat=True)} == dict(
        Project.objects.values_list("pk", "largest_grant")
    )


def test_one_project_save_writes_the_row_its_derived_data_and_the_generation_once_each(django_assert_num_queries):
    """Guards the cost of an edit: the save's own UPDATE, one UPDATE of the derived largest grant and, on
    PostgreSQL, one upsert of the search document (its own table), one UPDATE of the catalogue generation."""
    project = make_project("Border Police Equipment")
    make_funding(project, amount="5000")
    project = Project.objects.get(pk=project.pk)
    project.title = "Border Police Vehicles"
    with django_assert_num_queries(4 if on_postgresql() else 3) as captured:
        project.save()
    updates_of_the_project = [q["sql"] for q in captured.captured_queries if 'UPDATE "projects_project"' in q["sql"]]
    assert len(updates_of_the_project) == 2
    assert Project.objects.get(pk=project.pk).largest_grant == Decimal("5000")
    if on_postgresql():
        upserts = [q["sql"] for q in captured.captured_queries if "INSERT INTO projects_searchdocument" in q["sql"]]
        assert len(upserts) == 1
        assert "'vehicl':" in SearchDocument.objects.get(project=project).vector


def test_a_seeded_synthetic_catalogue_is_found_by_search(client):
    call_command("seed_synthetic", projects=200, verbosity=0)
    if on_postgresql():
        assert not Project.objects.filter(search_document__vector__isnull=True).exists()
    response = client.get(LIST, {"q": "border"})
    assert response.status_code == 200
    assert "Synthetic project 0" in response.content.decode()
    assert largest_grants_are_current()


def test_removing_the_synthetic_catalogue_refreshes_the_real_projects_that_used_its_rows(client):
    call_command("seed_synthetic", projects=20, verbosity=0)
    real = make_project("Reception Centres Upgrade")
    make_funding(real, donor=make_donor("Swiss Agency"), amount="1000")
    # A staff member linked a synthetic donor, with a larger grant, to a real project.
    synthetic_donor = Funding.objects.filter(donor__slug__startswith="synthetic-").first().donor
    make_funding(real, donor=synthetic_donor, amount="900000")
    assert Project.objects.get(pk=real.pk).largest_grant == Decimal("900000")

    remove_synthetic()

    assert Project.objects.get(pk=real.pk).largest_grant == Decimal("1000")
    assert largest_grants_are_current()
    # Its search document no longer holds the synthetic donor's name, and still holds the real one's.
    assert "Reception Centres Upgrade" in client.get(LIST, {"q": "Swiss agency"}).content.decode()
    assert "Reception Centres Upgrade" not in client.get(LIST, {"q": "donor agency"}).content.decode()


# What a reload costs ----------------------------------------------------------------------------------------------


def write_copied_fixture(path, project_count):
    """A fixture file with the real named rows and `project_count` copies of the real projects (with their facts)."""
    import json

    from django.conf import settings

    from projects.synthetic import copied_fixture_records

    records = json.loads((settings.BASE_DIR / "fixtures" / "catalogue.json").read_text(encoding="utf-8"))
    path.write_text(json.dumps(copied_fixture_records(records, project_count), ensure_ascii=False), encoding="utf-8")
    return path


def queries_of_a_reload(*paths):
    from django.db import connection as default
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(default) as captured:
        call_command("reload_catalogue", *map(str, paths), verbosity=0)
    return [query["sql"] for query in captured.captured_queries]


# The queries of a reload that changes nothing (SAVEPOINT and RELEASE inside the test's transaction are counted):
# the lock and the fixture states, one read per catalogue model and one of the area links, then one write of
# the unchanged fingerprints, one refresh of derived data and one generation bump.
UNCHANGED_RELOAD_QUERIES = 60


def test_a_reload_that_changes_nothing_makes_a_fixed_number_of_queries(catalogue):
    """Guards against per-object queries: reloading the real fixtures (43 objects) when nothing changed reads the
    catalogue once per model, compares in memory and writes nothing per object: at most 60 queries."""
    sql = queries_of_a_reload()
    assert len(sql) <= UNCHANGED_RELOAD_QUERIES, "\n".join(sql)


def test_the_queries_of_an_unchanged_reload_do_not_grow_with_the_number_of_objects(db, tmp_path):
    """Guards against N+1 in reload_catalogue: 7 copied projects or 70 (about 40 or 400 objects), the same queries."""
    small, large = write_copied_fixture(tmp_path / "small.json", 7), write_copied_fixture(tmp_path / "large.json", 70)
    call_command("reload_catalogue", str(small), verbosity=0)
    call_command("reload_catalogue", str(large), verbosity=0)
    few = queries_of_a_reload(small)
    many = queries_of_a_reload(large)
    assert len(few) == len(many) <= UNCHANGED_RELOAD_QUERIES


def test_a_reload_refreshes_derived_data_and_bumps_the_generation_once_not_once_per_save(db):
    """Guards the first load's cost: saves during a reload neither refresh derived data nor bump the generation
    (projects.signals.derived_data_kept_by_caller); the reload does each once, for the whole catalogue."""
    from django.conf import settings

    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"
    sql = queries_of_a_reload()
    bumps = [q for q in sql if q.startswith('UPDATE "projects_cataloguegeneration"')]
    refreshes = [q for q in sql if q.startswith('UPDATE "projects_project" SET "largest_grant"')]
    assert (len(bumps), len(refreshes)) == (1, 1)
    assert largest_grants_are_current()
    if on_postgresql():
        assert not Project.objects.filter(search_document__vector__isnull=True).exists()


def test_saves_outside_a_reload_still_keep_derived_data_current(catalogue):
    funding = Funding.objects.exclude(amount__isnull=True).select_related("project").first()
    funding.amount = funding.amount * 10
    funding.save()
    assert Project.objects.get(pk=funding.project_id).largest_grant == funding.amount


def test_refreshing_no_project_at_all_writes_nothing(django_assert_num_queries):
    """filter(pk__in=[]) matches nothing before it reaches the database: the search documents' upsert, which is
    compiled by hand, must not fail on it (remove_synthetic refreshes the real projects that lost a synthetic row,
    often none)."""
    with django_assert_num_queries(0):
        assert Project.objects.filter(pk__in=[]).refresh_derived() == 0

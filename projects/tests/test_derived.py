"""Derived data has one owner: ProjectQuerySet.refresh_derived(), called by the signals, the loader and the
synthetic catalogue alike, so the search document and the largest grant can never drift from the rows."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.urls import reverse

from projects.models import Funding, Project
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
    """Guards the cost of an edit: the save's own UPDATE, one UPDATE for everything derived from the project's
    rows (search document and largest grant together), one UPDATE of the catalogue generation."""
    project = make_project("Border Police Equipment")
    make_funding(project, amount="5000")
    project = Project.objects.get(pk=project.pk)
    project.title = "Border Police Vehicles"
    with django_assert_num_queries(3) as captured:
        project.save()
    updates_of_the_project = [q["sql"] for q in captured.captured_queries if 'UPDATE "projects_project"' in q["sql"]]
    assert len(updates_of_the_project) == 2
    assert Project.objects.get(pk=project.pk).largest_grant == Decimal("5000")


def test_a_seeded_synthetic_catalogue_is_found_by_search(client):
    call_command("seed_synthetic", projects=200, verbosity=0)
    if on_postgresql():
        assert not Project.objects.filter(search_vector=None).exists()
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

"""DATABASE_REPLICA_URL: public pages read from the replica; writes, the admin and commands use the primary.

The suite's "replica" alias mirrors the test database (conftest.py), as a streaming replica mirrors
its primary, so these tests see which connection each query went through.
"""

import pytest
from django.db import connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.routers import PrimaryReplicaRouter, ReplicaReadsMiddleware
from projects.models import Donor, Project

from .factories import make_donor, make_funding, make_project

ROUTER = "portal.routers.PrimaryReplicaRouter"
BOTH = ["default", "replica"]


@pytest.fixture
def routed(settings):
    settings.DATABASE_ROUTERS = [ROUTER]


def chosen_databases(request):
    """(read alias, write alias) the router picks while ReplicaReadsMiddleware handles `request`."""
    router = PrimaryReplicaRouter()
    seen = []

    def view(request):
        seen.append((router.db_for_read(Project), router.db_for_write(Project)))
        return None

    ReplicaReadsMiddleware(view)(request)
    return seen[0]


def test_a_visitor_get_reads_from_the_replica_and_writes_to_the_primary():
    assert chosen_databases(RequestFactory().get("/projects/")) == ("replica", "default")


def test_a_head_request_reads_from_the_replica():
    assert chosen_databases(RequestFactory().head("/projects/")) == ("replica", "default")


def test_a_post_reads_from_the_primary():
    assert chosen_databases(RequestFactory().post("/admin/projects/donor/1/change/")) == ("default", "default")


def test_a_signed_in_visitor_reads_from_the_primary_to_see_their_own_edits(settings):
    request = RequestFactory().get("/projects/", headers={"cookie": f"{settings.SESSION_COOKIE_NAME}=abc"})
    assert chosen_databases(request) == ("default", "default")


def test_reads_outside_a_request_use_the_primary():
    """Management commands (reload_catalogue reads before it writes) must never read a lagging replica."""
    assert PrimaryReplicaRouter().db_for_read(Project) == "default"


def test_migrations_run_on_the_primary_only():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("default", "projects") is True
    assert router.allow_migrate("replica", "projects") is False


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_public_page_is_read_through_the_replica_connection(client, routed):
    project = make_project("Replicated Project")
    make_funding(project, make_donor("Replica Donor"))
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = client.get(reverse("projects:project_list"))
    assert response.status_code == 200
    assert "Replicated Project" in response.content.decode()
    assert len(replica.captured_queries) > 0
    # Only the catalogue generation comes from the primary: a lagging replica must not hold back an edit.
    assert [query["sql"] for query in primary.captured_queries if "cataloguegeneration" not in query["sql"]] == []
    assert len(primary.captured_queries) == 1


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_an_admin_edit_reads_and_writes_through_the_primary_connection(admin_client, routed):
    donor = make_donor("Donor Before")
    url = reverse("admin:projects_donor_change", args=[donor.pk])
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        opened = admin_client.get(url)
        assert opened.status_code == 200
        token = opened.context["adminform"].form.fields["edit_token"].initial  # the stale-form check
        response = admin_client.post(
            url, {"name": "Donor After", "slug": donor.slug, "short_name": "", "description": "", "edit_token": token}
        )
    assert response.status_code == 302
    assert Donor.objects.get(pk=donor.pk).name == "Donor After"
    assert replica.captured_queries == []
    assert any(query["sql"].startswith("UPDATE") for query in primary.captured_queries)

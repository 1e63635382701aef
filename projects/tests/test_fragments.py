"""Pieces of pages kept per catalogue generation (projects.fragments): never older than the catalogue, never
another request's, and bounded."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from projects.fragments import Fragments

from .factories import make_area, make_donor, make_funding, make_project
from .support.html import page_text

LIST = reverse("projects:project_list")


def test_fragments_keep_at_most_their_limit_dropping_the_least_recently_used():
    fragments = Fragments(limit=2)
    fragments.put("a", "A")
    fragments.put("b", "B")
    assert fragments.get("a") == "A"  # now the most recently used
    fragments.put("c", "C")
    assert len(fragments) == 2
    assert fragments.get("b") is None
    assert (fragments.get("a"), fragments.get("c")) == ("A", "C")


@pytest.mark.django_db
def test_a_list_row_shows_an_edit_at_once_though_the_row_was_rendered_before(client):
    donor = make_donor("Old Donor Name")
    area = make_area("Border management")
    make_funding(make_project("A project", areas=[area]), donor)
    assert "Old Donor Name" in page_text(client.get(LIST))
    cache.clear()  # the page cache too would show the old page until the edit retires it: here, only the rows remain

    donor.name = "New Donor Name"
    donor.save()  # bumps the catalogue generation, which retires every kept row

    for address in (LIST, area.get_absolute_url()):
        text = page_text(client.get(address))
        assert "New Donor Name" in text, address
        assert "Old Donor Name" not in text, address


@pytest.mark.django_db
def test_a_list_row_is_kept_per_language(client):
    make_funding(make_project("A project", start_date="2015-09-01", start_precision="month"), make_donor())
    assert "September 2015" in page_text(client.get(LIST))
    cache.clear()
    serbian = page_text(client.get("/sr-latn" + LIST))
    assert "septembar 2015" in serbian.lower()
    assert "September 2015" not in serbian


@pytest.mark.django_db
def test_a_kept_field_shows_the_error_of_its_own_request_only(client):
    """The maximum is the same in both requests; only the first is below the minimum."""
    make_funding(make_project("A project"), make_donor(), amount="5000")
    refused = client.get(LIST, {"min_amount": "9000", "max_amount": "6000"})
    assert refused.status_code == 400
    assert "The largest amount must not be below the smallest." in page_text(refused)
    accepted = client.get(LIST, {"min_amount": "1000", "max_amount": "6000"})
    assert accepted.status_code == 200
    assert "The largest amount must not be below the smallest." not in page_text(accepted)
    assert "A project" in page_text(accepted)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["projects:area_list", "projects:place_list"])
def test_areas_and_places_are_listed_by_name_whatever_order_they_were_made_in(client, page):
    """Their counts are a grouped query, which Django leaves Meta.ordering out of: PostgreSQL listed them in the order
    of its hash aggregate until with_project_counts() ordered them itself."""
    from .factories import link_place, make_place

    names = ["Zeta Zone", "Alpha Area", "Mid Mark"]
    for name in names:
        project = make_project(f"Project in {name}", areas=[make_area(name)])
        link_place(project, make_place(name))
    text = page_text(client.get(reverse(page)))
    assert [text.index(name) for name in sorted(names)] == sorted(text.index(name) for name in names)

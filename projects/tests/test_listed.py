"""Donors and areas that only unpublished projects use are not public: not in facets, indexes, totals or the
sitemap, and their pages answer 404. One definition ("listed") decides it for every page."""

import pytest
from django.urls import reverse

from .factories import make_area, make_donor, make_funding, make_partner, make_partnership, make_project

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    reverse("projects:home"),
    reverse("projects:project_list"),
    reverse("projects:donor_list"),
    reverse("projects:area_list"),
    reverse("projects:context"),
    reverse("sitemap_section", args=["projects"]),
    reverse("sitemap_section", args=["donors"]),
    reverse("sitemap_section", args=["areas"]),
]


@pytest.fixture
def hidden(db):
    """A published project with a public donor and area, and a draft with a donor, area and partner of its own."""
    public_area, secret_area, empty_area = (
        make_area("Border Management"),
        make_area("Secret Area"),
        make_area("Empty Area"),
    )
    published = make_project("Open Communities", areas=[public_area])
    make_funding(published, donor=make_donor("European Union"), amount="1000", currency="EUR")
    draft = make_project("Draft Project", is_published=False, areas=[secret_area, public_area])
    make_funding(draft, donor=make_donor("Secret Donor"), amount="777777", currency="JPY")
    make_partnership(draft, partner=make_partner("Secret Partner"))
    return {"secret_area": secret_area, "empty_area": empty_area}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_public_page_names_a_donor_area_or_partner_only_a_draft_uses(client, hidden, path):
    page = client.get(path).content.decode()
    assert "Open Communities" in page or path != reverse("projects:project_list")
    for name in [
        "Secret Donor",
        "secret-donor",
        "Secret Area",
        "secret-area",
        "Secret Partner",
        "Empty Area",
        "777,777",
        "777777",
    ]:
        assert name not in page, f"{name} on {path}"


def test_the_area_index_lists_the_areas_the_donor_index_would_and_no_empty_one(client, hidden):
    areas = client.get(reverse("projects:area_list")).context["areas"]
    assert [area.name for area in areas] == ["Border Management"]


def test_the_pages_of_a_donor_and_an_area_only_a_draft_uses_answer_404(client, hidden):
    assert client.get(reverse("projects:donor_detail", args=["secret-donor"])).status_code == 404
    assert client.get(reverse("projects:area_detail", args=["secret-area"])).status_code == 404
    assert client.get(reverse("projects:area_detail", args=["empty-area"])).status_code == 404
    assert client.get(reverse("projects:donor_detail", args=["european-union"])).status_code == 200
    assert client.get(reverse("projects:area_detail", args=["border-management"])).status_code == 200


def test_filtering_by_a_donor_only_a_draft_uses_does_not_show_its_name(client, hidden):
    response = client.get(reverse("projects:project_list"), {"donor": "secret-donor", "area": "secret-area"})
    page = response.content.decode()
    assert "Secret Donor" not in page and "Secret Area" not in page
    assert "Draft Project" not in page


def test_the_home_page_counts_only_listed_donors(client, hidden):
    assert client.get(reverse("projects:home")).context["donor_count"] == 1

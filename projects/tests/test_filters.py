"""The public list's filters, through real requests to /projects/: what each keeps, what each drops."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from projects.models import Project

from .factories import make_area, make_donor, make_funding, make_project, make_status
from .support.html import links, listed_titles

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")


def query_of(href):
    """A link's query string as {name: [values]}."""
    return parse_qs(urlsplit(href).query, keep_blank_values=True)


def removal_links(response):
    """{"Donor: European Union": {query}, ...}: each active filter's removal link, by what it says."""
    found = {}
    for link in links(response):
        if "tag" in link["classes"] and "active-filters" in link["around"]:
            found[link["text"].rstrip(" ×")] = query_of(link["href"])
    return found


def pagination_link(response, rel):
    """The query of the pagination link with text starting "Next" or "Previous"."""
    for link in links(response):
        if "pagination" in link["around"] and link["text"].startswith(rel):
            return query_of(link["href"])
    return None


def get_list(client, query=""):
    response = client.get(f"{LIST}?{query}" if query else LIST)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def assert_lists(response, keeps, drops):
    """The page lists every title of `keeps` and none of `drops`."""
    for title in keeps:
        assert title in listed_titles(response), f"{title!r} should be listed"
    for title in drops:
        assert title not in listed_titles(response), f"{title!r} should not be listed"


# q: words in the title and the text ---------------------------------------------------------------


@pytest.fixture
def searchable(db):
    make_project("Reception Centres Upgrade", text="Beds and kitchens for asylum seekers in Obrenovac.")
    make_project("Border Crossing Equipment", text="Vehicles for the border police at the Bulgarian border.")
    make_project("Information Planning Support", text="Help for the asylum office with its planning data.")


def test_search_keeps_a_project_whose_title_has_the_word(client, searchable):
    response = get_list(client, "q=Crossing")
    assert_lists(
        response,
        keeps=["Border Crossing Equipment"],
        drops=["Reception Centres Upgrade", "Information Planning Support"],
    )
    assert listed_titles(response) == ["Border Crossing Equipment"]


def test_search_keeps_a_project_whose_text_has_the_word(client, searchable):
    response = get_list(client, "q=kitchens")
    assert listed_titles(response) == ["Reception Centres Upgrade"]
    assert_lists(response, keeps=["Reception Centres Upgrade"], drops=["Border Crossing Equipment"])


def test_search_keeps_every_project_with_the_word_in_title_or_text(client, searchable):
    response = get_list(client, "q=asylum")
    assert sorted(listed_titles(response)) == ["Information Planning Support", "Reception Centres Upgrade"]


def test_search_ignores_case(client, searchable):
    response = get_list(client, "q=OBRENOVAC")
    assert listed_titles(response) == ["Reception Centres Upgrade"]
    response = get_list(client, "q=border+crossing")
    assert listed_titles(response) == ["Border Crossing Equipment"]


def test_search_needs_every_word_to_match_in_the_title_or_the_text(client, searchable):
    # "asylum" is in two texts, "planning" in one title: only the project with both words is kept.
    response = get_list(client, "q=asylum+planning")
    assert listed_titles(response) == ["Information Planning Support"]
    assert_lists(response, keeps=["Information Planning Support"], drops=["Reception Centres Upgrade"])


def test_search_treats_percent_and_underscore_as_plain_characters(client, searchable):
    assert listed_titles(get_list(client, "q=%25")) == []
    assert listed_titles(get_list(client, "q=_")) == []


def test_search_with_one_unmatched_word_keeps_nothing(client, searchable):
    response = get_list(client, "q=asylum+zanzibar")
    assert listed_titles(response) == []
    assert "No projects match" in response.content.decode()


# donor and area: repeatable, any of them matches -----------------------------------------------------


@pytest.fixture
def funded(db):
    eu = make_donor("European Union", slug="eu")
    inl = make_donor("INL", slug="inl")
    iom = make_donor("IOM Fund", slug="iom-fund")
    border, asylum, community = (
        make_area("Border management", slug="border"),
        make_area("Asylum and reception", slug="asylum"),
        make_area("Community support", slug="community"),
    )
    make_funding(make_project("EU Border Project", areas=[border]), eu, amount="1000000", currency="EUR")
    make_funding(make_project("INL Smuggling Project", areas=[border, community]), inl, amount="650000")
    make_funding(make_project("IOM Reception Project", areas=[asylum]), iom, amount="130000")
    make_project("Unfunded Community Project", areas=[community])


def test_filter_by_donor_keeps_that_donor_projects_and_drops_the_others(client, funded):
    response = get_list(client, "donor=eu")
    assert listed_titles(response) == ["EU Border Project"]
    assert_lists(
        response,
        keeps=["EU Border Project"],
        drops=["INL Smuggling Project", "IOM Reception Project", "Unfunded Community Project"],
    )


def test_filter_by_two_donors_keeps_projects_of_either(client, funded):
    response = get_list(client, "donor=eu&donor=iom-fund")
    assert listed_titles(response) == ["EU Border Project", "IOM Reception Project"]
    assert_lists(response, keeps=[], drops=["INL Smuggling Project", "Unfunded Community Project"])


def test_filter_by_area_keeps_that_area_projects_and_drops_the_others(client, funded):
    response = get_list(client, "area=asylum")
    assert listed_titles(response) == ["IOM Reception Project"]


def test_filter_by_two_areas_keeps_projects_of_either_once_each(client, funded):
    response = get_list(client, "area=border&area=community")
    assert listed_titles(response) == ["EU Border Project", "INL Smuggling Project", "Unfunded Community Project"]
    assert_lists(response, keeps=[], drops=["IOM Reception Project"])


def test_donor_and_area_filters_combine_with_and(client, funded):
    response = get_list(client, "donor=inl&donor=eu&area=community")
    assert listed_titles(response) == ["INL Smuggling Project"]


# status ------------------------------------------------------------------------------------------------


def test_filter_by_status_keeps_projects_with_that_status_only(client):
    completed, ongoing = make_status("Completed"), make_status("Ongoing")
    make_project("Finished Border Project", status=completed)
    make_project("Running Reception Project", status=ongoing)
    response = get_list(client, "status=ongoing")
    assert listed_titles(response) == ["Running Reception Project"]
    response = get_list(client, "status=completed")
    assert listed_titles(response) == ["Finished Border Project"]


# currency and amounts: compared within one grant ---------------------------------------------------------


@pytest.fixture
def grants(db):
    mixed = make_project("Mixed Currencies Project")  # a small USD grant and a large EUR one
    make_funding(mixed, amount="100", currency="USD")
    make_funding(mixed, amount="1000000", currency="EUR")
    make_funding(make_project("Large USD Project"), amount="650000", currency="USD")
    spread = make_project("Spread USD Project")  # two USD grants on either side of 500-900
    make_funding(spread, amount="100", currency="USD")
    make_funding(spread, amount="1000000", currency="USD")
    make_project("Unfunded Project")
    make_funding(make_project("Unknown Amount Project"), amount=None)


def test_filter_by_currency_keeps_projects_with_a_grant_in_that_currency(client, grants):
    response = get_list(client, "currency=EUR")
    assert listed_titles(response) == ["Mixed Currencies Project"]
    assert_lists(response, keeps=[], drops=["Large USD Project", "Unfunded Project", "Unknown Amount Project"])


def test_filter_by_usd_and_a_minimum_ignores_a_large_grant_in_another_currency(client, grants):
    response = get_list(client, "currency=USD&min_amount=500000")
    assert listed_titles(response) == ["Large USD Project", "Spread USD Project"]
    assert_lists(response, keeps=["Large USD Project"], drops=["Mixed Currencies Project"])


def test_filter_by_a_minimum_alone_compares_grants_in_any_currency(client, grants):
    response = get_list(client, "min_amount=500000")
    assert listed_titles(response) == ["Large USD Project", "Mixed Currencies Project", "Spread USD Project"]
    assert_lists(response, keeps=[], drops=["Unfunded Project", "Unknown Amount Project"])


def test_filter_by_a_maximum_keeps_projects_with_a_grant_at_most_that_amount(client, grants):
    response = get_list(client, "currency=USD&max_amount=100")
    assert listed_titles(response) == ["Mixed Currencies Project", "Spread USD Project"]
    assert_lists(response, keeps=[], drops=["Large USD Project", "Unfunded Project"])


def test_filter_by_minimum_and_maximum_needs_one_grant_inside_both_bounds(client, grants):
    # The spread project has a grant below 500 and one above 900,000, but none between: it must not match.
    response = get_list(client, "currency=USD&min_amount=500&max_amount=900000")
    assert listed_titles(response) == ["Large USD Project"]
    assert_lists(response, keeps=["Large USD Project"], drops=["Spread USD Project", "Mixed Currencies Project"])


def test_amount_bounds_are_inclusive(client, grants):
    response = get_list(client, "min_amount=650000&max_amount=650000")
    assert listed_titles(response) == ["Large USD Project"]


# sort --------------------------------------------------------------------------------------------------------


@pytest.fixture
def sortable(db):
    make_funding(make_project("Bravo", start_date=datetime.date(2017, 1, 1)), amount="650000", currency="USD")
    make_funding(make_project("Alpha", start_date=datetime.date(2015, 9, 1)), amount="100", currency="USD")
    make_project("Charlie")  # no funding, no start date
    make_funding(make_project("Delta", start_date=datetime.date(2016, 3, 1)), amount="1000000", currency="EUR")
    make_funding(make_project("Echo"), amount=None)  # a donor, but no stated amount


def test_sort_by_title_lists_a_to_z(client, sortable):
    assert listed_titles(get_list(client, "sort=title")) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def test_the_list_is_sorted_by_title_when_no_sort_is_given(client, sortable):
    assert listed_titles(get_list(client)) == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]


def test_sort_by_title_descending_lists_z_to_a(client, sortable):
    assert listed_titles(get_list(client, "sort=-title")) == ["Echo", "Delta", "Charlie", "Bravo", "Alpha"]


def test_sort_by_amount_lists_smallest_grant_first_and_projects_without_an_amount_last(client, sortable):
    assert listed_titles(get_list(client, "sort=amount")) == ["Alpha", "Bravo", "Delta", "Charlie", "Echo"]


def test_sort_by_amount_descending_still_lists_projects_without_an_amount_last(client, sortable):
    assert listed_titles(get_list(client, "sort=-amount")) == ["Delta", "Bravo", "Alpha", "Charlie", "Echo"]


def test_sort_by_amount_uses_each_project_largest_grant(client, sortable):
    make_funding(Project.objects.get(title="Alpha"), amount="2000000", currency="USD")
    assert listed_titles(get_list(client, "sort=-amount")) == ["Alpha", "Delta", "Bravo", "Charlie", "Echo"]


def test_sort_by_amount_explains_that_currencies_are_not_converted(client, sortable):
    assert "amounts in different currencies are not converted" in get_list(client, "sort=-amount").content.decode()


def test_sort_by_start_lists_oldest_first_and_undated_projects_last(client, sortable):
    assert listed_titles(get_list(client, "sort=start")) == ["Alpha", "Delta", "Bravo", "Charlie", "Echo"]


def test_sort_by_start_descending_lists_newest_first_and_undated_projects_last(client, sortable):
    assert listed_titles(get_list(client, "sort=-start")) == ["Bravo", "Delta", "Alpha", "Charlie", "Echo"]


def test_sort_keeps_the_filters(client, sortable):
    assert listed_titles(get_list(client, "currency=USD&sort=-amount")) == ["Bravo", "Alpha"]


# unpublished projects ---------------------------------------------------------------------------------------


@pytest.fixture
def with_unpublished(db):
    donor, area = make_donor("European Union", slug="eu"), make_area("Border management", slug="border")
    public = make_project("Public Border Project", areas=[area], text="Border help.")
    make_funding(public, donor, amount="500", currency="EUR")
    make_funding(
        make_project("Hidden Border Draft", areas=[area], text="Border help, a draft.", is_published=False),
        donor,
        amount="900",
        currency="EUR",
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=border",
        "q=draft",
        "donor=eu",
        "area=border",
        "status=completed",
        "currency=EUR",
        "min_amount=600",
        "sort=-amount",
        "sort=start",
    ],
)
def test_unpublished_projects_never_appear_in_the_list(client, with_unpublished, query):
    response = get_list(client, query)
    assert "Hidden Border Draft" not in response.content.decode()
    assert "Hidden Border Draft" not in listed_titles(response)


def test_unpublished_projects_are_not_counted(client, with_unpublished):
    response = get_list(client, "donor=eu")
    assert "<strong>1</strong> project match" in response.content.decode()
    assert listed_titles(response) == ["Public Border Project"]


# pagination ---------------------------------------------------------------------------------------------------


@pytest.fixture
def many(db):
    eu, other = make_donor("European Union", slug="eu"), make_donor("Other Donor", slug="other")
    for number in range(1, 23):
        make_funding(make_project(f"EU Project {number:02}"), eu)
    for number in range(1, 4):
        make_funding(make_project(f"Other Project {number:02}"), other)


def test_the_next_page_link_keeps_the_filters(client, many):
    response = get_list(client, "donor=eu&sort=-title")
    assert "<strong>22</strong> projects match" in response.content.decode()
    assert len(listed_titles(response)) == 20
    assert pagination_link(response, "Next") == {"donor": ["eu"], "sort": ["-title"], "page": ["2"]}


def test_the_second_page_lists_the_rest_of_the_filtered_projects(client, many):
    response = get_list(client, "donor=eu&page=2")
    assert listed_titles(response) == ["EU Project 21", "EU Project 22"]
    assert "Page 2 of 2" in response.content.decode()
    assert pagination_link(response, "Previous") == {"donor": ["eu"], "page": ["1"]}
    for number in range(1, 4):
        assert f"Other Project {number:02}" not in response.content.decode()


def test_without_filters_the_second_page_lists_the_projects_after_the_first_twenty(client, many):
    response = get_list(client, "page=2")
    assert listed_titles(response) == [
        "EU Project 21",
        "EU Project 22",
        "Other Project 01",
        "Other Project 02",
        "Other Project 03",
    ]


# active filters and their removal links ---------------------------------------------------------------------------


def test_each_active_filter_has_a_link_that_removes_just_its_value(client, funded):
    response = get_list(client, "q=project&donor=eu&donor=inl&area=border&currency=EUR&min_amount=10&sort=-title")
    everything = {
        "q": ["project"],
        "donor": ["eu", "inl"],
        "area": ["border"],
        "currency": ["EUR"],
        "min_amount": ["10"],
        "sort": ["-title"],
    }

    def without(name, value=None):
        query = {key: list(values) for key, values in everything.items()}
        query[name] = [v for v in query[name] if value is not None and v != value]
        return {key: values for key, values in query.items() if values}

    assert removal_links(response) == {
        "Search: project": without("q"),
        "Donor: European Union": without("donor", "eu"),
        "Donor: INL": without("donor", "inl"),
        "Area (catalogue’s assignment): Border management": without("area"),
        "Currency: EUR": without("currency"),
        "Grant of at least: 10": without("min_amount"),
    }
    assert without("donor", "eu") == {
        "q": ["project"],
        "donor": ["inl"],
        "area": ["border"],
        "currency": ["EUR"],
        "min_amount": ["10"],
        "sort": ["-title"],
    }


def test_following_a_removal_link_drops_that_filter_from_the_results(client, funded):
    response = get_list(client, "donor=eu&donor=inl")
    assert listed_titles(response) == ["EU Border Project", "INL Smuggling Project"]
    remove_eu = removal_links(response)["Donor: European Union"]
    response = get_list(client, "&".join(f"{name}={value}" for name, values in remove_eu.items() for value in values))
    assert listed_titles(response) == ["INL Smuggling Project"]


def test_removal_links_go_back_to_the_first_page(client, many):
    response = get_list(client, "donor=eu&page=2")
    assert removal_links(response) == {"Donor: European Union": {}}
    assert [link["href"] for link in links(response) if "tag" in link["classes"]] == ["?"]


def test_an_invalid_filter_is_reported_beside_its_field_and_never_shown_as_applied(client, funded):
    response = client.get(f"{LIST}?donor=eu&min_amount=abc")
    assert response.status_code == 400
    # Only the valid filter is a chip; the invalid one is in the error summary and beside its field.
    assert list(removal_links(response)) == ["Donor: European Union"]
    html = response.content.decode()
    assert re.search(r'class="error-summary".*href="#field-min_amount">Grant of at least: ', html, flags=re.S)
    assert re.search(r'id="field-min_amount">.*?class="field__error">', html, flags=re.S)
    assert "(1 filter active)" in html
    assert listed_titles(response) == ["EU Border Project"]


def test_the_filter_form_shows_the_filters_in_force(client, funded):
    html = get_list(client, "q=border&donor=eu&currency=EUR&min_amount=10&sort=-title").content.decode()
    inputs = [dict(re.findall(r'([\w-]+)(?:="([^"]*)")?', tag)) for tag in re.findall(r"<input([^>]*)>", html)]
    assert any(i.get("name") == "donor" and i.get("value") == "eu" and "checked" in i for i in inputs)
    assert not any(i.get("name") == "donor" and i.get("value") == "inl" and "checked" in i for i in inputs)
    assert any(i.get("name") == "q" and i.get("value") == "border" for i in inputs)
    assert any(i.get("name") == "min_amount" and i.get("value") == "10" for i in inputs)
    assert re.search(r'<option value="EUR" selected>', html)
    assert re.search(r'<option value="-title" selected>', html)


def test_active_filters_offer_a_link_that_clears_them_all(client, funded):
    response = get_list(client, "donor=eu&currency=EUR")
    assert [link["href"] for link in links(response) if link["text"] == "Clear all filters"] == [LIST]


def test_without_filters_there_is_nothing_to_clear(client, funded):
    for query in ("", "sort=-title"):
        response = get_list(client, query)
        assert "Clear all filters" not in response.content.decode()
        assert removal_links(response) == {}


# The stored largest grant the amount sort reads ---------------------------------------------------------------------


def test_a_grant_made_smaller_moves_its_project_down_the_amount_sort(client, sortable):
    grant = Project.objects.get(title="Delta").fundings.get()
    grant.amount = 50
    grant.save()
    assert listed_titles(get_list(client, "sort=-amount")) == ["Bravo", "Alpha", "Delta", "Charlie", "Echo"]


def test_a_deleted_grant_leaves_its_project_without_a_stated_amount_last(client, sortable):
    Project.objects.get(title="Delta").fundings.get().delete()
    assert Project.objects.get(title="Delta").largest_grant is None
    assert listed_titles(get_list(client, "sort=-amount")) == ["Bravo", "Alpha", "Charlie", "Delta", "Echo"]


def test_a_project_stores_the_largest_of_its_stated_grants(db):
    project = make_project("Funded")
    make_funding(project, amount="300", currency="USD")
    make_funding(project, amount="900", currency="EUR")
    make_funding(project, amount=None)
    project.refresh_from_db()
    assert project.largest_grant == 900


def test_saving_a_project_loaded_before_its_grants_changed_keeps_its_largest_grant(db):
    project = make_project("Funded")
    stale = Project.objects.get(pk=project.pk)
    make_funding(project, amount="700", currency="USD")
    stale.title = "Funded and renamed"
    stale.save()
    assert Project.objects.get(pk=project.pk).largest_grant == 700

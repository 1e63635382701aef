"""The public pages: what they show and refuse, how many queries they make, and that bad input never breaks them."""

import datetime
import re
from pathlib import Path

import pytest
import reversion
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from projects import facets
from projects.models import Project
from projects.views import HOME_FIGURES

from .factories import (
    make_area,
    make_donor,
    make_figure,
    make_funding,
    make_partnership,
    make_project,
    make_status,
)
from .support.bad_input import BAD_QUERIES, short
from .support.html import figure_cards, page_text, parsed, prose_text, summary

pytestmark = pytest.mark.django_db

HOME = reverse("projects:home")
LIST = reverse("projects:project_list")
# Home -------------------------------------------------------------------------------------------------------


def test_home_page_shows_the_catalogue_counts(client, catalogue):
    response = client.get(HOME)
    assert response.status_code == 200
    facts = summary(response)
    assert facts["Projects"] == "7"
    assert facts["Donors"] == "3"
    assert "Browse all 7 projects" in page_text(response)


def test_home_page_totals_funding_per_currency_and_never_across_currencies(client, catalogue):
    response = client.get(HOME)
    funding = summary(response)["Stated funding"]
    assert "USD 780,000" in funding
    assert "EUR 1,000,000" in funding
    assert "1,780,000" not in page_text(response)


def test_home_page_keeps_the_two_700000_figures_apart_each_credited_to_its_own_project(client, catalogue):
    """ "More than 700,000 as of mid-2015" and "some 700,000 until March 2016" differ in qualifier and period."""
    rows = [row for row in parsed(client.get(HOME)).by_tag["tr"] if "700,000" in row]
    assert len(rows) == 2
    more, some = sorted(rows)
    assert more.startswith("more than 700,000 people")
    assert "As of mid-2015 until the beginning of March 2016" in more
    assert "Support to the Information Management, Communication and Planning Capacity" in more
    assert "Open Communities" not in more
    assert some.startswith("some 700,000 people")
    assert "Until the closure of so-called Western Balkans route at the beginning of March 2016" in some
    assert "Open Communities-Successful Communities" in some
    assert "Information Management" not in some


def test_home_page_shows_the_ranges_per_day_with_an_en_dash(client, catalogue):
    text = page_text(client.get(HOME))
    assert "2,000–3,000 people per day" in text
    assert "6,000–7,000 people per day" in text


def test_home_page_leaves_unpublished_projects_out_of_counts_and_totals(client):
    make_funding(make_project("Public Project"), make_donor("Public Donor"), amount="500", currency="USD")
    hidden = make_project("Hidden Project", is_published=False)
    make_funding(hidden, make_donor("Hidden Donor"), amount="900", currency="USD")
    response = client.get(HOME)
    facts = summary(response)
    assert facts["Projects"] == "1"
    assert facts["Donors"] == "1"
    assert facts["Stated funding"] == "USD 500"


def test_home_page_shows_figures_that_share_a_start_month_when_only_one_gives_an_end(client):
    # "since January 2017" (no end) and "in January 2017" (start = end): a staff member may enter either.
    project = make_project("Reception Project")
    make_figure(project, key="since", value_low=4000, period_start=datetime.date(2017, 1, 1))
    make_figure(
        project, key="in", value_low=8000, period_start=datetime.date(2017, 1, 1), period_end=datetime.date(2017, 1, 1)
    )
    response = client.get(HOME)
    assert response.status_code == 200
    text = page_text(response)
    assert "4,000 people" in text and "8,000 people" in text


def test_home_page_leaves_out_the_figures_of_unpublished_projects(client):
    month = datetime.date(2016, 3, 1)
    make_figure(make_project("Public Project"), value_low=700000, period_start=month, period_end=month)
    hidden = make_project("Hidden Project", is_published=False)
    make_figure(hidden, value_low=123456, period_start=month, period_end=month)
    text = page_text(client.get(HOME))
    assert "700,000 people" in text
    assert "123,456" not in text and "Hidden Project" not in text


def test_home_page_with_an_empty_catalogue_says_funding_is_not_stated(client):
    response = client.get(HOME)
    assert response.status_code == 200
    assert summary(response)["Projects"] == "0"
    assert summary(response)["Stated funding"] == "not stated"


def test_home_page_says_not_stated_never_zero_when_no_grant_states_an_amount(client):
    make_funding(make_project("Unknown Amount Project"), make_donor("Swiss Agency"), amount=None)
    facts = summary(client.get(HOME))
    assert facts["Donors"] == "1"
    assert facts["Stated funding"] == "not stated"


# The list ---------------------------------------------------------------------------------------------------


def test_project_list_shows_every_catalogue_project(client, catalogue):
    response = client.get(LIST)
    assert response.status_code == 200
    for project in Project.objects.all():
        assert project.title in page_text(response)
    assert "7 projects" in page_text(response)


def test_project_list_shows_each_project_donors_with_amounts(client, catalogue):
    text = page_text(client.get(LIST))
    assert "International Narcotics and Law Enforcement Affairs, US State Department (INL): USD 650,000" in text
    assert "European Union (EU): EUR 1,000,000" in text


# Project detail -----------------------------------------------------------------------------------------------


def detail(client, slug):
    response = client.get(reverse("projects:project_detail", args=[slug]))
    assert response.status_code == 200
    return response


def test_project_detail_shows_donor_amount_partner_start_and_source_sentence(client, catalogue):
    response = detail(client, "increasing-capacities-irregular-migration")
    facts = summary(response)
    assert facts["Donors and funding"] == "IOM International Development Fund: USD 130,000"
    assert facts["Partners"] == "In cooperation with: Ministry of Interior of the Republic of Serbia"
    assert facts["Start"] == "September 2015"
    assert "Duration" not in facts
    assert facts["Places"] == "Serbia · the sentence that names it"
    text = page_text(response)
    assert "Not stated in the source: duration" in text
    assert "Sept." not in text and "Sept. 1, 2015" not in text
    assert (
        "“The project that has been implemented in cooperation with the Ministry of Interior of the Republic of Serbia "
        "since September 2015 is funded by IOM International Development Fund in the amount of USD 130,000.”"
    ) in text


def test_project_detail_shows_the_whole_text(client, catalogue):
    project = Project.objects.get(slug="increasing-capacities-irregular-migration")
    response = detail(client, project.slug)
    assert " ".join(project.text.split()) == prose_text(response)


def test_project_detail_shows_a_duration_places_and_a_short_donor_name(client, catalogue):
    facts = summary(detail(client, "croboweb-cross-border-cooperation"))
    assert facts["Duration"] == "1 year"
    for place in ("Serbia", "North Macedonia (the text says “FYRM”)", "Greece", "Eastern Mediterranean route"):
        assert place in facts["Places"]
    assert facts["Donors and funding"] == (
        "International Narcotics and Law Enforcement Affairs, US State Department (INL): USD 650,000"
    )


def test_project_detail_shows_each_partner_with_its_role(client, catalogue):
    facts = summary(detail(client, "eu-supports-border-management"))
    assert "Implemented by: International Organization for Migration (IOM)" in facts["Partners"]
    assert "Assisted institution: Ministry of Interior of the Republic of Serbia" in facts["Partners"]
    assert facts["Donors and funding"] == "European Union (EU): EUR 1,000,000"


def test_project_detail_shows_figures_with_qualifier_unit_period_place_and_quoted_sentence(client, catalogue):
    cards = figure_cards(detail(client, "information-management-communication-and-planning"))
    assert [card["value"] for card in cards] == ["more than 700,000 people", "18 centres", "some 4,000 people"]
    passed = cards[0]
    assert passed["Counts"] == "migrants passing through Serbia on their way to Western Europe"
    assert passed["When"] == "As of mid-2015 until the beginning of March 2016"
    assert passed["Where"] == "Republic of Serbia"
    assert passed["quote"] == (
        "“As of mid-2015 until the beginning of March 2016, when the so-called Balkan route was formally closed, "
        "more than 700,000 migrants passed through the Republic of Serbia on their way to the countries of "
        "Western Europe.”"
    )
    assert cards[2]["When"] == "January 2017"
    assert cards[2]["quote"] == (
        "“In January 2017 there are some 4,000 migrants accommodated in 18 asylum and reception centres.”"
    )


def test_project_detail_shows_ranges_per_day_with_an_en_dash_and_their_months(client, catalogue):
    cards = figure_cards(detail(client, "iom-migrants-and-refugees-in-serbia"))
    assert [(card["value"], card["When"]) for card in cards] == [
        ("2,000–3,000 people per day", "July 2015"),
        ("6,000–7,000 people per day", "October 2015"),
    ]
    # The quoted sentence keeps the source's own words.
    assert "6,000 - 7,000 people per day in October 2015" in cards[1]["quote"]


def test_project_detail_says_not_stated_where_a_figure_gives_no_place(client):
    project = make_project("Reception Project")
    make_figure(project, value_low=4000, qualifier="about", place="")
    assert figure_cards(detail(client, project.slug))[0]["Where"] == "not stated"


def test_project_detail_says_not_stated_where_the_text_is_silent(client, catalogue):
    response = detail(client, "iom-migrants-and-refugees-in-serbia")
    facts = summary(response)
    # One line, not a column of "not stated" rows.
    for name in ("Donors and funding", "Partners", "Start", "Duration"):
        assert name not in facts, name
    assert parsed(response).by_class["not-stated-line"] == [
        "Not stated in the source: donors and funding, partners, start date, duration"
    ]


def test_project_detail_says_not_stated_for_a_grant_without_an_amount_never_zero(client):
    project = make_project("Unknown Amount Project")
    make_funding(project, make_donor("Swiss Agency"), amount=None)
    facts = summary(detail(client, project.slug))
    assert facts["Donors and funding"] == "Swiss Agency: not stated"


def test_project_detail_shows_when_it_was_last_updated_as_a_local_date(client):
    project = make_project("Border Project")
    # 23:30 UTC on 5 March is already 6 March in Belgrade.
    Project.objects.filter(pk=project.pk).update(updated=datetime.datetime(2024, 3, 5, 23, 30, tzinfo=datetime.UTC))
    response = detail(client, project.slug)
    assert "Catalogue entry last changed 6 March 2024" in page_text(response)
    assert re.search(r'<time datetime="2024-03-06[^"]*">6 March 2024</time>', response.content.decode())


def test_the_fixture_projects_show_a_last_updated_date(client, catalogue):
    text = page_text(detail(client, "croboweb-cross-border-cooperation"))
    assert re.search(
        r"Catalogue entry last changed \d{1,2} (January|February|March|April|May|June|July|August|September|October|"
        r"November|December) \d{4}",
        text,
    )


def test_project_detail_lists_related_projects_sharing_an_area_even_without_a_donor(client):
    area = make_area("Border management")
    project = make_project("Border Project", areas=[area])
    make_project("Another Border Project", areas=[area])
    make_project("Unrelated Project")
    make_project("Hidden Border Project", areas=[area], is_published=False)
    related = parsed(detail(client, project.slug)).by_class.get("related", [])
    assert related == ["Another Border Project"]


def test_project_detail_lists_related_projects_sharing_a_donor(client):
    donor = make_donor("European Union")
    project = make_project("Border Project", areas=[make_area()])
    make_funding(project, donor)
    make_funding(make_project("Another EU Project"), donor)
    make_funding(make_project("Hidden EU Project", is_published=False), donor)
    make_project("Unrelated Project")
    related = parsed(detail(client, project.slug)).by_class.get("related", [])
    assert related == ["Another EU Project"]


def test_related_projects_sharing_more_areas_and_donors_come_first(client):
    border, asylum = make_area("Border management"), make_area("Asylum")
    donor = make_donor("European Union")
    project = make_project("Border Project", areas=[border, asylum])
    make_funding(project, donor)
    make_project("A One Link Project", areas=[asylum])
    make_funding(make_project("B Three Links Project", areas=[border, asylum]), donor)
    make_project("C Two Links Project", areas=[border, asylum])
    related = parsed(detail(client, project.slug)).by_class.get("related", [])
    assert related == ["B Three Links Project C Two Links Project A One Link Project"]


def test_every_catalogue_project_lists_the_projects_that_share_its_areas(client, catalogue):
    # Each of the seven shares at least one area with another; four of them name no donor.
    for project in Project.objects.all():
        related = parsed(detail(client, project.slug)).by_class.get("related", [])
        assert related, f"{project.slug} lists no related projects"


# Donors and areas -------------------------------------------------------------------------------------------------


def test_donor_list_shows_each_donor_with_its_projects_and_funding(client, catalogue):
    response = client.get(reverse("projects:donor_list"))
    assert response.status_code == 200
    text = page_text(response)
    assert "European Union (EU) 1 EUR 1,000,000" in text
    assert "International Narcotics and Law Enforcement Affairs, US State Department (INL) 1 USD 650,000" in text
    assert "IOM International Development Fund 1 USD 130,000" in text


def test_donor_detail_shows_its_projects_with_amounts(client, catalogue):
    response = client.get(reverse("projects:donor_detail", args=["inl-us-state-department"]))
    assert response.status_code == 200
    text = page_text(response)
    assert "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB) USD 650,000" in text
    assert summary(response)["Stated funding"] == "USD 650,000"


def test_donor_detail_leaves_out_unpublished_projects(client):
    donor = make_donor("European Union", slug="eu")
    make_funding(make_project("Public Project"), donor, amount="500", currency="EUR")
    make_funding(make_project("Hidden Project", is_published=False), donor, amount="900", currency="EUR")
    response = client.get(donor.get_absolute_url())
    assert "Public Project" in page_text(response)
    assert "Hidden Project" not in response.content.decode()
    assert summary(response)["Stated funding"] == "EUR 500"


def test_area_list_shows_each_area_with_its_project_count(client, catalogue):
    response = client.get(reverse("projects:area_list"))
    assert response.status_code == 200
    cards = {card.split(" ", 1)[0]: card for card in parsed(response).by_class["card"]}
    assert cards["Asylum"].startswith("Asylum and reception") and cards["Asylum"].endswith(" 4 projects")
    assert cards["Community"].startswith("Community support") and cards["Community"].endswith(" 1 project")
    assert cards["Border"].endswith(" 2 projects")


def test_area_detail_shows_its_projects_and_funding_per_currency(client, catalogue):
    response = client.get(reverse("projects:area_detail", args=["border-management"]))
    assert response.status_code == 200
    facts = summary(response)
    assert facts["Projects"] == "2"
    assert "USD 650,000" in facts["Stated funding"] and "EUR 1,000,000" in facts["Stated funding"]
    text = page_text(response)
    assert "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis" in text
    assert "Increasing Capacities For Addressing Irregular Migration In Serbia" not in text


def test_area_detail_leaves_out_unpublished_projects(client):
    area = make_area("Border management", slug="border")
    make_project("Public Project", areas=[area])
    make_project("Hidden Project", areas=[area], is_published=False)
    response = client.get(area.get_absolute_url())
    assert summary(response)["Projects"] == "1"
    assert "Hidden Project" not in response.content.decode()


# Not found ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/projects/no-such-project/",
        "/donors/no-such-donor/",
        "/areas/no-such-area/",
        "/projects/%00/",
        "/donors/%C5%A0id/",
        "/projects/a%20b/",
        "/no-such-page/",
    ],
)
def test_unknown_addresses_answer_404_with_a_helpful_page(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_unpublished_project_detail_answers_404(client):
    project = make_project("Hidden Project", is_published=False)
    assert client.get(project.get_absolute_url()).status_code == 404


# Bad input never breaks a page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", BAD_QUERIES, ids=short)
def test_odd_list_parameters_answer_200_400_or_404_never_a_server_error(client, catalogue, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize("query", ["q=a%00b", "min_amount=abc", "sort=%00", "page=abc"])
@pytest.mark.parametrize("name", ["home", "donor_list", "area_list"])
def test_odd_parameters_on_other_pages_are_ignored(client, catalogue, name, query):
    assert client.get(f"{reverse(f'projects:{name}')}?{query}").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("min_amount=abc", "Enter a number."),
        ("max_amount=abc", "Enter a number."),
        ("min_amount=" + "9" * 400, "Ensure that there are no more than 14 digits in total."),
        ("min_amount=-1", "Ensure this value is greater than or equal to 0."),
        ("min_amount=10&max_amount=5", "The largest amount must not be below the smallest."),
        ("donor=unknown-slug", "Select a valid choice. unknown-slug is not one of the available choices."),
        ("area=unknown-slug", "Select a valid choice. unknown-slug is not one of the available choices."),
        ("status=unknown-slug", "Select a valid choice. That choice is not one of the available choices."),
        ("currency=XXX", "Select a valid choice. XXX is not one of the available choices."),
        ("sort=bogus", "Select a valid choice. bogus is not one of the available choices."),
        ("q=a%00b", "Null characters are not allowed."),
        ("q=" + "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ],
    ids=short,
)
def test_an_invalid_list_parameter_answers_400_and_says_what_is_wrong(client, catalogue, query, message):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert message in page_text(response)
    assert "Some filters could not be used" in page_text(response)


def test_search_words_are_escaped_on_the_page(client, catalogue):
    html = client.get(f"{LIST}?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_invalid_list_parameter_leaves_the_valid_ones_filtering(client, catalogue):
    response = client.get(f"{LIST}?donor=european-union&min_amount=abc")
    assert response.status_code == 400
    text = page_text(response)
    assert "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis" in text
    assert "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)" not in text


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=999", "page=-1"])
def test_a_page_number_out_of_range_answers_404(client, catalogue, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_submitting_the_filter_form_unchanged_answers_200(client, catalogue):
    response = client.get(f"{LIST}?q=&status=&currency=&min_amount=&max_amount=&sort=title")
    assert response.status_code == 200
    assert "7 projects" in page_text(response)


def test_valid_parameters_answer_200(client, catalogue):
    response = client.get(
        f"{LIST}?q=border&donor=european-union&area=border-management&status=completed"
        "&currency=EUR&min_amount=1&max_amount=2000000&sort=-amount&page=1"
    )
    assert response.status_code == 200
    assert "EU Supports Serbia to Improove Border Management" in page_text(response)


# Query counts ------------------------------------------------------------------------------------------------------


def build_catalogue(size):
    """`size` published projects sharing areas and donors, each with grants, a partner and dated figures.

    The first project also gets `size` extra grants, partners and figures, so its detail page grows too.
    """
    status = make_status()
    areas = [make_area() for _ in range(3)]
    donors = [make_donor() for _ in range(3)]
    projects = []
    for number in range(size):
        project = make_project(status=status, areas=areas[: 1 + number % 3])
        make_funding(project, donors[number % 3], amount=str(1000 * (number + 1)), currency=("USD", "EUR")[number % 2])
        make_funding(project, amount=None)
        make_partnership(project)
        month = datetime.date(2015, 1 + number % 12, 1)
        make_figure(project, period_start=month, period_end=month, value_low=1000 + number)
        projects.append(project)
    first = projects[0]
    for number in range(size):
        make_funding(first, amount="500", currency="USD")
        make_partnership(first)
        month = datetime.date(2016, 1 + number % 12, 1)
        make_figure(first, period_start=month, period_end=month, value_low=5000 + number, value_high=6000 + number)
    make_project("Unpublished Project", is_published=False, areas=areas)
    return projects, areas, donors


SIZES = [3, 30]


# Every public page first reads the catalogue generation its cache key holds (projects.caching).
PAGE_CACHE = 1
# The facet index (projects.facets) is built once per catalogue generation in each process, on the first
# request that needs it: published projects, their grants, their area links, their place links, the published
# figures' count, statuses, donors, areas, places. Later requests of the same generation read none of these.
FACET_INDEX = 9


def warm_facet_index(client):
    """Build the facet index of the current generation, as the first visitor after a change would; keep neither
    that page nor its rendered rows (projects.fragments), so the page measured renders its rows itself."""
    assert client.get(LIST).status_code == 200
    cache.clear()  # that page, not the index
    facets.forget_fragments()


@pytest.mark.parametrize("size", SIZES)
def test_project_list_query_count_does_not_grow_with_the_catalogue(client, django_assert_num_queries, size):
    """Guards against N+1 on the list: donors, areas and status of each row come prefetched.

    4: the page, its areas, its grants with donors, its places. The total and every facet's counts and options
    come from the facet index (projects.facets): FACET_INDEX queries on the first request after a change, none
    after. The list's order is read from the database once per generation and sort, on its first use (1), and
    the page's ids come from the index in that order. The rows rendered once are kept with the index
    (projects.fragments): after that, the page's rows are one query, whatever they show of other tables.
    """
    build_catalogue(size)
    with django_assert_num_queries(PAGE_CACHE + FACET_INDEX + 1 + 4):
        response = client.get(LIST)
    assert response.status_code == 200
    cache.clear()  # the page itself, not the index
    with django_assert_num_queries(PAGE_CACHE + 1):
        again = client.get(LIST)
    assert again.status_code == 200
    assert again.content == response.content


@pytest.mark.parametrize("size", SIZES)
def test_filtered_and_sorted_project_list_query_count_does_not_grow_with_the_catalogue(
    client, django_assert_num_queries, size
):
    """Guards against N+1 on the filtered list, with every filter and the amount sort in force.

    8: the 4 of the unfiltered list, one query each to check the donor and area slugs, the ids of the
    projects the search words match (the facet index, projects.facets, counts everything else), and the amount
    order, read once per generation on its first use (FacetIndex.order()).
    """
    _, areas, donors = build_catalogue(size)
    warm_facet_index(client)
    query = (
        f"q=helps&donor={donors[0].slug}&donor={donors[1].slug}&area={areas[0].slug}"
        "&currency=USD&min_amount=1&sort=-amount"
    )
    with django_assert_num_queries(PAGE_CACHE + 8):
        response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_project_detail_query_count_does_not_grow_with_grants_partners_figures_or_related_projects(
    client, django_assert_num_queries, size
):
    """Guards against N+1 on the detail page: grants, partners, figures, related projects and the entry's
    changes (its versions, with their revisions, in one query; the content type once per process) come in
    fixed queries. The project and its rows take 7 (its places too). Related projects take one, their ranking:
    the candidates sharing an area or a donor come from the facet index (projects.facets), as do the map's
    counts.
    The figures' cards are kept with the facet index (projects.fragments), built first as any list page would."""
    projects, _, _ = build_catalogue(size)
    for _number in range(size):
        with reversion.create_revision():
            reversion.set_comment("Changed Text.")
            projects[0].save()
    warm_facet_index(client)
    ContentType.objects.clear_cache()  # as in a fresh process: the one content type query counts
    with django_assert_num_queries(PAGE_CACHE + 7 + 1 + 1):
        response = client.get(projects[0].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_home_query_count_does_not_grow_with_the_catalogue(client, django_assert_num_queries, size):
    """Guards against N+1 on the home page: counts, totals, the funding chart, figures and areas come in fixed queries.

    2: the figures, the areas' names. Counts and totals, and the map's places with their counts, come from the
    facet index (projects.facets).
    """
    build_catalogue(size)
    warm_facet_index(client)
    with django_assert_num_queries(PAGE_CACHE + 2):
        response = client.get(HOME)
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_donor_detail_query_count_does_not_grow_with_the_donor_projects(client, django_assert_num_queries, size):
    """Guards against N+1 on the donor page: each grant's project comes with the grant.

    2: the donor, the page of its grants with their projects. Their count and the totals per currency come
    from the facet index (projects.facets)."""
    _, _, donors = build_catalogue(size)
    warm_facet_index(client)
    with django_assert_num_queries(PAGE_CACHE + 2):
        response = client.get(donors[0].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_area_detail_query_count_does_not_grow_with_the_area_projects(client, django_assert_num_queries, size):
    """Guards against N+1 on the area page: each project's status, areas and grants come prefetched. The rows'
    renderings are kept with the facet index (projects.fragments), built here first as any list page would."""
    _, areas, _ = build_catalogue(size)
    warm_facet_index(client)
    with django_assert_num_queries(PAGE_CACHE + 1 + 6):
        response = client.get(areas[0].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_context_page_query_count_does_not_grow_with_the_figures(client, django_assert_num_queries, size):
    """Guards against N+1 on the context page: every figure comes with its project in one query; their
    count comes from the facet index (projects.facets)."""
    build_catalogue(size)
    warm_facet_index(client)
    with django_assert_num_queries(PAGE_CACHE + 1):
        response = client.get(reverse("projects:context"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_searched_project_list_query_count_does_not_grow_with_the_catalogue(client, django_assert_num_queries, size):
    """Guards against N+1 on a search sorted by relevance (with highlighted matches on PostgreSQL).

    5: the ids the words match (for the facet index's counts), the page, its areas, its grants, its places."""
    build_catalogue(size)
    warm_facet_index(client)
    with django_assert_num_queries(PAGE_CACHE + 5):
        response = client.get(f"{LIST}?q=helps+migrants")
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_donor_and_area_list_query_counts_do_not_grow_with_the_catalogue(client, django_assert_num_queries, size):
    """Guards against N+1 on the donor and area lists: counts and totals are annotated, not fetched per row. The
    site's navigation and footer are kept with the facet index (projects.fragments), built first as any list would."""
    build_catalogue(size)
    warm_facet_index(client)
    with django_assert_num_queries(PAGE_CACHE + 2):
        assert client.get(reverse("projects:donor_list")).status_code == 200
    with django_assert_num_queries(PAGE_CACHE + 1):
        assert client.get(reverse("projects:area_list")).status_code == 200


# HTML sanity -----------------------------------------------------------------------------------------------------

PAGES = [
    HOME,
    LIST,
    f"{LIST}?min_amount=abc",
    f"{LIST}?q=zanzibar",
    "/projects/information-management-communication-and-planning/",
    "/projects/increasing-capacities-irregular-migration/",
    "/donors/",
    "/donors/european-union/",
    "/areas/",
    "/areas/border-management/",
    "/context/",
    "/projects/no-such-project/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_one_h1_a_main_region_and_says_it_is_in_english(client, catalogue, url):
    html = client.get(url).content.decode()
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert len(re.findall(r"<main[\s>]", html)) == 1
    assert re.search(r'<html[^>]*\slang="en"', html)
    assert html.lstrip().lower().startswith("<!doctype html>")


@pytest.mark.parametrize("url", [HOME, LIST, "/projects/no-such-project/"])
def test_pages_link_the_stylesheet_by_its_hashed_name(client, catalogue, url):
    html = client.get(url).content.decode()
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    # The home page draws the map: its stylesheet comes after the portal's (the other pages have none).
    expected = ["css/portal.css"] + (["css/map.css"] if url == HOME else [])
    assert links == [settings.STATIC_URL + staticfiles_storage.stored_name(name) for name in expected]
    for link in links:
        assert re.fullmatch(r"/static/css/(portal|map)\.[0-9a-f]{12}\.css", link)
        assert (Path(settings.STATIC_ROOT) / link.removeprefix(settings.STATIC_URL)).is_file()


def test_the_server_error_page_stands_alone_with_one_h1_and_the_hashed_stylesheet():
    html = render_to_string("500.html")
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert re.search(r'<html[^>]*\slang="en"', html) and "<main" in html
    assert settings.STATIC_URL + staticfiles_storage.stored_name("css/portal.css") in html


def test_the_hashed_stylesheet_is_served(client):
    url = settings.STATIC_URL + staticfiles_storage.stored_name("css/portal.css")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_the_home_page_shows_at_most_its_share_of_the_earliest_figures_however_many_there_are(client):
    project = make_project("Figures Project")
    for number in range(HOME_FIGURES + 5):
        make_figure(
            project, value_low=1000 + number, period_start=datetime.date(2015, 1, 1) + datetime.timedelta(days=number)
        )
    html = client.get(HOME).content.decode()
    assert "1,000 people" in html  # the earliest
    assert f"{1000 + HOME_FIGURES - 1:,} people" in html
    assert f"{1000 + HOME_FIGURES:,} people" not in html  # beyond the home page's share: on /context/


# Donor, area and context pages come in pages (1 + n above: the paginator's count) -----------------------------


def test_a_donor_page_lists_twenty_grants_a_page_and_counts_them_all(client):
    donor = make_donor("European Union", slug="european-union")
    for number in range(25):
        make_funding(make_project(f"Project {number:02}"), donor)
    first, second = client.get("/donors/european-union/"), client.get("/donors/european-union/?page=2")
    assert first.content.decode().count("/projects/project-") == 20
    assert second.content.decode().count("/projects/project-") == 5
    assert "Page 1 of 2" in first.content.decode()
    assert "<dd>25</dd>" in first.content.decode()
    assert client.get("/donors/european-union/?page=3").status_code == 404
    assert client.get("/donors/european-union/?page=abc").status_code == 404


def test_an_area_page_lists_twenty_projects_a_page(client):
    area = make_area("Border management", slug="border-management")
    for number in range(21):
        make_project(f"Project {number:02}", areas=[area])
    assert "Page 1 of 2" in client.get("/areas/border-management/").content.decode()
    assert "Project 20" in client.get("/areas/border-management/?page=2").content.decode()
    assert client.get("/areas/border-management/?page=9").status_code == 404


def test_the_context_page_lists_fifty_figures_a_page(client):
    project = make_project("Figures Project")
    for number in range(51):
        make_figure(
            project, value_low=1000 + number, period_start=datetime.date(2015, 1, 1) + datetime.timedelta(days=number)
        )
    first = client.get(reverse("projects:context")).content.decode()
    assert "Page 1 of 2" in first and "1,000" in first and "1,050" not in first
    assert "1,050" in client.get(reverse("projects:context") + "?page=2").content.decode()

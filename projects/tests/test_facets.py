"""Facet counts beside the list, and the list's canonical URL."""

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from .factories import make_area, make_donor, make_funding, make_project, make_status
from .support.html import FacetParser, facet_choices, listed_titles

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")


def facets(client, query=""):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code in (200, 400)
    return facet_choices(response)


def counts(choices):
    return {value: choice["count"] for value, choice in choices.items()}


@pytest.fixture
def catalogue_of_four(db):
    """Four published projects and a hidden one, with donors, areas, statuses and grants in two currencies."""
    completed, ongoing = make_status("Completed"), make_status("Ongoing", order=2)
    eu, inl, iom = (
        make_donor("European Union", slug="eu"),
        make_donor("INL", slug="inl"),
        make_donor("IOM Fund", slug="iom"),
    )
    make_donor("Unused Donor", slug="unused")
    border, asylum = make_area("Border management", slug="border"), make_area("Asylum and reception", slug="asylum")
    make_area("Empty Area", slug="empty")
    first = make_project("Border One", areas=[border], status=completed, text="Police equipment.")
    make_funding(first, eu, amount="1000000", currency="EUR")
    make_funding(first, inl, amount="100", currency="USD")
    second = make_project("Border Two", areas=[border, asylum], status=completed, text="Police training.")
    make_funding(second, inl, amount="650000", currency="USD")
    third = make_project("Asylum Three", areas=[asylum], status=ongoing, text="Beds for centres.")
    make_funding(third, iom, amount="130000", currency="USD")
    make_project("Asylum Four", areas=[asylum], status=completed, text="Kitchens for centres.")
    hidden = make_project("Hidden Five", areas=[border], status=completed, is_published=False)
    make_funding(hidden, make_donor("Hidden Donor", slug="hidden"), amount="5", currency="GBP")


def test_without_filters_each_option_counts_its_published_projects(client, catalogue_of_four):
    choices = facets(client)
    assert counts(choices["donor"]) == {"eu": 1, "inl": 2, "iom": 1}
    assert counts(choices["area"]) == {"asylum": 3, "border": 2}
    assert counts(choices["status"]) == {"completed": 3, "ongoing": 1}
    assert counts(choices["currency"])["USD"] == 3
    assert counts(choices["currency"])["EUR"] == 1
    # Only the currencies in use: GBP is offered by no published grant (only an unpublished project has one),
    # and the six of the list no grant uses at all are not offered either.
    assert set(choices["currency"]) == {"EUR", "USD"}


def test_donor_counts_apply_the_other_filters_but_not_the_donor_filter(client, catalogue_of_four):
    choices = facets(client, "donor=eu&area=border")
    # With the area filter: border projects funded by each donor, whichever donors are ticked.
    assert counts(choices["donor"]) == {"eu": 1, "inl": 2, "iom": 0}
    # The other facets apply the donor filter: only "Border One" is left.
    assert counts(choices["area"]) == {"asylum": 0, "border": 1}
    assert counts(choices["status"]) == {"completed": 1, "ongoing": 0}


def test_ticking_a_donor_adds_the_projects_its_count_promised(client, catalogue_of_four):
    promised = counts(facets(client, "area=asylum")["donor"])["iom"]
    before = listed_titles(client.get(f"{LIST}?area=asylum&donor=inl"))
    after = listed_titles(client.get(f"{LIST}?area=asylum&donor=inl&donor=iom"))
    assert promised == 1
    assert set(after) - set(before) == {"Asylum Three"}


def test_area_counts_ignore_the_area_filter_and_apply_the_search(client, catalogue_of_four):
    choices = facets(client, "area=border&q=police")
    assert counts(choices["area"]) == {"asylum": 1, "border": 2}
    assert counts(choices["donor"])["inl"] == 2


def test_status_counts_ignore_the_status_filter(client, catalogue_of_four):
    choices = facets(client, "status=ongoing")
    assert counts(choices["status"]) == {"completed": 3, "ongoing": 1}
    assert choices["status"]["ongoing"]["checked"]
    assert counts(choices["donor"]) == {"eu": 0, "inl": 0, "iom": 1}


def test_currency_counts_ignore_the_currency_filter_but_keep_the_amount_bounds(client, catalogue_of_four):
    choices = facets(client, "currency=EUR&min_amount=500000")
    # Grants of at least 500,000: EUR 1,000,000 (Border One) and USD 650,000 (Border Two).
    assert counts(choices["currency"])["EUR"] == 1
    assert counts(choices["currency"])["USD"] == 1
    assert choices["currency"]["EUR"]["checked"]
    # The donor facet keeps the currency filter: only Border One is left, which INL funds too (in USD).
    assert counts(choices["donor"]) == {"eu": 1, "inl": 1, "iom": 0}


def test_options_that_would_list_nothing_are_disabled(client, catalogue_of_four):
    choices = facets(client, "area=border")
    assert choices["donor"]["iom"]["disabled"] and not choices["donor"]["iom"]["checked"]
    assert not choices["donor"]["inl"]["disabled"]
    assert choices["status"]["ongoing"]["disabled"]


def test_a_currency_in_use_whose_grants_the_filters_leave_out_is_offered_disabled(client, catalogue_of_four):
    choices = facets(client, "donor=iom")
    assert set(choices["currency"]) == {"EUR", "USD"}
    assert choices["currency"]["EUR"]["disabled"] and counts(choices["currency"])["EUR"] == 0


def test_a_facet_with_a_single_value_is_said_not_offered(client, db):
    """One status in the catalogue (the real one's seven are all completed): text, not a select."""
    completed = make_status("Completed")
    make_project("Only Project", status=completed)
    html = client.get(LIST).content.decode()
    assert 'name="status"' not in html
    field = re.search(r'<div class="field field--single" id="field-status">(.*?)</div>', html, flags=re.S)
    assert field and "Status:" in field[1] and "Completed" in field[1] and "(1" in field[1]


def test_a_chosen_option_stays_chosen_and_enabled_even_when_it_counts_zero(client, catalogue_of_four):
    response = client.get(f"{LIST}?donor=iom&area=border&status=ongoing&currency=GBP")
    assert listed_titles(response) == []
    parser = FacetParser()
    parser.feed(response.content.decode())
    parser.close()
    chosen = parser.choices
    for facet, value in [("donor", "iom"), ("area", "border"), ("status", "ongoing"), ("currency", "GBP")]:
        assert chosen[facet][value]["checked"], (facet, value)
        assert not chosen[facet][value]["disabled"], (facet, value)
    assert chosen["currency"]["GBP"]["count"] == 0
    # Submitting the form again keeps every choice: a disabled input would be dropped.
    assert re.search(r'<input type="checkbox" name="donor" value="iom" id="[^"]+" checked>', response.content.decode())


def test_unpublished_projects_are_never_counted(client, catalogue_of_four):
    choices = facets(client, "currency=GBP")
    # A donor only a draft uses is not even an option (issue 9); nor is an area no published project is in.
    assert "hidden" not in counts(choices["donor"]) and "unused" not in counts(choices["donor"])
    assert "empty" not in counts(choices["area"])
    assert counts(choices["area"])["border"] == 0


def test_an_invalid_filter_is_left_out_of_the_counts(client, catalogue_of_four):
    choices = facets(client, "area=border&min_amount=abc")
    assert counts(choices["donor"]) == {"eu": 1, "inl": 2, "iom": 0}


def test_facet_labels_tell_a_screen_reader_what_the_number_counts(client, catalogue_of_four):
    page = client.get(LIST).content.decode()
    assert '(2<span class="visually-hidden"> projects</span>)' in page
    assert '(1<span class="visually-hidden"> project</span>)' in page


def test_the_filter_form_sends_its_state_in_the_address(client, catalogue_of_four):
    page = client.get(LIST).content.decode()
    assert re.search(r'<form class="filters" id="filters" method="get" action="/projects/"', page)


# The canonical URL ----------------------------------------------------------------------------------------------


def canonical(client, query=""):
    page = client.get(f"{LIST}?{query}" if query else LIST).content.decode()
    (href,) = re.findall(r'<link rel="canonical" href="([^"]+)">', page)
    (og_url,) = re.findall(r'<meta property="og:url" content="([^"]+)">', page)
    assert og_url == href
    return html.unescape(href)


def test_the_canonical_url_of_the_plain_list_is_the_list(client, catalogue_of_four):
    assert canonical(client) == "http://testserver/projects/"


def test_the_canonical_url_drops_empty_and_default_parameters(client, catalogue_of_four):
    unchanged_form = "q=&donor=&area=&status=&currency=&min_amount=&max_amount=&sort=relevance&page=1"
    assert canonical(client, unchanged_form) == "http://testserver/projects/"
    assert canonical(client, "sort=title") == "http://testserver/projects/"  # the same order when not searching
    assert canonical(client, "q=police&sort=relevance") == "http://testserver/projects/?q=police"


def test_the_canonical_url_puts_parameters_in_a_fixed_order_with_slugs_sorted_once(client, catalogue_of_four):
    one = canonical(client, "sort=-amount&min_amount=10.00&donor=inl&q=police++training&area=border&donor=eu&donor=inl")
    other = canonical(client, "donor=eu&area=border&donor=inl&q=police%20training&min_amount=10&sort=-amount")
    assert one == other
    assert parse_qsl(urlsplit(one).query) == [
        ("q", "police training"),
        ("donor", "eu"),
        ("donor", "inl"),
        ("area", "border"),
        ("min_amount", "10"),
        ("sort", "-amount"),
    ]


def test_the_canonical_url_keeps_a_page_after_the_first(client, db):
    for number in range(25):
        make_project(f"Project {number:02}")
    assert canonical(client, "page=2&sort=-title") == "http://testserver/projects/?sort=-title&page=2"
    assert canonical(client, "page=2") == "http://testserver/projects/?page=2"


def test_the_canonical_url_leaves_out_invalid_values(client, catalogue_of_four):
    assert canonical(client, "donor=eu&area=nobody&min_amount=abc&sort=bogus") == "http://testserver/projects/?donor=eu"


def test_the_canonical_url_encodes_what_the_visitor_typed(client, catalogue_of_four):
    href = canonical(client, "q=%22border+police%22+-asylum+%26+%3Cb%3E")
    assert href == "http://testserver/projects/?q=%22border+police%22+-asylum+%26+%3Cb%3E"


# The facet index (projects.facets) against the grouped SQL it replaced -------------------------------------

INDEX_QUERIES = [
    "",
    "donor=eu",
    "donor=eu&donor=inl",
    "area=border",
    "area=border&area=asylum&status=completed",
    "status=ongoing",
    "currency=USD",
    "currency=EUR&min_amount=500",
    "min_amount=100&max_amount=650000",
    "max_amount=100",
    "q=police",
    "q=police&donor=inl&currency=USD",
    "q=centres&area=asylum&status=completed&min_amount=1",
    "donor=unused",
    "donor=hidden&area=empty",
    "currency=GBP",
    "min_amount=abc&donor=eu",
]


@pytest.mark.parametrize("query", INDEX_QUERIES)
def test_facet_index_counts_exactly_what_the_grouped_sql_counts(rf, catalogue_of_four, query):
    """Every option, its count, its order and the list's total agree with facets_in_sql(), for any filters."""
    from projects.filters import ProjectFilter
    from projects.models import Project

    request = rf.get(f"{LIST}?{query}")
    queryset = Project.objects.for_listing()
    filterset = ProjectFilter(request.GET, queryset=queryset, request=request)
    assert filterset.facets() == filterset.facets_in_sql()
    assert filterset.count() == filterset.qs.count()


def test_facet_index_follows_an_edit_at_once(client, catalogue_of_four):
    """The index is rebuilt when the catalogue generation moves: a new grant counts on the next request."""
    from projects.models import Donor, Project

    assert counts(facets(client)["donor"])["iom"] == 1
    make_funding(Project.objects.get(title="Asylum Four"), Donor.objects.get(slug="iom"), amount="7", currency="EUR")
    assert counts(facets(client)["donor"])["iom"] == 2
    assert counts(facets(client, "donor=iom")["currency"]) == {"EUR": 1, "USD": 1}


def test_related_projects_from_the_facet_index_are_those_the_sql_ranks(catalogue_of_four):
    """ProjectQuerySet.related_to() takes its candidates from the index's bitsets on the detail page; with a small
    catalogue both ways rank every project sharing an area or a donor, in the same order."""
    from projects.facets import facet_index
    from projects.models import Project

    index = facet_index()
    for project in Project.objects.for_detail():
        from_sql = list(Project.objects.related_to(project))
        assert list(Project.objects.related_to(project, index=index)) == from_sql, project.title
        assert from_sql or not (project.areas.exists() or project.fundings.exists()), project.title


def test_the_latest_projects_of_a_bitset_come_latest_first_and_stop_at_the_count(catalogue_of_four):
    from projects.facets import facet_index
    from projects.models import Project

    index = facet_index()
    published = list(Project.objects.published().order_by("-pk").values_list("pk", flat=True))
    assert index.latest(index.everything, len(published) + 5) == published
    assert index.latest(index.everything, 2) == published[:2]
    assert index.latest(0, 3) == []


def test_place_counts_from_the_facet_index_are_those_the_sql_counts(db):
    from projects.facets import facet_index
    from projects.models import Place

    from .factories import link_place, make_place

    serbia, greece, unused = (
        make_place("Serbia", iso_code="RS"),
        make_place("Greece", iso_code="GR"),
        make_place("Mars"),
    )
    for number in range(3):
        link_place(make_project(f"Published {number}"), serbia)
    link_place(make_project("Hidden", is_published=False), greece)
    link_place(make_project("Both"), greece)
    link_place(Place.objects.get(pk=serbia.pk).projects.first(), greece)
    index = facet_index()

    def counted(places):
        return [(place.slug, place.project_count) for place in places]

    assert counted(index.counted_places()) == counted(Place.objects.listed().with_project_counts().order_by("name"))
    chosen = [greece, unused, serbia]
    assert counted(index.counted_places(chosen)) == [("greece", 2), ("mars", 0), ("serbia", 3)]
    assert not hasattr(index.places[0], "project_count")  # the index's own rows are never written on


SORTS = ["title", "-title", "amount", "-amount", "start", "-start"]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("query", INDEX_QUERIES)
def test_the_lists_ids_from_the_facet_index_come_in_the_order_sql_gives(rf, catalogue_of_four, query, sort):
    """The list's page reads its ids from the index (ProjectFilter.ordered_ids_kept()): the same projects, in the same
    order, as the filtered and sorted SQL."""
    from projects.filters import ProjectFilter
    from projects.models import Project

    request = rf.get(f"{LIST}?{query}&sort={sort}")
    filterset = ProjectFilter(request.GET, queryset=Project.objects.for_rows(), request=request)
    from_sql = list(filterset.qs.values_list("pk", flat=True))
    if "q=" in query:  # with search words the default sort ranks; here every sort is asked for explicitly
        assert filterset.ranked_ids_kept() is None
    ids = filterset.ordered_ids_kept()
    assert len(ids) == len(from_sql)
    assert ids[0 : len(from_sql) + 3] == from_sql
    assert ids[1:3] == from_sql[1:3]


@pytest.mark.parametrize("sort", SORTS)
def test_a_page_of_few_or_many_projects_comes_in_the_order_sql_gives(db, sort):
    """A filter that keeps few projects is ranked and sorted; one that keeps many is walked in order: both agree
    with SQL, page by page."""
    import datetime

    from projects.facets import facet_index
    from projects.models import Project

    for number in range(40):
        project = make_project(
            f"{'abcdefghij'[number % 10]} Project {number:02}",
            start_date=datetime.date(2015, 1 + number % 12, 1) if number % 3 else None,
        )
        if number % 4:
            make_funding(project, amount=str(100 * (number % 7 + 1)))
    make_project("Hidden", is_published=False)
    index = facet_index()
    published = list(Project.objects.published().values_list("pk", flat=True))
    for chosen in (published, published[::2], published[3:5], published[7:8], []):
        bits = index.of_ids(chosen)
        from_sql = list(Project.objects.published().filter(pk__in=chosen).ordered_by(sort).values_list("pk", flat=True))
        assert index.ordered_ids(bits, sort, 0, 100) == from_sql, len(chosen)
        assert index.ordered_ids(bits, sort, 2, 5) == from_sql[2:5], len(chosen)


SEARCHES = [query for query in INDEX_QUERIES if "q=" in query] + ["q=border", "q=centres", "q=nothing-matches-this"]


@pytest.mark.parametrize("query", SEARCHES)
def test_a_search_in_relevance_order_comes_in_the_order_sql_gives(rf, catalogue_of_four, query):
    """A search's page reads its ids from its ranking, ordered on the index (FacetIndex.in_relevance_order()): the
    same projects, in the same order, as SQL's ordered_by("relevance")."""
    from projects.filters import ProjectFilter
    from projects.models import Project

    request = rf.get(f"{LIST}?{query}")
    filterset = ProjectFilter(request.GET, queryset=Project.objects.for_rows(), request=request)
    from_sql = list(filterset.qs.values_list("pk", flat=True))
    ids = filterset.ranked_ids_kept()
    assert len(ids) == len(from_sql) == filterset.count()
    assert ids[0 : len(from_sql) + 3] == from_sql
    assert ids[1:3] == from_sql[1:3]


def test_equal_ranks_come_in_the_title_sorts_order(rf, db):
    """Projects whose documents rank alike (the same words, titles differing only in case) follow the title sort:
    case ignored, then slug. The hidden one is never listed."""
    from projects.filters import ProjectFilter
    from projects.models import Project

    for title, slug in [
        ("border post", "d-post"),
        ("BORDER POST", "a-post"),
        ("Border Post", "c-post"),
        ("Border post", "b-post"),
        ("Border Posts and Border Crossings", "e-posts"),
    ]:
        make_project(title, slug=slug, text="Equipment for the border.")
    make_project("Border Post", slug="hidden-post", text="Equipment for the border.", is_published=False)
    request = rf.get(f"{LIST}?q=border+post")
    filterset = ProjectFilter(request.GET, queryset=Project.objects.for_rows(), request=request)
    ids = filterset.ranked_ids_kept()
    slugs = dict(Project.objects.values_list("pk", "slug"))
    listed = [slugs[pk] for pk in ids[0:10]]
    assert listed == [slugs[pk] for pk in filterset.qs.values_list("pk", flat=True)]
    alike = [slug for slug in listed if slug != "e-posts"]
    assert alike == ["a-post", "b-post", "c-post", "d-post"]

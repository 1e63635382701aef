"""/projects/export.csv and /projects/export.json: the filtered list as files."""

import csv
import datetime
import html
import io
import json
import re

import pytest
from django.db import connection
from django.urls import reverse

from projects.caching import PageCacheMiddleware
from projects.catalogue import snapshot
from projects.exports import FIRST_CHUNK_SIZE

from .factories import link_place, make_area, make_donor, make_funding, make_place, make_project
from .support.bad_input import BAD_QUERIES, short
from .support.html import listed_titles

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")
CSV = reverse("project_export_csv")
JSON = reverse("project_export_json")
CROBOWEB_TITLE = "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"


def body(response):
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(client, query=""):
    response = client.get(f"{CSV}?{query}")
    assert response.status_code == 200, response.content if not response.streaming else ""
    text = body(response)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def json_export(client, query=""):
    response = client.get(f"{JSON}?{query}")
    assert response.status_code == 200
    return json.loads(body(response))


def test_the_exports_live_outside_any_language_prefix():
    assert (CSV, JSON) == ("/projects/export.csv", "/projects/export.json")


def test_the_csv_export_is_a_streamed_utf8_file_with_a_byte_order_mark_and_a_filename(client, catalogue):
    response = client.get(CSV)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="iom-serbia-projects.csv"'
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbfslug,title,url,status,status_label,area_slugs,area_names,donor_slugs,")


def test_the_json_export_is_a_streamed_file_with_a_filename(client, catalogue):
    response = client.get(JSON)
    assert response.streaming
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="iom-serbia-projects.json"'


def test_the_csv_export_has_one_row_per_project_with_codes_beside_labels(client, catalogue):
    rows = {row["slug"]: row for row in csv_rows(client)}
    assert len(rows) == 7
    croboweb = rows["croboweb-cross-border-cooperation"]
    assert croboweb == {
        "slug": "croboweb-cross-border-cooperation",
        "title": CROBOWEB_TITLE,
        "url": "http://testserver/projects/croboweb-cross-border-cooperation/",
        "status": "completed",
        "status_label": "Completed",
        "area_slugs": "border-management; counter-smuggling-and-trafficking",
        "area_names": "Border management; Counter-smuggling and trafficking",
        "donor_slugs": "inl-us-state-department",
        "donor_names": "International Narcotics and Law Enforcement Affairs, US State Department",
        "grant_donors": "inl-us-state-department",
        "grant_currencies": "USD",
        "grant_amounts": "650000",
        "start_date": croboweb["start_date"],
        "start_precision": croboweb["start_precision"],
        "duration_months": "12",
        "editorial_note": "",
        "place_slugs": "eastern-mediterranean-route; fyrm; greece; serbia; western-balkan-route",
        "place_names": "Eastern Mediterranean route; FYRM; Greece; Serbia; Western Balkan route",
        "place_iso_codes": "MK; GR; RS",
    }
    increasing = rows["increasing-capacities-irregular-migration"]
    assert (increasing["start_date"], increasing["start_precision"]) == ("2015-09-01", "month")
    assert increasing["duration_months"] == ""  # not stated: empty, never 0
    assert (
        increasing["editorial_note"] == "The source page ends here; it does not list the two components it announces."
    )


def test_the_json_export_carries_the_editorial_note_apart_from_the_text_and_null_when_there_is_none(client, catalogue):
    projects = {project["slug"]: project for project in json_export(client)["projects"]}
    assert projects["increasing-capacities-irregular-migration"]["editorial_note"] == (
        "The source page ends here; it does not list the two components it announces."
    )
    assert projects["croboweb-cross-border-cooperation"]["editorial_note"] is None


def test_the_json_export_has_one_object_per_project_with_codes_beside_labels(client, catalogue):
    data = json_export(client)
    assert data["source"] == "http://testserver/projects/"
    projects = {project["slug"]: project for project in data["projects"]}
    assert len(projects) == 7
    eu = projects["eu-supports-border-management"]
    assert eu["status"] == {"code": "completed", "label": "Completed"}
    assert eu["areas"] == [
        {"slug": "border-management", "name": "Border management"},
        {"slug": "institutional-capacity", "name": "Institutional capacity"},
    ]
    assert eu["donors"] == [{"slug": "european-union", "name": "European Union"}]
    assert eu["grants"] == [{"donor": "european-union", "currency": "EUR", "amount": 1000000}]
    assert eu["url"] == "http://testserver/projects/eu-supports-border-management/"
    assert eu["duration_months"] is None
    increasing = projects["increasing-capacities-irregular-migration"]
    assert (increasing["start_date"], increasing["start_precision"]) == ("2015-09-01", "month")


def test_what_the_text_does_not_state_is_empty_or_null_never_zero(client):
    project = make_project("Unknown Amount Project", start_date=None, duration_months=None)
    make_funding(project, make_donor("Swiss Agency", slug="swiss"), amount=None)
    make_funding(project, make_donor("Dutch Fund", slug="dutch"), amount="12.50", currency="EUR")
    (row,) = csv_rows(client)
    assert row["grant_donors"] == "dutch; swiss"
    assert row["grant_currencies"] == "EUR; "
    assert row["grant_amounts"] == "12.5; "
    assert (row["start_date"], row["start_precision"], row["duration_months"]) == ("", "", "")
    (record,) = json_export(client)["projects"]
    assert record["grants"] == [
        {"donor": "dutch", "currency": "EUR", "amount": 12.5},
        {"donor": "swiss", "currency": None, "amount": None},
    ]
    assert (record["start_date"], record["start_precision"], record["duration_months"]) == (None, None, None)


def test_the_exports_list_exactly_the_filtered_projects_the_page_lists_in_its_order(client, catalogue):
    for query in [
        "",
        "donor=european-union&donor=inl-us-state-department",
        "area=asylum-and-reception&sort=-title",
        "q=border",
        "currency=USD&min_amount=200000",
        "q=migrants&sort=-start",
        "status=completed&sort=amount",
    ]:
        page = listed_titles(client.get(f"{LIST}?{query}"))
        assert [row["title"] for row in csv_rows(client, query)] == page, query
        assert [project["title"] for project in json_export(client, query)["projects"]] == page, query


def test_the_exports_ignore_the_page_and_give_every_matching_project(client, db):
    for number in range(25):
        make_project(f"Project {number:02}")
    assert len(csv_rows(client, "page=2")) == 25
    assert len(json_export(client, "page=99")["projects"]) == 25


def test_the_exports_leave_out_unpublished_projects(client):
    make_project("Public Project")
    make_project("Hidden Project", is_published=False)
    assert [row["title"] for row in csv_rows(client)] == ["Public Project"]
    assert [project["title"] for project in json_export(client)["projects"]] == ["Public Project"]


def test_the_json_source_names_the_list_with_the_same_filters(client, catalogue):
    data = json_export(client, "donor=european-union&q=border&page=3")
    assert data["source"] == "http://testserver/projects/?q=border&donor=european-union"


def test_a_text_that_starts_like_a_formula_stays_text_in_a_spreadsheet(client):
    make_project('=HYPERLINK("http://example.com")', slug="formula", areas=[make_area("+Area", slug="plus")])
    (row,) = csv_rows(client)
    assert row["title"] == '\'=HYPERLINK("http://example.com")'
    assert row["area_names"] == "'+Area"
    (record,) = json_export(client)["projects"]
    assert record["title"] == '=HYPERLINK("http://example.com")'  # JSON is data: kept as it is


def test_the_csv_export_keeps_commas_quotes_and_line_breaks_inside_cells(client):
    make_project('Roads, "Bridges"\nand Borders', slug="roads")
    (row,) = csv_rows(client)
    assert row["title"] == 'Roads, "Bridges"\nand Borders'


def test_the_list_page_links_to_both_exports_with_its_filters(client, catalogue):
    page = client.get(f"{LIST}?area=border-management&donor=european-union&sort=-title&page=1").content.decode()
    hrefs = [html.unescape(href) for href in re.findall(r'<a href="(/projects/export\.[a-z]+[^"]*)"', page)]
    assert hrefs == [
        "/projects/export.csv?donor=european-union&area=border-management&sort=-title",
        "/projects/export.json?donor=european-union&area=border-management&sort=-title",
    ]


# Bad input: a 400 with a plain message, never a server error -------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("min_amount=abc", "Grant of at least: Enter a number."),
        ("donor=nobody", "Donor: Select a valid choice. nobody is not one of the available choices."),
        ("q=a%00b", "Search: Null characters are not allowed."),
        ("q=" + "x" * 201, "Search: Ensure this value has at most 200 characters (it has 201)."),
        ("sort=bogus", "Sort by: Select a valid choice. bogus is not one of the available choices."),
        ("min_amount=10&max_amount=5", "Grant of at most: The largest amount must not be below the smallest."),
    ],
    ids=short,
)
@pytest.mark.parametrize("export", [CSV, JSON])
def test_an_invalid_parameter_answers_400_with_a_plain_message(client, catalogue, export, query, message):
    response = client.get(f"{export}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("The export could not be made.")
    assert message in text


@pytest.fixture
def two_projects(db):
    """Enough to export, quicker to make than the whole catalogue for the many hostile queries below."""
    eu = make_donor("European Union", slug="european-union")
    make_funding(make_project("Border Project", text="Border police."), eu, amount="100", currency="EUR")
    make_project("Asylum Project", text="Asylum centres.")


HOSTILE_QUERIES = BAD_QUERIES + [
    "q=%22border",
    "q=-",
    "q=%22%22",
    "q=border+-",
    "q=%27%3A*+%26+%7C+%21",
    "q=%3C%2Fscript%3E",
    "donor=%00&q=%00",
    "donor=" + "a" * 5000,
    "page=" + "9" * 400,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=short)
@pytest.mark.parametrize("export", [CSV, JSON])
def test_odd_export_parameters_answer_200_or_400_never_a_server_error(client, two_projects, export, query):
    response = client.get(f"{export}?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        text = body(response)
        if export == JSON:
            json.loads(text)


@pytest.mark.parametrize("query", HOSTILE_QUERIES[-9:], ids=short)
def test_odd_search_parameters_on_the_list_answer_200_400_or_404(client, two_projects, query):
    assert client.get(f"{LIST}?{query}").status_code in (200, 400, 404)


# Streaming ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 20, 45])
@pytest.mark.parametrize("export", [CSV, JSON])
def test_an_export_makes_the_same_queries_whatever_the_number_of_projects(
    client, django_assert_num_queries, size, export
):
    """Guards against N+1 in the exports: one SELECT gives the projects with their areas, grants and places.

    2 + 1: the export's snapshot transaction, which inside the test's own transaction is a SAVEPOINT and its RELEASE
    (outside a test it is BEGIN and COMMIT, which are not queries, plus on PostgreSQL one SET statement for the
    isolation and JIT); then the projects, read from one cursor however many chunks they fill (FIRST_CHUNK_SIZE
    first, then up to 500 at a time: 45 fill two), each with its areas, its grants with their donors and its places
    as JSON from correlated subqueries (ProjectQuerySet.for_export()). Before, each chunk had three more queries, one
    per kind of link, and the first rows waited for them; and the page cache asked for the catalogue generation,
    though it never keeps a streamed file (PageCacheMiddleware.passed_paths). The query reads plain values: never
    the text or the search document.
    """
    donor, area = make_donor(), make_area()
    for number in range(size):
        project = make_project(areas=[area], start_date=datetime.date(2015, 1 + number % 12, 1))
        make_funding(project, donor)
    with django_assert_num_queries(2 + 1) as queries:
        response = client.get(export)
        text = body(response)
    sql = [query["sql"] for query in queries.captured_queries]
    assert sql[0].startswith("SAVEPOINT") and sql[-1].startswith("RELEASE SAVEPOINT")
    assert not any('."text"' in statement or "searchdocument" in statement for statement in sql)
    assert text.count("/projects/project-") == size


@pytest.mark.parametrize("export", [CSV, JSON])
def test_an_export_never_waits_on_the_page_caches_render_lock(client, catalogue, export, monkeypatch):
    """A streamed file is never kept: while another request for the same file held the render lock, this one would
    wait RENDER_WAIT_SECONDS for a copy that never comes."""

    def wait(self, key):
        pytest.fail("the export waited for another request's render")

    monkeypatch.setattr(PageCacheMiddleware, "wait_for_another_render", wait)
    response = client.get(export)
    assert response.status_code == 200
    body(response)


def test_the_first_piece_of_an_export_holds_a_few_projects_and_the_rest_follows_in_order(client, db):
    for number in range(45):
        make_project(f"Project {number:02}")
    pieces = [piece.decode("utf-8") for piece in client.get(CSV).streaming_content]
    assert len(pieces) == 2
    assert pieces[0].count("/projects/project-") == FIRST_CHUNK_SIZE < 45
    rows = list(csv.DictReader(io.StringIO("".join(pieces).removeprefix("\ufeff"))))
    assert [row["title"] for row in rows] == [f"Project {number:02}" for number in range(45)]


def test_names_in_a_cell_are_in_code_point_order_whatever_the_databases_collation(client):
    """Sorted in Python, as ever: a database's collation may put "alpha" before "Zeta", or ignore the accent."""
    areas = [make_area(name, slug=slug) for name, slug in [("alpha", "alpha"), ("Zeta", "zeta"), ("Ärzte", "arzte")]]
    project = make_project("Sorted Project", areas=areas)
    for name, slug in [("beta fund", "beta"), ("Ypsilon Fund", "ypsilon")]:
        make_funding(project, make_donor(name, slug=slug))
    for name, slug in [("sirmium", "sirmium"), ("Zemun", "zemun")]:
        link_place(project, make_place(name, kind="region", slug=slug))
    (row,) = csv_rows(client)
    assert row["area_names"] == "Zeta; alpha; Ärzte"
    assert row["donor_names"] == "Ypsilon Fund; beta fund"
    assert row["place_names"] == "Zemun; sirmium"


def test_amounts_are_exported_exactly_as_stored(client):
    project = make_project("Exact Project")
    for number, amount in enumerate(["0.10", "123456789012.34", "650000.00"]):
        make_funding(project, make_donor(f"Donor {number}", slug=f"donor-{number}"), amount=amount, currency="EUR")
    (row,) = csv_rows(client)
    assert row["grant_amounts"] == "0.1; 123456789012.34; 650000"
    (record,) = json_export(client)["projects"]
    assert [grant["amount"] for grant in record["grants"]] == [0.1, 123456789012.34, 650000]


def test_a_project_with_no_areas_grants_or_places_has_empty_cells(client):
    make_project("Bare Project")
    (row,) = csv_rows(client)
    assert [row[column] for column in ("area_slugs", "donor_slugs", "grant_amounts", "place_slugs")] == ["", "", "", ""]
    (record,) = json_export(client)["projects"]
    assert (record["areas"], record["donors"], record["grants"], record["places"]) == ([], [], [], [])


@pytest.mark.django_db(transaction=True)
def test_the_exports_snapshot_is_one_read_only_moment_without_jit_on_postgresql():
    """snapshot() is one transaction on every database (SQLite's transactions read one moment without being told).
    What it sets on PostgreSQL holds for its transaction only: the connection's next one is as before."""
    assert not connection.in_atomic_block
    with snapshot():
        assert connection.in_atomic_block
    assert not connection.in_atomic_block
    if connection.vendor != "postgresql":
        return
    settings = "SELECT " + ", ".join(
        f"current_setting('{name}')" for name in ("transaction_isolation", "transaction_read_only", "jit")
    )
    with connection.cursor() as cursor:
        cursor.execute(settings)
        before = cursor.fetchone()
    with snapshot(), connection.cursor() as cursor:
        cursor.execute(settings)
        assert cursor.fetchone() == ("repeatable read", "on", "off")
    with connection.cursor() as cursor:
        cursor.execute(settings)
        assert cursor.fetchone() == before


def test_an_export_keeps_the_lists_order_across_its_chunks(client, db):
    titles = [f"Project {number:03}" for number in range(45)]
    for title in reversed(titles):
        make_project(title)
    assert [row["title"] for row in csv_rows(client)] == titles
    assert [project["title"] for project in json_export(client)["projects"]] == titles

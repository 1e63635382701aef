"""The migration-context figures as files: /context/export.csv and /context/export.json, one row per figure."""

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse

from projects.models import ContextFigure

from .factories import make_figure, make_project

pytestmark = pytest.mark.django_db

CSV = reverse("context_export_csv")
JSON = reverse("context_export_json")
CENTRES = "asylum-and-reception-centres-january-2017"
CENTRES_URL = "http://testserver/projects/information-management-communication-and-planning/"


def body(response):
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(client):
    text = body(client.get(CSV))
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def json_figures(client):
    return json.loads(body(client.get(JSON)))["figures"]


def test_the_figure_exports_live_outside_any_language_prefix():
    assert (CSV, JSON) == ("/context/export.csv", "/context/export.json")


def test_the_figure_exports_are_streamed_files_with_their_type_and_a_filename(client, catalogue):
    for url, content_type, name in [
        (CSV, "text/csv; charset=utf-8", "csv"),
        (JSON, "application/json; charset=utf-8", "json"),
    ]:
        response = client.get(url)
        assert response.streaming
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="iom-serbia-figures.{name}"'


def test_the_csv_export_has_one_row_per_published_figure_with_codes_beside_labels(client, catalogue):
    rows = csv_rows(client)

    assert len(rows) == ContextFigure.objects.published().count() == 9
    centres = next(row for row in rows if row["figure_key"] == CENTRES)
    assert centres == {
        "value": "18",
        "value_high": "",
        "qualifier": "exact",
        "qualifier_label": "exactly",
        "unit": "centres",
        "unit_label": "centres",
        "counts": "asylum and reception centres accommodating migrants",
        "period_start": "2017-01-01",
        "period_end": "2017-01-01",
        "period_precision": "month",
        "period_precision_label": "Month",
        "period_label": "January 2017",
        "place": "Serbia",
        "sentence": "In January 2017 there are some 4,000 migrants accommodated in 18 asylum and reception centres.",
        "project_slug": "information-management-communication-and-planning",
        "project_title": "Support to the Information Management, Communication and Planning Capacity in Addressing the Migration"
        " Management Challenges in Serbia",
        "project_url": CENTRES_URL,
        "figure_key": CENTRES,
        "figure_url": f"{CENTRES_URL}#figure-{CENTRES}",
    }


def test_the_json_export_has_one_object_per_published_figure_with_codes_beside_labels(client, catalogue):
    data = json.loads(body(client.get(JSON)))

    assert data["source"] == "http://testserver/context/"
    assert len(data["figures"]) == 9
    centres = next(figure for figure in data["figures"] if figure["key"] == CENTRES)
    assert centres["value"] == 18 and centres["value_high"] is None
    assert centres["qualifier"] == {"code": "exact", "label": "exactly"}
    assert centres["unit"] == {"code": "centres", "label": "centres"}
    assert centres["period"] == {
        "start": "2017-01-01",
        "end": "2017-01-01",
        "precision": {"code": "month", "label": "Month"},
        "label": "January 2017",
    }
    assert centres["project"] == {
        "slug": "information-management-communication-and-planning",
        "title": "Support to the Information Management, Communication and Planning Capacity in Addressing the Migration"
        " Management Challenges in Serbia",
        "url": CENTRES_URL,
    }
    assert centres["url"] == f"{CENTRES_URL}#figure-{CENTRES}"


def test_both_figure_exports_list_the_same_figures_in_the_context_page_order(client, catalogue):
    expected = [
        (figure.project.slug, figure.key) for figure in ContextFigure.objects.published().select_related("project")
    ]

    assert [(row["project_slug"], row["figure_key"]) for row in csv_rows(client)] == expected
    assert [(figure["project"]["slug"], figure["key"]) for figure in json_figures(client)] == expected


def test_what_the_text_does_not_state_is_empty_or_null_never_zero(client):
    project = make_project("Undated", text="Some 4,000 migrants stay in centres.")
    make_figure(project, key="undated", value_low=4000, qualifier="about", source_sentence=project.text)

    (row,) = csv_rows(client)
    assert [
        row[name]
        for name in (
            "value_high",
            "period_start",
            "period_end",
            "period_precision",
            "period_precision_label",
            "period_label",
            "place",
        )
    ] == [""] * 7
    (figure,) = json_figures(client)
    assert figure["value_high"] is None and figure["place"] is None
    assert figure["period"] == {"start": None, "end": None, "precision": None, "label": None}


def test_a_range_gives_its_high_value(client):
    project = make_project("Route", text="6,000 - 7,000 people per day in October 2015.")
    make_figure(
        project,
        key="october",
        value_low=6000,
        value_high=7000,
        unit="people_per_day",
        period_start=datetime.date(2015, 10, 1),
        period_end=datetime.date(2015, 10, 1),
    )

    (row,) = csv_rows(client)
    assert (row["value"], row["value_high"], row["unit"], row["unit_label"]) == (
        "6000",
        "7000",
        "people_per_day",
        "people per day",
    )
    assert json_figures(client)[0]["value_high"] == 7000


def test_the_figure_exports_leave_out_the_figures_of_unpublished_projects(client):
    make_figure(make_project("Public"), key="public")
    make_figure(make_project("Hidden", is_published=False), key="hidden")

    assert [row["figure_key"] for row in csv_rows(client)] == ["public"]
    assert [figure["key"] for figure in json_figures(client)] == ["public"]


def test_a_figure_text_that_starts_like_a_formula_stays_text_in_a_spreadsheet(client):
    project = make_project("=cmd|' /C calc'!A0", slug="formula", text="@SUM(1) migrants, -2 of them.")
    make_figure(
        project, key="formula", counts="=1+1", place="+Serbia", period_label="-2015", source_sentence="@SUM(1) migrants"
    )

    (row,) = csv_rows(client)
    assert [row[name] for name in ("project_title", "counts", "place", "period_label", "sentence")] == [
        "'=cmd|' /C calc'!A0",
        "'=1+1",
        "'+Serbia",
        "'-2015",
        "'@SUM(1) migrants",
    ]
    (figure,) = json_figures(client)
    assert figure["counts"] == "=1+1"  # JSON is data: kept as it is


def test_the_context_page_links_to_both_figure_exports(client, catalogue):
    for prefix in ("", "/sr-latn", "/sr"):
        page = client.get(f"{prefix}/context/").content.decode()
        assert 'href="/context/export.csv" download' in page
        assert 'href="/context/export.json" download' in page


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize("export", [CSV, JSON])
def test_a_figure_export_makes_the_same_queries_whatever_the_number_of_figures(
    client, django_assert_num_queries, size, export
):
    """Guards against N+1 in the figure exports: 2 + 1, the export's snapshot transaction (a SAVEPOINT and its RELEASE
    inside the test's own transaction), then the figures with their projects' slugs and titles in one query, from
    one cursor. The page cache asks nothing: it never keeps a streamed file (PageCacheMiddleware.passed_paths)."""
    project = make_project()
    for number in range(size):
        make_figure(project, key=f"figure-{number}", period_start=datetime.date(2015, 1 + number % 12, 1))

    with django_assert_num_queries(2 + 1):
        text = body(client.get(export))

    assert text.count("#figure-figure-") == size

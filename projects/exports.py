"""The project list, and the figures its texts cite, as CSV and JSON files, written row by row so memory stays flat at any size.

Both formats carry the same facts (README.md, "Exports", documents them): codes beside labels, amounts
as plain numbers, and an empty cell or null, never 0, where the text states nothing.
"""

import csv
import json
from collections import defaultdict
from itertools import islice

from django.urls import reverse

from .catalogue import snapshot
from .choices import FigureQualifier, FigureUnit, Precision
from .models import Funding, Project, ProjectPlace
from .templatetags.catalogue import plain_number

# Rows fetched at a time from the database's cursor; each chunk's areas and grants are read in one query each,
# and each chunk is sent as one piece (small writes would wait on the client's delayed ACKs: Nagle's algorithm).
CHUNK_SIZE = 500
# The first piece is smaller, so the first rows arrive in milliseconds, whatever the catalogue's size.
FIRST_CHUNK_SIZE = 20
# Multi-valued CSV cells (areas, donors, grants, places) join their values with this.
LIST_SEPARATOR = "; "
CSV_COLUMNS = [
    "slug",
    "title",
    "url",
    "status",
    "status_label",
    "area_slugs",
    "area_names",
    "donor_slugs",
    "donor_names",
    "grant_donors",
    "grant_currencies",
    "grant_amounts",
    "start_date",
    "start_precision",
    "duration_months",
    "editorial_note",
    "place_slugs",
    "place_names",
    "place_iso_codes",
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Stands for the slug in a project's address, reversed once per file (slugs are ASCII: nothing to quote).
SLUG_PLACEHOLDER = "slug-placeholder"


def project_url_maker(absolute_url):
    """slug -> the project's absolute address, from one reverse() and one absolute_url() for the whole file."""
    prefix, suffix = absolute_url(reverse("projects:project_detail", args=[SLUG_PLACEHOLDER])).split(SLUG_PLACEHOLDER)
    return lambda slug: prefix + slug + suffix


def in_chunks(rows):
    """`rows` in lists: FIRST_CHUNK_SIZE rows, then CHUNK_SIZE at a time."""
    rows, size = iter(rows), FIRST_CHUNK_SIZE
    while chunk := list(islice(rows, size)):
        yield chunk
        size = CHUNK_SIZE


def project_chunks(projects):
    """The projects of `projects` (ProjectQuerySet.for_export(): plain values) in chunks (in_chunks()), each
    project a dict with its "areas", "grants" and "places".

    The projects stream from one cursor; each chunk's areas, grants (with their donors) and places are one query each,
    as plain value tuples: no model instance is built. Run it inside a transaction (export_snapshot()): on
    PostgreSQL the cursor then streams from the server instead of the whole result being built before the
    first row, and every query reads the same snapshot.
    """
    area_links, grants_of = Project.areas.through.objects.using(projects.db), Funding.objects.using(projects.db)
    place_links = ProjectPlace.objects.using(projects.db)
    for chunk in in_chunks(projects.iterator(chunk_size=CHUNK_SIZE)):
        ids = [row["pk"] for row in chunk]
        # Unordered in SQL, sorted here: an ORDER BY on the joined name makes PostgreSQL walk every link of
        # each area or donor (hundreds of ms a chunk at 100,000 projects) instead of the chunk's own rows.
        areas, grants = defaultdict(list), defaultdict(list)
        area_rows = (
            area_links.filter(project_id__in=ids)
            .order_by()
            .values_list("project_id", "area__name", "area_id", "area__slug")
        )
        for project_id, name, _area_id, slug in sorted(area_rows):
            areas[project_id].append({"slug": slug, "name": name})
        grant_rows = (
            grants_of.filter(project_id__in=ids)
            .order_by()
            .values_list("project_id", "donor__name", "pk", "donor__slug", "currency", "amount")
        )
        for project_id, name, _pk, slug, currency, amount in sorted(grant_rows, key=lambda grant: grant[:3]):
            grants[project_id].append({"slug": slug, "name": name, "currency": currency, "amount": amount})
        places = defaultdict(list)
        place_rows = (
            place_links.filter(project_id__in=ids)
            .order_by()
            .values_list(
                "project_id", "place__name", "place__slug", "place__display_name", "place__kind", "place__iso_code"
            )
        )
        for project_id, name, slug, display_name, kind, iso_code in sorted(place_rows):
            places[project_id].append(
                {
                    "slug": slug,
                    "name": name,
                    "display_name": display_name or None,
                    "kind": kind,
                    "iso_code": iso_code or None,
                }
            )
        yield [
            {**row, "areas": areas[row["pk"]], "grants": grants[row["pk"]], "places": places[row["pk"]]}
            for row in chunk
        ]


def export_snapshot(pieces, using):
    """Iterate `pieces` (a generator that reads the database) inside one read-only snapshot of database `using`."""
    with snapshot(using):
        yield from pieces


def project_record(row, project_url):
    """The facts of one project (a row of project_chunks()), as the JSON export writes them.
    `project_url(slug)` gives a project's full address."""
    grants = row["grants"]
    return {
        "slug": row["slug"],
        "title": row["title"],
        "url": project_url(row["slug"]),
        "status": {"code": row["status__slug"], "label": row["status__name"]},
        "areas": row["areas"],
        "donors": [{"slug": grant["slug"], "name": grant["name"]} for grant in grants],
        "grants": [
            {
                "donor": grant["slug"],
                "currency": grant["currency"] or None,
                "amount": None if grant["amount"] is None else json_number(grant["amount"]),
            }
            for grant in grants
        ],
        "start_date": row["start_date"].isoformat() if row["start_date"] else None,
        "start_precision": row["start_precision"] if row["start_date"] else None,
        "duration_months": row["duration_months"],
        # The catalogue's remark on a gap of the source, never part of the text; null when there is none.
        "editorial_note": row["editorial_note"] or None,
        # The places the text names, under the text's names; today's name and the ISO 3166-1 code where there is one.
        "places": row["places"],
    }


def json_number(amount):
    """An amount as a JSON number that reads exactly like the stored decimal: 650000, 12.5."""
    text = plain_number(amount)
    return float(text) if "." in text else int(text)


def csv_cell(value):
    """Text as a spreadsheet shows it, never as a formula: a leading = + - @ gets a ' before it."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def joined(values):
    return LIST_SEPARATOR.join(csv_cell(value) for value in values)


def csv_row(record):
    """A JSON record flattened to the CSV columns."""
    grants = record["grants"]
    return [
        record["slug"],
        csv_cell(record["title"]),
        record["url"],
        record["status"]["code"],
        csv_cell(record["status"]["label"]),
        joined(area["slug"] for area in record["areas"]),
        joined(area["name"] for area in record["areas"]),
        joined(donor["slug"] for donor in record["donors"]),
        joined(donor["name"] for donor in record["donors"]),
        joined(grant["donor"] for grant in grants),
        joined(grant["currency"] or "" for grant in grants),
        joined("" if grant["amount"] is None else str(grant["amount"]) for grant in grants),
        record["start_date"] or "",
        record["start_precision"] or "",
        "" if record["duration_months"] is None else str(record["duration_months"]),
        csv_cell(record["editorial_note"] or ""),
        joined(place["slug"] for place in record["places"]),
        joined(place["name"] for place in record["places"]),
        # Only the countries have one: the codes of the countries named, in the same order.
        joined(place["iso_code"] for place in record["places"] if place["iso_code"]),
    ]


class _Line:
    """A file-like object csv.writer writes one line to, handed straight back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def csv_lines(chunks, project_url):
    """The CSV file, a piece per chunk of project_chunks(): a byte-order mark (so spreadsheets read UTF-8) and the
    header with the first chunk, then a line per project."""
    writer = csv.writer(_Line())
    head = "\ufeff" + writer.writerow(CSV_COLUMNS)
    for chunk in chunks:
        yield head + "".join(writer.writerow(csv_row(project_record(row, project_url))) for row in chunk)
        head = ""
    if head:
        yield head


def json_chunks(chunks, project_url, source):
    """The JSON file in pieces: {"source": the list's URL, "projects": [record, ...]}, one record a line."""
    head, separator = '{"source": ' + json.dumps(source) + ', "projects": [', "\n"
    for chunk in chunks:
        records = [json.dumps(project_record(row, project_url), ensure_ascii=False) for row in chunk]
        yield head + separator + ",\n".join(records)
        head, separator = "", ",\n"
    yield head + "\n]}\n"


# The migration-context figures -----------------------------------------------------------------------------

FIGURE_CSV_COLUMNS = [
    "value",
    "value_high",
    "qualifier",
    "qualifier_label",
    "unit",
    "unit_label",
    "counts",
    "period_start",
    "period_end",
    "period_precision",
    "period_precision_label",
    "period_label",
    "place",
    "sentence",
    "project_slug",
    "project_title",
    "project_url",
    "figure_key",
    "figure_url",
]


def coded(choices, code):
    """{"code": "more_than", "label": "more than"}: a choice's code beside its label, or None for no value."""
    return {"code": code, "label": str(choices(code).label)} if code else None


def period_precision(row):
    """How much of the period's dates the text gives. The stored bounds are first days of months
    (ContextFigure.clean), so a dated period is at month precision; an undated one has none."""
    return Precision.MONTH if row["period_start"] else None


def figure_record(row, project_url):
    """One figure (a row of ContextFigureQuerySet.for_export()), as the JSON export writes it.
    `project_url(slug)` gives a project's full address (project_url_maker())."""
    project_url = project_url(row["project__slug"])
    return {
        "value": row["value_low"],
        "value_high": row["value_high"],
        "qualifier": coded(FigureQualifier, row["qualifier"]),
        "unit": coded(FigureUnit, row["unit"]),
        "counts": row["counts"],
        "period": {
            "start": row["period_start"].isoformat() if row["period_start"] else None,
            "end": row["period_end"].isoformat() if row["period_end"] else None,
            "precision": coded(Precision, period_precision(row)),
            "label": row["period_label"] or None,
        },
        "place": row["place"] or None,
        "sentence": row["source_sentence"],
        "project": {"slug": row["project__slug"], "title": row["project__title"], "url": project_url},
        "key": row["key"],
        "url": f"{project_url}#figure-{row['key']}",
    }


def text_cell(value):
    return "" if value is None else csv_cell(str(value))


def figure_csv_row(record):
    """A figure's JSON record flattened to FIGURE_CSV_COLUMNS."""
    period = record["period"]

    def code_and_label(pair):
        return ["", ""] if pair is None else [pair["code"], csv_cell(pair["label"])]

    return [
        str(record["value"]),
        text_cell(record["value_high"]),
        *code_and_label(record["qualifier"]),
        *code_and_label(record["unit"]),
        csv_cell(record["counts"]),
        period["start"] or "",
        period["end"] or "",
        *code_and_label(period["precision"]),
        text_cell(period["label"]),
        text_cell(record["place"]),
        csv_cell(record["sentence"]),
        record["project"]["slug"],
        csv_cell(record["project"]["title"]),
        record["project"]["url"],
        record["key"],
        record["url"],
    ]


def figure_csv_lines(rows, project_url):
    """The figures' CSV file, like csv_lines(): byte-order mark and header with the first chunk, a line per figure
    of `rows` (value rows, e.g. ContextFigureQuerySet.for_export().iterator())."""
    writer = csv.writer(_Line())
    head = "\ufeff" + writer.writerow(FIGURE_CSV_COLUMNS)
    for chunk in in_chunks(rows):
        yield head + "".join(writer.writerow(figure_csv_row(figure_record(row, project_url))) for row in chunk)
        head = ""
    if head:
        yield head


def figure_json_chunks(rows, project_url, source):
    """The figures' JSON file in pieces: {"source": /context/'s URL, "figures": [record, ...]}, one a line."""
    head, separator = '{"source": ' + json.dumps(source) + ', "figures": [', "\n"
    for chunk in in_chunks(rows):
        records = [json.dumps(figure_record(row, project_url), ensure_ascii=False) for row in chunk]
        yield head + separator + ",\n".join(records)
        head, separator = "", ",\n"
    yield head + "\n]}\n"

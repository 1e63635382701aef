"""The project list, and the figures its texts cite, as CSV and JSON files, written row by row so memory stays flat at any size.

Both formats carry the same facts (README.md, "Exports", documents them): codes beside labels, amounts
as plain numbers, and an empty cell or null, never 0, where the text states nothing.
"""

import csv
import json
from decimal import Decimal

from django.db.models.sql.constants import CURSOR
from django.urls import reverse

from .catalogue import snapshot
from .choices import FigureQualifier, FigureUnit, Precision
from .templatetags.catalogue import plain_number

# Rows fetched at a time from the database's cursor; each chunk is sent as one piece (small writes would wait on
# the client's delayed ACKs: Nagle's algorithm).
CHUNK_SIZE = 500
# The first piece is smaller, so the first rows arrive in milliseconds, whatever the catalogue's size: each row of
# it costs some 0.1 ms (its links' JSON, made and read, and its line), so 5 rows, not 20, leave 1.2 ms sooner.
FIRST_CHUNK_SIZE = 5
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


def fetched_in_chunks(queryset):
    """The rows of `queryset` (a values() QuerySet) as dicts, in lists: FIRST_CHUNK_SIZE rows, then CHUNK_SIZE at a
    time, all read from one cursor.

    QuerySet.iterator() asks the cursor for the same number of rows every time, so the first rows would wait for the
    database to make and send a whole CHUNK_SIZE of them (on PostgreSQL, a FETCH of 500 rows with their areas, grants
    and places: over 10 ms at 100,000 projects). Here the first FETCH asks for FIRST_CHUNK_SIZE. Run it inside a
    transaction (export_snapshot()): on PostgreSQL the cursor then streams from the server instead of the whole
    result being built before the first row.
    """
    compiler = queryset.query.get_compiler(queryset.db)
    cursor = compiler.execute_sql(CURSOR, chunked_fetch=True)
    if cursor is None:  # a filter that can match nothing (an empty IN list): Django asks the database nothing
        return
    names = list(queryset.query.selected)  # values() names its columns here, as Django's ValuesIterable reads them
    with cursor:
        size = FIRST_CHUNK_SIZE
        while rows := cursor.fetchmany(size):
            # results_iter() applies Django's converters (SQLite gives dates as text).
            yield [dict(zip(names, row)) for row in compiler.results_iter(results=[rows])]
            size = CHUNK_SIZE


# Reads the linked rows' JSON with amounts as exact decimals (one decoder for every row: json.loads() makes one a call).
LINKS_DECODER = json.JSONDecoder(parse_float=Decimal)


def links(text):
    """A project's linked rows, from the JSON text of ProjectQuerySet.for_export() (null or [] when it has none),
    sorted: by their first value (the name), then their second (for a grant, its pk)."""
    return sorted(LINKS_DECODER.decode(text)) if text else []


def project_chunks(projects):
    """The projects of `projects` (ProjectQuerySet.for_export(): plain values) in chunks (fetched_in_chunks()), each
    project a dict with its "areas", "grants" and "places".

    The projects, with their areas, grants (with their donors) and places, stream from one SELECT: no query per
    chunk, no model instance. Linked rows are sorted here, not in SQL: the databases' collations sort names
    differently, and Python sorted them so before.
    """
    for chunk in fetched_in_chunks(projects):
        for row in chunk:
            row["areas"] = [{"slug": slug, "name": name} for name, slug in links(row.pop("areas_json"))]
            row["grants"] = [
                {"slug": slug, "name": name, "currency": currency, "amount": amount}
                for name, _pk, slug, currency, amount in links(row.pop("grants_json"))
            ]
            row["places"] = [
                {
                    "slug": slug,
                    "name": name,
                    "display_name": display_name or None,
                    "kind": kind,
                    "iso_code": iso_code or None,
                }
                for name, slug, display_name, kind, iso_code in links(row.pop("places_json"))
            ]
        yield chunk


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


def csv_pieces(chunks, columns, line_of):
    """A CSV file, a piece per chunk: a byte-order mark (so spreadsheets read UTF-8) and the header (`columns`) with
    the first chunk, then `line_of(row)` (a list of cells) for each row."""
    writer = csv.writer(_Line())
    head = "\ufeff" + writer.writerow(columns)
    for chunk in chunks:
        yield head + "".join(writer.writerow(line_of(row)) for row in chunk)
        head = ""
    if head:
        yield head


def json_pieces(chunks, source, name, record_of):
    """A JSON file in pieces, one per chunk: {"source": `source`, `name`: [record_of(row), ...]}, one record a line."""
    head, separator = '{"source": ' + json.dumps(source) + f', "{name}": [', "\n"
    for chunk in chunks:
        records = [json.dumps(record_of(row), ensure_ascii=False) for row in chunk]
        yield head + separator + ",\n".join(records)
        head, separator = "", ",\n"
    yield head + "\n]}\n"


def csv_lines(chunks, project_url):
    """The projects' CSV file, a piece per chunk of project_chunks(), a line per project."""
    return csv_pieces(chunks, CSV_COLUMNS, lambda row: csv_row(project_record(row, project_url)))


def json_chunks(chunks, project_url, source):
    """The projects' JSON file in pieces: {"source": the list's URL, "projects": [record, ...]}."""
    return json_pieces(chunks, source, "projects", lambda row: project_record(row, project_url))


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


def figure_csv_lines(chunks, project_url):
    """The figures' CSV file, like csv_lines(): byte-order mark and header with the first chunk, a line per figure
    of `chunks` (lists of value rows: fetched_in_chunks(ContextFigureQuerySet.for_export()))."""
    return csv_pieces(chunks, FIGURE_CSV_COLUMNS, lambda row: figure_csv_row(figure_record(row, project_url)))


def figure_json_chunks(chunks, project_url, source):
    """The figures' JSON file in pieces (from lists of value rows, as figure_csv_lines()): {"source": /context/'s
    URL, "figures": [record, ...]}, one a line."""
    return json_pieces(chunks, source, "figures", lambda row: figure_record(row, project_url))

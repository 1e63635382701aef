"""The project list as CSV and JSON files, written row by row so memory stays flat at any size.

Both formats carry the same facts (README.md, "Exports", documents them): codes beside labels, amounts
as plain numbers, and an empty cell or null, never 0, where the text states nothing.
"""

import csv
import json

from .templatetags.catalogue import plain_number

# Rows fetched per query (with their areas and grants prefetched per chunk).
CHUNK_SIZE = 500
# Multi-valued CSV cells (areas, donors, grants) join their values with this.
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
]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def project_record(project, absolute_url):
    """The facts of one project, as the JSON export writes them. `absolute_url(path)` makes a full URL."""
    grants = list(project.fundings.all())
    return {
        "slug": project.slug,
        "title": project.title,
        "url": absolute_url(project.get_absolute_url()),
        "status": {"code": project.status.slug, "label": project.status.name},
        "areas": [{"slug": area.slug, "name": area.name} for area in project.areas.all()],
        "donors": [{"slug": grant.donor.slug, "name": grant.donor.name} for grant in grants],
        "grants": [
            {
                "donor": grant.donor.slug,
                "currency": grant.currency or None,
                "amount": None if grant.amount is None else json_number(grant.amount),
            }
            for grant in grants
        ],
        "start_date": project.start_date.isoformat() if project.start_date else None,
        "start_precision": project.start_precision if project.start_date else None,
        "duration_months": project.duration_months,
        # The catalogue's remark on a gap of the source, never part of the text; null when there is none.
        "editorial_note": project.editorial_note or None,
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
    ]


class _Line:
    """A file-like object csv.writer writes one line to, handed straight back (Django's streaming CSV recipe)."""

    def write(self, value):
        return value


def csv_lines(projects, absolute_url):
    """The CSV file, line by line: a byte-order mark (so spreadsheets read UTF-8), the header, a line per project."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for project in projects:
        yield writer.writerow(csv_row(project_record(project, absolute_url)))


def json_chunks(projects, absolute_url, source):
    """The JSON file in pieces: {"source": the list's URL, "projects": [record, ...]}, one record a line."""
    yield '{"source": ' + json.dumps(source) + ', "projects": ['
    separator = "\n"
    for project in projects:
        yield separator + json.dumps(project_record(project, absolute_url), ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"

"""How to cite a catalogue entry and its figures.

One CSL-JSON item per entry is the hub (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html):
the BibTeX and RIS files are derived from it field by field, and the citation a visitor reads on the page is
rendered from it by citeproc-py with the Cite Them Right (Harvard) style that citeproc-py ships, so every
format says the same thing. The entry is cited as a web page by IOM Serbia in this catalogue, with the date
of its last change as its version (a 2015 project's entry changes when the catalogue does, not the project).
"""

import datetime
import json
import re
from functools import cache, lru_cache

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, pgettext

from portal.serbian import to_cyrillic

from .templatetags.catalogue import figure_period, figure_with_unit
from .translation import own_words

AUTHOR = "IOM Serbia"
CATALOGUE_NAME = "IOM Serbia Project Catalogue"
STYLE = "harvard-cite-them-right"
# The CSL locale for each interface language (citeproc-py ships these): "Accessed", month names, date order.
# Serbian Cyrillic is the Latin locale converted (portal.serbian): citeproc-py's sr-Cyrl-RS leaves "available at"
# in English.
CSL_LOCALES = {"en": "en-GB", "sr": "sr-Latn-RS", "sr-latn": "sr-Latn-RS"}
CYRILLIC_LANGUAGES = {"sr"}


def date_parts(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


def last_changed(project):
    """The day the catalogue entry last changed, in the portal's time zone."""
    return timezone.localtime(project.updated).date()


def today():
    return timezone.localdate()


def entry_item(project, url, accessed=None):
    """The CSL-JSON item of one catalogue entry. `url` is the entry's absolute URL."""
    changed = last_changed(project)
    return {
        "id": f"iom-serbia-{project.slug}",
        "type": "webpage",
        "author": [{"literal": AUTHOR}],
        "title": project.title,
        "container-title": CATALOGUE_NAME,
        "URL": url,
        # The entry's version is the day it last changed; it is also its issue date, so that author-date
        # styles print the year of the version cited rather than "n.d.".
        "version": changed.isoformat(),
        "issued": date_parts(changed),
        "accessed": date_parts(accessed or today()),
    }


def figure_item(figure, words, url, accessed=None):
    """The CSL-JSON item of one figure: the figure in words, within its project's entry, at its anchor."""
    item = entry_item(figure.project, url, accessed)
    item.update(
        id=f"iom-serbia-{figure.project.slug}-figure-{figure.key}",
        title=words,
        **{"container-title": f"{figure.project.title}, {CATALOGUE_NAME}"},
    )
    return item


def figure_in_words(figure):
    """ "more than 700,000 people: migrants passing through Serbia, mid-2015 to March 2016, Serbia", said the
    way the figure's card says it."""
    words = f"{figure_with_unit(figure)}: {own_words(figure, 'counts')}, {figure_period(figure)}"
    return f"{words}, {figure.place}" if figure.place else words


def figure_anchor(figure):
    """The id of a figure's card on its project page (templates/includes/_figure.html), which links from the
    text and from /context/ point at."""
    return f"figure-{figure.key}"


# Files ------------------------------------------------------------------------------------------------------


def iso_date(parts):
    year, month, day = parts["date-parts"][0]
    return datetime.date(year, month, day)


# BibTeX treats these as commands or groups; a title may hold any of them.
BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def bibtex_text(text):
    return "".join(BIBTEX_ESCAPES.get(character, character) for character in " ".join(text.split()))


def to_bibtex(item):
    """The item as a BibTeX @misc entry (what BibTeX and biblatex both read), UTF-8.

    The corporate author and the title are double-braced so BibTeX neither splits the name into given and
    family names nor changes the title's capitals.
    """
    issued, accessed = iso_date(item["issued"]), iso_date(item["accessed"])
    fields = [
        ("author", "{" + bibtex_text(item["author"][0]["literal"]) + "}"),
        ("title", "{" + bibtex_text(item["title"]) + "}"),
        ("howpublished", bibtex_text(item["container-title"])),
        ("year", str(issued.year)),
        ("month", str(issued.month)),
        ("version", item["version"]),
        ("url", item["URL"]),
        ("urldate", accessed.isoformat()),
        ("note", f"Catalogue entry last changed {issued.isoformat()}; accessed {accessed.isoformat()}"),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{item['id']},\n{body}\n}}\n"


def ris_text(text):
    # A RIS value is one line.
    return " ".join(text.split())


def to_ris(item):
    """The item as a RIS record (type ELEC, an electronic source), CRLF line ends as the format asks."""
    issued, accessed = iso_date(item["issued"]), iso_date(item["accessed"])
    lines = [
        ("TY", "ELEC"),
        ("AU", item["author"][0]["literal"]),
        ("TI", ris_text(item["title"])),
        ("T2", ris_text(item["container-title"])),
        ("PY", str(issued.year)),
        ("DA", issued.strftime("%Y/%m/%d")),
        ("ET", item["version"]),
        ("UR", item["URL"]),
        ("Y2", accessed.strftime("%Y/%m/%d")),
        ("ID", item["id"]),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


# The visible citation --------------------------------------------------------------------------------------


@cache
def style(locale):
    # Parsing the style file costs tens of milliseconds: once per process and locale.
    return CitationStylesStyle(STYLE, locale=locale, validate=False)


def csl_locale():
    return CSL_LOCALES.get(get_language() or "en", "en-GB")


def english_marked(text, english):
    """`text` escaped, with each of the phrases `english` in it inside <span lang="en"> (on a page in another
    language: the source's own words, as everywhere else)."""
    phrases = sorted({phrase for phrase in english if phrase}, key=len, reverse=True)
    if not phrases or (get_language() or "en") == "en":
        return escape(text)
    pattern = re.compile("|".join(re.escape(phrase) for phrase in phrases))
    out, position = [], 0
    for match in pattern.finditer(text):
        out += [escape(text[position : match.start()]), f'<span lang="en">{escape(match.group())}</span>']
        position = match.end()
    out.append(escape(text[position:]))
    return "".join(out)


def rendered(item, english=()):
    """The item formatted as the reference-list entry of the style, as safe HTML in the page's language.

    The style prints no version, so the displayed copy carries it as the medium, which the style prints
    in brackets after the title ("[catalogue entry, version of 1 December 2026]"); the files keep it as
    `version`. citeproc-py's HTML formatter adds <i> but does not escape the item's text: the copy is escaped,
    and the source's English words in it (the author's and the catalogue's names, `english`: a project's
    title, what a figure counts) are marked lang="en" on pages in another language.
    """
    version = date_format(iso_date(item["issued"]), pgettext("citation date", "j F Y"))
    english = {AUTHOR, CATALOGUE_NAME, *english}
    shown = {name: english_marked(value, english) if isinstance(value, str) else value for name, value in item.items()}
    shown["URL"] = escape(item["URL"])
    shown["author"] = [{"literal": english_marked(author["literal"], english)} for author in item["author"]]
    shown["medium"] = escape(gettext("catalogue entry, version of %(date)s") % {"date": version})
    citation = _formatted(json.dumps(shown, sort_keys=True), csl_locale())
    if get_language() in CYRILLIC_LANGUAGES:
        citation = to_cyrillic(citation)  # the source's English words are in lang="en" elements: kept
    return mark_safe(citation)


@lru_cache(maxsize=4096)
def _formatted(item_json, locale):
    # citeproc-py takes about 10 ms per item: a page re-rendered after an edit elsewhere in the catalogue (a
    # new page-cache generation) reuses the citations it made before, until one of their words or dates changes.
    item = json.loads(item_json)
    bibliography = CitationStylesBibliography(style(locale), CiteProcJSON([item]), formatter.html)
    bibliography.register(Citation([CitationItem(item["id"])]))
    return str(bibliography.bibliography()[0])

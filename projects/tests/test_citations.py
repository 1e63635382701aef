"""Citations: "Cite this entry" and "Cite this figure" on project pages, and the entry as BibTeX, RIS and CSL-JSON.

The files are read with the parsers reference managers use (bibtexparser, rispy) and the CSL-JSON is rendered
by citeproc-py, so a file that only looks right fails.
"""

import datetime
import json
import re

import bibtexparser
import pytest
import rispy
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from django.utils import timezone
from django.utils.html import escape

from projects.models import ContextFigure, Project

from .factories import make_figure, make_project

pytestmark = pytest.mark.django_db

FORMATS = ["bib", "ris", "json"]
CONTENT_TYPES = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}
# Every character BibTeX, RIS or HTML treat specially, and some that are not ASCII.
AWKWARD_TITLE = "Borders & {Brackets}: 50% of $1 #2 a_b ^c ~d \\e <i>f</i> “Ž”"


def cite_url(project, file_format):
    return f"/projects/{project.slug}/cite.{file_format}"


def absolute(path):
    # Paths are built by hand, not by reverse(): a Serbian request earlier in the process leaves its language active.
    return f"http://testserver{path}"


def parsed_bibtex(text):
    library = bibtexparser.parse_string(text, append_middleware=[bibtexparser.middlewares.LatexDecodingMiddleware()])
    assert not library.failed_blocks, library.failed_blocks
    assert len(library.entries) == 1
    return {field.key: field.value for field in library.entries[0].fields}


def rendered_csl(items):
    style = CitationStylesStyle("harvard-cite-them-right", locale="en-GB", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bibliography.register(Citation([CitationItem(items[0]["id"])]))
    return str(bibliography.bibliography()[0])


def accessed_today():
    return timezone.localdate()


def test_every_published_project_of_the_catalogue_has_three_citation_files_that_parse(client, catalogue):
    projects = list(Project.objects.published())
    assert len(projects) == 7
    for project in projects:
        url = absolute(f"/projects/{project.slug}/")
        changed = timezone.localtime(project.updated).date()

        bib = parsed_bibtex(client.get(cite_url(project, "bib")).content.decode())
        assert bib["title"] == project.title
        assert bib["author"] == "IOM Serbia"
        assert bib["url"] == url
        assert bib["version"] == changed.isoformat()
        assert bib["urldate"] == accessed_today().isoformat()

        [ris] = rispy.loads(client.get(cite_url(project, "ris")).content.decode())
        assert ris["type_of_reference"] == "ELEC"
        assert ris["title"] == project.title
        assert ris["authors"] == ["IOM Serbia"]
        assert ris["urls"] == [url]
        assert ris["edition"] == changed.isoformat()
        assert ris["access_date"] == accessed_today().strftime("%Y/%m/%d")

        items = json.loads(client.get(cite_url(project, "json")).content)
        assert items[0]["version"] == changed.isoformat()
        text = rendered_csl(items)
        assert text.startswith(f"IOM Serbia ({changed.year}) {project.title}")
        assert "IOM Serbia Project Catalogue" in text
        assert f"Available at: {url} (Accessed: {accessed_today().day} " in text


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_citation_file_has_its_content_type_and_a_filename(client, file_format):
    project = make_project("Border Management", slug="border-management")

    response = client.get(cite_url(project, file_format))

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[file_format]
    assert response["Content-Disposition"] == f'attachment; filename="iom-serbia-border-management.{file_format}"'


@pytest.mark.parametrize("file_format", FORMATS)
def test_an_unpublished_or_unknown_entry_has_no_citation_file(client, file_format):
    hidden = make_project("Hidden", is_published=False)

    assert client.get(cite_url(hidden, file_format)).status_code == 404
    assert client.get(f"/projects/no-such-project/cite.{file_format}").status_code == 404


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_citation_file_is_kept_by_the_page_cache_like_a_page(client, django_assert_num_queries, file_format):
    project = make_project()
    first = client.get(cite_url(project, file_format))

    with django_assert_num_queries(1):  # the catalogue generation: the file comes from the cache
        again = client.get(cite_url(project, file_format))

    assert again.content == first.content
    assert again.has_header("ETag")


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_citation_file_makes_one_query_of_its_own_whatever_the_entry_holds(
    client, django_assert_num_queries, file_format
):
    """Guards against N+1 in the citation files: 1 + 1, the catalogue generation, then the entry's slug, title and
    last change; its figures, grants and areas are not read."""
    project = make_project()
    for number in range(30):
        make_figure(project, key=f"figure-{number}")

    with django_assert_num_queries(1 + 1):
        assert client.get(cite_url(project, file_format)).status_code == 200


def test_a_title_with_characters_the_formats_treat_specially_survives_every_file(client):
    project = make_project(AWKWARD_TITLE, slug="awkward")

    # LaTeX's \textasciicircum prints a caret; pylatexenc decodes it as U+02C6, the modifier-letter caret.
    bibtex_title = parsed_bibtex(client.get(cite_url(project, "bib")).content.decode())["title"]
    assert bibtex_title.replace("\u02c6", "^") == AWKWARD_TITLE
    assert rispy.loads(client.get(cite_url(project, "ris")).content.decode())[0]["title"] == AWKWARD_TITLE
    assert rendered_csl(json.loads(client.get(cite_url(project, "json")).content)).startswith(
        f"IOM Serbia ({timezone.localdate().year}) {AWKWARD_TITLE}"
    )
    page = client.get(project.get_absolute_url()).content.decode()
    assert "<i>f</i>" not in page.split('id="cite"')[1]
    assert escape("<i>f</i>") in page.split('id="cite"')[1]


def test_the_project_page_cites_the_entry_with_its_version_and_the_day_it_was_read(client):
    project = make_project("Border Management", slug="border-management")
    Project.objects.filter(pk=project.pk).update(updated=timezone.make_aware(datetime.datetime(2026, 3, 4, 12)))
    today = timezone.localdate()

    page = client.get(project.get_absolute_url()).content.decode()

    cite = re.search(r'<p class="cite__text">(.*?)</p>', page, flags=re.DOTALL).group(1)
    assert cite == (
        "IOM Serbia (2026) <i>Border Management</i> [catalogue entry, version of 4 March 2026], "
        "<i>IOM Serbia Project Catalogue</i>. Available at: http://testserver/projects/border-management/ "
        f"(Accessed: {today.day} {today:%B} {today.year})."
    )
    for file_format in FORMATS:
        assert f'href="/projects/border-management/cite.{file_format}" download' in page


@pytest.mark.parametrize(
    ("prefix", "available", "entry"),
    [("/sr-latn", "Dostupno na", "unos u katalogu"), ("/sr", "Доступно на", "унос у каталогу")],
)
def test_the_serbian_page_cites_the_entry_in_serbian_with_its_serbian_address(client, prefix, available, entry):
    project = make_project("Border Management", slug="border-management")

    page = client.get(f"{prefix}/projects/{project.slug}/").content.decode()

    cite = re.search(r'<p class="cite__text">(.*?)</p>', page, flags=re.DOTALL).group(1)
    assert f"{available}: http://testserver{prefix}/projects/border-management/ (" in cite
    assert f"[{entry}, " in cite
    # The source's English words, marked as such: the office's name, the entry's title, the catalogue's name.
    assert '<span lang="en">IOM Serbia</span> (' in cite
    assert '<i><span lang="en">Border Management</span></i>' in cite
    assert '<span lang="en">IOM Serbia Project Catalogue</span>' in cite


def test_every_figure_has_its_anchor_and_a_citation_that_points_at_it(client, catalogue):
    for project in Project.objects.published().filter(figures__isnull=False).distinct():
        page = client.get(f"/projects/{project.slug}/").content.decode()
        for figure in project.figures.all():
            assert page.count(f'id="figure-{figure.key}"') == 1
            url = f"http://testserver/projects/{project.slug}/#figure-{figure.key}"
            card = page.split(f'id="figure-{figure.key}"')[1].split('class="figure-card"')[0]
            assert "Cite this figure" in card
            assert f"Available at: {url} " in card
            assert f"<i>{escape(project.title)}, IOM Serbia Project Catalogue</i>" in card
            assert escape(figure.source_sentence) in card


def test_a_figure_citation_says_the_figure_in_words(client):
    project = make_project("Open Communities", text="As of 2016 some 4,000 migrants were in Serbia.")
    make_figure(
        project,
        key="in-serbia",
        value_low=4000,
        qualifier="about",
        counts="migrants in Serbia",
        period_label="As of 2016",
        period_start=datetime.date(2016, 1, 1),
        place="Serbia",
        source_sentence="As of 2016 some 4,000 migrants were in Serbia.",
    )

    page = client.get(project.get_absolute_url()).content.decode()

    card = page.split('id="figure-in-serbia"')[1]
    assert "<i>some 4,000 people: migrants in Serbia, As of 2016, Serbia</i>" in card


def test_the_context_page_links_each_figure_to_its_anchor_on_its_project_page(client, catalogue):
    page = client.get("/context/").content.decode()

    for figure in ContextFigure.objects.published().select_related("project"):
        assert f'href="/projects/{figure.project.slug}/#figure-{figure.key}"' in page

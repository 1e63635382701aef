"""The catalogue's own words in Serbian (issue 12): status and area names and descriptions, what a figure counts and
its period in words, editorial notes, in Latin on /sr-latn/ and in Cyrillic on /sr/, never on English pages; the
source's words (texts, titles, quotes, donor and partner names) in English inside lang="en"; the admin edits both
languages side by side; the fixtures carry them; search finds Serbian area and donor names typed in either script.

Runs on SQLite and on PostgreSQL (DATABASE_URL): the search tests cover both search paths."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from portal.serbian import to_cyrillic
from projects.choices import PartnerRole
from projects.models import Area, ContextFigure, Donor, Project, Status
from projects.translation import own_words

from .factories import make_area, make_donor, make_figure, make_funding, make_project, make_status
from .support.admin import change_url, make_editor, open_form, signed_in
from .support.catalogue_words import ENGLISH_PLACE_NAMES
from .support.html import page_text

pytestmark = pytest.mark.django_db

# The catalogue's own English names: a Serbian page must show none of them outside a lang="en" element.
ENGLISH_STATUS_AND_AREA_NAMES = [
    "Completed",
    "Asylum and reception",
    "Border management",
    "Community support",
    "Counter-smuggling and trafficking",
    "Information management and planning",
    "Institutional capacity",
]


def english_role_names():
    with translation.override("en"):
        return [str(label) for _value, label in PartnerRole.choices]


SERBIAN_PAGES = [
    "/",
    "/projects/",
    "/projects/?area=border-management&status=completed",
    "/projects/croboweb-cross-border-cooperation/",
    "/projects/increasing-capacities-irregular-migration/",
    "/projects/open-communities-successful-communities/",
    "/projects/eu-supports-border-management/",
    "/donors/",
    "/donors/european-union/",
    "/areas/",
    "/areas/border-management/",
    "/context/",
    "/places/",
    "/places/greece/",
    "/projects/?place=fyrm&place=greece",
]


class OutsideEnglish(HTMLParser):
    """The text of a page that is not inside an element marked lang="en" (nor in a script or style)."""

    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, English?) of the open elements
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr", "img", "input", "link", "meta", "wbr", "source", "col", "area", "base"):
            return
        lang = dict(attrs).get("lang")
        inherited = self.stack[-1][1] if self.stack else False
        self.stack.append((tag, lang == "en" if lang is not None else inherited))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack and (self.stack[-1][1] or self.stack[-1][0] in ("script", "style")):
            return
        self.parts.append(data)


def text_outside_english(response):
    parser = OutsideEnglish()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def english_names_in(text, names):
    """The `names` that `text` holds as words. “Completed Projects”, the source page's own title that the interface
    quotes (in its translations, so without a lang mark), is a title, not the status name."""
    text = text.replace("“Completed Projects”", "").replace("„Completed Projects“", "")
    return [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)]


# Pages --------------------------------------------------------------------------------------------------------------


def test_serbian_latin_pages_say_the_catalogues_own_words_in_serbian(client, catalogue):
    areas = page_text(client.get("/sr-latn/areas/"))
    assert "Upravljanje granicom" in areas
    assert "Borba protiv krijumčarenja migranata i trgovine ljudima." in areas
    detail = page_text(client.get("/sr-latn/projects/increasing-capacities-irregular-migration/"))
    assert "Završen" in detail
    assert "Azil i prihvat" in detail and "Institucionalni kapaciteti" in detail
    assert "Izvorna stranica se ovde završava i ne navodi dve komponente koje najavljuje." in detail
    context = page_text(client.get("/sr-latn/context/"))
    assert "migranti koji su prolazili kroz Srbiju na putu ka zapadnoj Evropi" in context
    assert "Od sredine 2015. do početka marta 2016." in context
    assert "januar 2017." in context


def test_serbian_cyrillic_pages_say_the_same_words_converted_from_the_latin(client, catalogue):
    areas = page_text(client.get("/sr/areas/"))
    assert "Управљање границом" in areas and "Upravljanje granicom" not in areas
    assert "Борба против кријумчарења миграната и трговине људима." in areas
    detail = page_text(client.get("/sr/projects/increasing-capacities-irregular-migration/"))
    assert "Завршен" in detail and "Азил и прихват" in detail
    assert "Изворна страница се овде завршава и не наводи две компоненте које најављује." in detail
    context = page_text(client.get("/sr/context/"))
    assert "мигранти који су пролазили кроз Србију на путу ка западној Европи" in context
    assert "Од средине 2015. до почетка марта 2016." in context
    # Every Serbian value the fixtures carry is shown in Cyrillic exactly as the converter makes it.
    for area in Area.objects.all():
        assert to_cyrillic(area.name_sr_latn) in areas


@pytest.mark.parametrize("url", ["/areas/", "/projects/increasing-capacities-irregular-migration/", "/context/", "/"])
def test_english_pages_show_no_serbian_value(client, catalogue, url):
    text = page_text(client.get(url))
    serbian = [area.name_sr_latn for area in Area.objects.all()] + [Status.objects.get().name_sr_latn]
    serbian += [
        value
        for figure in ContextFigure.objects.all()
        for value in (figure.counts_sr_latn, figure.period_label_sr_latn)
    ]
    serbian += [note for note in Project.objects.values_list("editorial_note_sr_latn", flat=True) if note]
    serbian += [to_cyrillic(value) for value in serbian]
    assert [value for value in serbian if value in text] == []
    assert "Border management" in page_text(client.get("/areas/"))


@pytest.mark.parametrize("prefix", ["/sr-latn", "/sr"])
@pytest.mark.parametrize("url", SERBIAN_PAGES)
def test_a_serbian_page_in_either_script_shows_no_english_status_area_or_role_name_outside_lang_en(
    client, catalogue, url, prefix
):
    text = text_outside_english(client.get(f"{prefix}{url}"))
    assert text, "the page has text outside lang=en"
    # A project's title is the source's ("… In Serbia"): the page's <title> holds it, where no lang mark can go.
    for title in Project.objects.values_list("title", flat=True):
        text = text.replace(title, "")
    assert english_names_in(text, ENGLISH_STATUS_AND_AREA_NAMES + ENGLISH_PLACE_NAMES + english_role_names()) == []


def test_a_word_not_yet_translated_shows_in_english_marked_as_english(client):
    area = make_area("Labour migration")
    make_project("Work Abroad", areas=[area])
    page = client.get(f"/sr-latn/areas/{area.slug}/").content.decode()
    assert '<h1 lang="en">Labour migration</h1>' in page
    area.name_sr_latn = "Radne migracije"
    area.save()
    page = client.get(f"/sr/areas/{area.slug}/").content.decode()
    assert "<h1>Радне миграције</h1>" in page


def test_the_filter_list_names_areas_and_statuses_in_serbian_in_facets_and_chips(client, catalogue):
    response = client.get("/sr-latn/projects/?area=border-management&status=completed")
    page = response.content.decode()
    assert '<option value="completed" selected>Završen' in page or "Status: Završen" in page_text(response)
    assert "Upravljanje granicom (2" in page_text(response)
    chips = page_text(response).split("Ukloni filter")[1:]
    assert any("Upravljanje granicom" in chip for chip in chips)


def test_a_figures_citation_says_what_it_counts_in_the_pages_language(client, catalogue):
    figure = ContextFigure.objects.get(key="migrants-passed-through-serbia-2015-2016")
    from projects.citations import figure_in_words

    with translation.override("sr-latn"):
        assert figure.counts_sr_latn in figure_in_words(figure)
    with translation.override("en"):
        assert figure.counts in figure_in_words(figure)


def test_own_words_fall_back_to_english_and_say_so():
    status = Status(name="Ongoing", name_sr_latn="")
    assert (own_words(status, "name", "sr-latn"), own_words(status, "name", "sr-latn").language) == ("Ongoing", "en")
    status.name_sr_latn = "U toku"
    assert (own_words(status, "name", "sr"), own_words(status, "name", "sr").language) == ("У току", "sr")
    assert own_words(status, "name", "en") == "Ongoing"
    # A donor's name is the source's: shown in English on every page, whatever its Serbian search name.
    donor = Donor(name="European Union", search_name_sr_latn="Evropska unija")
    assert own_words(donor, "name", "sr-latn") == "European Union"


# Search -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def two_projects():
    border = make_area("Border management", name_sr_latn="Upravljanje granicom")
    asylum = make_area("Asylum and reception", name_sr_latn="Azil i prihvat")
    eu = make_donor("European Union", search_name_sr_latn="Evropska unija")
    fund = make_donor("IOM International Development Fund", search_name_sr_latn="Međunarodni razvojni fond IOM")
    guarding = make_project("Guarding Lines", areas=[border])
    make_funding(guarding, eu)
    sheltering = make_project("Shelters For All", areas=[asylum])
    make_funding(sheltering, fund)
    return guarding, sheltering


def titles_found(client, query, prefix="/sr-latn"):
    response = client.get(f"{prefix}/projects/", {"q": query})
    assert response.status_code == 200
    return sorted(project.title for project in response.context["projects"])


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("granicom", ["Guarding Lines"]),
        ("upravljanje granicom", ["Guarding Lines"]),
        ("границом", ["Guarding Lines"]),
        ("Управљање границом", ["Guarding Lines"]),
        ("Evropska unija", ["Guarding Lines"]),
        ("Европска унија", ["Guarding Lines"]),
        ("azil", ["Shelters For All"]),
        ("азил", ["Shelters For All"]),
        ("razvojni fond", ["Shelters For All"]),
        ("развојни фонд", ["Shelters For All"]),
    ],
)
def test_search_finds_projects_by_serbian_area_and_donor_names_in_either_script(client, two_projects, query, found):
    assert titles_found(client, query) == found
    assert titles_found(client, query, prefix="/sr") == found


def test_search_still_finds_english_names_on_serbian_pages(client, two_projects):
    assert titles_found(client, "border management") == ["Guarding Lines"]
    assert titles_found(client, "European Union") == ["Guarding Lines"]


def test_a_new_serbian_area_name_is_searchable_at_once(client, two_projects):
    area = Area.objects.get(name="Asylum and reception")
    area.name_sr_latn = "Prihvat tražilaca"
    area.save()
    assert titles_found(client, "tražilaca") == ["Shelters For All"]
    assert titles_found(client, "azil") == []


def test_the_real_catalogue_is_found_by_serbian_names(client, catalogue):
    eu_projects = sorted(Project.objects.filter(donors__slug="european-union").values_list("title", flat=True))
    assert titles_found(client, "Европска унија") == eu_projects
    border = sorted(Project.objects.filter(areas__slug="border-management").values_list("title", flat=True))
    assert titles_found(client, "Upravljanje granicom") == border


# Admin --------------------------------------------------------------------------------------------------------------


def same_row(english, serbian, page):
    """True when the admin form shows the two fields side by side: Django puts a tuple of fields in one form-row."""
    return re.search(rf'<div class="form-row[^"]*\bfield-{english} field-{serbian}"', page) is not None


def test_the_admin_edits_an_areas_name_and_description_side_by_side_and_saves_both(catalogue):
    client = signed_in(make_editor())
    area = Area.objects.get(slug="border-management")
    url = change_url(area)
    page = client.get(url).content.decode()
    # Each pair on one row of the form: Django's admin puts a tuple of fields in one "form-row".
    assert same_row("name", "name_sr_latn", page) and same_row("description", "description_sr_latn", page)
    fields = open_form(client, url)
    fields.update(name="Border management and cooperation", name_sr_latn="Upravljanje granicom i saradnja")
    response = client.post(url, fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    area.refresh_from_db()
    assert (area.name, area.name_sr_latn) == ("Border management and cooperation", "Upravljanje granicom i saradnja")
    assert "Upravljanje granicom i saradnja" in page_text(client.get("/sr-latn/areas/"))


def test_the_admin_edits_a_projects_editorial_note_and_figures_in_both_languages(catalogue):
    client = signed_in(make_editor())
    project = Project.objects.get(slug="increasing-capacities-irregular-migration")
    url = change_url(project)
    page = client.get(url).content.decode()
    assert same_row("editorial_note", "editorial_note_sr_latn", page)
    fields = open_form(client, url)
    fields["editorial_note_sr_latn"] = "Izvorna stranica se ovde prekida."
    response = client.post(url, fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert project.editorial_note_sr_latn == "Izvorna stranica se ovde prekida."
    assert "Изворна страница се овде прекида." in page_text(client.get(f"/sr/projects/{project.slug}/"))

    figure = ContextFigure.objects.get(key="refugees-and-migrants-january-2017")
    url = change_url(figure.project)
    fields = open_form(client, url)
    prefix = next(name for name, value in fields.items() if name.endswith("-key") and value == figure.key)[:-3]
    assert fields[f"{prefix}counts_sr_latn"] == "izbeglice i migranti u Srbiji"
    fields[f"{prefix}counts_sr_latn"] = "izbeglice i migranti koji su u Srbiji"
    fields[f"{prefix}period_label_sr_latn"] = "u januaru 2017."
    response = client.post(url, fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    figure.refresh_from_db()
    assert (figure.counts_sr_latn, figure.period_label_sr_latn) == (
        "izbeglice i migranti koji su u Srbiji",
        "u januaru 2017.",
    )


def test_the_admin_edits_a_donors_serbian_search_name_beside_its_name(catalogue):
    client = signed_in(make_editor())
    donor = Donor.objects.get(slug="european-union")
    url = change_url(donor)
    assert same_row("name", "search_name_sr_latn", client.get(url).content.decode())
    fields = open_form(client, url)
    fields["search_name_sr_latn"] = "Evropska unija (EU)"
    assert client.post(url, fields).status_code == 302
    donor.refresh_from_db()
    assert donor.search_name_sr_latn == "Evropska unija (EU)"


# Fixtures -----------------------------------------------------------------------------------------------------------


def test_the_fixtures_give_every_status_area_figure_and_donor_its_serbian_words(catalogue):
    assert all(status.name_sr_latn and status.description_sr_latn for status in Status.objects.all())
    assert all(area.name_sr_latn and area.description_sr_latn for area in Area.objects.all())
    assert all(donor.search_name_sr_latn for donor in Donor.objects.all())
    for figure in ContextFigure.objects.all():
        assert figure.counts_sr_latn
        assert bool(figure.period_label_sr_latn) == bool(figure.period_label)
    for project in Project.objects.all():
        assert bool(project.editorial_note_sr_latn) == bool(project.editorial_note)
    assert Donor.objects.get(slug="european-union").search_name_sr_latn == "Evropska unija"


def test_a_reload_keeps_a_staff_edit_of_a_serbian_word(catalogue):
    client = signed_in(make_editor())
    status = make_status()  # the fixtures' "completed"
    url = change_url(status)
    fields = open_form(client, url)
    fields["name_sr_latn"] = "Okončan"
    assert client.post(url, fields).status_code == 302
    with pytest.raises(CommandError, match="1 staff edit"):
        call_command("reload_catalogue", verbosity=0)
    status.refresh_from_db()
    assert status.name_sr_latn == "Okončan"
    call_command("reload_catalogue", overwrite_staff_edits=True, verbosity=0)
    status.refresh_from_db()
    assert status.name_sr_latn == "Završen"


def test_a_figure_without_serbian_words_shows_the_english_marked(client):
    project = make_project("Counting Project")
    make_figure(project, counts="people counted", period_label="Nowadays")
    page = client.get(f"/sr-latn/projects/{project.slug}/").content.decode()
    assert '<dd lang="en">people counted</dd>' in page
    assert '<span lang="en">Nowadays</span>' in page


def test_a_serbian_project_pages_json_ld_names_its_areas_in_the_pages_language(client, catalogue):
    def keywords(url):
        block = re.search(r'<script type="application/ld\+json">(.*?)</script>', client.get(url).content.decode(), re.S)
        return json.loads(block.group(1))["keywords"]

    path = "/projects/croboweb-cross-border-cooperation/"
    assert keywords(path) == ["Border management", "Counter-smuggling and trafficking"]
    assert keywords(f"/sr-latn{path}") == ["Upravljanje granicom", "Borba protiv krijumčarenja i trgovine ljudima"]
    assert keywords(f"/sr{path}") == ["Управљање границом", "Борба против кријумчарења и трговине људима"]


def test_a_reload_fills_in_the_serbian_words_of_a_catalogue_loaded_before_they_existed(catalogue):
    # As after migration 0012: empty Serbian fields, no staff edit in the history, fingerprints that differ.
    Area.objects.update(name_sr_latn="", description_sr_latn="")
    ContextFigure.objects.update(counts_sr_latn="", period_label_sr_latn="")
    call_command("reload_catalogue", verbosity=0)
    assert Area.objects.get(slug="border-management").name_sr_latn == "Upravljanje granicom"
    assert not ContextFigure.objects.filter(counts_sr_latn="").exists()

"""Places in Serbian (issues 12 and 13): place names are the catalogue's own words, in Latin on /sr-latn/ and in
Cyrillic on /sr/, on every page that names a place (lists, facets, chips, the map, place pages, a project's facts
and the reference links in its text); the text's own name ("FYRM") stays English inside lang="en"; exports stay
English; the map names countries in the page's language; search finds places by either name in either script.

Runs on SQLite and on PostgreSQL (DATABASE_URL): the search tests cover both search paths."""

import html
import re

import pytest
from django.utils import translation

from projects.models import Place, Project

from .factories import link_place, make_place, make_project
from .support.admin import change_url, make_editor, open_form, signed_in
from .support.html import facet_choices, page_text, source_marks
from .test_places import shaded_countries

pytestmark = pytest.mark.django_db

CROBOWEB = "croboweb-cross-border-cooperation"
FYRM_LABEL = {
    "en": "North Macedonia (the text says “FYRM”)",
    "sr-latn": "Severna Makedonija (u tekstu: „FYRM“)",
    "sr": "Северна Македонија (у тексту: „FYRM“)",
}


def text_of(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", str(fragment))).split())


# The label --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "sr-latn", "sr"])
def test_a_places_label_is_in_the_pages_language_with_the_texts_own_name(catalogue, language):
    fyrm, greece = Place.objects.get(slug="fyrm"), Place.objects.get(slug="greece")
    with translation.override(language):
        assert fyrm.label == FYRM_LABEL[language]
        assert greece.label == {"en": "Greece", "sr-latn": "Grčka", "sr": "Грчка"}[language]
        marked = fyrm.marked_label
    if language == "en":
        assert marked == "North Macedonia (the text says “FYRM”)"
    else:
        # Only the text's own name is English, and says so.
        assert '<span lang="en">FYRM</span>' in marked and marked.count("lang=") == 1
        assert text_of(marked) == FYRM_LABEL[language]


def test_a_place_without_serbian_words_shows_its_english_name_marked_as_english(db):
    place = make_place("Atlantis", iso_code="")
    with translation.override("sr-latn"):
        assert place.label == "Atlantis" and place.label.language == "en"
        assert place.marked_label == '<span lang="en">Atlantis</span>'


# Pages ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "names"),
    [
        (
            "/sr-latn",
            ["Srbija", "Grčka", "granica sa Bugarskom", "Zapadnobalkanska ruta", "Istočnomediteranska ruta"],
        ),
        ("/sr", ["Србија", "Грчка", "граница са Бугарском", "Западнобалканска рута", "Источномедитеранска рута"]),
    ],
)
def test_the_places_page_names_every_place_in_serbian(client, catalogue, prefix, names):
    text = page_text(client.get(f"{prefix}/places/"))
    for name in names:
        assert name in text
    assert FYRM_LABEL[prefix.strip("/")] in text
    page = client.get(f"{prefix}/places/").content.decode()
    assert '<span lang="en">FYRM</span>' in page


@pytest.mark.parametrize(("prefix", "name"), [("/sr-latn", "Grčka"), ("/sr", "Грчка")])
def test_a_place_page_heads_and_titles_itself_in_serbian(client, catalogue, prefix, name):
    page = client.get(f"{prefix}/places/greece/").content.decode()
    assert f"<h1>{name}</h1>" in page
    assert re.search(rf"<title>{name} ", page)
    assert f'<li aria-current="page">{name}</li>' in page


def test_facets_and_chips_name_places_in_serbian_with_the_texts_name_marked(client, catalogue):
    response = client.get("/sr-latn/projects/", {"place": "serbia"})
    choices = facet_choices(response)["place"]
    assert text_of(choices["greece"]["label"]) == "Grčka"
    assert text_of(choices["fyrm"]["label"]) == FYRM_LABEL["sr-latn"]
    assert text_of(choices["western-balkan-route"]["label"]) == "Zapadnobalkanska ruta"

    def chips(response):
        page = response.content.decode()
        return re.findall(r'<a class="tag"[^>]*>(.*?)</a>', page, flags=re.S)

    assert any("Srbija" in text_of(chip) for chip in chips(response))
    fyrm_chips = [chip for chip in chips(client.get("/sr/projects/", {"place": "fyrm"})) if "FYRM" in chip]
    assert len(fyrm_chips) == 1 and FYRM_LABEL["sr"] in text_of(fyrm_chips[0])
    assert '<span lang="en">FYRM</span>' in fyrm_chips[0]


@pytest.mark.parametrize("prefix", ["/sr-latn", "/sr"])
def test_a_project_page_names_its_places_in_serbian_in_facts_and_reference_links(client, catalogue, prefix):
    page = client.get(f"{prefix}/projects/{CROBOWEB}/").content.decode()
    facts = re.search(r'<ul class="plain-list place-facts">(.*?)</ul>', page, flags=re.S)[1]
    language = prefix.strip("/")
    greece = {"sr-latn": "Grčka", "sr": "Грчка"}[language]
    assert greece in text_of(facts) and FYRM_LABEL[language] in text_of(facts)
    # "… three countries: Serbia, FYRM and Greece.": one sentence, several places, a reference link per place.
    marks = [mark for mark in source_marks(page) if "Serbia, FYRM and Greece" in mark["words"]]
    assert marks
    links = re.findall(r'<a href="#place-[^"]+">(.*?)</a>', page)
    assert greece in [text_of(link) for link in links]
    assert FYRM_LABEL[language] in [text_of(link) for link in links]


# The map ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "greece", "hungary", "route"),
    [
        ("/sr-latn", "Grčka: 1 projekat", "Mađarska", "Zapadnobalkanska ruta"),
        ("/sr", "Грчка: 1 пројекат", "Мађарска", "Западнобалканска рута"),
        ("", "Greece: 1 project", "Hungary", "Western Balkan route"),
    ],
)
def test_the_map_names_countries_and_lines_in_the_pages_language(client, catalogue, prefix, greece, hungary, route):
    page = client.get(f"{prefix}/places/").content.decode()
    assert greece in shaded_countries(page)
    labels = re.findall(r'<text x="[^"]+" y="[^"]+"[^>]*>([^<]+)</text>', page)
    assert hungary in labels
    assert route in page


@pytest.mark.parametrize("prefix", ["/sr-latn", "/sr"])
def test_the_map_caption_keeps_its_sources_names_in_english(client, catalogue, prefix):
    page = client.get(f"{prefix}/places/").content.decode()
    caption = re.search(r'<figcaption class="place-map__caption">(.*?)</figcaption>', page, flags=re.S)[1]
    assert '<span lang="en">Natural Earth</span>' in caption
    assert '<span lang="en">world-atlas</span>' in caption
    assert '<span lang="en">1:50m</span>' in caption
    english = client.get("/places/").content.decode()
    assert "Boundaries: Natural Earth 4.1.0 (1:50m, public domain), from the world-atlas package 2.0.2" in english


# Exports, English pages ---------------------------------------------------------------------------------------------


def test_exports_name_places_in_english_from_a_serbian_page(client, catalogue):
    client.get("/sr/projects/")
    export = b"".join(client.get("/projects/export.json", HTTP_ACCEPT_LANGUAGE="sr").streaming_content).decode()
    assert '"name": "FYRM"' in export and '"display_name": "North Macedonia"' in export
    assert "Grčka" not in export and "Severna" not in export


def test_english_pages_show_no_serbian_place_name(client, catalogue):
    for url in ("/places/", "/places/greece/", f"/projects/{CROBOWEB}/", "/projects/"):
        text = page_text(client.get(url))
        for name in ("Srbija", "Grčka", "Severna Makedonija", "Zapadnobalkanska", "u tekstu"):
            assert name not in text, (url, name)


# Search -------------------------------------------------------------------------------------------------------------


def titles_found(client, query, prefix="/sr-latn"):
    response = client.get(f"{prefix}/projects/", {"q": query})
    assert response.status_code == 200
    return sorted(project.title for project in response.context["projects"])


@pytest.fixture
def two_places(db):
    greece = make_place("Greece", iso_code="GR")
    greece.name_sr_latn = "Grčka"
    greece.save()
    fyrm = make_place("FYRM", iso_code="MK")
    fyrm.display_name, fyrm.name_sr_latn, fyrm.display_name_sr_latn = "North Macedonia", "BJRM", "Severna Makedonija"
    fyrm.save()
    boats = make_project("Boats", text="Boats off the coast.")
    link_place(boats, greece, "Boats off the coast.")
    fences = make_project("Fences", text="Fences on a border.")
    link_place(fences, fyrm, "Fences on a border.")


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Grčka", ["Boats"]),
        ("Грчка", ["Boats"]),
        ("Greece", ["Boats"]),
        ("Severna Makedonija", ["Fences"]),
        ("Северна Македонија", ["Fences"]),
        ("North Macedonia", ["Fences"]),
        ("FYRM", ["Fences"]),
    ],
)
def test_search_finds_projects_by_their_places_english_or_serbian_names(client, two_places, query, found):
    assert titles_found(client, query) == found
    assert titles_found(client, query, prefix="/sr") == found
    assert titles_found(client, query, prefix="") == found


def test_a_new_serbian_place_name_is_searchable_at_once(client, two_places):
    greece = Place.objects.get(slug="greece")
    greece.name_sr_latn = "Helada"
    greece.save()
    assert titles_found(client, "Helada") == ["Boats"]
    assert titles_found(client, "Grčka") == []


@pytest.mark.parametrize("query", ["Grčka", "Грчка", "Greece"])
def test_the_real_catalogue_finds_croboweb_by_greece_in_any_script(client, catalogue, query):
    croboweb = Project.objects.get(slug=CROBOWEB).title
    assert croboweb in titles_found(client, query)
    assert croboweb in titles_found(client, query, prefix="/sr")


# Admin and fixtures -------------------------------------------------------------------------------------------------


def same_row(english, serbian, page):
    return re.search(rf'<div class="form-row[^"]*\bfield-{english} field-{serbian}"', page) is not None


def test_the_admin_edits_a_places_serbian_names_beside_the_english_and_saves_them(client, catalogue):
    client = signed_in(make_editor())
    place = Place.objects.get(slug="fyrm")
    url = change_url(place)
    page = client.get(url).content.decode()
    assert same_row("name", "name_sr_latn", page) and same_row("display_name", "display_name_sr_latn", page)
    fields = open_form(client, url)
    fields.update(display_name_sr_latn="Republika Severna Makedonija")
    response = client.post(url, fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    place.refresh_from_db()
    assert (place.display_name, place.display_name_sr_latn) == ("North Macedonia", "Republika Severna Makedonija")
    assert "Republika Severna Makedonija (u tekstu: „FYRM“)" in page_text(client.get("/sr-latn/places/"))


def test_the_fixtures_give_every_place_its_serbian_names(catalogue):
    places = list(Place.objects.all())
    assert places
    for place in places:
        assert place.name_sr_latn, place
        assert bool(place.display_name_sr_latn) == bool(place.display_name), place
    assert dict(Place.objects.values_list("slug", "name_sr_latn")) == {
        "balkan-route": "Balkanska ruta",
        "border-with-bulgaria": "granica sa Bugarskom",
        "eastern-mediterranean-route": "Istočnomediteranska ruta",
        "fyrm": "BJRM",
        "greece": "Grčka",
        "serbia": "Srbija",
        "western-balkan-route": "Zapadnobalkanska ruta",
        "western-europe": "Zapadna Evropa",
    }
    assert Place.objects.get(slug="fyrm").display_name_sr_latn == "Severna Makedonija"

"""Places as data: the place filter and its facet, the exports' place columns, /places/ and its pages, the map
(its shading and its table say the same), and the place sentences marked in the text, linked both ways."""

import csv
import html
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from projects.models import Place, Project

from .factories import link_place, make_area, make_figure, make_place, make_project
from .support.html import facet_choices, listed_titles, source_marks

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")
CROBOWEB = "croboweb-cross-border-cooperation"
IOM_MIGRANTS = "iom-migrants-and-refugees-in-serbia"


def counts(response, facet="place"):
    return {value: choice["count"] for value, choice in facet_choices(response)[facet].items()}


def text_of(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture
def three_places(db):
    """Three published projects naming Serbia, Greece and a route, in two areas, and a hidden one naming Hungary."""
    serbia, greece = make_place("Serbia", iso_code="RS"), make_place("Greece", iso_code="GR")
    route = make_place("Western Balkan route", kind="route")
    hungary = make_place("Hungary", iso_code="HU")
    border, asylum = make_area("Border", slug="border"), make_area("Asylum", slug="asylum")
    one = make_project("One in Serbia", areas=[border], text="Police in Serbia. Along the Western Balkan route.")
    link_place(one, serbia, "Police in Serbia.")
    link_place(one, route, "Along the Western Balkan route.")
    two = make_project("Two in Serbia and Greece", areas=[asylum], text="Beds in Serbia and Greece.")
    link_place(two, serbia)
    link_place(two, greece)
    three = make_project("Three in Greece", areas=[border], text="Boats off Greece.")
    link_place(three, greece)
    hidden = make_project("Hidden in Hungary", areas=[border], text="Fences in Hungary.", is_published=False)
    link_place(hidden, hungary)


# The filter and its facet ------------------------------------------------------------------------------------


def test_the_place_filter_keeps_the_projects_naming_it_and_drops_the_others(client, three_places):
    response = client.get(f"{LIST}?place=greece")
    assert response.status_code == 200
    assert listed_titles(response) == ["Three in Greece", "Two in Serbia and Greece"]


def test_two_places_list_the_projects_naming_either(client, three_places):
    response = client.get(f"{LIST}?place=greece&place=western-balkan-route")
    assert sorted(listed_titles(response)) == ["One in Serbia", "Three in Greece", "Two in Serbia and Greece"]


def test_the_place_facet_counts_published_projects_and_offers_no_place_only_drafts_name(client, three_places):
    assert counts(client.get(LIST)) == {"greece": 2, "serbia": 2, "western-balkan-route": 1}


def test_the_place_facet_counts_with_every_other_filter_but_its_own(client, three_places):
    # The area filter keeps One and Three: Greece counts Three only, Serbia One only.
    assert counts(client.get(f"{LIST}?area=border")) == {"greece": 1, "serbia": 1, "western-balkan-route": 1}
    # Its own choice does not narrow its counts; it narrows the other facets'.
    response = client.get(f"{LIST}?place=western-balkan-route")
    assert counts(response) == {"greece": 2, "serbia": 2, "western-balkan-route": 1}
    assert counts(response, "area") == {"asylum": 0, "border": 1}
    # A search that keeps only Three.
    assert counts(client.get(f"{LIST}?q=Boats")) == {"greece": 1, "serbia": 0, "western-balkan-route": 0}


def test_an_unknown_or_unlisted_place_is_a_400_with_a_message_never_applied(client, three_places):
    for slug in ("atlantis", "hungary"):
        response = client.get(f"{LIST}?place={slug}")
        assert response.status_code == 400
        page = response.content.decode()
        assert "Some filters could not be used" in page
        assert 'class="tag"' not in page
        assert len(listed_titles(response)) == 3
    assert client.get("/projects/export.csv?place=atlantis").status_code == 400


def test_the_canonical_url_sorts_repeats_and_drops_duplicate_places(client, three_places):
    page = client.get(f"{LIST}?place=serbia&place=greece&place=serbia").content.decode()
    assert re.search(r'<link rel="canonical" href="http://testserver/projects/\?place=greece&amp;place=serbia"', page)


def test_a_chosen_place_is_an_active_filter_chip_with_its_name(client, db):
    make_place("FYRM", iso_code="MK", display_name="North Macedonia")
    project = make_project("Skopje work", text="Work in FYRM.")
    link_place(project, Place.objects.get(slug="fyrm"))
    page = client.get(f"{LIST}?place=fyrm").content.decode()
    chip = re.search(r'<a class="tag"[^>]*>(.*?)</a>', page, flags=re.S)
    assert "North Macedonia (the text says “FYRM”)" in text_of(chip[1])


# Exports ---------------------------------------------------------------------------------------------------


def test_the_csv_export_gives_place_slugs_names_and_the_countries_iso_codes(client, catalogue):
    response = client.get(f"/projects/export.csv?place={'fyrm'}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["slug"] for row in rows] == [CROBOWEB]
    row = rows[0]
    assert row["place_slugs"] == "eastern-mediterranean-route; fyrm; greece; serbia; western-balkan-route"
    assert row["place_names"] == "Eastern Mediterranean route; FYRM; Greece; Serbia; Western Balkan route"
    assert row["place_iso_codes"] == "MK; GR; RS"


def test_the_json_export_gives_each_place_with_its_kind_and_code_and_null_where_none(client, catalogue):
    response = client.get("/projects/export.json?place=border-with-bulgaria")
    projects = json.loads(b"".join(response.streaming_content))["projects"]
    assert [p["slug"] for p in projects] == ["eu-supports-border-management"]
    assert sorted(projects[0]["places"], key=lambda place: place["slug"]) == [
        {
            "slug": "border-with-bulgaria",
            "name": "border with Bulgaria",
            "display_name": None,
            "kind": "border",
            "iso_code": None,
        },
        {"slug": "serbia", "name": "Serbia", "display_name": None, "kind": "country", "iso_code": "RS"},
    ]


# The places' pages -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/sr-latn"])
def test_the_places_page_lists_every_named_place_with_its_count_in_both_languages(client, catalogue, prefix):
    response = client.get(f"{prefix}/places/")
    assert response.status_code == 200
    page = response.content.decode()
    for place in Place.objects.all():
        assert f'href="{prefix}/places/{place.slug}/"' in page
    assert "1244" in page and "IOM" in page


@pytest.mark.parametrize("prefix", ["", "/sr-latn"])
def test_a_place_page_lists_the_projects_and_figures_that_name_it(client, catalogue, prefix):
    response = client.get(f"{prefix}/places/western-balkan-route/")
    assert response.status_code == 200
    assert sorted(listed_titles(response)) == sorted(
        Project.objects.filter(place_links__place__slug="western-balkan-route").values_list("title", flat=True)
    )
    page = response.content.decode()
    assert page.count('class="figure-card"') == 2  # the two "people per day" figures of IOM Migrants
    assert f'href="{prefix}/projects/?place=western-balkan-route"' in page


def test_a_place_no_published_project_names_answers_404(client, three_places):
    assert client.get("/places/hungary/").status_code == 404
    assert client.get("/places/atlantis/").status_code == 404


def test_the_sitemap_lists_the_places(client, catalogue):
    assert "http://testserver/sitemap-places.xml</loc>" in client.get("/sitemap.xml").content.decode()
    assert "http://testserver/places/</loc>" in client.get("/sitemap-pages.xml").content.decode()
    places = client.get("/sitemap-places.xml").content.decode()
    assert "http://testserver/places/fyrm/</loc>" in places
    assert "http://testserver/sr/places/fyrm/</loc>" in places


def test_every_place_the_fixtures_give_is_named_in_its_projects_words(catalogue):
    """No place is inferred: each link's sentence is in the text, or (one project) it is the title, which names it."""
    for project in Project.objects.prefetch_related("place_links__place"):
        for link in project.place_links.all():
            link.full_clean()
            words = {
                "fyrm": "FYRM",
                "border-with-bulgaria": "border with Bulgaria",
                "western-balkan-route": "Western Balkan",
                "eastern-mediterranean-route": "Eastern Mediterranean",
                "balkan-route": "Balkan route",
            }.get(link.place.slug, link.place.name)
            assert words in link.source_sentence, (project.slug, link.place.slug)
            if link.from_title:
                assert (project.slug, link.source_sentence) == (IOM_MIGRANTS, project.title)


# The map -----------------------------------------------------------------------------------------------------


def shaded_countries(page):
    """{accessible name: (href, shade)} of the map's linked countries."""
    return {
        html.unescape(label): (html.unescape(href), int(shade))
        for href, label, shade in re.findall(
            r'<a href="([^"]+)" class="place-map__link" aria-label="([^"]+)"><path class="place-map__country map-shade-(\d)"',
            page,
        )
    }


def map_table(page):
    """{place slug: (count, shown as)} from the table beside the map."""
    table = re.search(r'<table class="table place-map__table">(.*?)</table>', page, flags=re.S)[1]
    return {
        slug: (int(count), text_of(shown))
        for slug, count, shown in re.findall(
            r'<tr data-place="([^"]+)">.*?<td class="numeric">(\d+)</td><td>(.*?)</td></tr>', table, flags=re.S
        )
    }


def test_the_maps_shading_and_its_table_say_the_same_numbers(client, catalogue):
    page = client.get("/").content.decode()
    shaded = shaded_countries(page)
    table = map_table(page)
    assert shaded == {
        "Serbia: 7 projects": ("/projects/?place=serbia", 4),
        "North Macedonia: 1 project": ("/projects/?place=fyrm", 1),
        "Greece: 1 project": ("/projects/?place=greece", 1),
    }
    for name, (href, _shade) in shaded.items():
        slug = href.rsplit("=", 1)[1]
        assert f"{table[slug][0]} project" in name
        assert table[slug][1] == "shaded country"
    assert table["border-with-bulgaria"] == (1, "line, approximate")
    assert table["western-europe"][1].startswith("not drawn")
    # The lines are labelled as approximate; the map names its source, Kosovo's footnote and IOM's disclaimer.
    assert (
        page.count('class="place-map__line"') == 3
    )  # the border, one line for both Balkan routes, the Eastern Mediterranean
    assert "(approximate)" in page
    assert "Natural Earth 4.1.0" in page and "world-atlas package 2.0.2" in page
    assert "Kosovo*" in page and "resolution 1244 (1999)" in page
    assert "do not imply official endorsement or acceptance by the International Organization for Migration" in page


def test_the_map_has_a_title_and_description_and_needs_no_style_attribute_or_script(client, catalogue):
    page = client.get("/places/").content.decode()
    svg = re.search(r"<svg class=\"place-map__svg\".*?</svg>", page, flags=re.S)[0]
    assert re.search(r'aria-labelledby="map-places-title map-places-desc"', svg)
    assert '<title id="map-places-title">' in svg and '<desc id="map-places-desc">' in svg
    assert "style=" not in svg and "<script" not in svg


def test_the_serbian_map_names_its_links_in_serbian(client, catalogue):
    page = client.get("/sr-latn/places/").content.decode()
    assert "Grčka: 1 projekat" in shaded_countries(page)
    assert ("/sr-latn/projects/?place=greece", 1) in shaded_countries(page).values()


def test_a_project_page_draws_only_its_own_places_on_its_map(client, catalogue):
    with translation.override("en"):
        page = client.get(reverse("projects:project_detail", args=["eu-supports-border-management"])).content.decode()
    assert set(shaded_countries(page)) == {"Serbia: 7 projects"}
    assert set(map_table(page)) == {"border-with-bulgaria", "serbia"}
    assert page.count('class="place-map__line"') == 1


def test_the_list_page_has_no_map_and_loads_no_map_stylesheet(client, catalogue):
    page = client.get(LIST).content.decode()
    assert "place-map" not in page and "map." not in page
    assert re.search(
        r'<link rel="stylesheet" href="/static/css/map\.[0-9a-f]+\.css">', client.get("/places/").content.decode()
    )


def test_the_map_of_a_place_no_country_is_shaded_for_draws_no_link(client, three_places):
    with translation.override("en"):
        page = client.get("/places/western-balkan-route/").content.decode()
    assert shaded_countries(page) == {}
    assert map_table(page) == {"western-balkan-route": (1, "line, approximate")}


# Provenance: the place sentences marked in the text ---------------------------------------------------------


def test_a_place_links_to_the_sentence_that_names_it_and_the_sentence_back_to_a_fact(client, catalogue):
    page = client.get(
        reverse("projects:project_detail", args=["open-communities-successful-communities"])
    ).content.decode()
    item = re.search(r'<li id="place-western-europe">(.*?)</li>', page, flags=re.S)[1]
    target = re.search(r'<a href="#(source-place-western-europe)"', item)[1]
    # The mark (or an anchor inside it) carries the place's id, and the mark links to the facts of its sentence.
    holding = [mark for mark in source_marks(page) if target in mark["ids"]]
    assert len(holding) == 1
    mark = holding[0]
    assert "a place" in mark["title"]
    assert "place-western-europe" in mark["targets"]
    for back_to in mark["targets"]:
        assert f'id="{back_to}"' in page
    assert "on their way to Western Europe" in mark["words"]


def test_a_sentence_naming_a_place_alone_is_marked_and_leads_back_to_the_place(client, db):
    project = make_project("Greek help", text="Intro words. The boats land in Greece. Closing words.")
    link_place(project, make_place("Greece", iso_code="GR"), "The boats land in Greece.")
    page = client.get(project.get_absolute_url()).content.decode()
    assert re.search(
        r'<a class="source-mark" id="source-place-greece" href="#place-greece" title="Source of: a place">The boats land in Greece\.</a>',
        page,
    )
    assert re.search(r'<li id="place-greece">.*?<a href="#source-place-greece"', page, flags=re.S)


def test_a_place_only_the_title_names_says_so_and_marks_nothing(client, catalogue):
    page = client.get(reverse("projects:project_detail", args=[IOM_MIGRANTS])).content.decode()
    item = re.search(r'<li id="place-serbia">(.*?)</li>', page, flags=re.S)[1]
    assert "named in the title only" in text_of(item)
    assert 'id="source-place-serbia"' not in page


def test_a_figure_links_to_the_places_its_sentence_names(client, catalogue):
    figure = Project.objects.get(slug="open-communities-successful-communities").figures.get(
        key="migrants-passed-through-serbia-until-march-2016"
    )
    assert [place.slug for place in figure.places.all()] == ["serbia"]
    page = client.get("/places/serbia/").content.decode()
    assert f"#source-figure-{figure.key}" in page


def test_figures_link_only_where_their_sentence_names_a_place(catalogue):
    for project in Project.objects.all():
        for figure in project.figures.prefetch_related("places"):
            if "Serbia" not in figure.source_sentence and "Western Balkan" not in figure.source_sentence:
                assert not figure.places.all(), figure.key


def test_a_figure_of_an_unpublished_project_is_not_on_a_place_page(client, three_places):
    hidden = Project.objects.get(title="Hidden in Hungary")
    figure = make_figure(hidden, key="fences", value_low=4000, source_sentence="Fences in Hungary.", counts="fences")
    figure.places.add(Place.objects.get(slug="greece"))
    assert "fences" not in client.get("/places/greece/").content.decode()


# The upgrade -------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_turns_the_free_text_places_into_places_linked_with_their_sentences():
    """Migration 0012: "Serbia, FYRM" becomes two places, each link quoting the sentence (or the title) that names it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("projects", "0014_places")], [("projects", "0015_places_from_free_text")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        Status, OldProject = apps.get_model("projects", "Status"), apps.get_model("projects", "Project")
        status = Status.objects.create(name="Completed", slug="completed")
        OldProject.objects.create(
            title="Help in Serbia",
            slug="help",
            status=status,
            text="Work with partners.\n\nTraining in FYRM and beyond. More words.",
            places="FYRM, Serbia, Atlantis",
        )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        links = {
            link.place.name: (link.place.kind, link.place.iso_code, link.place.display_name, link.source_sentence)
            for link in apps.get_model("projects", "ProjectPlace").objects.select_related("place")
        }
        assert links == {
            "FYRM": ("country", "MK", "North Macedonia", "Training in FYRM and beyond."),
            "Serbia": ("country", "RS", "", "Help in Serbia"),  # only the title names it
            "Atlantis": ("region", "", "", ""),  # a name staff typed: kept, for staff to check
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# The staff's workplace ---------------------------------------------------------------------------------------


def test_an_editor_links_a_place_picking_its_sentence_and_a_sentence_from_elsewhere_is_refused(db):
    from .support.admin import change_url, make_editor, open_form, signed_in

    project = make_project("Help in the Republic of Serbia", text="Boats reach Greece. Buses leave.")
    greece = make_place("Greece", iso_code="GR")
    editor = signed_in(make_editor())
    page = editor.get(change_url(project)).content.decode()
    # The sentence picker offers the text's sentences and the title (for a place only the title names).
    picker = re.search(r'<select name="place_links-__prefix__-source_sentence".*?</select>', page, flags=re.S)[0]
    assert ">Boats reach Greece.</option>" in picker and ">Help in the Republic of Serbia</option>" in picker

    form = open_form(editor, change_url(project))
    wrong = form | {
        "place_links-TOTAL_FORMS": "1",
        "place_links-0-place": str(greece.pk),
        "place_links-0-source_sentence": "Boats reach Serbia.",
    }
    response = editor.post(change_url(project), wrong)
    assert response.status_code == 200
    assert "neither in the project&#x27;s text nor its title" in response.content.decode()
    assert not project.place_links.exists()

    right = wrong | {"place_links-0-source_sentence": "Boats reach Greece."}
    assert editor.post(change_url(project), right).status_code == 302
    assert [link.place for link in project.place_links.all()] == [greece]
    places = editor.get(reverse("admin:projects_place_changelist")).content.decode()
    assert "Greece" in places and "GR" in places

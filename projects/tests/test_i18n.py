"""The Serbian interface, in Latin (/sr-latn/) and Cyrillic (/sr/) script: addresses, the language switcher, lang
attributes, translations and plurals, the page cache per language, and translation catalogues that are complete and
compiled. The converter between the scripts and the Cyrillic catalogue's derivation: test_serbian_scripts.py."""

import datetime
import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from portal.serbian import to_cyrillic
from projects.admin import stale_edit_message
from projects.templatetags.catalogue import duration, partial_date

from .factories import make_area, make_donor, make_figure, make_funding, make_project
from .support.html import page_text, summary

pytestmark = pytest.mark.django_db

LATIN_PAGES = [
    "/sr-latn/",
    "/sr-latn/projects/",
    "/sr-latn/projects/?q=border&donor=european-union&sort=-amount",
    "/sr-latn/projects/croboweb-cross-border-cooperation/",
    "/sr-latn/projects/iom-migrants-and-refugees-in-serbia/",
    "/sr-latn/donors/",
    "/sr-latn/donors/european-union/",
    "/sr-latn/areas/",
    "/sr-latn/areas/border-management/",
    "/sr-latn/context/",
]
# Each Serbian page in both scripts: Cyrillic under /sr/, the same path as /sr-latn/.
SERBIAN_SCRIPTS = {
    "sr-latn": {"prefix": "/sr-latn", "tag": "sr-Latn", "projects": "Projekti", "donors": "Donatori"},
    "sr": {"prefix": "/sr", "tag": "sr-Cyrl", "projects": "Пројекти", "donors": "Донатори"},
}
SERBIAN_PAGES = [
    (code, page.replace("/sr-latn", script["prefix"], 1))
    for code, script in SERBIAN_SCRIPTS.items()
    for page in LATIN_PAGES
]
NOTICE = (
    "Tekstovi i naslovi projekata, rečenice navedene iz njih i nazivi donatora, partnera i mesta su na engleskom "
    "jeziku, onako kako ih daje izvor."
)
NOTICES = {"sr-latn": NOTICE, "sr": to_cyrillic(NOTICE)}
LOCALE = Path(settings.BASE_DIR) / "locale"
# Both catalogues: the Latin one translators edit, the Cyrillic one make messages derives from it.
CATALOGUES = [LOCALE / "sr_Latn" / "LC_MESSAGES", LOCALE / "sr" / "LC_MESSAGES"]


def html(response):
    return response.content.decode()


# Addresses and the lang attribute -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "url"), SERBIAN_PAGES)
def test_every_public_page_in_serbian_answers_in_serbian_with_the_notice(client, catalogue, code, url):
    script = SERBIAN_SCRIPTS[code]
    response = client.get(url)
    assert response.status_code == 200
    assert f'<html lang="{script["tag"]}">' in html(response)
    assert response["Content-Language"] == code
    text = page_text(response)
    assert script["projects"] in text and script["donors"] in text
    assert "Skip to main content" not in html(response)
    assert NOTICES[code] in text


@pytest.mark.parametrize("url", [page.removeprefix("/sr-latn") for page in LATIN_PAGES])
def test_english_pages_keep_their_addresses_without_a_prefix_or_the_notice(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="en">' in html(response)
    assert "Skip to main content" in html(response)
    assert NOTICE not in page_text(response)


def test_english_is_never_redirected_to_an_en_prefix(client, catalogue):
    assert client.get("/projects/").status_code == 200
    assert client.get("/en/projects/").status_code == 404


def test_the_address_alone_decides_the_language_not_the_browser_or_a_cookie(client, catalogue):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sr-latn"
    english = client.get("/donors/", HTTP_ACCEPT_LANGUAGE="sr-Latn,sr;q=0.9")
    assert '<html lang="en">' in html(english)
    serbian = client.get("/sr-latn/donors/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="sr-Latn">' in html(serbian)


@pytest.mark.parametrize("prefix", ["/sr-latn", "/sr"])
@pytest.mark.parametrize(
    "path", ["/projects/export.csv", "/projects/export.json", "/healthz", "/sitemap.xml", "/robots.txt", "/admin/"]
)
def test_files_health_check_and_admin_have_no_serbian_address(client, catalogue, prefix, path):
    assert client.get(prefix + path).status_code == 404


def test_the_serbian_list_links_to_the_same_unprefixed_exports(client, catalogue):
    response = client.get("/sr-latn/projects/?donor=european-union")
    assert 'href="/projects/export.csv?donor=european-union"' in html(response)
    assert client.get("/projects/export.csv?donor=european-union").status_code == 200


# The language switcher and the alternates ---------------------------------------------------------------------------


def test_the_switcher_links_to_the_same_page_in_serbian_keeping_the_query_string(client, catalogue):
    response = client.get("/projects/?q=border&donor=european-union&page=1")
    assert (
        '<a href="/sr-latn/projects/?q=border&amp;donor=european-union&amp;page=1" lang="sr-Latn" hreflang="sr-Latn">'
        "Srpski</a>"
    ) in html(response)
    assert (
        '<a href="/sr/projects/?q=border&amp;donor=european-union&amp;page=1" lang="sr-Cyrl" hreflang="sr-Cyrl">'
        "Српски</a>"
    ) in html(response)


def test_the_switcher_links_back_to_the_english_page_keeping_the_query_string(client, catalogue):
    response = client.get("/sr-latn/projects/croboweb-cross-border-cooperation/?utm=x")
    assert ('<a href="/projects/croboweb-cross-border-cooperation/?utm=x" lang="en" hreflang="en">English</a>') in html(
        response
    )
    assert client.get("/projects/croboweb-cross-border-cooperation/?utm=x").status_code == 200


def test_the_switcher_marks_the_current_language_without_a_link(client, catalogue):
    response = client.get("/sr-latn/")
    assert '<span class="language-switcher__current" lang="sr-Latn" aria-current="true">Srpski</span>' in html(response)
    assert '<a href="/" lang="en" hreflang="en">English</a>' in html(response)
    assert '<a href="/sr/" lang="sr-Cyrl" hreflang="sr-Cyrl">Српски</a>' in html(response)
    cyrillic = html(client.get("/sr/"))
    assert '<span class="language-switcher__current" lang="sr-Cyrl" aria-current="true">Српски</span>' in cyrillic
    assert '<a href="/sr-latn/" lang="sr-Latn" hreflang="sr-Latn">Srpski</a>' in cyrillic


@pytest.mark.parametrize("prefix", ["", "/sr-latn", "/sr"])
def test_each_page_names_its_canonical_address_in_every_language_and_english_as_the_default(client, catalogue, prefix):
    response = client.get(f"{prefix}/projects/?donor=european-union&sort=relevance&bogus=1")
    page = html(response)
    assert f'<link rel="canonical" href="http://testserver{prefix}/projects/?donor=european-union">' in page
    assert '<link rel="alternate" hreflang="en" href="http://testserver/projects/?donor=european-union">' in page
    assert (
        '<link rel="alternate" hreflang="sr-Latn" href="http://testserver/sr-latn/projects/?donor=european-union">'
        in page
    )
    assert (
        '<link rel="alternate" hreflang="sr-Cyrl" href="http://testserver/sr/projects/?donor=european-union">' in page
    )
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/projects/?donor=european-union">' in page


# Source texts stay English, marked as such ---------------------------------------------------------------------------


def test_project_texts_titles_and_quotes_carry_lang_en_on_serbian_pages(client, catalogue):
    page = html(client.get("/sr-latn/projects/croboweb-cross-border-cooperation/"))
    assert '<h1 lang="en">Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)</h1>' in page
    assert '<div class="prose" lang="en">' in page
    assert '<blockquote class="quote" lang="en">' in page
    assert '<span lang="en">International Narcotics and Law Enforcement Affairs, US State Department</span>' in page


def test_donor_names_carry_lang_en_on_serbian_lists_and_area_names_are_serbian(client, catalogue):
    assert '<span lang="en">European Union</span>' in html(client.get("/sr-latn/donors/"))
    # An area's name is the catalogue's own word: said in Serbian, so nothing marks it English (test_serbian_catalogue).
    areas = html(client.get("/sr-latn/areas/"))
    assert '<h2 class="card__title"><a href="/sr-latn/areas/border-management/">Upravljanje granicom</a></h2>' in areas
    assert '<span lang="en">European Union</span>' in html(client.get("/sr-latn/projects/?donor=european-union"))


def test_english_pages_do_not_mark_their_texts_again(client, catalogue):
    page = html(client.get("/projects/croboweb-cross-border-cooperation/"))
    assert "<h1>Strenthening Cross-Border Cooperation" in page
    body = page.split("<main", 1)[1]
    assert 'lang="en"' not in body


# What the Serbian interface says ----------------------------------------------------------------------------------


def test_not_stated_is_said_in_serbian(client):
    project = make_project("Silent Project")
    make_funding(project, make_donor("Swiss Agency"), amount=None)
    response = client.get(f"/sr-latn/projects/{project.slug}/")
    facts = summary(response)
    # What the text does not give is one line (issue 11), in Serbian too.
    assert "Trajanje" not in facts and "Početak" not in facts
    assert "Nije navedeno u izvoru: partneri, datum početka, trajanje" in response.content.decode()
    assert facts["Donatori i finansiranje"] == "Swiss Agency: nije navedeno"


def test_amounts_and_figures_are_grouped_the_serbian_way(client):
    project = make_project("Funded Project", start_date=datetime.date(2015, 9, 1), duration_months=24)
    make_funding(project, make_donor("European Union"), amount="650000", currency="USD")
    make_figure(project, value_low=6000, value_high=7000, unit="people_per_day", qualifier="more_than")
    serbian = client.get(f"/sr-latn/projects/{project.slug}/")
    facts = summary(serbian)
    assert facts["Donatori i finansiranje"] == "European Union: USD 650.000"
    assert facts["Početak"] == "septembar 2015."
    assert facts["Trajanje"] == "2 godine"
    assert "više od 6.000–7.000 osoba dnevno" in page_text(serbian)
    english = summary(client.get(f"/projects/{project.slug}/"))
    assert english["Donors and funding"] == "European Union: USD 650,000"
    assert english["Start"] == "September 2015"


@pytest.mark.parametrize(
    ("projects", "expected"),
    [
        (1, "1 projekat"),
        (2, "2 projekta"),
        (4, "4 projekta"),
        (5, "5 projekata"),
        (11, "11 projekata"),
        (12, "12 projekata"),
        (21, "21 projekat"),
        (22, "22 projekta"),
    ],
)
def test_counts_of_projects_take_the_serbian_plural_form(client, projects, expected):
    area = make_area("Counted Area")
    for number in range(projects):
        make_project(f"Project {number}", areas=[area])
    assert f"Counted Area {expected}" in page_text(client.get("/sr-latn/areas/"))


def test_the_result_count_agrees_with_its_number_in_serbian(client):
    donor = make_donor("European Union", slug="european-union")
    for number in range(3):
        make_funding(make_project(f"Project {number}"), donor)
    assert "3 projekta odgovaraju vašim filterima" in page_text(client.get("/sr-latn/projects/?donor=european-union"))
    make_funding(make_project("Project 4"), donor)
    make_funding(make_project("Project 5"), donor)
    assert "5 projekata odgovara vašim filterima" in page_text(client.get("/sr-latn/projects/?donor=european-union"))


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (1, "1 mesec"),
        (3, "3 meseca"),
        (5, "5 meseci"),
        (21, "21 mesec"),
        (12, "1 godina"),
        (36, "3 godine"),
        (60, "5 godina"),
    ],
)
def test_durations_take_the_serbian_plural_form(months, expected):
    with translation.override("sr-latn"):
        assert duration(months) == expected


def test_dates_are_said_in_serbian_at_their_precision():
    with translation.override("sr-latn"):
        assert partial_date(datetime.date(2015, 9, 1), "month") == "septembar 2015."
        assert partial_date(datetime.date(2015, 9, 14), "day") == "14. septembar 2015."
        assert partial_date(datetime.date(2015, 1, 1), "year") == "2015"


def test_an_invalid_filter_gets_400_with_the_serbian_error(client, catalogue):
    response = client.get("/sr-latn/projects/?min_amount=abc")
    assert response.status_code == 400
    text = page_text(response)
    assert "Neki filteri nisu mogli da se primene" in text
    assert "Grant od najmanje: Unesite broj." in text


def test_a_missing_page_gets_the_serbian_404_page(client, catalogue):
    response = client.get("/sr-latn/projects/no-such-project/")
    assert response.status_code == 404
    assert '<html lang="sr-Latn">' in html(response)
    assert "Stranica nije pronađena" in page_text(response)
    assert '<a href="/projects/no-such-project/" lang="en" hreflang="en">English</a>' in html(response)


@pytest.mark.parametrize(
    ("code", "tag", "sorry", "unavailable_words"),
    [
        ("sr-latn", "sr-Latn", "Izvinite, došlo je do problema", "katalog je na trenutak nedostupan"),
        ("sr", "sr-Cyrl", "Извините, дошло је до проблема", "каталог је на тренутак недоступан"),
    ],
)
def test_the_error_pages_without_a_request_speak_the_active_language(code, tag, sorry, unavailable_words):
    with translation.override(code):
        server_error = render_to_string("500.html")
        unavailable = render_to_string("503.html")
    assert f'<html lang="{tag}">' in server_error and sorry in server_error
    assert f'<html lang="{tag}">' in unavailable and unavailable_words in unavailable


# The page cache ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/projects/", "/projects/?donor=european-union", "/donors/"])
def test_the_page_cache_keeps_each_language_apart(client, django_assert_num_queries, path):
    make_funding(make_project("Cached Project"), make_donor("European Union", slug="european-union"))
    languages = {"": "en", "/sr-latn": "sr-Latn", "/sr": "sr-Cyrl"}
    first = {prefix: client.get(prefix + path) for prefix in languages}
    with django_assert_num_queries(3):  # the catalogue generation, once per request: every page comes from the cache
        again = {prefix: client.get(prefix + path) for prefix in languages}
    for prefix, tag in languages.items():
        assert again[prefix].content == first[prefix].content
        assert f'<html lang="{tag}">' in html(again[prefix])
    assert len({response["ETag"] for response in again.values()}) == 3
    # And each language's ETag revalidates its own page only.
    for prefix in languages:
        for other in languages:
            response = client.get(prefix + path, HTTP_IF_NONE_MATCH=again[other]["ETag"])
            assert response.status_code == (304 if other == prefix else 200)


# The admin ---------------------------------------------------------------------------------------------------------


def test_the_admin_follows_the_staff_members_browser_language(admin_client):
    serbian = admin_client.get("/admin/projects/project/add/", HTTP_ACCEPT_LANGUAGE="sr-Latn,sr;q=0.9,en;q=0.5")
    assert "Katalog projekata IOM-a u Srbiji: osoblje" in html(serbian)
    assert "Datum početka" in html(serbian) and "Datumi i mesta" in html(serbian)
    english = admin_client.get("/admin/projects/project/add/")
    assert "IOM Serbia Project Catalogue: staff" in html(english) and "Start date" in html(english)


def test_the_stale_edit_message_is_translated():
    project = make_project("Edited Project")
    with translation.override("sr-latn"):
        message = stale_edit_message(project, project.updated)
    assert message.startswith("Neko drugi je izmenio ovaj projekat ")
    assert "vaše izmene nisu sačuvane" in message


# The translation catalogue ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", CATALOGUES, ids=["sr_Latn", "sr"])
def test_every_message_is_translated_and_none_is_fuzzy(directory):
    catalogue = polib.pofile(directory / "django.po")
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert not catalogue.metadata_is_fuzzy
    # Serbian's three forms: 1, 21, 101 (one); 2–4, 22–24 (few); 0, 5–20, 25–30, 1000 (other).
    assert catalogue.metadata["Plural-Forms"] == (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    )


@pytest.mark.parametrize("directory", CATALOGUES, ids=["sr_Latn", "sr"])
def test_every_plural_message_has_the_three_serbian_forms(directory):
    catalogue = polib.pofile(directory / "django.po")
    plurals = [entry for entry in catalogue if entry.msgid_plural]
    assert plurals
    for entry in plurals:
        assert sorted(entry.msgstr_plural) == [0, 1, 2], entry.msgid
        assert all(entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize("directory", CATALOGUES, ids=["sr_Latn", "sr"])
def test_the_compiled_catalogue_is_in_step_with_the_po_file(directory):
    """The .mo is committed (nothing at run time needs gettext): it must say exactly what the .po says.

    Read with Python's own gettext, as Django reads it. After editing the .po, run `make messages`.
    """
    source = polib.pofile(directory / "django.po")
    with open(directory / "django.mo", "rb") as compiled_file:
        compiled = gettext.GNUTranslations(compiled_file)
    for entry in source.translated_entries():
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            forms = [compiled.ngettext(msgid, entry.msgid_plural, n) for n in (1, 2, 5)]
            expected = [entry.msgstr_plural[index] for index in (0, 1, 2)]
            if entry.msgctxt:
                forms = [compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n) for n in (1, 2, 5)]
            assert forms == expected, entry.msgid
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr, entry.msgid
        else:
            assert compiled.gettext(msgid) == entry.msgstr, entry.msgid
    compiled_ids = {key if isinstance(key, str) else key[0] for key in compiled._catalog if key}
    source_ids = {
        f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid for entry in source.translated_entries()
    }
    assert compiled_ids == source_ids

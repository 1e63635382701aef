"""Serbian in both scripts: the Latin <-> Cyrillic converter (portal/serbian.py), the Cyrillic catalogue derived from
the Latin one, Serbian plurals for every counted word, Serbian month names, django-reversion's words, and pages in
Serbian that say nothing in English outside the source's own words (lang="en")."""

import datetime
import re
from pathlib import Path

import polib
import pytest
import reversion
from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.dates import MONTHS
from django.utils.formats import date_format

from portal.reversion_messages import REVERSION_MESSAGES
from portal.serbian import (
    DIGRAPH_EXCEPTIONS,
    PROTECTED,
    derive_catalogue,
    english_quotes,
    is_date_format,
    msgstr_to_cyrillic,
    to_cyrillic,
    to_latin,
)
from projects.models import FigureUnit
from projects.templatetags.catalogue import duration, figure_with_unit, partial_date, unit_words

from .factories import make_area, make_figure, make_project
from .support.catalogue_words import ENGLISH_PLACE_NAMES
from .support.html import own_language_text

LOCALE = Path(settings.BASE_DIR) / "locale"
LATIN_PO = LOCALE / "sr_Latn" / "LC_MESSAGES" / "django.po"
CYRILLIC_PO = LOCALE / "sr" / "LC_MESSAGES" / "django.po"


def latin_catalogue():
    return polib.pofile(LATIN_PO)


def translations(entry):
    """Every translated text of an entry: its msgstr, or each of its plural forms."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


# The converter ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Katalog projekata", "Каталог пројеката"),
        ("čćžšđ ČĆŽŠĐ", "чћжшђ ЧЋЖШЂ"),
        ("ljubav, njiva, džep", "љубав, њива, џеп"),
        ("Ljubljana, Njegoš, Džungla", "Љубљана, Његош, Џунгла"),
        # Digraphs that are two letters: a prefix meets a root, or a loanword.
        ("injekcija", "инјекција"),
        ("Injekcije", "Инјекције"),
        ("nadživeti", "надживети"),
        ("konjunkcija", "конјункција"),
        ("odžaliti", "оджалити"),
        ("podžupan", "поджупан"),
        ("vanjezički", "ванјезички"),
        # Codes and acronyms stay; a Serbian ending after a hyphen is converted.
        ("USD, EUR, IOM, INL, EU, UNDP, WHO, UNOPS", "USD, EUR, IOM, INL, EU, UNDP, WHO, UNOPS"),
        ("PDF, CSV, JSON, RIS, BibTeX, URL, HTML, ISO 4217", "PDF, CSV, JSON, RIS, BibTeX, URL, HTML, ISO 4217"),
        ("kancelarija IOM-a", "канцеларија IOM-а"),
        ("CSL-JSON datoteka", "CSL-JSON датотека"),
        # Placeholders of Python and Django.
        ("%(count)s projekata, %(name)s", "%(count)s пројеката, %(name)s"),
        ("%s od %d, 50%% manje", "%s од %d, 50%% мање"),
        ("primer ({example})", "пример ({example})"),
        ("{{ counter }} projekta {% plural %}", "{{ counter }} пројекта {% plural %}"),
        # Web and e-mail addresses, paths and file names.
        ("vidite https://www.iom.int/serbia?lang=sr", "видите https://www.iom.int/serbia?lang=sr"),
        ("pišite na katalog@iom.int danas", "пишите на katalog@iom.int данас"),
        ("preuzmite /projects/export.csv ili catalogue.json", "преузмите /projects/export.csv или catalogue.json"),
        # Markup: tags, attributes, entities, and elements marked English with their text.
        (
            '<a href="/sr/" title="naslov">Početna</a> &amp; &#8211;',
            '<a href="/sr/" title="naslov">Почетна</a> &amp; &#8211;',
        ),
        ('tekst <span lang="en">Western Balkans</span> kraj', 'текст <span lang="en">Western Balkans</span> крај'),
        # Foreign words with letters Serbian does not have.
        ("na Twitter-u i Wikipedia", "на Twitter-у и Wikipedia"),
    ],
)
def test_latin_becomes_cyrillic_and_back_leaving_codes_addresses_placeholders_and_markup_alone(latin, cyrillic):
    assert to_cyrillic(latin) == cyrillic
    assert to_latin(cyrillic) == latin


@pytest.mark.parametrize("stem", DIGRAPH_EXCEPTIONS)
def test_every_digraph_exception_splits_its_pair_into_two_letters(stem):
    first, second = stem.split("|")
    converted = to_cyrillic(first + second)
    pair = first[-1] + second[0]  # "nj", "lj" or "dž"
    assert {"nj": "нј", "lj": "лј", "dž": "дж"}[pair] in converted
    assert to_latin(converted) == first + second


def test_cyrillic_becomes_latin_letter_for_letter_with_the_case_of_its_word():
    assert to_latin("абвгдђежзијклљмнњопрстћуфхцчџш") == "abvgdđežzijklljmnnjoprstćufhcčdžš"
    assert to_latin("Љубав, ЉУБАВ, Њ, НЈ, Џеп, ЏЕП") == "Ljubav, LJUBAV, Nj, NJ, Džep, DŽEP"
    assert to_latin("IOM-а и <span>текст</span>") == "IOM-a i <span>tekst</span>"


def test_date_formats_keep_their_format_letters_and_convert_only_escaped_ones():
    assert is_date_format("j F Y, H:i") and is_date_format(r"j. F Y. \u H:i")
    assert not is_date_format("Day") and not is_date_format("Month")
    assert msgstr_to_cyrillic("j F Y, H:i", r"j. F Y. \u H:i") == r"j. F Y. \у H:i"
    with translation.override("sr"):
        assert date_format(datetime.datetime(2015, 9, 5, 14, 30), r"j. F Y. \у H:i") == "5. септембар 2015. у 14:30"


def test_quoted_phrases_of_the_english_original_stay_latin_and_serbian_quotes_do_not():
    msgid = "the text gives only loosely (“mid-2015”) and says “more than”"
    msgstr = "tekst navodi okvirno („mid-2015“) i kaže „više od“"
    assert english_quotes(msgid, msgstr) == ["mid-2015"]
    assert msgstr_to_cyrillic(msgid, msgstr) == "текст наводи оквирно („mid-2015“) и каже „више од“"


# The catalogues: one source, the other derived ---------------------------------------------------------------------

# Latin words the Cyrillic catalogue may keep, besides placeholders, markup, addresses and quoted English: codes.
CODES = {"IOM", "INL", "USD", "EUR", "GBP", "CHF", "SEK", "NOK", "DKK", "JPY", "RSD", "CSV", "JSON", "ISO"}
CODES |= set("jFYHi")  # the letters of the date formats ("j. F Y. \\u H:i")


def test_every_translation_converts_to_cyrillic_and_back_to_the_same_latin():
    for entry in latin_catalogue():
        for latin in translations(entry):
            assert to_latin(to_cyrillic(latin)) == latin, entry.msgid
            assert to_latin(msgstr_to_cyrillic(entry.msgid, latin)) == latin, entry.msgid


def test_the_cyrillic_catalogue_is_the_latin_one_converted_entry_for_entry():
    latin = latin_catalogue()
    cyrillic = polib.pofile(CYRILLIC_PO)
    assert [(e.msgctxt, e.msgid, e.msgid_plural) for e in cyrillic] == [
        (e.msgctxt, e.msgid, e.msgid_plural) for e in latin
    ]
    for latin_entry, cyrillic_entry in zip(latin, cyrillic, strict=True):
        assert translations(cyrillic_entry) == [
            msgstr_to_cyrillic(latin_entry.msgid, text) for text in translations(latin_entry)
        ], latin_entry.msgid
        # And back: Cyrillic to Latin is letter for letter, so the Latin file is recovered exactly.
        assert [to_latin(text) for text in translations(cyrillic_entry)] == translations(latin_entry)
    assert cyrillic.metadata["Language"] == "sr"
    assert cyrillic.metadata["Plural-Forms"] == latin.metadata["Plural-Forms"]


def test_the_committed_cyrillic_file_is_exactly_what_make_messages_derives():
    """Edit the Latin catalogue, never the Cyrillic one: `make messages` rewrites it (and this fails until it has)."""
    assert str(derive_catalogue(latin_catalogue())) == str(polib.pofile(CYRILLIC_PO))


def test_the_cyrillic_catalogue_keeps_no_serbian_word_in_latin():
    """A Serbian word written in capitals ("NAPOMENA") would pass as an acronym and stay Latin: this names it."""
    left_in_latin = set()
    for entry in polib.pofile(CYRILLIC_PO):
        for text in translations(entry):
            for phrase in english_quotes(entry.msgid, text):
                text = text.replace(phrase, " ")
            text = PROTECTED.sub(" ", text)
            left_in_latin |= set(re.findall(r"[A-Za-zČĆŽŠĐčćžšđ]+", text))
    assert left_in_latin <= CODES, sorted(left_in_latin - CODES)


# Numbers with their words -------------------------------------------------------------------------------------------

NUMBERS = [1, 2, 4, 5, 11, 21, 22, 25, 101, 1000, 700000]
UNIT_FORMS = {
    # one (1, 21, 101), few (2–4, 22–24), other (5–20, 25, 1000, 700000)
    (FigureUnit.CENTRES, "sr-latn"): ("centar", "centra", "centara"),
    (FigureUnit.CENTRES, "sr"): ("центар", "центра", "центара"),
    (FigureUnit.PEOPLE, "sr-latn"): ("osoba", "osobe", "osoba"),
    (FigureUnit.PEOPLE, "sr"): ("особа", "особе", "особа"),
    (FigureUnit.PEOPLE_PER_DAY, "sr-latn"): ("osoba dnevno", "osobe dnevno", "osoba dnevno"),
    (FigureUnit.PEOPLE_PER_DAY, "sr"): ("особа дневно", "особе дневно", "особа дневно"),
    (FigureUnit.CENTRES, "en"): ("centre", "centres", "centres"),
    (FigureUnit.PEOPLE, "en"): ("person", "people", "people"),
}
SERBIAN_FORM = {1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 21: 0, 22: 1, 25: 2, 101: 0, 1000: 2, 700000: 2}
GROUPED = {"sr-latn": {1000: "1.000", 700000: "700.000"}, "sr": {1000: "1.000", 700000: "700.000"}}


class Figure:
    """A figure as the template filters read it, without a database."""

    def __init__(self, value_low, unit, value_high=None):
        self.value_low, self.value_high, self.unit = value_low, value_high, unit
        self.qualifier = "exact"
        self.is_range = value_high is not None and value_high != value_low

    def get_unit_display(self):
        return FigureUnit(self.unit).label


@pytest.mark.parametrize(("unit", "language"), list(UNIT_FORMS))
@pytest.mark.parametrize("number", NUMBERS)
def test_every_unit_word_takes_the_form_its_number_asks_for(unit, language, number):
    forms = UNIT_FORMS[unit, language]
    form = SERBIAN_FORM[number] if language != "en" else (0 if number == 1 else 1)
    with translation.override(language):
        assert unit_words(Figure(number, unit)) == forms[form]
        said = GROUPED.get(language, {}).get(number, f"{number:,}")
        assert figure_with_unit(Figure(number, unit)) == f"{said} {forms[form]}"


@pytest.mark.parametrize(
    ("language", "low", "high", "expected"),
    [
        ("sr-latn", 2, 3, "2–3 osobe"),
        ("sr-latn", 3, 5, "3–5 osoba"),
        ("sr-latn", 6000, 7000, "6.000–7.000 osoba dnevno"),
        ("sr", 20, 21, "20–21 особа"),
        ("en", 2, 3, "2–3 people"),
    ],
)
def test_a_range_takes_the_form_of_its_upper_end(language, low, high, expected):
    unit = FigureUnit.PEOPLE_PER_DAY if high == 7000 else FigureUnit.PEOPLE
    with translation.override(language):
        assert figure_with_unit(Figure(low, unit, high)) == expected


@pytest.mark.django_db
def test_a_figure_card_on_the_cyrillic_page_says_its_unit_in_the_form_of_its_number(client):
    project = make_project("Centres Project")
    make_figure(project, key="two-centres", value_low=2, unit="centres", counts="reception centres")
    make_figure(project, key="five-centres", value_low=5, unit="centres", counts="asylum centres")
    make_figure(project, key="twenty-one", value_low=21, unit="people", counts="people housed")
    page = own_language_text(client.get(f"/sr/projects/{project.slug}/"))
    assert "2 центра" in page and "5 центара" in page and "21 особа" in page
    latin = own_language_text(client.get(f"/sr-latn/projects/{project.slug}/"))
    assert "2 centra" in latin and "5 centara" in latin and "21 osoba" in latin


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("projects", "expected"), [(1, "1 пројекат"), (2, "2 пројекта"), (5, "5 пројеката"), (21, "21 пројекат")]
)
def test_counts_of_projects_take_the_serbian_plural_form_in_cyrillic(client, projects, expected):
    area = make_area("Counted Area")
    for number in range(projects):
        make_project(f"Project {number}", areas=[area])
    assert expected in own_language_text(client.get("/sr/areas/"))


@pytest.mark.parametrize(("months", "expected"), [(1, "1 месец"), (3, "3 месеца"), (5, "5 месеци"), (36, "3 године")])
def test_durations_take_the_serbian_plural_form_in_cyrillic(months, expected):
    with translation.override("sr"):
        assert duration(months) == expected


# Dates -------------------------------------------------------------------------------------------------------------


def test_dates_are_said_with_serbian_month_names_in_both_scripts():
    with translation.override("sr"):
        assert partial_date(datetime.date(2015, 9, 1), "month") == "септембар 2015."
        assert partial_date(datetime.date(2015, 9, 14), "day") == "14. септембар 2015."
        cyrillic_months = [str(MONTHS[month]) for month in range(1, 13)]
    with translation.override("sr-latn"):
        assert partial_date(datetime.date(2016, 3, 1), "month") == "mart 2016."
        latin_months = [str(MONTHS[month]) for month in range(1, 13)]
    # Django's own two Serbian locales agree letter for letter, as our catalogues do.
    assert cyrillic_months[0] == "јануар" and latin_months[0] == "januar"
    assert [to_latin(month) for month in cyrillic_months] == latin_months


# django-reversion's words ----------------------------------------------------------------------------------------


def test_reversions_messages_are_still_the_installed_versions_own():
    """portal/reversion_messages.py copies django-reversion's msgids: after an upgrade, each must still be one."""
    package = Path(reversion.__file__).parent
    sources = [(package / "admin.py").read_text()] + [
        path.read_text() for path in (package / "templates").rglob("*.html")
    ]
    # {% blocktrans %}Recover deleted {{name}}{% endblocktrans %} has the msgid "Recover deleted %(name)s".
    said = "\n".join(re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", source) for source in sources)
    assert [message for message in REVERSION_MESSAGES if message not in said] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "recover", "nothing_to_recover"),
    [
        ("sr-Latn,sr;q=0.9", "Vraćanje obrisanih: projekti", "Nema obrisanih objekata za vraćanje."),
        ("sr", "Враћање обрисаних: пројекти", "Нема обрисаних објеката за враћање."),
    ],
)
def test_reversions_admin_pages_speak_serbian_in_both_scripts(
    admin_client, accept_language, recover, nothing_to_recover
):
    changelist = admin_client.get("/admin/projects/project/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert recover in changelist.content.decode()
    recover_list = admin_client.get("/admin/projects/project/recover/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert nothing_to_recover in recover_list.content.decode()
    english = admin_client.get("/admin/projects/project/recover/")
    assert "There are no deleted objects to recover." in english.content.decode()


# Charts ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_charts_speak_the_pages_language_with_the_sources_names_marked_english(client, catalogue):
    page = client.get("/sr/").content.decode()
    assert (
        '<figcaption class="chart__caption" id="funding-USD-title">Наведена средства у валути USD, по донаторима'
        in page
    )
    assert "Износ у валути USD" in page and "Број особа дневно, од 2015. до 2017." in page
    # Donors' names in the bars and in the description are the source's English words.
    assert page.count('<text class="chart__label" lang="en">') == 2
    assert '<desc id="funding-USD-desc"><span lang="en">International Narcotics' in page
    english = client.get("/").content.decode()
    assert '<text class="chart__label">' in english and 'lang="en"' not in english.split("<main", 1)[1]


# Exports stay as they were -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("export", ["/projects/export.csv", "/projects/export.json", "/context/export.csv"])
def test_the_exports_are_the_same_bytes_whatever_language_the_visitor_reads(client, catalogue, export):
    english = b"".join(client.get(export).streaming_content)
    for prefix, accept_language in (("/sr", "sr"), ("/sr-latn", "sr-Latn")):
        client.get(f"{prefix}/projects/")
        serbian = b"".join(client.get(export, HTTP_ACCEPT_LANGUAGE=accept_language).streaming_content)
        assert serbian == english


# Nothing in English but the source's words -----------------------------------------------------------------------

SERBIAN_PAGES = [
    "/",
    "/projects/",
    "/projects/?donor=european-union&area=border-management&sort=-amount",
    "/projects/?min_amount=abc",
    "/projects/croboweb-cross-border-cooperation/",
    "/projects/information-management-communication-and-planning/",
    "/projects/open-communities-successful-communities/",
    "/projects/increasing-capacities-irregular-migration/",
    "/projects/iom-migrants-and-refugees-in-serbia/",
    "/donors/",
    "/donors/european-union/",
    "/areas/",
    "/areas/border-management/",
    "/context/",
    "/places/",
    "/places/greece/",
    "/projects/no-such-project/",
]
# The catalogue's own words that must not show in English on a Serbian page (statuses, areas, places, partner roles):
# add them here as they are translated. The interface's own strings come from the catalogue itself, below.
CATALOGUE_ENGLISH = [*ENGLISH_PLACE_NAMES]


def english_interface_strings():
    """Every English string of the interface (the msgids of our catalogue) whose Serbian is not the same words
    ("Status", "JSON" are Serbian too), plus CATALOGUE_ENGLISH."""
    strings = set(CATALOGUE_ENGLISH)
    for entry in latin_catalogue():
        texts = translations(entry)
        for msgid in (entry.msgid, entry.msgid_plural):
            if msgid and msgid not in texts:
                strings.add(msgid)
    return strings


def english_shown(text, strings):
    text = re.sub(r"\S+://\S+", " ", text)  # addresses are not words of any language
    return sorted(s for s in strings if len(s) > 2 and re.search(rf"(?<![\w%/]){re.escape(s)}(?![\w/])", text))


def test_the_english_check_finds_an_interface_string_outside_lang_en_and_not_inside():
    strings = english_interface_strings()
    assert {"Projects", "Skip to main content", "not stated"} <= strings
    page = HttpResponse(
        '<html lang="sr-Latn"><body><p>Projekti</p><p>Projects</p><span lang="en">not stated</span></body></html>'
    )
    assert english_shown(own_language_text(page), strings) == ["Projects"]


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["/sr-latn", "/sr"])
def test_serbian_pages_say_no_english_word_of_the_interface_outside_the_sources_words(client, catalogue, prefix):
    strings = english_interface_strings()
    shown = {}
    for path in SERBIAN_PAGES:
        if found := english_shown(own_language_text(client.get(prefix + path)), strings):
            shown[path] = found
    assert shown == {}


# Latin words a Cyrillic page may show outside lang="en": codes, and the name of the Latin interface (lang="sr-Latn").
LATIN_ON_CYRILLIC_PAGES = {"IOM", "INL", "EU", "USD", "EUR", "CSV", "JSON", "RIS", "BibTeX", "CSL-JSON"}
LATIN_ON_CYRILLIC_PAGES |= {"ISO", "GR", "MK", "RS"}  # "ISO 3166-1: GR": the standard's name and its codes


@pytest.mark.django_db
def test_cyrillic_pages_write_every_word_of_their_own_in_cyrillic(client, catalogue):
    latin = {}
    for path in SERBIAN_PAGES:
        text = re.sub(r"\S+://\S+", " ", own_language_text(client.get("/sr" + path)))
        words = set(re.findall(r"[A-Za-zČĆŽŠĐčćžšđ][\w-]*", text))
        words = {word.split("-")[0] if word.endswith("-а") else word for word in words}  # IOM-а
        if words - LATIN_ON_CYRILLIC_PAGES:
            latin[path] = sorted(words - LATIN_ON_CYRILLIC_PAGES)
    assert latin == {}

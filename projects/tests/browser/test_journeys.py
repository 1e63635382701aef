"""What a visitor does with the catalogue, click by click, in a real browser."""

import csv
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

from django.db import connection
from playwright.sync_api import expect

ALL_PROJECTS = 7
EU_PROJECT = "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis"
CROBOWEB = "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"
INL = "International Narcotics and Law Enforcement Affairs, US State Department"


def results(page):
    return page.locator(".results .project-summary__title")


def shown_projects(page):
    """(slug, title) of every project the list shows, as its links and headings give them."""
    return [
        (link.get_attribute("href").strip("/").split("/")[-1], link.inner_text())
        for link in results(page).get_by_role("link").all()
    ]


def filter_by(page, donor_name):
    page.get_by_role("checkbox", name=donor_name).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/projects/\?.*\bdonor="))


def download(page, link_name):
    """Click the list's download link `link_name` and return the file it gives: (suggested name, bytes)."""
    with page.expect_download() as started:
        page.locator(".downloads").get_by_role("link", name=link_name).click()
    downloaded = started.value
    with open(downloaded.path(), "rb") as file:
        return downloaded.suggested_filename, file.read()


def test_a_visitor_filters_by_donor_removes_the_filter_and_goes_back_and_forward(page):
    page.goto("/projects/")
    expect(results(page)).to_have_count(ALL_PROJECTS)
    eu_checkbox = page.get_by_role("checkbox", name="European Union")

    eu_checkbox.check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/projects/\?.*\bdonor=european-union\b"))
    expect(results(page)).to_have_text([EU_PROJECT])
    expect(page.locator(".results__count")).to_have_text("1 project matches your filters")

    page.get_by_role("link", name="Remove filter Donor: European Union").click()
    expect(page).not_to_have_url(re.compile(r"donor="))
    expect(results(page)).to_have_count(ALL_PROJECTS)
    expect(eu_checkbox).not_to_be_checked()

    page.go_back()
    expect(page).to_have_url(re.compile(r"\bdonor=european-union\b"))
    expect(results(page)).to_have_text([EU_PROJECT])
    expect(eu_checkbox).to_be_checked()

    page.go_forward()
    expect(page).not_to_have_url(re.compile(r"donor="))
    expect(results(page)).to_have_count(ALL_PROJECTS)
    expect(eu_checkbox).not_to_be_checked()


def test_a_visitor_searches_opens_a_result_and_follows_its_donor_to_the_donor_page(page):
    page.goto("/")
    page.get_by_label("Search the projects").fill("smuggling")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/projects/\?q=smuggling$"))
    expect(results(page)).to_contain_text([CROBOWEB])
    expect(results(page).filter(has_text="Open Communities-Successful Communities")).to_have_count(0)
    croboweb = page.locator(".project-summary").filter(has=page.get_by_role("link", name=CROBOWEB))
    if connection.vendor == "postgresql":
        # Full-text search marks the matched word in a passage of the text (English stemming included).
        expect(croboweb.locator(".project-summary__match")).to_be_visible()
        matches = croboweb.locator("mark").all_inner_texts()
        assert matches and all(match.lower().startswith("smuggl") for match in matches), matches
    else:
        # SQLite's word match finds the project but marks nothing (README, "Search").
        expect(croboweb.locator("mark")).to_have_count(0)

    results(page).get_by_role("link", name=CROBOWEB).click()
    expect(page).to_have_url(re.compile(r"/projects/croboweb-cross-border-cooperation/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CROBOWEB)

    page.locator(".summary-list").get_by_role("link", name=INL).click()
    expect(page).to_have_url(re.compile(r"/donors/inl-us-state-department/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{INL} (INL)")
    expect(page.get_by_role("row", name=CROBOWEB)).to_contain_text("USD 650,000")


def test_a_visitor_filters_by_donor_and_downloads_the_same_projects_as_csv(page):
    page.goto("/projects/")
    filter_by(page, INL)
    shown = shown_projects(page)
    assert shown == [("croboweb-cross-border-cooperation", CROBOWEB)]

    filename, content = download(page, "CSV (spreadsheet)")

    assert filename == "iom-serbia-projects.csv"
    # A byte-order mark first, so spreadsheets read the file as UTF-8.
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
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
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(record["slug"], record["title"]) for record in records] == shown
    assert records[0]["donor_slugs"] == "inl-us-state-department"
    assert records[0]["donor_names"] == INL
    assert (records[0]["grant_currencies"], records[0]["grant_amounts"]) == ("USD", "650000")


def test_a_visitor_filters_by_donor_and_downloads_the_same_projects_as_json(page):
    page.goto("/projects/")
    filter_by(page, "European Union")
    shown = shown_projects(page)
    assert shown == [("eu-supports-border-management", EU_PROJECT)]

    filename, content = download(page, "JSON")

    assert filename == "iom-serbia-projects.json"
    export = json.loads(content.decode("utf-8"))
    assert parse_qs(urlsplit(export["source"]).query) == {"donor": ["european-union"]}
    assert [(project["slug"], project["title"]) for project in export["projects"]] == shown
    assert export["projects"][0]["donors"] == [{"slug": "european-union", "name": "European Union"}]
    assert export["projects"][0]["grants"] == [{"donor": "european-union", "currency": "EUR", "amount": 1000000}]


def facet_checkbox(page, name, count):
    """A facet's checkbox, found by what a screen reader says: its name and how many projects it lists."""
    # Chromium puts a space around the visually hidden word ("(4 projects )").
    return page.get_by_role("checkbox", name=re.compile(rf"^{re.escape(name)} \({count} projects?\s*\)$"))


def currency_option(page, code):
    return page.get_by_label("Currency").locator(f"option[value='{code}']")


def test_ticking_a_donor_updates_the_other_facets_counts_and_disables_the_choices_that_would_list_nothing(page):
    page.goto("/projects/")
    expect(facet_checkbox(page, "Asylum and reception", 4)).to_be_enabled()
    expect(facet_checkbox(page, "Border management", 2)).to_be_enabled()
    expect(currency_option(page, "USD")).to_have_text("USD – US dollar (2)")
    expect(currency_option(page, "USD")).to_be_enabled()

    filter_by(page, "European Union")

    # The EU funds one project, in border management and institutional capacity, in euros.
    expect(facet_checkbox(page, "Border management", 1)).to_be_enabled()
    expect(facet_checkbox(page, "Institutional capacity", 1)).to_be_enabled()
    for other_area in ["Asylum and reception", "Community support", "Information management and planning"]:
        expect(facet_checkbox(page, other_area, 0)).to_be_disabled()
    expect(currency_option(page, "EUR")).to_have_text("EUR – euro (1)")
    expect(currency_option(page, "USD")).to_have_text("USD – US dollar (0)")
    expect(currency_option(page, "USD")).to_be_disabled()
    # A donor's own count ignores the donor filter: another donor can still be added.
    expect(facet_checkbox(page, INL, 1)).to_be_enabled()
    expect(facet_checkbox(page, "European Union", 1)).to_be_checked()


def test_back_and_forward_bring_back_each_step_of_the_filters_with_its_facet_counts(page):
    page.goto("/projects/")
    filter_by(page, "European Union")
    donor_only = page.url
    page.get_by_label("Search", exact=True).fill("border")
    page.get_by_label("Sort by").select_option(label="Title (A to Z)")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"\bq=border\b.*\bsort=title\b"))
    every_filter = page.url

    page.go_back()
    expect(page).to_have_url(donor_only)
    expect(page.get_by_label("Search", exact=True)).to_have_value("")
    expect(page.get_by_label("Sort by")).to_have_value("relevance")
    expect(page.get_by_role("checkbox", name="European Union")).to_be_checked()
    expect(facet_checkbox(page, "Asylum and reception", 0)).to_be_disabled()
    expect(results(page)).to_have_text([EU_PROJECT])

    page.go_back()
    expect(page).to_have_url(re.compile(r"/projects/$"))
    # The page the visitor ticked the box on shows the list as its address says: nothing ticked.
    expect(page.get_by_role("checkbox", name="European Union")).not_to_be_checked()
    expect(facet_checkbox(page, "Asylum and reception", 4)).to_be_enabled()
    expect(results(page)).to_have_count(ALL_PROJECTS)

    page.go_forward()
    page.go_forward()
    expect(page).to_have_url(every_filter)
    expect(page.get_by_label("Search", exact=True)).to_have_value("border")
    expect(page.get_by_label("Sort by")).to_have_value("title")
    expect(page.get_by_role("checkbox", name="European Union")).to_be_checked()
    expect(facet_checkbox(page, "Asylum and reception", 0)).to_be_disabled()
    expect(results(page)).to_have_text([EU_PROJECT])


def test_back_to_a_page_kept_in_the_back_forward_cache_shows_its_own_filters_not_the_ones_ticked_before_leaving(
    page_with_back_forward_cache,
):
    page = page_with_back_forward_cache
    page.goto("/projects/")
    page.evaluate("window.keptInMemory = true")
    filter_by(page, "European Union")
    expect(results(page)).to_have_text([EU_PROJECT])

    # A page restored from the cache has no load event to wait for.
    page.go_back(wait_until="commit")
    expect(page).to_have_url(re.compile(r"/projects/$"))
    # The same page, not a fresh one: it came back from the cache with the box still ticked in it.
    assert page.evaluate("window.keptInMemory") is True
    expect(results(page)).to_have_count(ALL_PROJECTS)
    expect(page.get_by_role("checkbox", name="European Union")).not_to_be_checked()


def test_a_visitor_switches_to_serbian_and_back_on_the_same_filtered_page(page):
    page.goto("/projects/?donor=european-union&sort=-amount")
    english_heading = page.get_by_role("heading", level=1).inner_text()

    page.locator(".language-switcher").get_by_role("link", name="Srpski", exact=True).click()

    expect(page).to_have_url(re.compile(r"/sr-latn/projects/\?"))
    assert parse_qs(urlsplit(page.url).query) == {"donor": ["european-union"], "sort": ["-amount"]}
    expect(page.locator("html")).to_have_attribute("lang", "sr-Latn")
    expect(page.locator(".language-notice")).to_be_visible()
    assert page.get_by_role("heading", level=1).inner_text() != english_heading
    assert [slug for slug, _ in shown_projects(page)] == ["eu-supports-border-management"]

    page.locator(".language-switcher").get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/projects/\?"))
    assert "/sr-latn/" not in page.url
    assert parse_qs(urlsplit(page.url).query) == {"donor": ["european-union"], "sort": ["-amount"]}
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.get_by_role("heading", level=1).inner_text() == english_heading

    page.go_back()
    expect(page.locator("html")).to_have_attribute("lang", "sr-Latn")

    # And on to Cyrillic: the same page and filters under /sr/, the switcher naming each language in its own script.
    page.locator(".language-switcher").get_by_role("link", name="Српски").click()
    expect(page).to_have_url(re.compile(r"/sr/projects/\?"))
    assert parse_qs(urlsplit(page.url).query) == {"donor": ["european-union"], "sort": ["-amount"]}
    expect(page.locator("html")).to_have_attribute("lang", "sr-Cyrl")
    expect(page.locator(".language-notice")).to_have_text(
        "Текстови и наслови пројеката, реченице наведене из њих и називи донатора, партнера и места су на енглеском "
        "језику, онако како их даје извор."
    )
    assert [slug for slug, _ in shown_projects(page)] == ["eu-supports-border-management"]


def test_a_keyboard_user_tabs_to_a_country_on_the_map_and_follows_it_to_the_filtered_list(page):
    page.goto("/places/")
    greece = page.get_by_role("link", name="Greece: 1 project")
    expect(greece).to_have_count(1)
    # Tab from the top of the page until the map's Greece has the focus: no script, only the keyboard.
    for _step in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Greece: 1 project":
            break
    else:
        raise AssertionError("Greece on the map is never reached with Tab")
    # The focus is visible: the focused country is drawn with a thick black edge.
    focused = page.locator("a.place-map__link:focus-visible path")
    expect(focused).to_have_count(1)
    assert float(focused.evaluate("element => getComputedStyle(element).strokeWidth").rstrip("px")) >= 5
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/projects/\?place=greece$"))
    expect(results(page)).to_have_text([CROBOWEB])
    expect(page.locator(".results__count")).to_have_text("1 project matches your filters")

"""What a visitor does with the catalogue, click by click, in a real browser."""

import re

from playwright.sync_api import expect

ALL_PROJECTS = 7
EU_PROJECT = "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis"
CROBOWEB = "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"
INL = "International Narcotics and Law Enforcement Affairs, US State Department"


def results(page):
    return page.locator(".results .project-summary__title")


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

    results(page).get_by_role("link", name=CROBOWEB).click()
    expect(page).to_have_url(re.compile(r"/projects/croboweb-cross-border-cooperation/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CROBOWEB)

    page.locator(".summary-list").get_by_role("link", name=INL).click()
    expect(page).to_have_url(re.compile(r"/donors/inl-us-state-department/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{INL} (INL)")
    expect(page.get_by_role("row", name=CROBOWEB)).to_contain_text("USD 650,000")

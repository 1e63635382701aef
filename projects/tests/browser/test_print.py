"""A project page on paper: printed by Chromium to an A4 PDF, through the print rules of static/css/portal.css."""

import io

import pytest
from pypdf import PdfReader

from .checks import axe_violations
from .pages import PUBLIC_PAGES

PROJECT_PAGES = [
    public_page
    for public_page in PUBLIC_PAGES
    if public_page.name.startswith("project ") and "list" not in public_page.name
]
LONGEST = "/projects/information-management-communication-and-planning/"
# Left out of print: what only a screen can use.
NOT_PRINTED = [".skip-link", ".site-nav", ".language-switcher", ".breadcrumbs", ".cite-figure", ".cite__files"]
# Kept: the facts, the text, the figures and the citation.
PRINTED = ["h1", ".summary-list", ".prose", ".figure-card", "section.cite"]


def printed_pages(page):
    return len(PdfReader(io.BytesIO(page.pdf(format="A4", print_background=False))).pages)


def test_every_project_of_the_catalogue_prints_on_at_most_two_a4_pages_in_every_language(page):
    assert len(PROJECT_PAGES) == 7 * 3
    too_long = []
    for public_page in PROJECT_PAGES:
        page.goto(public_page.path)
        if (pages := printed_pages(page)) > 2:
            too_long.append(f"{public_page.name}: {pages} pages")
    assert too_long == []


def test_the_page_count_is_real_a_longer_page_prints_on_more_pages(page):
    """The check above can fail: the same page with its text five times over no longer fits on two."""
    page.goto(LONGEST)
    page.evaluate("const prose = document.querySelector('.prose'); prose.innerHTML = prose.innerHTML.repeat(5)")
    assert printed_pages(page) > 2


@pytest.mark.parametrize("path", [LONGEST, f"/sr-latn{LONGEST}", f"/sr{LONGEST}"])
def test_print_leaves_out_navigation_and_keeps_the_facts_the_text_and_the_citation(page, path):
    page.emulate_media(media="print")
    page.goto(path)

    for selector in NOT_PRINTED:
        displays = page.locator(selector).evaluate_all("els => els.map(el => getComputedStyle(el).display)")
        assert displays and set(displays) == {"none"}, selector
    for selector in PRINTED:
        assert page.locator(selector).first.is_visible(), selector
    # On paper, a link in the text area carries its address: read back from the printed PDF itself.
    printed = "".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages)
    href = page.locator(".summary-list a").first.get_attribute("href")
    assert f"({href})" in printed.replace("\n", "")  # a long address wraps inside the link's line
    assert page.locator("section.cite").inner_text().count("http") == 1  # the entry's address, in the citation


def test_the_print_view_of_every_project_has_no_accessibility_violation(page):
    page.emulate_media(media="print")
    violations = []
    for public_page in PROJECT_PAGES:
        page.goto(public_page.path)
        violations += [f"{public_page.name} (print): {violation}" for violation in axe_violations(page)]
    assert violations == []

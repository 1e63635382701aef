"""Accessibility in a real browser: axe-core's WCAG 2.1 AA rules, the skip link and visible keyboard focus."""

import pytest
from playwright.sync_api import expect

from bench.harness import VIEWPORTS

from .checks import axe_violations
from .pages import PUBLIC_PAGES


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_axe_finds_no_wcag_2_1_aa_violation_on_any_public_page(new_page, viewport):
    page = new_page(VIEWPORTS[viewport])
    violations = []
    for public_page in PUBLIC_PAGES:
        page.goto(public_page.path)
        violations += [f"{public_page.name}: {violation}" for violation in axe_violations(page)]
    assert violations == []


def test_axe_reports_an_image_without_a_text_alternative(page):
    """The audit above can fail: axe runs in the page despite the CSP, and reports what it finds."""
    page.goto("/")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    assert [violation.split(":")[0] for violation in axe_violations(page)] == ["image-alt (critical)"]


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_main_content(page):
    page.goto("/projects/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab starts from the main content, not from the top of the page.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def focus_style(locator):
    return locator.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return {outline: `${s.outlineStyle} ${s.outlineWidth}`,"
        " background: s.backgroundColor, shadow: s.boxShadow}; }"
    )


@pytest.mark.parametrize("path", ["/", "/projects/croboweb-cross-border-cooperation/"])
def test_a_link_reached_with_the_keyboard_shows_the_yellow_focus_state(page, path):
    page.goto(path)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('main a[href]')"):
            break
    link = page.locator("main a[href]:focus")
    expect(link).to_have_count(1)
    unfocused = focus_style(page.locator("main a[href]:not(:focus)").first)

    focused = focus_style(link)
    # GOV.UK's focus state: a yellow background with a dark underline, and an outline (transparent
    # in normal colours) that Windows high-contrast mode paints.
    assert focused == {"outline": "solid 3px", "background": "rgb(255, 221, 0)", "shadow": focused["shadow"]}
    assert "rgb(11, 12, 12)" in focused["shadow"]
    assert unfocused["background"] != focused["background"]

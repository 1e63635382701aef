"""How the pages look in a real browser: the stylesheet applies, and nothing scrolls sideways on a phone."""

import pytest

from bench.harness import PHONE, VIEWPORTS

from .checks import chart_text_outside_its_chart, sideways_overflow
from .pages import PUBLIC_PAGES


def test_the_stylesheet_loads_and_applies(page):
    stylesheets = []
    page.on("response", lambda response: stylesheets.append(response) if response.url.endswith(".css") else None)
    page.goto("/")
    # The portal's stylesheet, and the map's (the home page draws the map).
    assert [response.status for response in stylesheets] == [200, 200]
    # The header's IOM blue (#0033a0) comes from static/css/portal.css and nowhere else.
    assert page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(0, 51, 160)"
    # Serbia, named by seven projects, in the map's darkest shade, from static/css/map.css.
    serbia = page.get_by_role("link", name="Serbia: 7 projects").locator("path")
    assert serbia.evaluate("el => getComputedStyle(el).fill") == "rgb(0, 51, 160)"


def test_no_public_page_scrolls_sideways_on_a_phone(new_page):
    page = new_page(PHONE)
    too_wide = []
    for public_page in PUBLIC_PAGES:
        page.goto(public_page.path)
        if overflow := sideways_overflow(page):
            too_wide.append(f"{public_page.name} ({public_page.path}): {overflow} px wider than the phone")
    assert too_wide == [], "\n".join(too_wide)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_chart_label_stays_inside_its_chart(new_page, viewport):
    """An SVG's text can spill past the chart into the page margin (charts draw overflow) without any scrolling."""
    page = new_page(VIEWPORTS[viewport])
    spilling = []
    for public_page in PUBLIC_PAGES:
        page.goto(public_page.path)
        spilling += [f"{public_page.name}: {text}" for text in chart_text_outside_its_chart(page)]
    assert spilling == []


def test_a_page_wider_than_the_phone_is_measured(new_page):
    """The check above can fail: an element wider than the window makes the page scroll sideways."""
    page = new_page(PHONE)
    page.goto("/")
    assert sideways_overflow(page) == 0
    page.evaluate(
        "document.querySelector('main')"
        ".append(Object.assign(document.createElement('pre'), {textContent: 'x'.repeat(200)}))"
    )
    assert sideways_overflow(page) > 0


@pytest.mark.parametrize("prefix", ["", "/sr-latn", "/sr"])
def test_the_header_is_one_row_on_a_desktop_and_wraps_cleanly_on_a_phone_in_every_language(new_page, prefix):
    """At 1280 px the site's name, the menu and the three languages share one row (the name may wrap onto a
    second line of its own); at 390 px the rows wrap, and each language's link stays whole and on the screen."""
    page = new_page(VIEWPORTS["desktop"])
    page.goto(f"{prefix}/projects/")
    header = page.locator(".site-header__inner").bounding_box()
    name, menu, switcher = (page.locator(selector).bounding_box() for selector in HEADER_PARTS)
    # One row: side by side, left to right, each within the header's height, none below another.
    assert name["x"] + name["width"] <= menu["x"] and menu["x"] + menu["width"] <= switcher["x"]
    assert abs((menu["y"] + menu["height"] / 2) - (switcher["y"] + switcher["height"] / 2)) < 2
    assert switcher["x"] + switcher["width"] <= header["x"] + header["width"] + 1
    assert switcher["height"] < 2 * LINE_HEIGHT

    phone = new_page(PHONE)
    phone.goto(f"{prefix}/projects/")
    assert sideways_overflow(phone) == 0
    links = phone.locator(".language-switcher li")
    assert links.count() == 3
    for index in range(3):
        box = links.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] < LINE_HEIGHT * 1.5  # a name never breaks across lines
    menu_box = phone.locator(".site-nav").bounding_box()
    assert phone.locator(".language-switcher").bounding_box()["y"] >= menu_box["y"] + menu_box["height"]


HEADER_PARTS = (".site-header__name", ".site-nav", ".language-switcher")
LINE_HEIGHT = 30  # px: one line of the header's text, with room

"""The staff's workplace in Chromium at 1280 px: the pages editors use, and their journeys through them."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect
from reversion.models import Version

from projects.models import Project

from .checks import BrowserErrors, axe_violations

THREE_FIGURES = "information-management-communication-and-planning"
PASSWORD = "a long editor password 1"
# "more than 700,000 migrants passed through the Republic of Serbia", in the three-figure project's text.
SENTENCE_START = "As of mid-2015 until the beginning of March 2016"


@pytest.fixture
def editor(catalogue):
    return User.objects.create_superuser("ana", password=PASSWORD)


@pytest.fixture
def signed_in(page, editor):
    """The desktop page, signed in as an editor through the admin's sign-in form."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", editor.username)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    return page


def project():
    return Project.objects.get(slug=THREE_FIGURES)


def change_path(obj=None):
    return f"/admin/projects/project/{(obj or project()).pk}/change/"


def serious(violations):
    """axe-core's serious and critical violations: the ones that stop someone using the page."""
    return [line for line in violations if "(serious)" in line or "(critical)" in line]


def staff_pages():
    first_version = Version.objects.get_for_object(project()).last()
    return {
        "changelist": "/admin/projects/project/",
        "project form": change_path(),
        "history": f"/admin/projects/project/{project().pk}/history/",
        "restore": f"/admin/projects/project/{project().pk}/history/{first_version.pk}/",
        "preview": project().get_absolute_url(),
    }


def test_the_staff_pages_have_no_serious_axe_violation_and_run_under_the_csp_without_error(signed_in):
    Project.objects.filter(slug=THREE_FIGURES).update(is_published=False)  # so "preview" is a preview
    errors = BrowserErrors(signed_in)
    found = {}
    for name, path in staff_pages().items():
        assert signed_in.goto(path).status == 200, name
        for card in signed_in.locator("details.fact-card__details:not([open]) > summary").all()[:1]:
            card.click()  # an open card is checked too
        found[name] = serious(axe_violations(signed_in)) + errors.collect()

    assert found == {name: [] for name in found}


def test_the_project_list_fits_its_column_at_1280_px_and_no_title_takes_more_than_two_lines(signed_in):
    signed_in.goto("/admin/projects/project/")

    fit = signed_in.evaluate("""() => {
        const table = document.querySelector('#result_list'), column = document.querySelector('#changelist-form');
        const titles = [...table.querySelectorAll('.field-title a')];
        const lines = (a) => Math.round(a.getBoundingClientRect().height / parseFloat(getComputedStyle(a).lineHeight));
        return {overflow: table.scrollWidth - column.clientWidth, page: document.documentElement.scrollWidth,
                lines: Math.max(...titles.map(lines)), clipped: titles.filter((a) => a.scrollHeight > a.clientHeight + 1).length};
    }""")

    assert fit == {"overflow": 0, "page": 1280, "lines": 2, "clipped": 0}


def test_the_three_figure_project_form_reads_each_figure_on_one_line_and_stays_short(signed_in):
    signed_in.goto(change_path())

    readings = signed_in.locator("#figures-group .inline-related:not(.empty-form) summary").all_inner_texts()
    height = signed_in.evaluate("document.documentElement.scrollHeight")

    assert (
        "more than 700,000 people · As of mid-2015 until the beginning of March 2016 · Republic of Serbia" in readings
    )
    assert len(readings) == 3
    # 4,403 px before the cards; 2,092 px after them. Since then the form has gained the start date's and the
    # duration's sentences, the editorial note in two languages, and a card per place the text names (three here).
    assert height < 3000, f"the form is {height} px tall"


def test_an_editor_adds_a_figure_by_selecting_words_in_the_text_then_saves_it(signed_in):
    signed_in.goto(change_path())
    errors = BrowserErrors(signed_in)
    signed_in.locator("#figures-group .add-row a").click()
    new_card = signed_in.locator("#figures-3")

    # The editor selects a few words of the text with the mouse: the new figure's select takes their sentence.
    signed_in.evaluate(
        """(words) => {
        const text = document.getElementById('id_text'), start = text.value.indexOf(words);
        text.focus();
        text.setSelectionRange(start, start + words.length);
        text.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""",
        "formally closed, more than 700,000",
    )
    chosen = new_card.locator("select.source-sentence")
    expect(chosen).to_have_value(re.compile(f"^{SENTENCE_START}"))
    expect(new_card.locator(".source-sentence__chosen")).to_contain_text("more than 700,000 migrants")

    new_card.locator("[name=figures-3-qualifier]").select_option("more_than")
    new_card.locator("[name=figures-3-value_low]").fill("700000")
    new_card.locator("[name=figures-3-unit]").select_option("people")
    new_card.locator("[name=figures-3-counts]").fill("migrants passing through Serbia")
    new_card.locator("[name=figures-3-period_end_0]").select_option("3")
    new_card.locator("[name=figures-3-period_end_1]").fill("2016")
    new_card.locator("[name=figures-3-key]").fill("migrants-until-march-2016")
    signed_in.get_by_role("button", name="Save and continue editing").click()

    expect(signed_in.locator(".messagelist")).to_contain_text("was changed successfully")
    figure = project().figures.get(key="migrants-until-march-2016")
    assert figure.source_sentence.startswith(SENTENCE_START) and figure.period_end.isoformat() == "2016-03-01"
    assert errors.collect() == []


def test_an_editor_follows_the_error_summary_link_to_the_field_fixes_it_and_saves(signed_in):
    signed_in.goto(change_path())
    first = signed_in.locator("#figures-0")
    first.locator("summary").click()
    first.locator("input[name$=value_low]").fill("70000")  # a typo: the sentence says 700,000
    signed_in.get_by_role("button", name="Save and continue editing").click()

    summary = signed_in.locator(".error-summary")
    expect(summary).to_contain_text("Migration context figure 1: Value")
    assert summary.bounding_box()["y"] < 400  # at the top of the page, not below the inlines
    summary.get_by_role("link", name=re.compile("Value")).click()
    field = signed_in.locator("#id_figures-0-value_low")
    expect(field).to_be_in_viewport()
    assert signed_in.evaluate("location.hash") == "#id_figures-0-value_low"

    field.fill("700000")
    signed_in.get_by_role("button", name="Save and continue editing").click()
    expect(signed_in.locator(".messagelist")).to_contain_text("was changed successfully")
    assert project().figures.filter(value_low=700000).count() == 1


def test_an_editor_previews_an_unpublished_project_then_publishes_it(signed_in, new_page):
    Project.objects.filter(slug=THREE_FIGURES).update(is_published=False)
    url = project().get_absolute_url()
    visitor = new_page()
    assert visitor.goto(url).status == 404

    assert signed_in.goto(url).status == 200
    expect(signed_in.locator(".preview-banner")).to_contain_text("Not published: only staff can see this page")
    signed_in.get_by_role("link", name="Edit or publish it").click()
    signed_in.get_by_label("Published").check()
    signed_in.get_by_role("button", name="Save", exact=True).click()
    expect(signed_in.locator(".messagelist")).to_contain_text("was changed successfully")

    assert visitor.goto(url).status == 200
    expect(visitor.locator(".preview-banner")).to_have_count(0)
    signed_in.goto(url)
    expect(signed_in.locator(".preview-banner")).to_have_count(0)

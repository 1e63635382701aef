"""Facts at the precision their words give, credited only to the projects whose texts say them (issue 11)."""

import datetime
import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from projects.models import ContextFigure, Precision
from projects.templatetags.catalogue import figure_period, partial_date

from .factories import make_figure, make_project
from .test_views import figure_cards, page_text

pytestmark = pytest.mark.django_db

HOME = reverse("projects:home")
CONTEXT = reverse("projects:context")
INCREASING = reverse("projects:project_detail", args=["increasing-capacities-irregular-migration"])
NOTE = "The source page ends here; it does not list the two components it announces."


def home_rows(response):
    """{(figure, when): cited by} from the home page's table of figures."""
    html = response.content.decode()
    table = html[html.index('aria-labelledby="context"') :]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        figure, _counts, when, cited_by = cells
        rows[(figure, when)] = cited_by
    return rows


def test_home_and_context_say_the_same_figures_credited_to_the_same_projects(client, catalogue):
    """Home merged "more than 700,000, mid-2015..." with Open Communities' "some 700,000": /context/ listed them apart."""
    home = home_rows(client.get(HOME))
    context = {}
    for card in figure_cards(client.get(CONTEXT)):
        if "no date" not in card["When"]:  # home shows the dated figures only
            context.setdefault((card["value"], card["When"]), []).append(card["Cited by"])
    assert home == {key: "; ".join(sorted(projects)) for key, projects in context.items()}
    assert home[("more than 700,000 people", "As of mid-2015 until the beginning of March 2016")] == (
        "Support to the Information Management, Communication and Planning Capacity in Addressing the Migration "
        "Management Challenges in Serbia"
    )


def test_figures_that_differ_only_in_qualifier_or_period_precision_are_two_facts():
    project = make_project("One Project")
    other = make_project("Other Project")
    march = datetime.date(2016, 3, 1)
    july = datetime.date(2015, 7, 1)
    make_figure(project, value_low=700000, qualifier="more_than", period_start=july, period_end=march)
    make_figure(other, value_low=700000, qualifier="about", period_start=july, period_end=march)
    make_figure(
        other,
        value_low=700000,
        qualifier="more_than",
        period_start=july,
        period_end=march,
        period_start_precision=Precision.APPROXIMATE,
    )
    facts = ContextFigure.objects.select_related("project").key_figures()
    assert sorted(tuple(p.title for p in projects) for _figure, projects in facts) == [
        ("One Project",),
        ("Other Project",),
        ("Other Project",),
    ]


def test_figures_that_agree_in_everything_are_one_fact_crediting_each_project_that_states_it():
    january = datetime.date(2017, 1, 1)
    for title in ("One Project", "Other Project"):
        make_figure(make_project(title), value_low=4000, qualifier="about", period_start=january, period_end=january)
    ((figure, projects),) = ContextFigure.objects.select_related("project").key_figures()
    assert [p.title for p in projects] == ["One Project", "Other Project"]


def test_a_figure_with_only_an_end_is_dated_and_sorted_by_it():
    project = make_project("Project")
    until = make_figure(project, key="until", period_end=datetime.date(2016, 3, 1))
    later = make_figure(project, key="later", period_start=datetime.date(2017, 1, 1))
    make_figure(project, key="undated")
    assert list(ContextFigure.objects.dated()) == [until, later]
    assert figure_period(until) == "until March 2016"


def test_an_approximate_month_says_about_and_never_claims_the_month():
    assert partial_date(datetime.date(2015, 7, 1), Precision.APPROXIMATE) == "about July 2015"
    figure = ContextFigure(
        period_start=datetime.date(2015, 7, 1),
        period_start_precision=Precision.APPROXIMATE,
        period_end=datetime.date(2016, 3, 1),
    )
    assert figure_period(figure) == "about July 2015 to March 2016"


def test_the_database_refuses_an_unknown_period_precision():
    project = make_project("Project")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_figure(project, period_start=datetime.date(2015, 7, 1), period_start_precision="season")


def test_the_editorial_note_follows_the_verbatim_text_apart_from_it(client, catalogue):
    html = client.get(INCREASING).content.decode()
    prose_end = html.index("two project components:")
    note = html.index('<aside class="editorial-note"')
    assert prose_end < note
    # Not inside the verbatim text's block, and said to be the catalogue's, not the source's.
    prose = html[html.index('<div class="prose"') : note]
    assert NOTE not in prose and prose.count("</div>") >= 1
    text = page_text(client.get(INCREASING))
    assert f"Editorial note Not part of the source text: the catalogue’s remark. {NOTE}" in text


def test_a_project_without_an_editorial_note_shows_none(client, catalogue):
    page = client.get(reverse("projects:project_detail", args=["croboweb-cross-border-cooperation"])).content.decode()
    assert "editorial-note" not in page


def test_areas_are_marked_as_the_catalogue_assignment_with_a_link_to_how_they_are_chosen(client, catalogue):
    link = '<a class="dt-aside" href="/areas/#how-chosen">(catalogue’s assignment)</a>'
    assert link in client.get(INCREASING).content.decode()
    assert link in client.get(reverse("projects:project_list")).content.decode()
    areas = client.get(reverse("projects:area_list"))
    assert 'id="how-chosen"' in areas.content.decode()
    assert "The areas here are therefore the catalogue’s editorial assignment" in page_text(areas)
    for url in (HOME, reverse("projects:area_detail", args=["community-support"])):
        assert 'href="/areas/#how-chosen">How they are chosen</a>' in client.get(url).content.decode()
    # Inside override(): a Serbian request here leaves Serbian active in this thread for the next English
    # request (seen on this branch; reported, not fixed here: middleware is outside this change).
    with translation.override("en"):
        assert "/sr-latn/areas/#how-chosen" in Client().get("/sr-latn" + INCREASING).content.decode()


def test_the_portal_prose_no_longer_speaks_of_communities_that_host_migrants(client, catalogue):
    for url in (HOME, reverse("projects:area_list"), reverse("projects:area_detail", args=["community-support"])):
        assert "host" not in page_text(client.get(url)).replace("localhost", "")


def test_an_undated_figure_keeps_the_text_word_and_the_portal_says_there_is_no_date(client, catalogue):
    cards = figure_cards(
        client.get(reverse("projects:project_detail", args=["open-communities-successful-communities"]))
    )
    undated = {card["value"]: card["When"] for card in cards if "no date" in card["When"]}
    assert list(undated.values()) == ["Nowadays (the text gives no date)"] * 2, cards


def test_the_serbian_page_says_the_note_is_the_catalogue_s_in_serbian(catalogue):
    # The note is the catalogue's own words: in Serbian on a Serbian page (test_serbian_catalogue covers the rest).
    with translation.override("en"):
        page = Client().get("/sr-latn" + INCREASING).content.decode()
    assert "Urednička napomena" in page
    assert "<p>Izvorna stranica se ovde završava i ne navodi dve komponente koje najavljuje.</p>" in page
    assert NOTE not in page

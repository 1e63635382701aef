"""Server-rendered SVG charts: funding by donor per currency, the timeline of context figures, the context page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.charts import figures_timeline, funding_charts, nice_ceiling

from .factories import make_donor, make_figure, make_funding, make_project
from .support.html import charts, figure_cards, page_text, parsed

pytestmark = pytest.mark.django_db

HOME = reverse("projects:home")
CONTEXT = reverse("projects:context")


def by_title(response):
    """{svg title: chart}"""
    found = {}
    for chart in charts(response):
        first_id = chart["attrs"]["aria-labelledby"].split()[0]
        found[chart["ids"][first_id]] = chart
    return found


def bar_widths(chart):
    return [attrs["width"] for tag, attrs in chart["marks"] if tag == "rect"]


# Funding by donor ---------------------------------------------------------------------------------------------


def test_home_draws_one_funding_chart_per_currency_and_never_adds_currencies(client, catalogue):
    response = client.get(HOME)
    funding = {title: chart for title, chart in by_title(response).items() if title.startswith("Stated funding")}
    assert set(funding) == {"Stated funding in EUR, by donor", "Stated funding in USD, by donor"}
    usd = funding["Stated funding in USD, by donor"]
    assert usd["texts"] == ["INL", "USD 650,000", "IOM International Development Fund", "USD 130,000"]
    assert bar_widths(usd) == ["100.00%", "20.00%"]  # 130,000 is a fifth of 650,000
    assert funding["Stated funding in EUR, by donor"]["texts"] == ["EU", "EUR 1,000,000"]
    assert "1,780,000" not in response.content.decode()


def test_each_chart_is_an_image_named_by_its_title_and_described_by_its_values(client, catalogue):
    for chart in charts(client.get(HOME)):
        assert chart["attrs"]["role"] == "img"
        title_id, desc_id = chart["attrs"]["aria-labelledby"].split()
        assert chart["ids"][title_id] and chart["ids"][desc_id]
    usd = by_title(client.get(HOME))["Stated funding in USD, by donor"]
    desc_id = usd["attrs"]["aria-labelledby"].split()[1]
    assert usd["ids"][desc_id] == "INL: USD 650,000; IOM International Development Fund: USD 130,000."


def test_the_funding_chart_has_a_table_of_the_same_figures_beside_it(client, catalogue):
    text = page_text(client.get(HOME))
    assert "The funding by donor as a table" in text
    assert "International Narcotics and Law Enforcement Affairs, US State Department USD 650,000" in text
    assert "European Union EUR 1,000,000" in text


def test_pages_with_charts_use_no_inline_style_or_script(client, catalogue):
    for url in [HOME, CONTEXT, reverse("projects:donor_detail", args=["inl-us-state-department"])]:
        page = client.get(url).content.decode()
        assert "<svg" in page
        assert not re.search(r"\sstyle=", page) and "<style" not in page
        assert not re.search(r"\son[a-z]+=", page)
        assert "<script" not in page


def test_the_donor_page_draws_its_grants_per_currency_and_leaves_out_unstated_amounts(client):
    donor = make_donor("European Union", slug="eu")
    make_funding(make_project("Large Project"), donor, amount="1000000", currency="EUR")
    make_funding(make_project("Small Project"), donor, amount="1000", currency="EUR")
    make_funding(make_project("Dollar Project"), donor, amount="5000", currency="USD")
    make_funding(make_project("Unknown Amount Project"), donor, amount=None)
    response = client.get(donor.get_absolute_url())
    found = by_title(response)
    assert set(found) == {"Stated funding in EUR, by project", "Stated funding in USD, by project"}
    eur = found["Stated funding in EUR, by project"]
    assert eur["texts"] == ["Large Project", "EUR 1,000,000", "Small Project", "EUR 1,000"]
    assert bar_widths(eur) == ["100.00%", "0.50%"]  # the smallest bar drawn, so it can be seen
    assert "Unknown Amount Project" not in str(found)
    assert "Unknown Amount Project not stated" in page_text(response)  # in the table below the charts


def test_a_donor_with_no_stated_amount_has_no_chart(client):
    donor = make_donor("Swiss Agency", slug="swiss")
    make_funding(make_project("Unknown Amount Project"), donor, amount=None)
    response = client.get(donor.get_absolute_url())
    assert charts(response) == []
    assert "Funding by project" not in page_text(response)


def test_funding_charts_put_each_currency_on_its_own_scale_largest_first():
    drawn = funding_charts(
        [("USD", "B", Decimal("100")), ("EUR", "A", Decimal("50")), ("USD", "C", Decimal("400")), ("USD", "D", None)]
    )
    assert [chart.currency for chart in drawn] == ["EUR", "USD"]
    assert [(bar.label, bar.width, bar.amount) for bar in drawn[1].bars] == [
        ("C", "100.00%", "USD 400"), ("B", "25.00%", "USD 100")
    ]
    assert drawn[0].bars[0].width == "100.00%"
    assert [bar.amount_inside for bar in drawn[1].bars] == [True, False]
    assert drawn[1].height == 2 * drawn[0].height


# The timeline ---------------------------------------------------------------------------------------------------


def panels(response):
    return {title.split(",")[0]: chart for title, chart in by_title(response).items() if "Stated funding" not in title}


def test_the_timeline_gives_each_kind_of_figure_its_own_panel_and_scale(client, catalogue):
    drawn = panels(client.get(HOME))
    assert list(drawn) == ["People per day", "People over a period (total)", "People at one time", "Centres"]
    tops = {kind: chart["texts"][0] for kind, chart in drawn.items()}
    assert tops == {
        "People per day": "10,000",
        "People over a period (total)": "1,000,000",
        "People at one time": "10,000",
        "Centres": "20",
    }


def test_the_timeline_shows_each_figure_once_with_its_qualifier_and_range(client, catalogue):
    drawn = panels(client.get(HOME))

    def labels(kind):
        return drawn[kind]["by_class"]["chart__label"]

    assert labels("People per day") == ["2,000–3,000", "6,000–7,000"]
    assert labels("People over a period (total)") == ["more than 700,000"]  # cited by two projects, drawn once
    assert sorted(labels("People at one time")) == ["more than 8,000", "some 4,000"]
    assert labels("Centres") == ["18"]


def test_the_timeline_runs_from_2015_to_2017_and_describes_each_panel_in_words(client, catalogue):
    titles = list(by_title(client.get(HOME)))
    assert "People per day, 2015 to 2017" in titles
    chart = panels(client.get(HOME))["People per day"]
    desc_id = chart["attrs"]["aria-labelledby"].split()[1]
    assert chart["ids"][desc_id] == "2,000–3,000 (July 2015); 6,000–7,000 (October 2015)."
    assert chart["by_class"]["chart__tick"] == ["10,000", "5,000", "0", "2015", "2016", "2017"]


def test_a_range_is_drawn_as_a_bar_from_its_low_to_its_high_value(client, catalogue):
    chart = panels(client.get(HOME))["People per day"]
    ranges = [attrs for tag, attrs in chart["marks"] if tag == "line" and attrs.get("class") == "chart__range"]
    assert len(ranges) == 2
    october = ranges[1]
    assert october["x1"] == october["x2"] == "26.39%"  # the middle of October 2015, month 9.5 of 36
    # 6,000 and 7,000 on a 0-10,000 scale 120 px high, 24 px from the top.
    assert (int(october["y1"]), int(october["y2"])) == (24 + 48, 24 + 36)


def test_a_figure_over_a_period_is_drawn_from_its_first_to_its_last_month(client, catalogue):
    chart = panels(client.get(HOME))["People over a period (total)"]
    (span,) = [attrs for tag, attrs in chart["marks"] if tag == "line" and attrs.get("class") == "chart__span"]
    assert (span["x1"], span["x2"]) == ("0.00%", "41.67%")  # January 2015 to the end of March 2016


def test_the_timeline_leaves_out_undated_figures_and_never_shows_unpublished_ones(client):
    project = make_project("Reception Project")
    make_figure(project, value_low=4000, period_start=None)
    make_figure(project, value_low=2000, value_high=3000, unit="people_per_day", period_start=datetime.date(2015, 7, 1))
    hidden = make_project("Hidden Project", is_published=False)
    make_figure(hidden, value_low=999, unit="centres", period_start=datetime.date(2016, 1, 1))
    drawn = panels(client.get(HOME))
    assert list(drawn) == ["People per day"]
    assert "Centres" not in panels(client.get(CONTEXT))


def test_there_is_no_timeline_without_dated_figures(client):
    make_figure(make_project("Reception Project"), value_low=4000, period_start=None)
    assert charts(client.get(HOME)) == []
    assert figures_timeline([]) is None


def test_nice_ceiling_rounds_up_to_one_two_or_five_times_a_power_of_ten():
    assert [nice_ceiling(value) for value in (1, 7, 18, 20, 21, 7000, 8000, 700000)] == [
        1, 10, 20, 20, 50, 10000, 10000, 1000000
    ]


# The context page ------------------------------------------------------------------------------------------------


def test_the_context_page_lists_every_figure_with_its_qualifier_period_place_sentence_and_project(client, catalogue):
    response = client.get(CONTEXT)
    assert response.status_code == 200
    cards = figure_cards(response)
    assert len(cards) == 9
    some = next(card for card in cards if card["value"] == "some 700,000 people")
    assert some["When"] == "2015 until the beginning of March 2016"
    assert some["Where"] == "Serbia"
    assert some["Cited by"] == "Open Communities-Successful Communities"
    assert some["quote"].startswith("“Until the closure of so-called Western Balkans route")
    undated = [card for card in cards if card["When"].startswith("“nowadays”")]
    assert len(undated) == 2  # listed, though the timeline cannot place them


def test_the_context_page_links_each_figure_to_the_project_that_cites_it(client, catalogue):
    page = client.get(CONTEXT).content.decode()
    # Each link leads to the figure's own card on the project page.
    assert page.count('<a href="/projects/open-communities-successful-communities/#figure-') == 4


def test_the_context_page_is_in_the_navigation_and_marked_current_there(client, catalogue):
    page = client.get(CONTEXT).content.decode()
    assert '<a href="/context/" aria-current="page">Migration context</a>' in page
    assert '<a href="/context/">Migration context</a>' in client.get(HOME).content.decode()


def test_the_context_page_title_names_the_years_it_covers(client, catalogue):
    assert parsed(client.get(CONTEXT)).by_tag["h1"] == ["The migration context"]
    assert "<title>The migration context, 2015 to 2017 – IOM Serbia Project Catalogue</title>" in (
        client.get(CONTEXT).content.decode()
    )


def test_the_context_page_leaves_out_unpublished_projects(client):
    make_figure(make_project("Hidden Project", is_published=False), value_low=123456)
    response = client.get(CONTEXT)
    assert "123,456" not in response.content.decode()
    assert "No published project cites a figure yet." in page_text(response)

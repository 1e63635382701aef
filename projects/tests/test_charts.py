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


def test_home_never_draws_one_currency_beside_another_and_gives_a_lone_amount_no_chart(client, catalogue):
    """EUR 1,000,000 (one grant) and USD 650,000 were once equally long bars: now USD alone is drawn, on its own axis."""
    response = client.get(HOME)
    funding = {title: chart for title, chart in by_title(response).items() if title.startswith("Stated funding")}
    assert set(funding) == {"Stated funding in USD, by donor"}  # EUR has a single grant: the table says it
    usd = funding["Stated funding in USD, by donor"]
    assert bar_widths(usd) == ["65.00%", "13.00%"]  # on a 0 to 1,000,000 axis
    assert usd["by_class"]["chart__tick"] == ["0", "500,000", "1,000,000"]
    assert usd["by_class"]["chart__axis-title"] == ["Amount in USD"]
    assert "1,780,000" not in response.content.decode()
    assert "European Union EUR 1,000,000" in page_text(response)  # in the table


def test_chart_labels_name_donors_as_the_table_does_never_by_abbreviation(client, catalogue):
    usd = by_title(client.get(HOME))["Stated funding in USD, by donor"]
    label = " ".join("".join(usd["by_class"]["chart__label"][:3]).split())  # two lines and the space between
    assert label == "International Narcotics and Law Enforcement Affairs, US State Department"
    assert "INL" not in usd["texts"]


def test_each_chart_is_an_image_named_by_its_title_and_described_by_its_values(client, catalogue):
    for chart in charts(client.get(HOME)):
        assert chart["attrs"]["role"] == "img"
        title_id, desc_id = chart["attrs"]["aria-labelledby"].split()
        assert chart["ids"][title_id] and chart["ids"][desc_id]
    usd = by_title(client.get(HOME))["Stated funding in USD, by donor"]
    desc_id = usd["attrs"]["aria-labelledby"].split()[1]
    assert usd["ids"][desc_id] == (
        "International Narcotics and Law Enforcement Affairs, US State Department: USD 650,000; "
        "IOM International Development Fund: USD 130,000."
    )


def test_the_funding_chart_has_a_table_of_the_same_figures_beside_it(client, catalogue):
    text = page_text(client.get(HOME))
    assert "The funding by donor as a table" in text
    assert "International Narcotics and Law Enforcement Affairs, US State Department USD 650,000" in text
    assert "European Union EUR 1,000,000" in text


def test_pages_with_charts_use_no_inline_style_or_script(client, catalogue):
    for url in [HOME, CONTEXT]:
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
    assert set(found) == {"Stated funding in EUR, by project"}  # USD: one grant, no chart
    eur = found["Stated funding in EUR, by project"]
    assert eur["by_class"]["chart__label"] == ["Large Project", "Small Project"]
    assert bar_widths(eur) == ["100.00%", "0.50%"]  # the smallest bar drawn, so it can be seen
    assert eur["by_class"]["chart__axis-title"] == ["Amount in EUR"]
    assert "Unknown Amount Project" not in str(found)
    text = page_text(response)
    assert "Unknown Amount Project not stated" in text  # in the table below the charts
    assert "Dollar Project USD 5,000" in text


def test_a_donor_with_one_grant_has_no_chart_of_one_bar(client, catalogue):
    response = client.get(reverse("projects:donor_detail", args=["european-union"]))
    assert charts(response) == []
    assert "EUR 1,000,000" in page_text(response)


def test_a_donor_with_no_stated_amount_has_no_chart(client):
    donor = make_donor("Swiss Agency", slug="swiss")
    make_funding(make_project("Unknown Amount Project"), donor, amount=None)
    response = client.get(donor.get_absolute_url())
    assert charts(response) == []
    assert "Funding by project" not in page_text(response)


def test_funding_charts_put_each_currency_on_its_own_labelled_scale_largest_first_and_skip_lone_values():
    drawn = funding_charts(
        [
            ("USD", "B", Decimal("100")),
            ("EUR", "A", Decimal("50")),
            ("USD", "C", Decimal("400")),
            ("USD", "D", None),
            ("GBP", "E", Decimal("7")),
            ("GBP", "F", Decimal("3")),
        ]
    )
    assert [chart.currency for chart in drawn] == ["GBP", "USD"]  # EUR: a single amount
    usd = drawn[1]
    assert [(bar.label, bar.width, bar.amount) for bar in usd.bars] == [
        ("C", "80.00%", "USD 400"),
        ("B", "20.00%", "USD 100"),
    ]
    assert [text for _x, text, _anchor in usd.ticks] == ["0", "250", "500"]
    assert [bar.amount_inside for bar in usd.bars] == [True, False]


def test_a_long_label_wraps_between_words_instead_of_being_cut():
    (chart,) = funding_charts(
        [
            ("USD", "International Narcotics and Law Enforcement Affairs, US State Department", Decimal("2")),
            ("USD", "Short", Decimal("1")),
        ]
    )
    lines = [line for _y, line in chart.bars[0].label_lines]
    assert " ".join(lines) == "International Narcotics and Law Enforcement Affairs, US State Department"
    assert len(lines) == 2 and all(len(line) <= 40 for line in lines)
    assert chart.bars[1].bar_y > chart.bars[0].bar_y + 20


# The timeline ---------------------------------------------------------------------------------------------------


def panels(response):
    return {title.split(",")[0]: chart for title, chart in by_title(response).items() if "Stated funding" not in title}


def test_the_timeline_gives_each_kind_of_figure_its_own_panel_and_scale_and_no_panel_of_one_dot(client, catalogue):
    drawn = panels(client.get(HOME))
    # "Centres" was a chart of one dot (18, January 2017; the other 18 has no date): the table says it.
    assert list(drawn) == ["People per day", "People over a period (total)", "People at one time"]
    tops = {kind: chart["texts"][0] for kind, chart in drawn.items()}
    assert tops == {
        "People per day": "10,000",
        "People over a period (total)": "1,000,000",
        "People at one time": "10,000",
    }
    assert "18 centres" in page_text(client.get(HOME))


def test_the_timeline_draws_the_two_700000_figures_apart_each_with_its_qualifier(client, catalogue):
    drawn = panels(client.get(HOME))

    def labels(kind):
        return drawn[kind]["by_class"]["chart__label"]

    assert labels("People per day") == ["2,000–3,000", "6,000–7,000"]
    assert labels("People over a period (total)") == ["more than 700,000", "some 700,000"]
    assert sorted(labels("People at one time")) == ["more than 8,000", "some 4,000"]
    chart = drawn["People over a period (total)"]
    desc_id = chart["attrs"]["aria-labelledby"].split()[1]
    assert chart["ids"][desc_id] == (
        "more than 700,000 (As of mid-2015 until the beginning of March 2016); "
        "some 700,000 (Until the closure of so-called Western Balkans route at the beginning of March 2016)."
    )


def test_the_time_axis_ends_where_the_figures_end(client, catalogue):
    """The last figure is January 2017: the axis runs January 2015 to the end of January 2017 (25 months), not to
    December 2017."""
    chart = panels(client.get(HOME))["People per day"]
    assert chart["by_class"]["chart__tick"] == ["10,000", "5,000", "0", "2015", "2016", "2017"]
    years = [attrs["x1"] for tag, attrs in chart["marks"] if tag == "line" and attrs.get("class") == "chart__year"]
    assert years == ["0.00%", "48.00%", "96.00%"]
    assert "People per day, 2015 to 2017" in by_title(client.get(HOME))


def test_a_range_is_drawn_as_a_bar_from_its_low_to_its_high_value(client, catalogue):
    chart = panels(client.get(HOME))["People per day"]
    ranges = [attrs for tag, attrs in chart["marks"] if tag == "line" and attrs.get("class") == "chart__range"]
    assert len(ranges) == 2
    october = ranges[1]
    assert october["x1"] == october["x2"] == "38.00%"  # the middle of October 2015, month 9.5 of 25
    # 6,000 and 7,000 on a 0-10,000 scale 120 px high, 24 px from the top.
    assert (int(october["y1"]), int(october["y2"])) == (24 + 48, 24 + 36)


def spans(chart):
    return [
        (attrs["class"], attrs["x1"], attrs["x2"])
        for tag, attrs in chart["marks"]
        if tag == "line" and attrs.get("class", "").startswith("chart__span")
    ]


def test_mid_2015_is_drawn_as_an_approximate_start_never_from_january(client, catalogue):
    chart = panels(client.get(HOME))["People over a period (total)"]
    more_than = spans(chart)[:2]
    # Dashed over June to August 2015 (around July, which stands for "mid-2015"), solid from September 2015 to
    # the end of March 2016. It used to be one solid line from January 2015 (0.00%).
    assert more_than == [("chart__span chart__span--loose", "20.00%", "32.00%"), ("chart__span", "32.00%", "60.00%")]


def test_a_period_with_no_stated_start_is_dashed_up_to_its_end(client, catalogue):
    chart = panels(client.get(HOME))["People over a period (total)"]
    assert spans(chart)[2:] == [
        ("chart__span chart__span--loose", "0.00%", "56.00%"),
        ("chart__span", "56.00%", "60.00%"),
    ]
    assert "A dashed stretch is a start the text gives only loosely" in page_text(client.get(HOME))


def test_the_timeline_leaves_out_undated_figures_and_never_shows_unpublished_ones(client):
    project = make_project("Reception Project")
    make_figure(project, value_low=4000, period_start=None)
    for month in (7, 10):
        make_figure(project, value_low=2000, unit="people_per_day", period_start=datetime.date(2015, month, 1))
    hidden = make_project("Hidden Project", is_published=False)
    for year in (2016, 2017):
        make_figure(hidden, value_low=999, unit="centres", period_start=datetime.date(year, 1, 1))
    drawn = panels(client.get(HOME))
    assert list(drawn) == ["People per day"]
    assert "Centres" not in panels(client.get(CONTEXT))


def test_there_is_no_timeline_without_two_dated_figures_of_a_kind(client):
    project = make_project("Reception Project")
    make_figure(project, value_low=4000, period_start=None)
    make_figure(project, value_low=18, unit="centres", period_start=datetime.date(2017, 1, 1))
    assert charts(client.get(HOME)) == []
    assert figures_timeline([]) is None


def test_nice_ceiling_rounds_up_to_one_two_or_five_times_a_power_of_ten():
    assert [nice_ceiling(value) for value in (1, 7, 18, 20, 21, 7000, 8000, 700000)] == [
        1,
        10,
        20,
        20,
        50,
        10000,
        10000,
        1000000,
    ]


# The context page ------------------------------------------------------------------------------------------------


def test_the_context_page_lists_every_figure_with_its_qualifier_period_place_sentence_and_project(client, catalogue):
    response = client.get(CONTEXT)
    assert response.status_code == 200
    cards = figure_cards(response)
    assert len(cards) == 9
    some = next(card for card in cards if card["value"] == "some 700,000 people")
    assert some["When"] == "Until the closure of so-called Western Balkans route at the beginning of March 2016"
    assert some["Where"] == "Serbia"
    assert some["Cited by"] == "Open Communities-Successful Communities"
    assert some["quote"].startswith("“Until the closure of so-called Western Balkans route")
    undated = [card for card in cards if card["When"] == "Nowadays (the text gives no date)"]
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

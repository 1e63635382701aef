"""How the portal says money, figures, dates and durations: the filters alone and inside a template."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from projects.models import ContextFigure, Funding
from projects.templatetags.catalogue import (
    duration,
    figure_period,
    figure_value,
    figure_with_unit,
    grant,
    money,
    number,
    partial_date,
)


def render(source, **context):
    return Template("{% load catalogue %}" + source).render(Context(context))


def figure(**fields):
    """An unsaved figure: the filters only read its fields."""
    fields.setdefault("value_low", 700000)
    fields.setdefault("unit", "people")
    return ContextFigure(**fields)


# money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("650000.00"), "USD", "USD 650,000"),
        (Decimal("1000000.00"), "EUR", "EUR 1,000,000"),
        (Decimal("130000"), "USD", "USD 130,000"),
        (Decimal("1234.50"), "USD", "USD 1,234.50"),
        (Decimal("1234.5"), "USD", "USD 1,234.50"),
        (Decimal("999.99"), "CHF", "CHF 999.99"),
        ("650000.00", "USD", "USD 650,000"),
    ],
)
def test_money_groups_thousands_with_commas_and_keeps_cents_only_when_there_are_any(amount, currency, expected):
    assert money(amount, currency) == expected


def test_money_of_no_amount_says_not_stated_and_never_zero():
    result = money(None, "USD")
    assert result == "not stated"
    assert "0" not in result


def test_money_of_an_empty_amount_says_not_stated():
    assert money("", "EUR") == "not stated"


def test_money_in_a_template_says_the_currency_before_the_amount():
    assert render("{{ amount|money:currency }}", amount=Decimal("650000.00"), currency="USD") == "USD 650,000"


def test_money_in_a_template_says_not_stated_for_a_missing_amount():
    assert render("{{ amount|money:'USD' }}", amount=None) == "not stated"


def test_grant_says_a_funding_amount_in_its_currency():
    assert grant(Funding(amount=Decimal("1000000.00"), currency="EUR")) == "EUR 1,000,000"


def test_grant_of_a_funding_without_an_amount_says_not_stated():
    assert grant(Funding(amount=None, currency="")) == "not stated"


def test_number_groups_digits_and_says_not_stated_for_none():
    assert number(700000) == "700,000"
    assert number(None) == "not stated"


# figures -------------------------------------------------------------------------------------------


def test_figure_value_says_more_than():
    assert figure_value(figure(value_low=700000, qualifier="more_than")) == "more than 700,000"


def test_figure_value_says_some_for_an_approximate_figure():
    assert figure_value(figure(value_low=4000, qualifier="about")) == "some 4,000"


def test_figure_value_says_up_to():
    assert figure_value(figure(value_low=50, qualifier="up_to")) == "up to 50"


def test_figure_value_of_an_exact_figure_has_no_qualifier():
    assert figure_value(figure(value_low=18, qualifier="exact")) == "18"


def test_figure_value_joins_a_range_with_an_en_dash():
    assert figure_value(figure(value_low=6000, value_high=7000)) == "6,000\u20137,000"


def test_figure_value_of_a_range_with_equal_ends_says_one_number():
    assert figure_value(figure(value_low=7000, value_high=7000)) == "7,000"


def test_figure_with_unit_says_a_range_of_people_per_day_with_an_en_dash():
    result = figure_with_unit(figure(value_low=6000, value_high=7000, unit="people_per_day"))
    assert result == "6,000–7,000 people per day"
    assert "-" not in result  # a hyphen would be the wrong dash


def test_figure_with_unit_keeps_the_qualifier():
    assert figure_with_unit(figure(value_low=700000, qualifier="more_than")) == "more than 700,000 people"


def test_figure_with_unit_in_a_template():
    assert render("{{ f|figure_with_unit }}", f=figure(value_low=4000, qualifier="about")) == "some 4,000 people"


def test_figure_period_prefers_the_text_own_words():
    f = figure(period_label="mid-2015 to March 2016", period_start=datetime.date(2015, 1, 1))
    assert figure_period(f) == "mid-2015 to March 2016"


def test_figure_period_falls_back_to_its_months():
    one_month = figure(period_start=datetime.date(2017, 1, 1), period_end=datetime.date(2017, 1, 1))
    two_months = figure(period_start=datetime.date(2015, 7, 1), period_end=datetime.date(2015, 10, 1))
    assert figure_period(one_month) == "January 2017"
    assert figure_period(two_months) == "July 2015 to October 2015"


def test_figure_period_of_an_undated_figure_says_not_stated():
    assert figure_period(figure()) == "not stated"


# dates and durations --------------------------------------------------------------------------------


def test_partial_date_says_month_and_year_for_month_precision():
    assert partial_date(datetime.date(2015, 9, 1), "month") == "September 2015"


def test_partial_date_defaults_to_month_precision():
    assert partial_date(datetime.date(2015, 9, 1)) == "September 2015"


def test_partial_date_in_a_template_never_says_an_abbreviated_day():
    result = render("{{ d|partial_date:p }}", d=datetime.date(2015, 9, 1), p="month")
    assert result == "September 2015"
    assert "Sept." not in result and "1," not in result


def test_partial_date_says_only_the_year_for_year_precision():
    assert partial_date(datetime.date(2015, 1, 1), "year") == "2015"


def test_partial_date_says_the_day_for_day_precision():
    assert partial_date(datetime.date(2015, 9, 14), "day") == "14 September 2015"


def test_partial_date_of_no_date_says_not_stated():
    assert partial_date(None, "month") == "not stated"


@pytest.mark.parametrize(
    ("months", "expected"),
    [(12, "1 year"), (18, "18 months"), (24, "2 years"), (1, "1 month"), (6, "6 months"), (None, "not stated")],
)
def test_duration_says_years_when_whole_and_months_otherwise(months, expected):
    assert duration(months) == expected


def test_not_stated_is_one_tag_with_its_style():
    assert render("{% not_stated %}") == '<span class="not-stated">not stated</span>'


def test_no_template_writes_not_stated_by_hand():
    """Every place a fact is missing renders {% not_stated %}, so none can lose its styling."""
    by_hand = [
        str(path)
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if path.name != "base.html" and "not stated" in path.read_text()
    ]
    assert by_hand == []

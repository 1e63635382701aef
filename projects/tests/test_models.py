"""Models: named constraints hold in the database, clean() explains them, and small helpers say the right thing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.models import ContextFigure, Funding, Place, Project, ProjectPlace

from .factories import (
    make_area,
    make_donor,
    make_figure,
    make_funding,
    make_partner,
    make_partnership,
    make_place,
    make_project,
    make_status,
)

pytestmark = pytest.mark.django_db

TEXT = (
    "The project helped the Ministry of Interior at the border with Bulgaria.\n\n"
    "It is funded by the EU with EUR 1 million."
)


def constraint_violated(names, create):
    """Run `create`, expecting the database to refuse it with an error that names the constraint.

    `names`: what the error may say, e.g. the constraint's name (PostgreSQL, and SQLite for CHECK
    constraints) or the columns (SQLite for UNIQUE constraints).
    """
    names = (names,) if isinstance(names, str) else names
    with pytest.raises(IntegrityError) as caught:
        with transaction.atomic():
            create()
    message = str(caught.value)
    assert any(name in message for name in names), message


# Constraints, at the database level -------------------------------------------------------------


def test_database_refuses_a_funding_of_zero():
    project, donor = make_project(), make_donor()
    constraint_violated(
        "funding_amount_positive",
        lambda: Funding.objects.create(project=project, donor=donor, amount=Decimal("0"), currency="USD"),
    )
    assert not Funding.objects.exists()


def test_database_refuses_a_negative_funding():
    project, donor = make_project(), make_donor()
    constraint_violated(
        "funding_amount_positive",
        lambda: Funding.objects.create(project=project, donor=donor, amount=Decimal("-5.00"), currency="USD"),
    )
    assert not Funding.objects.exists()


def test_database_refuses_a_currency_without_an_amount():
    project, donor = make_project(), make_donor()
    constraint_violated(
        "funding_currency_with_amount",
        lambda: Funding.objects.create(project=project, donor=donor, amount=None, currency="USD"),
    )
    assert not Funding.objects.exists()


def test_database_refuses_an_amount_without_a_currency():
    project, donor = make_project(), make_donor()
    constraint_violated(
        "funding_currency_with_amount",
        lambda: Funding.objects.create(project=project, donor=donor, amount=Decimal("100"), currency=""),
    )
    assert not Funding.objects.exists()


def test_database_accepts_a_funding_with_neither_amount_nor_currency():
    funding = make_funding(make_project(), amount=None)
    funding.refresh_from_db()
    assert funding.amount is None and funding.currency == ""


def test_database_refuses_a_figure_whose_high_value_is_below_its_low_value():
    project = make_project()
    constraint_violated("figure_high_not_below_low", lambda: make_figure(project, value_low=7000, value_high=6000))
    assert not ContextFigure.objects.exists()


def test_database_accepts_a_figure_whose_high_value_equals_its_low_value():
    figure = make_figure(make_project(), value_low=7000, value_high=7000)
    assert ContextFigure.objects.filter(pk=figure.pk).exists()


def test_database_refuses_a_figure_period_that_ends_before_it_starts():
    project = make_project()
    constraint_violated(
        "figure_period_in_order",
        lambda: make_figure(project, period_start=datetime.date(2016, 3, 1), period_end=datetime.date(2015, 7, 1)),
    )


def test_database_refuses_a_duration_of_zero_months():
    constraint_violated("project_duration_positive", lambda: make_project(duration_months=0))


def test_database_refuses_an_unknown_partner_role():
    project = make_project()
    constraint_violated("partnership_role_valid", lambda: make_partnership(project, role="sponsor"))


def test_database_refuses_two_projects_with_the_same_slug():
    make_project("Border help", slug="border-help")
    constraint_violated("slug", lambda: make_project("Another title", slug="border-help"))
    assert Project.objects.filter(slug="border-help").count() == 1


def test_database_refuses_two_donors_with_the_same_slug():
    make_donor("European Union", slug="eu")
    constraint_violated("slug", lambda: make_donor("EU again", slug="eu"))


def test_database_refuses_a_second_funding_by_the_same_donor_of_the_same_project():
    project, donor = make_project(), make_donor()
    make_funding(project, donor, amount="100")
    constraint_violated(
        ("funding_unique_project_donor", "projects_funding.project_id, projects_funding.donor_id"),
        lambda: make_funding(project, donor, amount="200"),
    )
    assert Funding.objects.filter(project=project, donor=donor).count() == 1


def test_database_accepts_the_same_donor_funding_two_different_projects():
    donor = make_donor()
    make_funding(make_project(), donor)
    make_funding(make_project(), donor)
    assert Funding.objects.filter(donor=donor).count() == 2


# clean(): the friendly messages -------------------------------------------------------------------


def test_clean_explains_that_a_negative_amount_must_be_greater_than_zero():
    funding = Funding(project=make_project(), donor=make_donor(), amount=Decimal("-1"), currency="USD")
    with pytest.raises(ValidationError) as caught:
        funding.clean()
    assert caught.value.message_dict["amount"] == [
        "The amount must be greater than zero. Leave it empty if the text does not state it."
    ]


def test_clean_asks_for_the_currency_of_an_amount():
    funding = Funding(project=make_project(), donor=make_donor(), amount=Decimal("100"), currency="")
    with pytest.raises(ValidationError) as caught:
        funding.clean()
    assert caught.value.message_dict["currency"] == ["Choose the currency of this amount."]


def test_clean_asks_for_the_amount_of_a_currency():
    funding = Funding(project=make_project(), donor=make_donor(), amount=None, currency="EUR")
    with pytest.raises(ValidationError) as caught:
        funding.clean()
    assert caught.value.message_dict["amount"] == ["Enter the amount in this currency, or clear the currency."]


def test_clean_refuses_a_funding_sentence_that_is_not_in_the_project_text():
    funding = Funding(
        project=make_project(text=TEXT),
        donor=make_donor(),
        amount=Decimal("1000000"),
        currency="EUR",
        source_sentence="It is funded by the EU with EUR 2 million.",
    )
    with pytest.raises(ValidationError) as caught:
        funding.clean()
    assert caught.value.message_dict["source_sentence"] == [
        "This sentence does not appear in the project's text. Copy it word for word."
    ]


def test_clean_accepts_a_funding_sentence_quoted_with_different_white_space():
    funding = Funding(
        project=make_project(text=TEXT),
        donor=make_donor(),
        amount=Decimal("1000000"),
        currency="EUR",
        source_sentence="It is funded  by the EU\nwith EUR 1 million.",
    )
    funding.clean()


def test_clean_refuses_a_partnership_sentence_that_is_not_in_the_project_text():
    partnership = make_partnership(make_project(text=TEXT))
    partnership.source_sentence = "The project helped the Ministry of Health."
    with pytest.raises(ValidationError) as caught:
        partnership.clean()
    assert "source_sentence" in caught.value.message_dict


def test_clean_refuses_a_figure_sentence_that_is_not_in_the_project_text():
    figure = ContextFigure(
        project=make_project(text=TEXT),
        key="k",
        value_low=1,
        unit="people",
        counts="x",
        source_sentence="More than 900,000 migrants passed through Serbia.",
    )
    with pytest.raises(ValidationError) as caught:
        figure.clean()
    assert caught.value.message_dict["source_sentence"] == [
        "This sentence does not appear in the project's text. Copy it word for word."
    ]


RANGE_TEXT = "In October 2015, 6,000 - 7,000 people per day crossed the border."


def test_clean_explains_that_a_figure_high_value_must_not_be_below_its_low_value():
    project = make_project(text=RANGE_TEXT)
    figure = ContextFigure(
        project=project,
        key="k",
        value_low=7000,
        value_high=6000,
        unit="people",
        counts="x",
        source_sentence=RANGE_TEXT,
    )
    with pytest.raises(ValidationError) as caught:
        figure.clean()
    assert caught.value.message_dict["value_high"] == ["The high value must not be below the value it ranges from."]


def test_full_clean_accepts_a_valid_figure_and_moves_its_period_to_the_first_of_the_month():
    project = make_project(text=RANGE_TEXT)
    figure = ContextFigure(
        project=project,
        key="k",
        value_low=6000,
        value_high=7000,
        unit="people_per_day",
        counts="x",
        period_start=datetime.date(2015, 10, 17),
        period_end=datetime.date(2015, 10, 30),
        source_sentence=RANGE_TEXT,
    )
    figure.full_clean()
    assert figure.period_start == datetime.date(2015, 10, 1)
    assert figure.period_end == datetime.date(2015, 10, 1)


def test_clean_moves_a_month_precision_start_to_the_first_of_its_month():
    project = make_project(start_date=datetime.date(2015, 9, 17), start_precision="month")
    project.clean()
    assert project.start_date == datetime.date(2015, 9, 1)


def test_clean_moves_a_year_precision_start_to_the_first_of_january():
    project = make_project(start_date=datetime.date(2015, 9, 17), start_precision="year")
    project.clean()
    assert project.start_date == datetime.date(2015, 1, 1)


def test_clean_keeps_a_day_precision_start_as_it_is():
    project = make_project(start_date=datetime.date(2015, 9, 17), start_precision="day")
    project.clean()
    assert project.start_date == datetime.date(2015, 9, 17)


# __str__ and get_absolute_url ------------------------------------------------------------------


def test_each_model_says_its_name_as_a_string():
    status = make_status("Completed")
    area = make_area("Border management")
    donor = make_donor("European Union")
    partner = make_partner("International Organization for Migration")
    project = make_project("EU Supports Serbia", status=status)
    assert str(status) == "Completed"
    assert str(area) == "Border management"
    assert str(donor) == "European Union"
    assert str(partner) == "International Organization for Migration"
    assert str(project) == "EU Supports Serbia"


def test_a_funding_a_partnership_and_a_figure_name_their_project():
    project = make_project("EU Supports Serbia")
    funding = make_funding(project, make_donor("European Union"))
    partnership = make_partnership(project, make_partner("IOM"), role="implementer")
    figure = make_figure(project, key="migrants-2015")
    assert str(funding) == "European Union → EU Supports Serbia"
    assert str(partnership) == "IOM (implemented by) → EU Supports Serbia"
    assert str(figure) == "EU Supports Serbia: migrants-2015"


def test_projects_donors_and_areas_link_to_their_public_pages():
    assert make_project("Border help", slug="border-help").get_absolute_url() == "/projects/border-help/"
    assert make_donor("European Union", slug="european-union").get_absolute_url() == "/donors/european-union/"
    assert make_area("Border management", slug="border-management").get_absolute_url() == "/areas/border-management/"


# Project.paragraphs ---------------------------------------------------------------------------------


def test_paragraphs_split_the_text_on_blank_lines():
    project = make_project(text="First paragraph,\nstill the first.\n\nSecond paragraph.\n\n\n\nThird.")
    assert project.paragraphs == ["First paragraph,\nstill the first.", "Second paragraph.", "Third."]


def test_paragraphs_split_text_with_windows_line_endings():
    project = make_project(text="First.\r\n\r\nSecond.\r\n")
    assert project.paragraphs == ["First.", "Second."]


def test_paragraphs_treat_a_line_of_only_spaces_as_a_blank_line():
    project = make_project(text="First.\n   \nSecond.")
    assert project.paragraphs == ["First.", "Second."]


def test_a_text_without_blank_lines_is_one_paragraph():
    project = make_project(text="  One paragraph.\nSame paragraph.  ")
    assert project.paragraphs == ["One paragraph.\nSame paragraph."]


def test_a_place_link_quotes_a_sentence_of_the_text_or_the_title_and_nothing_else():
    project = make_project("Help in the Republic of Serbia", text="Migrants cross Greece. They rest.")
    greece = make_place("Greece", iso_code="GR")
    serbia = make_place("Serbia", iso_code="RS")
    ProjectPlace(project=project, place=greece, source_sentence="Migrants cross Greece.").full_clean()
    title_only = ProjectPlace(project=project, place=serbia, source_sentence="Help in the Republic of Serbia")
    title_only.full_clean()
    assert title_only.from_title
    with pytest.raises(ValidationError) as error:
        ProjectPlace(project=project, place=serbia, source_sentence="Migrants cross Serbia.").full_clean()
    assert "neither in the project's text nor its title" in str(error.value)


def test_only_a_country_has_an_iso_code_and_it_is_two_capital_letters():
    with pytest.raises(ValidationError):
        Place(name="Western Europe", slug="western-europe", kind="region", iso_code="EU").full_clean()
    with pytest.raises(ValidationError):
        Place(name="Greece", slug="greece", kind="country", iso_code="gr").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Place.objects.create(name="Western Europe", slug="western-europe", kind="region", iso_code="EU")


def test_a_place_with_an_out_of_date_name_shows_todays_with_the_texts():
    place = make_place("FYRM", iso_code="MK", display_name="North Macedonia")
    assert place.label == "North Macedonia (the text says “FYRM”)"
    assert make_place("Greece", iso_code="GR").label == "Greece"

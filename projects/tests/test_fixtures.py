"""The catalogue as data: the fixtures say what the source page says, word for word, and nothing more."""

import calendar
import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from projects.models import ContextFigure, Funding, Partnership, Project, quoted_in

CATALOGUE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"
SOURCE = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "000_71441fc824f77877.txt"

TITLES = [
    "Support to Strengthening Migration and Asylum Management in Serbia",
    "Support to the Information Management, Communication and Planning Capacity in Addressing the Migration "
    "Management Challenges in Serbia",
    "Open Communities-Successful Communities",
    "Increasing Capacities For Addressing Irregular Migration In Serbia",
    "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)",
    "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis",
    "IOM Migrants and Refugees in the Republic of Serbia",
]
INFORMATION = "information-management-communication-and-planning"
OPEN_COMMUNITIES = "open-communities-successful-communities"
MIGRANTS_AND_REFUGEES = "iom-migrants-and-refugees-in-serbia"
# How the source says a hedge: "more than 8,000" is "exceeds 8,000" in its words.
QUALIFIER_WORDS = {
    "more_than": ("more than", "exceeds", "over"),
    "about": ("some", "about", "around"),
    "up_to": ("up to",),
}


@pytest.fixture(scope="module")
def source():
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data():
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def of(data, model):
    return [item["fields"] for item in data if item["model"] == f"projects.{model}"]


def texts(data):
    """{project slug: project text}."""
    return {fields["slug"]: fields["text"] for fields in of(data, "project")}


def fold(text):
    return " ".join(text.split())


def in_source_words(amount, currency):
    """The ways the source writes an amount: "USD 130,000", and "EUR 1 million" for whole millions."""
    amount = Decimal(amount)
    ways = [f"{currency} {amount:,.0f}" if amount == amount.to_integral_value() else f"{currency} {amount:,.2f}"]
    if amount % 1_000_000 == 0:
        ways.append(f"{currency} {amount / 1_000_000:.0f} million")
    return ways


@pytest.fixture
def catalogue(db):
    call_command("loaddata", str(CATALOGUE), verbosity=0)


# The fixtures against the source text -------------------------------------------------------------------------


def test_the_catalogue_has_the_seven_projects_of_the_source(data):
    assert sorted(fields["title"] for fields in of(data, "project")) == sorted(TITLES)


def test_every_title_appears_verbatim_in_the_source(data, source):
    for fields in of(data, "project"):
        assert f"\n{fields['title']}\n" in source, fields["title"]


def test_every_project_text_appears_verbatim_in_the_source(data, source):
    for fields in of(data, "project"):
        assert fields["text"] in source, fields["slug"]


def test_every_project_text_follows_its_own_title_in_the_source(data, source):
    for fields in of(data, "project"):
        after_title = source.split(f"\n{fields['title']}\n", 1)[1].lstrip("\n")
        assert after_title.startswith(fields["text"]), fields["slug"]


@pytest.mark.parametrize("model", ["funding", "partnership", "contextfigure"])
def test_every_source_sentence_is_quoted_from_its_own_project_text(data, model):
    project_texts = texts(data)
    for fields in of(data, model):
        (slug,) = fields["project"]
        assert fields["source_sentence"], (model, slug)
        assert fold(fields["source_sentence"]) in fold(project_texts[slug]), (model, slug, fields["source_sentence"])


def test_every_amount_is_written_in_its_sentence_as_the_source_writes_it(data, source):
    for fields in of(data, "funding"):
        ways = in_source_words(fields["amount"], fields["currency"])
        assert any(way in fields["source_sentence"] for way in ways), (ways, fields["source_sentence"])
        assert fields["source_sentence"] in source


def test_the_amounts_are_the_three_the_source_states(data):
    amounts = sorted(in_source_words(fields["amount"], fields["currency"])[-1] for fields in of(data, "funding"))
    assert amounts == ["EUR 1 million", "USD 130,000", "USD 650,000"]


def test_every_figure_value_and_qualifier_is_in_its_sentence(data):
    for fields in of(data, "contextfigure"):
        sentence = fields["source_sentence"]
        assert f"{fields['value_low']:,}" in sentence, fields["key"]
        if fields["value_high"] is not None:
            assert f"{fields['value_high']:,}" in sentence, fields["key"]
        if fields["qualifier"] in QUALIFIER_WORDS:
            value = f"{fields['value_low']:,}"
            assert any(f"{words} {value}" in sentence for words in QUALIFIER_WORDS[fields["qualifier"]]), fields["key"]


def test_every_figure_period_label_quotes_its_sentence_word_for_word(data):
    """ "As of mid-2015 until the beginning of March 2016": the label is the sentence's own words, not a paraphrase."""
    for fields in of(data, "contextfigure"):
        label = fields["period_label"]
        assert label, fields["key"]
        assert label.lower() in fields["source_sentence"].lower(), (fields["key"], label)


def test_every_figure_period_date_is_at_the_precision_its_words_give(data):
    for fields in of(data, "contextfigure"):
        label, key = fields["period_label"], fields["key"]
        start = fields["period_start"] and datetime.date.fromisoformat(fields["period_start"])
        end = fields["period_end"] and datetime.date.fromisoformat(fields["period_end"])
        if start is None and end is None:
            assert label == "Nowadays", key  # the text gives no date: none is made up
            continue
        if start is None:
            # "Until ... March 2016": the text gives no start, so none is stored.
            assert label.lower().startswith("until"), key
        else:
            assert start.day == 1 and (end is None or start <= end), key
            if fields["period_start_precision"] == "approximate":
                assert f"mid-{start.year}" in label and start.month == 7, key  # "mid-2015" stands as July, loosely
            else:
                assert fields["period_start_precision"] == "month", key
                assert f"{calendar.month_name[start.month]} {start.year}" in label, key
        if end is not None:
            assert end.day == 1 and fields["period_end_precision"] == "month", key
            assert f"{calendar.month_name[end.month]} {end.year}" in label, key


def test_the_700000_of_mid_2015_starts_in_july_2015_approximately_not_in_january(data):
    (figure,) = [f for f in of(data, "contextfigure") if f["key"] == "migrants-passed-through-serbia-2015-2016"]
    assert (figure["period_start"], figure["period_start_precision"]) == ("2015-07-01", "approximate")
    assert figure["period_label"] == "As of mid-2015 until the beginning of March 2016"
    (other,) = [f for f in of(data, "contextfigure") if f["key"] == "migrants-passed-through-serbia-until-march-2016"]
    assert other["period_start"] is None and other["period_end"] == "2016-03-01"


def test_only_increasing_capacities_carries_an_editorial_note_naming_the_gap_of_the_source(data, source):
    notes = {fields["slug"]: fields["editorial_note"] for fields in of(data, "project") if fields["editorial_note"]}
    assert notes == {
        "increasing-capacities-irregular-migration": (
            "The source page ends here; it does not list the two components it announces."
        )
    }
    # The gap is the source's: its text really ends on the colon announcing the components.
    assert "through the implementation of two project components:\n\nProject Status:" in source


def test_no_area_description_claims_what_no_project_text_says(data):
    descriptions = " ".join(fields["description"] for fields in of(data, "area"))
    assert "host" not in descriptions
    project_texts = " ".join(texts(data).values())
    # Whatever a description puts in quotation marks is a project's own words.
    for quoted in re.findall(r"“([^”]+)”", descriptions):
        assert fold(quoted) in fold(project_texts), quoted


def test_no_funding_has_an_amount_of_zero(data):
    for fields in of(data, "funding"):
        assert fields["amount"] is None or Decimal(fields["amount"]) > 0, fields
        assert (fields["amount"] is None) == (fields["currency"] == ""), fields


def test_the_fixture_refers_only_to_objects_it_defines(data):
    slugs = {
        model: {fields["slug"] for fields in of(data, model)}
        for model in ("status", "area", "donor", "partner", "project")
    }
    for fields in of(data, "project"):
        assert fields["status"][0] in slugs["status"]
        assert all(area[0] in slugs["area"] for area in fields["areas"])
    for model, other in (("funding", "donor"), ("partnership", "partner"), ("contextfigure", None)):
        for fields in of(data, model):
            assert fields["project"][0] in slugs["project"]
            if other:
                assert fields[other][0] in slugs[other]


# The specific facts, as loaded -------------------------------------------------------------------------------------


def test_iom_development_fund_gave_usd_130000_with_the_ministry_of_interior_since_september_2015(catalogue):
    project = Project.objects.get(slug="increasing-capacities-irregular-migration")
    funding = project.fundings.get()
    assert funding.donor.name == "IOM International Development Fund"
    assert (funding.amount, funding.currency) == (Decimal("130000"), "USD")
    partnership = project.partnerships.get()
    assert partnership.partner.name == "Ministry of Interior of the Republic of Serbia"
    assert partnership.role == "counterpart"
    assert (project.start_date.year, project.start_date.month, project.start_precision) == (2015, 9, "month")


def test_inl_gave_usd_650000_for_twelve_months_in_serbia_fyrm_and_greece(catalogue):
    project = Project.objects.get(slug="croboweb-cross-border-cooperation")
    funding = project.fundings.get()
    assert funding.donor.short_name == "INL"
    assert funding.donor.name == "International Narcotics and Law Enforcement Affairs, US State Department"
    assert (funding.amount, funding.currency) == (Decimal("650000"), "USD")
    assert project.duration_months == 12
    assert [link.place.name for link in project.place_links.order_by("place__name")] == [
        "Eastern Mediterranean route",
        "FYRM",
        "Greece",
        "Serbia",
        "Western Balkan route",
    ]
    assert "This one year project" in project.text


def test_the_european_union_gave_eur_1000000_implemented_by_iom_at_the_border_with_bulgaria(catalogue):
    project = Project.objects.get(slug="eu-supports-border-management")
    funding = project.fundings.get()
    assert funding.donor.name == "European Union"
    assert (funding.amount, funding.currency) == (Decimal("1000000"), "EUR")
    implementer = project.partnerships.get(role="implementer")
    assert implementer.partner.name == "International Organization for Migration"
    assert project.place_links.get(place__slug="border-with-bulgaria").source_sentence.endswith(
        "at the border with Bulgaria."
    )
    assert "at the border with Bulgaria" in project.text


def test_only_three_projects_state_a_grant_and_none_of_them_zero(catalogue):
    assert Funding.objects.count() == 3
    assert not Funding.objects.filter(amount__lte=0).exists()
    assert not Funding.objects.filter(amount__isnull=True).exists()


def figure(slug, key):
    return ContextFigure.objects.get(project__slug=slug, key=key)


def test_more_than_700000_migrants_is_cited_by_two_projects_and_one_says_some(catalogue):
    cited = ContextFigure.objects.filter(value_low=700000, unit="people").order_by("project__slug")
    assert [(f.project.slug, f.qualifier) for f in cited] == [(INFORMATION, "more_than"), (OPEN_COMMUNITIES, "about")]
    assert "more than 700,000 migrants" in cited[0].source_sentence
    assert "some 700,000 migrants" in cited[1].source_sentence
    assert cited[0].period_end == cited[1].period_end
    assert (cited[0].period_end.year, cited[0].period_end.month) == (2016, 3)


def test_some_4000_migrants_were_in_18_centres_in_january_2017(catalogue):
    migrants = figure(INFORMATION, "migrants-in-asylum-and-reception-centres-january-2017")
    centres = figure(INFORMATION, "asylum-and-reception-centres-january-2017")
    assert (migrants.value_low, migrants.qualifier, migrants.unit) == (4000, "about", "people")
    assert (centres.value_low, centres.qualifier, centres.unit) == (18, "exact", "centres")
    for fact in (migrants, centres):
        assert (fact.period_start.year, fact.period_start.month) == (2017, 1)
        assert fact.period_label == "January 2017"


def test_more_than_8000_refugees_and_migrants_in_january_2017(catalogue):
    fact = figure(OPEN_COMMUNITIES, "refugees-and-migrants-january-2017")
    assert (fact.value_low, fact.value_high, fact.qualifier, fact.unit) == (8000, None, "more_than", "people")
    assert (fact.period_start.year, fact.period_start.month, fact.period_label) == (2017, 1, "January 2017")


def test_2000_to_3000_people_per_day_in_july_2015(catalogue):
    fact = figure(MIGRANTS_AND_REFUGEES, "people-per-day-july-2015")
    assert (fact.value_low, fact.value_high, fact.qualifier, fact.unit) == (2000, 3000, "exact", "people_per_day")
    assert (fact.period_start.year, fact.period_start.month) == (2015, 7)
    assert "2,000-3,000 people per day in July 2015" in fact.source_sentence


def test_6000_to_7000_people_per_day_in_october_2015(catalogue):
    fact = figure(MIGRANTS_AND_REFUGEES, "people-per-day-october-2015")
    assert (fact.value_low, fact.value_high, fact.qualifier, fact.unit) == (6000, 7000, "exact", "people_per_day")
    assert (fact.period_start.year, fact.period_start.month) == (2015, 10)
    assert "6,000 - 7,000 people per day in October 2015" in fact.source_sentence


def test_undated_figures_keep_the_text_own_word_nowadays(catalogue):
    undated = ContextFigure.objects.filter(period_start__isnull=True, period_end__isnull=True)
    assert {f.key for f in undated} == {"migrants-in-reception-and-asylum-centres", "reception-and-asylum-centres"}
    assert all("Nowadays" in f.source_sentence for f in undated)


def test_every_loaded_fact_passes_its_model_validation(catalogue):
    for model in (Project, Funding, Partnership, ContextFigure):
        for obj in model.objects.all():
            obj.full_clean()


def test_every_loaded_source_sentence_is_quoted_in_its_project_text(catalogue):
    for model in (Funding, Partnership, ContextFigure):
        for obj in model.objects.select_related("project"):
            assert quoted_in(obj.source_sentence, obj.project.text), obj

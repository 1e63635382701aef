"""The staff's workplace: the project list, the project form's cards, picked sentences, months, previews."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from projects.admin_widgets import sentences_of
from projects.models import ContextFigure, Funding, Partnership, Project, numbers_in

from .factories import make_area, make_donor, make_funding, make_project
from .support.html import form_fields

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:projects_project_changelist")
THREE_FIGURES = "information-management-communication-and-planning"
SENTENCE = "More than 700,000 migrants passed through Serbia in 2015."
TEXT = f"The project helped the Ministry of Interior at the border.\n\n{SENTENCE} Some 4,000 stayed."


def change_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def open_form(client, project):
    response = client.get(change_url(project))
    assert response.status_code == 200
    return response, form_fields(response.content, "project_form")


# The project list


def test_the_project_list_filters_say_no_area_no_donor_and_not_published_never_a_bare_dash(admin_client):
    make_funding(make_project("Border help", areas=[make_area("Border management")]), make_donor("Swiss Agency"))
    make_project("Return help")

    content = admin_client.get(CHANGELIST).content.decode()

    for label in ("No area", "No donor", "Published", "Not published"):
        assert f">{label}</a>" in content
    assert ">-</a>" not in content


def test_the_project_list_shows_five_columns_title_status_published_last_changed_funding(admin_client):
    make_project("Border help")

    content = admin_client.get(CHANGELIST).content.decode()

    columns = re.findall(r'<th scope="col" class="[^"]*\bcolumn-(\w+)', content)
    assert sorted(columns) == sorted(["title", "status", "is_published", "last_changed", "funding"])


def test_the_sign_in_attempts_section_is_named_for_what_it_is(admin_client):
    content = admin_client.get(reverse("admin:index")).content.decode()

    assert "Sign-in attempts" in content
    assert ">Axes<" not in content


# Source sentences: picked from the text


def test_the_text_is_cut_into_sentences_without_breaking_at_abbreviations_or_headings():
    text = "Introduction: The U.S. State Department paid 1.5 million. IOM helped!\n\nIs it over? “Yes.” Done."

    assert sentences_of(text) == [
        "The U.S. State Department paid 1.5 million.",
        "IOM helped!",
        "Is it over?",
        "“Yes.”",
        "Done.",
    ]


def test_every_source_sentence_of_the_catalogue_is_one_of_its_projects_sentences(catalogue):
    facts = [*Funding.objects.all(), *Partnership.objects.all(), *ContextFigure.objects.all()]

    unpickable = [
        fact
        for fact in facts
        if fact.source_sentence and " ".join(fact.source_sentence.split()) not in sentences_of(fact.project.text)
    ]

    assert len(facts) > 10 and unpickable == []


def test_the_project_form_offers_the_texts_sentences_for_each_source_sentence(admin_client):
    project = make_project("Border help", text=TEXT)
    make_funding(project, source_sentence=SENTENCE)

    content = admin_client.get(change_url(project)).content.decode()

    select = content.split('name="fundings-0-source_sentence"')[1].split("</select>")[0]
    assert f'<option value="{SENTENCE}" selected>' in select
    assert '<option value="Some 4,000 stayed.">' in select
    assert "The project helped the Ministry of Interior at the border." in select


def test_an_editor_adds_a_figure_by_picking_its_sentence_and_sees_its_reading_on_the_card(admin_client):
    project = make_project("Border help", text=TEXT)
    _, data = open_form(admin_client, project)
    data |= {
        "figures-TOTAL_FORMS": "1",
        "figures-0-source_sentence": SENTENCE,
        "figures-0-qualifier": "more_than",
        "figures-0-value_low": "700000",
        "figures-0-unit": "people",
        "figures-0-counts": "migrants",
        "figures-0-period_label": "2015",
        "figures-0-period_start_0": "",
        "figures-0-period_start_1": "2015",
        "figures-0-period_end_0": "",
        "figures-0-period_end_1": "2015",
        "figures-0-place": "Serbia",
        "figures-0-key": "migrants-2015",
    }

    assert admin_client.post(change_url(project), data).status_code == 302

    figure = project.figures.get()
    # A year alone is January to December of that year.
    assert (figure.period_start, figure.period_end) == (datetime.date(2015, 1, 1), datetime.date(2015, 12, 1))
    assert "more than 700,000 people · 2015 · Serbia" in admin_client.get(change_url(project)).content.decode()


# A figure's value must be in its sentence


@pytest.mark.parametrize(
    "sentence, value",
    [
        ("more than 700,000 migrants", 700000),
        ("više od 700.000 migranata", 700000),
        ("some 700 000 migrants", 700000),
        ("1 million people", 1000000),
        ("1.5 million people", 1500000),
        ("2,000-3,000 people per day and 6,000 - 7,000", 7000),
        ("in 18 centres", 18),
    ],
)
def test_a_figure_is_found_in_its_sentence_however_the_sentence_writes_it(sentence, value):
    assert value in numbers_in(sentence)


def test_a_decimal_or_a_year_is_not_mistaken_for_another_figure():
    assert numbers_in("2.5 per cent in 2015") == {2015}


def test_a_figure_whose_value_is_not_in_its_sentence_is_refused_with_a_message():
    project = make_project(text=TEXT)
    figure = ContextFigure(
        project=project, key="k", value_low=70000, unit="people", counts="x", source_sentence=SENTENCE
    )

    with pytest.raises(ValidationError) as caught:
        figure.full_clean()

    assert caught.value.message_dict["value_low"] == [
        "The source sentence does not give 70,000. Check the figure, or choose the sentence that states it."
    ]


def test_the_error_summary_at_the_top_links_to_the_figure_field_in_error(admin_client):
    project = make_project("Border help", text=TEXT)
    _, data = open_form(admin_client, project)
    data |= {
        "figures-TOTAL_FORMS": "1",
        "figures-0-source_sentence": SENTENCE,
        "figures-0-qualifier": "more_than",
        "figures-0-value_low": "70000",
        "figures-0-unit": "people",
        "figures-0-counts": "migrants",
        "figures-0-key": "migrants-2015",
    }

    response = admin_client.post(change_url(project), data)

    content = response.content.decode()
    assert response.status_code == 200 and not project.figures.exists()
    summary = content.split('class="error-summary"')[1].split("</ul>")[0]
    assert content.index('class="error-summary"') < content.index('id="id_title"')
    assert 'href="#id_figures-0-value_low"' in summary
    assert "Migration context figure 1: Value" in summary
    # The card with the error is open, so the link lands on a visible field.
    card = content.split('id="figures-0"')[1].split("</details>")[0]
    assert '<details class="fact-card__details" open>' in card


# Months, not days


def test_the_start_date_is_a_month_and_a_year_with_no_calendar_today_or_time_zone_note(admin_client):
    project = make_project("Border help", text=TEXT, start_date=datetime.date(2015, 9, 1))

    response, data = open_form(admin_client, project)

    content = response.content.decode()
    assert (data["start_date_0"], data["start_date_1"]) == ("9", "2015")
    assert "vDateField" not in content and "DateTimeShortcuts" not in content and "calendar.js" not in content
    data |= {"start_date_0": "3", "start_date_1": "2016"}
    assert admin_client.post(change_url(project), data).status_code == 302
    project.refresh_from_db()
    assert project.start_date == datetime.date(2016, 3, 1)


def test_a_month_without_a_year_is_refused_with_a_message(admin_client):
    project = make_project("Border help", text=TEXT)
    _, data = open_form(admin_client, project)

    response = admin_client.post(change_url(project), data | {"start_date_0": "3", "start_date_1": ""})

    assert response.status_code == 200
    assert "Enter the year as well as the month." in response.content.decode()


def test_an_editor_picks_the_sentence_that_gives_the_start_date_and_the_page_marks_it(admin_client, client):
    project = make_project("Border help", text=TEXT, start_date=datetime.date(2015, 9, 1))
    response, data = open_form(admin_client, project)
    select = response.content.decode().split('name="start_sentence"')[1].split("</select>")[0]
    assert f'<option value="{SENTENCE}">' in select

    assert admin_client.post(change_url(project), data | {"start_sentence": SENTENCE}).status_code == 302

    project.refresh_from_db()
    assert project.start_sentence == SENTENCE
    page = client.get(project.get_absolute_url()).content.decode()
    assert '<a href="#source-fact-start"' in page
    assert re.search(r'<a class="source-mark" id="source-fact-start" href="#fact-start"[^>]*>More than 700,000', page)


def test_a_date_sentence_for_a_date_the_project_does_not_give_is_refused_with_a_message(admin_client):
    project = make_project("Border help", text=TEXT)
    _, data = open_form(admin_client, project)

    response = admin_client.post(change_url(project), data | {"duration_sentence": SENTENCE})

    assert response.status_code == 200
    assert "This sentence backs a fact that is empty." in response.content.decode()
    project.refresh_from_db()
    assert project.duration_sentence == ""


# A save that changes nothing adds no version


def test_a_save_that_changes_nothing_adds_no_version_and_a_real_change_adds_one(admin_client, catalogue):
    project = Project.objects.get(slug=THREE_FIGURES)
    versions = Version.objects.get_for_object(project).count()

    _, data = open_form(admin_client, project)
    assert admin_client.post(change_url(project), data).status_code == 302
    assert Version.objects.get_for_object(project).count() == versions

    _, data = open_form(admin_client, project)
    assert admin_client.post(change_url(project), data | {"title": "Three figures, retitled"}).status_code == 302
    assert Version.objects.get_for_object(project).count() == versions + 1


def test_a_change_to_a_figure_alone_is_a_version_of_its_project(admin_client, catalogue):
    project = Project.objects.get(slug=THREE_FIGURES)
    versions = Version.objects.get_for_object(project).count()
    _, data = open_form(admin_client, project)
    place = next(name for name in data if name.startswith("figures-") and name.endswith("-place"))

    assert admin_client.post(change_url(project), data | {place: "Belgrade"}).status_code == 302

    latest = Version.objects.get_for_object(project)
    assert latest.count() == versions + 1
    assert any(v.field_dict.get("place") == "Belgrade" for v in latest.first().revision.version_set.all())


# Staff preview of unpublished projects


@pytest.fixture
def unpublished(catalogue):
    project = Project.objects.get(slug=THREE_FIGURES)
    Project.objects.filter(pk=project.pk).update(is_published=False)
    return project


def staff_client(editor=True):
    """A signed-in staff member: an editor (the Editors group), or with no permission on projects."""
    user = User.objects.create_user("ana", password="a long editor password 1", is_staff=True)
    if editor:
        user.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_an_unpublished_project_on_its_public_url_with_a_banner_never_cached(unpublished):
    response = staff_client().get(unpublished.get_absolute_url())

    assert response.status_code == 200
    assert "Not published: only staff can see this page" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_published_project_shows_no_banner_to_staff(catalogue):
    project = Project.objects.get(slug=THREE_FIGURES)

    assert "Not published" not in staff_client().get(project.get_absolute_url()).content.decode()


def test_staff_without_permission_on_projects_get_404_for_an_unpublished_project(unpublished):
    assert staff_client(editor=False).get(unpublished.get_absolute_url()).status_code == 404


def test_anonymous_visitors_get_404_for_an_unpublished_project_even_after_staff_previewed_it(client, unpublished):
    url = unpublished.get_absolute_url()
    assert staff_client().get(url).status_code == 200  # the staff's preview went through the page cache

    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404  # and nothing it rendered was cached for the public


def test_an_unpublished_project_is_listed_nowhere_public_even_for_staff(unpublished):
    staff = staff_client()

    for url in (reverse("projects:project_list"), "/sitemap-projects.xml", reverse("projects:home")):
        response = staff.get(url)
        assert response.status_code == 200
        assert unpublished.slug not in response.content.decode(), url

"""The staff's admin: who may enter, what the lists show, and that forms refuse what the models refuse."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import ContextFigure, Funding, Project

from .factories import make_area, make_donor, make_funding, make_partner, make_project, make_status

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:projects_project_changelist")
ADD = reverse("admin:projects_project_add")
INLINE_PREFIXES = ("fundings", "partnerships", "figures", "place_links")
FIRST_SENTENCE = "The project helped the Ministry of Interior at the border."
TEXT = f"{FIRST_SENTENCE}\n\nMore than 700,000 migrants passed through Serbia in 2015."


def change_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def changelist_row(response, title):
    """The changelist's table row for `title`, so a test checks what that row says, not the whole page."""
    rows = [row for row in response.content.decode().split("<tr")[1:] if f">{title}</a>" in row]
    assert len(rows) == 1, f"expected one row for {title!r}, found {len(rows)}"
    return rows[0].split("</tr>")[0]


def project_form_data(project=None, **fields):
    """What the project form posts: the project's own fields and empty inline management forms."""
    data = {
        "title": project.title if project else "Border help",
        "slug": project.slug if project else "border-help",
        "status": (project.status if project else make_status()).pk,
        "text": project.text if project else TEXT,
        "start_date": "",
        "start_precision": "month",
        "duration_months": "",
        "is_published": "on",
        # The hidden stale-edit check, as the change form renders it.
        "edit_token": project.updated.isoformat() if project else "",
    }
    for prefix in INLINE_PREFIXES:
        data.update(management_form(prefix, total=0))
    data.update(fields)
    return data


def management_form(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def inline_rows(prefix, *rows):
    """Management form and fields for new inline rows: inline_rows("fundings", {"amount": "5"})."""
    data = management_form(prefix, total=len(rows))
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def funding_row(donor, **fields):
    return {"donor": donor.pk, "amount": "650000", "currency": "USD", "source_sentence": "", **fields}


def figure_row(**fields):
    return {
        "key": "migrants-2015",
        "qualifier": "more_than",
        "value_low": "700000",
        "value_high": "",
        "unit": "people",
        "counts": "migrants passing through Serbia",
        "period_label": "2015",
        "period_start": "",
        "period_end": "",
        "place": "",
        "source_sentence": "More than 700,000 migrants passed through Serbia in 2015.",
        **fields,
    }


# Who may enter


def test_an_anonymous_visitor_to_the_project_list_is_sent_to_the_admin_login(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={CHANGELIST}"


# The project list


def test_the_project_list_shows_each_projects_title_and_each_donors_grant_in_one_column(admin_client):
    project = make_project("Border help")
    make_funding(project, make_donor("Swiss Agency"), amount="650000", currency="USD")
    make_funding(project, make_donor("European Union"), amount="1000000", currency="EUR")

    row = changelist_row(admin_client.get(CHANGELIST), "Border help")

    assert "European Union: EUR 1,000,000; Swiss Agency: USD 650,000" in row


def test_the_project_list_says_not_stated_for_a_project_without_a_stated_amount(admin_client):
    make_project("No grant at all")
    make_funding(make_project("Grant without amount"), make_donor("Japan"), amount=None)
    make_funding(make_project("Funded"), amount="5000", currency="CHF")

    response = admin_client.get(CHANGELIST)

    assert "no grant recorded" in changelist_row(response, "No grant at all")
    assert "Japan: not stated" in changelist_row(response, "Grant without amount")
    funded = changelist_row(response, "Funded")
    assert "CHF 5,000" in funded
    assert "not stated" not in funded


def test_the_project_list_takes_as_many_queries_for_ten_projects_as_for_two(admin_client):
    def make_funded_projects(how_many):
        for _ in range(how_many):
            project = make_project(areas=[make_area()])
            make_funding(project)
            make_funding(project, amount=None)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries), response.content.decode().count('class="field-funding"')

    make_funded_projects(2)
    two_projects = count_queries()
    make_funded_projects(8)
    ten_projects = count_queries()

    assert two_projects[1] == 2 and ten_projects[1] == 10  # the rows were really rendered
    assert ten_projects[0] == two_projects[0]


def test_the_project_list_search_finds_a_project_by_a_word_in_its_text(admin_client):
    make_project("Border help", text="Equipment for the police station in Kanjiza.")
    make_project("Return help", text="Assisted voluntary return from Belgrade.")

    response = admin_client.get(CHANGELIST, {"q": "kanjiza"})

    assert response.status_code == 200
    changelist_row(response, "Border help")
    assert "Return help" not in response.content.decode()


def test_the_project_list_offers_a_donor_filter_that_narrows_the_list(admin_client):
    swiss = make_donor("Swiss Agency")
    make_funding(make_project("Border help"), swiss)
    make_funding(make_project("Return help"))

    assert f'href="?donors__id__exact={swiss.pk}"' in admin_client.get(CHANGELIST).content.decode()
    response = admin_client.get(CHANGELIST, {"donors__id__exact": swiss.pk})

    assert response.status_code == 200
    changelist_row(response, "Border help")
    assert "Return help" not in response.content.decode()


# The project form


def test_the_add_form_names_its_inlines_after_the_related_names(admin_client):
    content = admin_client.get(ADD).content.decode()

    for prefix in INLINE_PREFIXES:
        assert f'name="{prefix}-TOTAL_FORMS"' in content


def test_the_add_form_saves_a_project_with_a_grant_and_a_context_figure(admin_client):
    donor = make_donor("Swiss Agency")
    area = make_area("Border management")
    data = project_form_data(
        areas=[area.pk],
        **inline_rows("fundings", funding_row(donor, source_sentence=FIRST_SENTENCE)),
        **inline_rows("figures", figure_row()),
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 302  # a redirect: the form had no errors
    project = Project.objects.get(slug="border-help")
    assert project.title == "Border help"
    assert list(project.areas.all()) == [area]
    funding = project.fundings.get()
    assert (funding.donor, funding.amount, funding.currency) == (donor, Decimal("650000"), "USD")
    figure = project.figures.get()
    assert (figure.key, figure.value_low, figure.qualifier) == ("migrants-2015", 700000, "more_than")


def test_the_add_form_refuses_a_source_sentence_that_is_not_in_the_text_being_added(admin_client):
    data = project_form_data(**inline_rows("figures", figure_row(source_sentence="A million people crossed.")))

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert "This sentence does not appear in the project" in response.content.decode()
    assert not Project.objects.exists()


def test_the_change_form_shows_when_the_project_was_created_and_updated(admin_client):
    project = make_project("Border help")

    response = admin_client.get(change_url(project))

    content = response.content.decode()
    assert "Created:" in content and "Updated:" in content
    # Read only: staff cannot post a new date.
    assert 'name="created"' not in content and 'name="updated"' not in content


def test_the_change_form_links_to_the_public_page(admin_client):
    project = make_project("Border help")
    content = admin_client.get(change_url(project)).content.decode()
    content_type = ContentType.objects.get_for_model(project)
    view_on_site = reverse("admin:view_on_site", args=[content_type.pk, project.pk])

    assert f'href="{view_on_site}"' in content
    assert admin_client.get(view_on_site).url.endswith(project.get_absolute_url())


def test_the_change_form_refuses_a_negative_amount_and_saves_nothing(admin_client):
    project = make_project("Border help", text=TEXT)
    data = project_form_data(
        project, title="Renamed", **inline_rows("fundings", funding_row(make_donor(), amount="-5"))
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    assert "The amount must be greater than zero" in response.content.decode()
    assert not Funding.objects.exists()
    project.refresh_from_db()
    assert project.title == "Border help"


def test_the_change_form_refuses_a_currency_without_an_amount(admin_client):
    project = make_project("Border help", text=TEXT)
    data = project_form_data(project, **inline_rows("fundings", funding_row(make_donor(), amount="")))

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    assert "Enter the amount in this currency, or clear the currency." in response.content.decode()
    assert not Funding.objects.exists()


def test_the_change_form_refuses_an_unknown_currency_code(admin_client):
    project = make_project("Border help", text=TEXT)
    data = project_form_data(project, **inline_rows("fundings", funding_row(make_donor(), currency="XYZ")))

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    assert "Select a valid choice. XYZ is not one of the available choices." in response.content.decode()
    assert not Funding.objects.exists()


def test_the_change_form_refuses_a_range_whose_high_value_is_below_its_low_value(admin_client):
    project = make_project("Border help", text=TEXT)
    data = project_form_data(project, **inline_rows("figures", figure_row(value_low="7000", value_high="6000")))

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    assert "The high value must not be below the value it ranges from." in response.content.decode()
    assert not ContextFigure.objects.exists()


def test_the_change_form_refuses_a_source_sentence_that_is_not_in_the_text(admin_client):
    project = make_project("Border help", text=TEXT)
    data = project_form_data(project, **inline_rows("figures", figure_row(source_sentence="A million people crossed.")))

    response = admin_client.post(change_url(project), data)

    summary, _, form = response.content.decode().partition('class="error-summary"')[2].partition("</ul>")
    assert response.status_code == 200
    # Said once in the summary at the top and once by the row, though both the model and the formset check it.
    assert summary.count("This sentence does not appear in the project") == 1
    assert form.count("This sentence does not appear in the project") == 1
    assert not ContextFigure.objects.exists()


def test_the_change_form_accepts_a_source_sentence_from_text_edited_in_the_same_save(admin_client):
    project = make_project("Border help", text=FIRST_SENTENCE)
    data = project_form_data(project, text=TEXT, **inline_rows("figures", figure_row()))

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.text == TEXT
    assert project.figures.get().key == "migrants-2015"


def test_the_change_form_refuses_a_partner_sentence_that_is_not_in_the_text(admin_client):
    project = make_project("Border help", text=TEXT)
    partner = make_partner("Ministry of Interior")
    row = {"partner": partner.pk, "role": "counterpart", "source_sentence": "Nobody said this."}

    response = admin_client.post(change_url(project), project_form_data(project, **inline_rows("partnerships", row)))

    assert response.status_code == 200
    assert "This sentence does not appear in the project" in response.content.decode()
    assert not project.partnerships.exists()


def test_the_change_form_keeps_an_existing_grant_when_nothing_changes(admin_client):
    project = make_project("Border help", text=TEXT)
    funding = make_funding(project, amount="650000", currency="USD", source_sentence=FIRST_SENTENCE)
    data = project_form_data(
        project,
        **management_form("fundings", total=1, initial=1),
        **{
            "fundings-0-id": funding.pk,
            "fundings-0-project": project.pk,
            "fundings-0-donor": funding.donor.pk,
            "fundings-0-amount": "650000",
            "fundings-0-currency": "USD",
            "fundings-0-source_sentence": funding.source_sentence,
        },
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 302
    assert project.fundings.get().amount == Decimal("650000")


# The lists projects draw on


@pytest.mark.parametrize(
    "model, listed",
    [
        ("donor", "Swiss Agency"),
        ("area", "Border management"),
        ("partner", "Ministry of Interior"),
        ("status", "Completed"),
    ],
)
def test_each_catalogue_list_and_its_add_page_open_for_staff(admin_client, model, listed):
    make_funding(make_project(areas=[make_area("Border management")]), make_donor("Swiss Agency"))
    make_partner("Ministry of Interior")

    changelist = admin_client.get(reverse(f"admin:projects_{model}_changelist"))
    add = admin_client.get(reverse(f"admin:projects_{model}_add"))

    assert changelist.status_code == 200
    assert add.status_code == 200
    assert listed in changelist.content.decode()
    assert 'name="slug"' in add.content.decode()


def test_the_donor_list_counts_each_donors_projects(admin_client):
    swiss = make_donor("Swiss Agency")
    for _ in range(3):
        make_funding(make_project(is_published=False), swiss)
    make_donor("Japan")

    response = admin_client.get(reverse("admin:projects_donor_changelist"))

    assert '<td class="field-project_count">3</td>' in changelist_row(response, "Swiss Agency")
    assert '<td class="field-project_count">0</td>' in changelist_row(response, "Japan")


# Autocomplete


def autocomplete(client, term):
    url = reverse("admin:autocomplete")
    params = {"app_label": "projects", "model_name": "funding", "field_name": "donor", "term": term}
    return client.get(url, params)


def test_donor_autocomplete_finds_donors_by_name_or_short_name_for_staff(client):
    swiss = make_donor("Swiss Agency for Development and Cooperation", short_name="SDC")
    make_donor("European Union")
    staff = User.objects.create_user("editor", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_donor"))
    client.force_login(staff)

    by_name = autocomplete(client, "swiss")
    by_short_name = autocomplete(client, "sdc")

    assert by_name.status_code == 200
    assert by_name.json()["results"] == [{"id": str(swiss.pk), "text": swiss.name}]
    assert by_short_name.json()["results"] == [{"id": str(swiss.pk), "text": swiss.name}]


def test_donor_autocomplete_is_closed_to_anonymous_visitors(client):
    make_donor("Swiss Agency")

    response = autocomplete(client, "swiss")

    assert response.status_code == 302
    assert "Swiss" not in response.content.decode()


# Hostile values: refused with a message, and what is saved is shown escaped ---------------------------------


@pytest.mark.parametrize(
    "amount, says",
    [
        ("100000000000000000000", "Ensure that there are no more than 14 digits in total."),
        ("650,000", "Enter a number."),
        ("twelve", "Enter a number."),
        ("0", "The amount must be greater than zero"),
    ],
)
def test_the_change_form_refuses_an_absurd_or_malformed_amount(admin_client, amount, says):
    project = make_project("Border help", text=TEXT)
    data = project_form_data(project, **inline_rows("fundings", funding_row(make_donor(), amount=amount)))

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Funding.objects.exists()


def test_the_change_form_refuses_a_period_that_ends_before_it_starts(admin_client):
    project = make_project("Border help", text=TEXT)
    row = figure_row(period_start_0="3", period_start_1="2016", period_end_0="10", period_end_1="2015")

    response = admin_client.post(change_url(project), project_form_data(project, **inline_rows("figures", row)))

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not ContextFigure.objects.exists()


def test_the_change_form_refuses_an_overlong_title_and_keeps_the_old_one(admin_client):
    project = make_project("Border help", text=TEXT)

    response = admin_client.post(change_url(project), project_form_data(project, title="A" * 301))

    assert response.status_code == 200
    assert "Ensure this value has at most 300 characters (it has 301)." in response.content.decode()
    project.refresh_from_db()
    assert project.title == "Border help"


def test_script_tags_saved_by_staff_are_shown_escaped_on_every_page(admin_client, client):
    script = '<script>alert("x")</script>'
    donor = make_donor(f"Donor {script}", slug="donor-x")
    project = make_project(f"Title {script}", slug="title-x", text=f"Text {script} here.")
    make_funding(project, donor)
    assert admin_client.post(change_url(project), project_form_data(project)).status_code == 302

    for page in [
        admin_client.get(change_url(project)),
        admin_client.get(CHANGELIST),
        client.get("/"),
        client.get("/projects/"),
        client.get(project.get_absolute_url()),
        client.get("/donors/"),
        client.get(donor.get_absolute_url()),
    ]:
        html = page.content.decode()
        assert page.status_code == 200
        assert script not in html
    assert "&lt;script&gt;" in client.get(project.get_absolute_url()).content.decode()

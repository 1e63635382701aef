"""Staff safety: edit history with restore, recovery of deleted projects, stale forms, login throttling, Editors."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from projects.models import Area, ContextFigure, Donor, Funding, Project, Status

from .support.admin import change_url, make_editor, open_form, signed_in

pytestmark = pytest.mark.django_db

CROBOWEB = "croboweb-cross-border-cooperation"
EU_PROJECT = "eu-supports-border-management"


# The Editors group ----------------------------------------------------------------------------------------


def test_the_editors_group_may_do_everything_to_the_catalogue_and_nothing_to_users_or_groups():
    granted = set(Group.objects.get(name="Editors").permissions.values_list("content_type__app_label", "codename"))

    catalogue = set(
        Permission.objects.filter(content_type__app_label="projects").values_list("content_type__app_label", "codename")
    )
    assert granted == catalogue
    assert len(granted) == 10 * 4  # ten models: view, add, change, delete


def test_an_editor_edits_a_project_but_cannot_open_users_or_groups(catalogue):
    client = signed_in(make_editor())
    project = Project.objects.get(slug=CROBOWEB)

    data = open_form(client, change_url(project)) | {"title": "CROBOWEB in Serbia"}
    assert client.post(change_url(project), data).status_code == 302
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    project.refresh_from_db()
    assert project.title == "CROBOWEB in Serbia"


# Edit history: who, when, what; restore ------------------------------------------------------------------


def test_reload_catalogue_gives_every_catalogue_row_a_first_version(catalogue):
    for model in (Project, Status, Area, Donor, Funding, ContextFigure):
        for obj in model.objects.all():
            assert Version.objects.get_for_object(obj).count() == 1, obj


@pytest.mark.parametrize(
    "model, lookup, field, value",
    [
        (Project, {"slug": CROBOWEB}, "title", "CROBOWEB in Serbia and Croatia"),
        (Donor, {"slug": "european-union"}, "short_name", "The EU"),
        (Area, {"slug": "border-management"}, "description", "Borders and crossings."),
        (Status, {"slug": "completed"}, "description", "Finished projects."),
    ],
)
def test_a_staff_edit_is_recorded_with_who_when_and_what_and_shown_in_the_history(
    catalogue, model, lookup, field, value
):
    editor = make_editor()
    client = signed_in(editor)
    obj = model.objects.get(**lookup)

    data = open_form(client, change_url(obj)) | {field: value}
    assert client.post(change_url(obj), data).status_code == 302

    latest = Version.objects.get_for_object(obj).first()
    assert latest.revision.user == editor
    assert timezone.now() - latest.revision.date_created < timedelta(minutes=1)
    assert latest.field_dict[field] == value
    history = client.get(reverse(f"admin:projects_{model._meta.model_name}_history", args=[obj.pk]))
    html = history.content.decode()
    assert "Ana" in html or "ana" in html
    assert "Changed" in html and str(model._meta.get_field(field).verbose_name).lower() in html.lower()


def test_a_grant_or_figure_edited_inline_is_recorded_in_its_projects_history(catalogue):
    client = signed_in(make_editor())
    project = Project.objects.get(slug=EU_PROJECT)
    grant = project.fundings.get()

    data = open_form(client, change_url(project))
    amount_field = next(
        name for name, value in data.items() if name.startswith("fundings-") and name.endswith("-amount")
    )
    assert client.post(change_url(project), data | {amount_field: "1200000.00"}).status_code == 302

    latest = Version.objects.get_for_object(grant).first()
    assert latest.field_dict["amount"] == 1200000
    assert latest.revision == Version.objects.get_for_object(project).first().revision


def test_an_earlier_version_of_a_project_is_restored_from_the_admin_with_its_grants(catalogue):
    client = signed_in(make_editor())
    project = Project.objects.get(slug=EU_PROJECT)
    original_title, original_amount = project.title, project.fundings.get().amount
    data = open_form(client, change_url(project))
    amount_field = next(name for name in data if name.startswith("fundings-") and name.endswith("-amount"))
    client.post(change_url(project), data | {"title": "Renamed by mistake", amount_field: "5.00"})
    first = Version.objects.get_for_object(project).last()  # the version reload_catalogue recorded

    revision_url = reverse("admin:projects_project_revision", args=[project.pk, first.pk])
    data = open_form(client, revision_url)
    assert data["title"] == original_title  # the form shows the old version, ready to save
    assert client.post(revision_url, data).status_code == 302

    project.refresh_from_db()
    assert project.title == original_title
    assert project.fundings.get().amount == original_amount


@pytest.mark.parametrize("slug", [CROBOWEB, "open-communities-successful-communities"])
def test_a_deleted_project_is_recovered_from_the_admin_with_its_grants_figures_partners_and_areas(catalogue, slug):
    client = signed_in(make_editor())
    project = Project.objects.get(slug=slug)
    before = {
        "grants": list(project.fundings.values_list("donor__slug", "amount", "currency")),
        "figures": list(project.figures.values_list("key", "value_low")),
        "partners": list(project.partnerships.values_list("partner__slug", "role")),
        "areas": set(project.areas.values_list("slug", flat=True)),
    }
    assert before["grants"] or before["figures"]
    delete_url = reverse("admin:projects_project_delete", args=[project.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Project.objects.filter(slug=slug).exists()

    recover_list = client.get(reverse("admin:projects_project_recoverlist")).content.decode()
    assert project.title in recover_list
    version = Version.objects.get_deleted(Project).get(object_id=str(project.pk))
    recover_url = reverse("admin:projects_project_recover", args=[version.pk])
    assert client.post(recover_url, open_form(client, recover_url)).status_code == 302

    recovered = Project.objects.get(slug=slug)
    assert list(recovered.fundings.values_list("donor__slug", "amount", "currency")) == before["grants"]
    assert list(recovered.figures.values_list("key", "value_low")) == before["figures"]
    assert list(recovered.partnerships.values_list("partner__slug", "role")) == before["partners"]
    assert set(recovered.areas.values_list("slug", flat=True)) == before["areas"]


# Two editors, one project --------------------------------------------------------------------------------


def test_a_save_over_an_edit_made_after_the_form_was_opened_is_refused_and_names_the_other_editor(catalogue):
    ana, boris = signed_in(make_editor("ana")), signed_in(make_editor("boris", "another long password 2"))
    project = Project.objects.get(slug=CROBOWEB)
    anas_form = open_form(ana, change_url(project))
    boris_form = open_form(boris, change_url(project))
    assert boris.post(change_url(project), boris_form | {"title": "CROBOWEB in Serbia"}).status_code == 302

    response = ana.post(change_url(project), anas_form | {"title": "Ana's new title"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "This project was changed by Boris" in html
    assert "your changes have not been saved" in html
    project.refresh_from_db()
    assert project.title == "CROBOWEB in Serbia"  # Boris's edit stands
    assert project.title != "Ana's new title"


def test_the_same_editor_saving_twice_in_turn_from_fresh_forms_is_not_refused(catalogue):
    ana = signed_in(make_editor())
    project = Project.objects.get(slug=CROBOWEB)

    assert ana.post(change_url(project), open_form(ana, change_url(project)) | {"title": "Title A"}).status_code == 302
    assert ana.post(change_url(project), open_form(ana, change_url(project)) | {"title": "Title B"}).status_code == 302
    project.refresh_from_db()
    assert project.title == "Title B"


# Login throttling ----------------------------------------------------------------------------------------

LOGIN = reverse("admin:login")


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def test_repeated_failed_sign_ins_lock_the_account_out_even_with_the_right_password(settings):
    make_editor("ana", "the right password 123")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ana", "wrong").status_code == 200  # the form again, with its error
    assert sign_in(client, "ana", "wrong").status_code == 429  # the last failure allowed locks the account

    response = sign_in(client, "ana", "the right password 123")

    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_a_lockout_ends_after_the_cool_off_and_does_not_touch_other_users(settings):
    make_editor("ana", "the right password 123")
    make_editor("boris", "boris right password 9")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "ana", "wrong")

    assert sign_in(client, "boris", "boris right password 9").status_code == 302
    assert sign_in(Client(), "ana", "the right password 123").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert sign_in(Client(), "ana", "the right password 123").status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(settings):
    make_editor("ana", "the right password 123")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), "ana", "wrong")
    assert sign_in(Client(), "ana", "the right password 123").status_code == 302

    sign_in(Client(), "ana", "wrong")

    assert sign_in(Client(), "ana", "the right password 123").status_code == 302

"""Backups: export_catalogue --with-history, then loaddata into an empty database, gives back exactly what was there."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from reversion.models import Revision, Version

from projects.models import Donor, Funding, Project

from .support.html import form_fields

# Real transactions: a restore starts from a truly empty database (flush), and serialized_rollback puts
# back what migrations wrote (the Editors group) for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EU_PROJECT = "eu-supports-border-management"


def export(*args):
    out = StringIO()
    call_command("export_catalogue", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def history():
    """Every revision and version, as comparable values (keys included: restores depend on them)."""
    return (
        list(Revision.objects.order_by("pk").values_list("pk", "date_created", "user__username", "comment")),
        list(
            Version.objects.order_by("pk").values_list(
                "pk", "revision_id", "object_id", "content_type__model", "serialized_data"
            )
        ),
    )


def restore(backup):
    """The documented restore into an empty database: `migrate` (here: flush), then `loaddata`."""
    call_command("flush", interactive=False, verbosity=0)
    # A real restore runs in a fresh process; this one still caches the content types flush replaced.
    ContentType.objects.clear_cache()
    call_command("loaddata", str(backup), verbosity=0)


def edit_as(client, obj, **changes):
    url = reverse(f"admin:projects_{obj._meta.model_name}_change", args=[obj.pk])
    form = form_fields(client.get(url).content, f"{obj._meta.model_name}_form")
    assert client.post(url, form | changes).status_code == 302


@pytest.fixture
def edited_catalogue():
    """The real catalogue after an editor's day: a renamed project, a new grant amount, a donor's new short name."""
    call_command("reload_catalogue", stdout=StringIO())
    editor = User.objects.create_user("ana", password="a long editor password 1", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    client.force_login(editor)
    project = Project.objects.get(slug=EU_PROJECT)
    form = form_fields(client.get(reverse("admin:projects_project_change", args=[project.pk])).content, "project_form")
    amount = next(name for name in form if name.startswith("fundings-") and name.endswith("-amount"))
    edit_as(client, project, title="EU support to border management (edited)", **{amount: "1000001.00"})
    edit_as(client, Donor.objects.get(slug="iom-international-development-fund"), short_name="IDF")
    return client


def test_a_backup_restored_into_an_empty_database_gives_back_the_catalogue_and_its_history(edited_catalogue, tmp_path):
    catalogue_before, history_before = export(), history()
    backup = tmp_path / "backup.json"
    export("--with-history", "--output", str(backup))

    restore(backup)

    assert export() == catalogue_before
    assert history() == history_before
    assert Project.objects.get(slug=EU_PROJECT).title == "EU support to border management (edited)"
    assert Group.objects.get(name="Editors").permissions.count() == 40  # ten catalogue models, four permissions each
    assert User.objects.get(username="ana").check_password("a long editor password 1")


def test_after_a_restore_an_earlier_version_can_still_be_restored_from_the_admin(edited_catalogue, tmp_path):
    backup = tmp_path / "backup.json"
    export("--with-history", "--output", str(backup))
    restore(backup)
    client = Client()
    signed_in = client.post(reverse("admin:login"), {"username": "ana", "password": "a long editor password 1"})
    assert signed_in.status_code == 302

    project = Project.objects.get(slug=EU_PROJECT)
    first = Version.objects.get_for_object(project).last()  # as reload_catalogue loaded it
    url = reverse("admin:projects_project_revision", args=[project.pk, first.pk])
    assert client.post(url, form_fields(client.get(url).content, "project_form")).status_code == 302

    project.refresh_from_db()
    assert project.title == "EU Supports Serbia to Improove Border Management in the Context of the Migration Crisis"
    assert Funding.objects.get(project=project).amount == 1000000


def test_a_backup_is_a_fixture_with_history_and_no_secrets_beyond_password_hashes(edited_catalogue):
    objects = json.loads(export("--with-history"))

    models = {obj["model"] for obj in objects}
    assert {"projects.project", "reversion.revision", "reversion.version", "auth.user", "auth.group"} <= models
    user = next(obj for obj in objects if obj["model"] == "auth.user")
    assert user["fields"]["password"].startswith(("pbkdf2_", "argon2", "bcrypt", "scrypt"))
    assert "sessions.session" not in models

"""Staff's work is never lost: a restore changes one object, and a reload keeps staff edits and takedowns.

Every scenario goes through the real admin over HTTP (the test client, signed in as an editor, posting
the forms as a browser would) and the real reload_catalogue command.
"""

import io
import json

import pytest
import reversion
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from reversion.models import Revision, Version

from projects.catalogue import export_catalogue
from projects.models import Area, ContextFigure, Donor, Funding, LoadedFixtureState, Partner, Place, Project, Status

from .support.admin import change_url, make_editor, open_form, signed_in

pytestmark = pytest.mark.django_db

OPEN_COMMUNITIES = "open-communities-successful-communities"
CROBOWEB = "croboweb-cross-border-cooperation"
EU_PROJECT = "eu-supports-border-management"


def save(client, obj, **changes):
    response = client.post(change_url(obj), open_form(client, change_url(obj)) | changes)
    assert response.status_code == 302, response.content.decode()[:2000]


def retitle_and_add_figure(client, project, title):
    """What editor A does: a new title and a new figure, in one save of the project's form."""
    data = open_form(client, change_url(project))
    n = int(data["figures-TOTAL_FORMS"])
    # A sentence of the text, quoted word for word, that states the figure's value (the form checks both).
    sentence = next(s + "." for s in project.text.split(". ") if "18 reception" in s)
    data |= {
        "title": title,
        "figures-TOTAL_FORMS": str(n + 1),
        f"figures-{n}-key": "centres-added-by-ana",
        f"figures-{n}-qualifier": "exact",
        f"figures-{n}-value_low": "18",
        f"figures-{n}-unit": "centres",
        f"figures-{n}-counts": "reception and asylum centres",
        f"figures-{n}-source_sentence": sentence,
    }
    response = client.post(change_url(project), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def exported():
    stream = io.StringIO()
    export_catalogue(stream)
    return json.loads(stream.getvalue())


def belongs_to(record, slug):
    fields = record["fields"]
    return fields.get("slug") == slug and record["model"] == "projects.project" or fields.get("project") == [slug]


def everything_but(slug):
    return [record for record in exported() if not belongs_to(record, slug)]


def loaded_version(project):
    """The version reload_catalogue recorded for `project` (its first)."""
    return Version.objects.get_for_object(project).last()


def reload(*paths, **options):
    """Run reload_catalogue; (output, exit status) as an operator's shell would see them."""
    out = io.StringIO()
    try:
        call_command("reload_catalogue", *map(str, paths), stdout=out, stderr=out, **options)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


# History and restore --------------------------------------------------------------------------------------


def test_restoring_another_projects_loaded_version_keeps_an_editors_title_and_figure(catalogue):
    ana, boris = make_editor("ana"), make_editor("boris")
    open_communities = Project.objects.get(slug=OPEN_COMMUNITIES)
    retitle_and_add_figure(signed_in(ana), open_communities, "Open Communities (edited by Ana)")
    croboweb = Project.objects.get(slug=CROBOWEB)
    save(signed_in(boris), croboweb, title="Croboweb renamed by Boris")
    others = everything_but(CROBOWEB)

    client = signed_in(boris)
    url = reverse("admin:projects_project_revision", args=[croboweb.pk, loaded_version(croboweb).pk])
    assert client.post(url, open_form(client, url)).status_code == 302

    open_communities.refresh_from_db()
    assert open_communities.title == "Open Communities (edited by Ana)"
    assert open_communities.figures.filter(key="centres-added-by-ana").exists()
    assert Version.objects.get_for_object(open_communities).first().revision.user == ana
    assert everything_but(CROBOWEB) == others  # no other project, donor, area, status or partner changed
    assert Project.objects.get(slug=CROBOWEB).title != "Croboweb renamed by Boris"


def test_recovering_a_deleted_project_keeps_other_projects_later_edits(catalogue):
    ana, boris = make_editor("ana"), make_editor("boris")
    croboweb = Project.objects.get(slug=CROBOWEB)
    grants = list(croboweb.fundings.values_list("donor__slug", "amount"))
    assert (
        signed_in(boris).post(reverse("admin:projects_project_delete", args=[croboweb.pk]), {"post": "yes"}).status_code
        == 302
    )
    open_communities = Project.objects.get(slug=OPEN_COMMUNITIES)
    retitle_and_add_figure(signed_in(ana), open_communities, "Open Communities (edited by Ana)")
    others = everything_but(CROBOWEB)

    client = signed_in(boris)
    version = Version.objects.get_deleted(Project).get(object_id=str(croboweb.pk))
    url = reverse("admin:projects_project_recover", args=[version.pk])
    assert client.post(url, open_form(client, url)).status_code == 302

    assert list(Project.objects.get(slug=CROBOWEB).fundings.values_list("donor__slug", "amount")) == grants
    open_communities.refresh_from_db()
    assert open_communities.title == "Open Communities (edited by Ana)"
    assert open_communities.figures.filter(key="centres-added-by-ana").exists()
    assert Version.objects.get_for_object(open_communities).first().revision.user == ana
    assert everything_but(CROBOWEB) == others


def test_a_restore_from_a_revision_holding_the_whole_catalogue_still_changes_one_project(catalogue):
    """Databases loaded before this change hold one revision of all 43 objects: restoring from it is scoped too."""
    with reversion.create_revision():
        reversion.set_comment("Loaded from the fixtures by reload_catalogue.")
        for model in (Status, Area, Donor, Partner, Project):
            for obj in model.objects.all():
                reversion.add_to_revision(obj)
    whole = Revision.objects.order_by("-pk").first()
    assert whole.version_set.count() == 43 + 18  # and the projects' 18 place links, which they follow
    ana, boris = make_editor("ana"), make_editor("boris")
    open_communities = Project.objects.get(slug=OPEN_COMMUNITIES)
    retitle_and_add_figure(signed_in(ana), open_communities, "Open Communities (edited by Ana)")
    save(signed_in(ana), Donor.objects.get(slug="european-union"), short_name="EU (Ana)")
    croboweb = Project.objects.get(slug=CROBOWEB)
    save(signed_in(boris), croboweb, title="Croboweb renamed by Boris")
    others = everything_but(CROBOWEB)

    client = signed_in(boris)
    version = whole.version_set.get(object_id=str(croboweb.pk), content_type__model="project")
    url = reverse("admin:projects_project_revision", args=[croboweb.pk, version.pk])
    assert client.post(url, open_form(client, url)).status_code == 302

    assert Project.objects.get(slug=CROBOWEB).title != "Croboweb renamed by Boris"
    assert everything_but(CROBOWEB) == others
    assert Donor.objects.get(slug="european-union").short_name == "EU (Ana)"


def test_the_restore_page_says_what_it_will_change_and_the_restore_can_be_undone(catalogue):
    ana = make_editor("ana")
    client = signed_in(ana)
    project = Project.objects.get(slug=OPEN_COMMUNITIES)
    original_title = project.title
    retitle_and_add_figure(client, project, "Open Communities (edited by Ana)")
    anas_version = Version.objects.get_for_object(project).first()

    url = reverse("admin:projects_project_revision", args=[project.pk, loaded_version(project).pk])
    page = client.get(url).content.decode()
    assert "What saving this will change" in page
    assert f"Open Communities (edited by Ana) → {original_title}" in page
    assert page.count('class="restore-field"') == 1  # only the title differs (not its areas, status, ...)
    assert "Rows removed" in page and "centres-added-by-ana" in page
    assert Project.objects.get(pk=project.pk).title == "Open Communities (edited by Ana)"  # viewing changed nothing

    assert client.post(url, open_form(client, url)).status_code == 302
    project.refresh_from_db()
    assert project.title == original_title
    assert not project.figures.filter(key="centres-added-by-ana").exists()
    restore = Version.objects.get_for_object(project).first()
    assert restore.revision.user == ana
    assert restore.revision.comment.startswith("Restored the version saved on")
    assert "title" in restore.revision.comment and "1 row(s) removed" in restore.revision.comment
    history = client.get(reverse("admin:projects_project_history", args=[project.pk])).content.decode()
    assert "Restored the version saved on" in history

    # Undo: restore Ana's version, which brings her title and figure back.
    url = reverse("admin:projects_project_revision", args=[project.pk, anas_version.pk])
    page = client.get(url).content.decode()
    assert "Rows brought back" in page
    assert client.post(url, open_form(client, url)).status_code == 302
    project.refresh_from_db()
    assert project.title == "Open Communities (edited by Ana)"
    assert project.figures.filter(key="centres-added-by-ana").exists()


def test_reload_records_one_revision_per_top_level_object(catalogue):
    revisions = Revision.objects.filter(comment__startswith="Loaded from the fixtures")
    tops = sum(model.objects.count() for model in (Status, Area, Donor, Partner, Place, Project))
    assert revisions.count() == tops
    for revision in revisions:
        versions = list(revision.version_set.all())
        projects = {v.object_id for v in versions if v.content_type.model == "project"}
        rows = {str(v.field_dict["project_id"]) for v in versions if "project_id" in v.field_dict}
        assert len(versions) == 1 or (len(projects) == 1 and rows <= projects), revision.comment


# Reloads that respect staff ------------------------------------------------------------------------------


def test_a_project_unpublished_in_the_admin_stays_unpublished_after_a_reload_and_is_reported(catalogue, client):
    project = Project.objects.get(slug=CROBOWEB)
    save(signed_in(make_editor("ana")), project, is_published="")
    assert client.get(project.get_absolute_url()).status_code == 404

    out, status = reload()

    assert client.get(project.get_absolute_url()).status_code == 404
    assert status == 3
    assert f'projects.project ["{CROBOWEB}"]: unpublished by Ana on' in out
    assert "is_published" in out
    assert "0 created, 0 updated, 68 unchanged, 1 kept staff edit (69 fixture objects)" in out


def test_a_project_deleted_in_the_admin_stays_deleted_with_its_rows_after_a_reload_and_is_reported(catalogue):
    project = Project.objects.get(slug=CROBOWEB)
    rows = (
        project.fundings.count() + project.partnerships.count() + project.figures.count() + project.place_links.count()
    )
    client = signed_in(make_editor("ana"))
    assert client.post(reverse("admin:projects_project_delete", args=[project.pk]), {"post": "yes"}).status_code == 302

    out, status = reload()

    assert not Project.objects.filter(slug=CROBOWEB).exists()
    assert not Funding.objects.filter(project__slug=CROBOWEB).exists()
    assert status == 3
    assert f'projects.project ["{CROBOWEB}"]: deleted by Ana on' in out
    assert f"{1 + rows} kept staff edits" in out


def test_a_title_corrected_in_the_admin_survives_a_reload_which_names_the_field_and_editor(catalogue):
    project = Project.objects.get(slug=EU_PROJECT)
    save(signed_in(make_editor("ana")), project, title="EU Supports Border Management (corrected)")

    out, status = reload()

    assert Project.objects.get(slug=EU_PROJECT).title == "EU Supports Border Management (corrected)"
    assert f'Kept staff edit: projects.project ["{EU_PROJECT}"]: edited by Ana on' in out
    assert "differs from the fixture in: title." in out
    assert status == 3
    # The same plan without writing; and a second reload keeps it still.
    dry, dry_status = reload(dry_run=True)
    assert "edited by Ana" in dry and "1 kept staff edit (dry run" in dry and dry_status == 3
    assert reload()[1] == 3
    assert Project.objects.get(slug=EU_PROJECT).title == "EU Supports Border Management (corrected)"


def test_overwrite_staff_edits_restores_the_fixture_and_the_staff_version_stays_restorable(catalogue, client):
    project = Project.objects.get(slug=CROBOWEB)
    fixture_title = project.title
    editor = signed_in(make_editor("ana"))
    save(editor, project, title="Croboweb (Ana's title)", is_published="")

    out, status = reload(overwrite_staff_edits=True)

    assert status == 0
    assert "Overwrote staff edit" in out and "1 staff edit(s) overwritten" in out
    project.refresh_from_db()
    assert (project.title, project.is_published) == (fixture_title, True)
    assert client.get(project.get_absolute_url()).status_code == 200
    staff = next(
        v for v in Version.objects.get_for_object(project) if v.field_dict["title"] == "Croboweb (Ana's title)"
    )
    url = reverse("admin:projects_project_revision", args=[project.pk, staff.pk])
    assert editor.post(url, open_form(editor, url)).status_code == 302
    project.refresh_from_db()
    assert (project.title, project.is_published) == ("Croboweb (Ana's title)", False)
    # Put back by staff again: the next plain reload keeps it.
    assert reload()[1] == 3


def test_a_project_nobody_touched_still_updates_from_a_changed_fixture(catalogue, settings, tmp_path):
    save(signed_in(make_editor("ana")), Project.objects.get(slug=EU_PROJECT), title="Edited by Ana")
    data = json.loads((settings.BASE_DIR / "fixtures" / "catalogue.json").read_text(encoding="utf-8"))
    for record in data:
        if record["model"] == "projects.project" and record["fields"]["slug"] == CROBOWEB:
            record["fields"]["title"] = "Croboweb, corrected in the fixtures"
        if record["model"] == "projects.project" and record["fields"]["slug"] == EU_PROJECT:
            record["fields"]["title"] = "EU project, corrected in the fixtures"
    changed = tmp_path / "catalogue.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    out, status = reload(changed)

    assert Project.objects.get(slug=CROBOWEB).title == "Croboweb, corrected in the fixtures"
    assert Project.objects.get(slug=EU_PROJECT).title == "Edited by Ana"
    assert "0 created, 1 updated, 67 unchanged, 1 kept staff edit (69 fixture objects)" in out
    assert status == 3
    # The reload's own write is a version of Croboweb alone.
    latest = Version.objects.get_for_object(Project.objects.get(slug=CROBOWEB)).first()
    assert {v.object_id for v in latest.revision.version_set.filter(content_type__model="project")} == {
        str(Project.objects.get(slug=CROBOWEB).pk)
    }


def test_the_first_reload_after_the_upgrade_takes_equal_objects_as_its_base_and_keeps_staff_edits(catalogue):
    """No stored fingerprints (a database loaded before this change): equal to the fixture is the base;
    different, with a staff edit in the history, is kept; different with no staff history is updated."""
    save(signed_in(make_editor("ana")), Project.objects.get(slug=EU_PROJECT), title="Edited by Ana")
    Project.objects.filter(slug=CROBOWEB).update(title="Changed in the database")  # no history: not staff's
    LoadedFixtureState.objects.all().delete()

    out, status = reload()

    assert "0 created, 1 updated, 67 unchanged, 1 kept staff edit" in out and status == 3
    assert Project.objects.get(slug=EU_PROJECT).title == "Edited by Ana"
    assert Project.objects.get(slug=CROBOWEB).title != "Changed in the database"
    assert LoadedFixtureState.objects.count() == 68  # every object but the kept one has its base again


def test_a_figure_staff_deleted_from_a_project_form_is_not_recreated(catalogue):
    project = Project.objects.get(slug=OPEN_COMMUNITIES)
    client = signed_in(make_editor("ana"))
    data = open_form(client, change_url(project))
    figure = project.figures.get(key="reception-and-asylum-centres")
    index = next(
        name
        for name, value in data.items()
        if name.startswith("figures-") and name.endswith("-id") and value == str(figure.pk)
    ).split("-")[1]
    assert client.post(change_url(project), data | {f"figures-{index}-DELETE": "on"}).status_code == 302

    out, status = reload()

    assert not ContextFigure.objects.filter(pk=figure.pk).exists()
    assert not project.figures.filter(key="reception-and-asylum-centres").exists()
    assert "reception-and-asylum-centres" in out and "deleted by Ana" in out and status == 3

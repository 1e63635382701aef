"""Reloads and admin saves take turns (projects.locking), and every catalogue form refuses a stale save.

Through the real admin (the test client) on the suite's database. The "lock held elsewhere" tests hold
the catalogue write lock from another thread, so from another database connection, as a reload in
another process would; those tests use real transactions, and serialized_rollback keeps the Editors
group that a migration creates.
"""

import threading
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from projects.locking import catalogue_write_lock
from projects.models import Area, Donor, Partner, Project, Status

from .factories import make_area, make_donor, make_partner, make_project, make_status
from .support.admin import change_url, make_editor, open_form, signed_in
from .support.html import form_fields


@contextmanager
def lock_held_elsewhere():
    """Hold the catalogue write lock in another thread (its own connection) until the block ends."""
    held, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with catalogue_write_lock(wait=5):
                held.set()
                release.wait(30)
        except Exception as error:  # reported by the test below, not swallowed
            errors.append(error)
            held.set()
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        assert not errors, errors
        yield
    finally:
        release.set()
        thread.join(30)


# The stale-form check, for every catalogue entry ----------------------------------------------------------------

ENTRIES = {
    "donor": (lambda: make_donor("Swiss Agency", short_name="SDC"), "short_name", "name"),
    "area": (lambda: make_area("Border management"), "name", "slug"),
    "status": (lambda: make_status("Ongoing"), "name", "order"),
    "partner": (lambda: make_partner("Ministry of Interior", short_name="MoI"), "short_name", "name"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ENTRIES)
def test_two_editors_save_the_same_entry_and_the_second_is_refused_with_the_first_named(kind):
    make, anas_field, boris_field = ENTRIES[kind]
    entry = make()
    ana, boris = signed_in(make_editor("ana")), signed_in(make_editor("boris"))
    anas_form, boris_form = open_form(ana, change_url(entry)), open_form(boris, change_url(entry))
    anas_value = "7" if anas_field == "order" else "Ana's value"
    boris_value = "9" if boris_field == "order" else "boris-value"

    assert ana.post(change_url(entry), anas_form | {anas_field: anas_value}).status_code == 302
    response = boris.post(change_url(entry), boris_form | {boris_field: boris_value})

    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed by Ana on" in page and "your changes have not been saved" in page
    assert f'value="{boris_value}"' in page  # what Boris typed is still in his form
    entry.refresh_from_db()
    assert str(getattr(entry, anas_field)) == anas_value  # Ana's edit stands
    assert str(getattr(entry, boris_field)) != boris_value


@pytest.mark.django_db
def test_an_editor_saving_a_donor_twice_from_fresh_forms_is_not_refused():
    donor = make_donor("Swiss Agency")
    ana = signed_in(make_editor("ana"))
    assert ana.post(change_url(donor), open_form(ana, change_url(donor)) | {"short_name": "A"}).status_code == 302
    assert ana.post(change_url(donor), open_form(ana, change_url(donor)) | {"short_name": "B"}).status_code == 302
    donor.refresh_from_db()
    assert donor.short_name == "B"


@pytest.mark.django_db
def test_a_donor_changed_outside_the_admin_after_the_form_was_opened_refuses_the_stale_save():
    donor = make_donor("European Union", slug="european-union", short_name="EU")
    ana = signed_in(make_editor("ana"))
    anas_form = open_form(ana, change_url(donor))
    Donor.objects.filter(pk=donor.pk).update(description="Written by someone else")

    response = ana.post(change_url(donor), anas_form | {"short_name": "E.U."})

    assert response.status_code == 200
    assert "was changed by someone else on" in response.content.decode()
    donor.refresh_from_db()
    assert donor.description == "Written by someone else" and donor.short_name == "EU"


# Saves while the catalogue is busy --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_save_while_the_lock_is_held_gets_its_form_back_with_everything_typed_and_saves_nothing(settings):
    settings.CATALOGUE_SAVE_LOCK_WAIT = 0.5
    project = make_project("Border help")
    donor = make_donor("Swiss Agency")
    ana = signed_in(make_editor("ana"))
    form = open_form(ana, change_url(project))
    typed = form | {
        "title": "Ana's new title",
        "fundings-TOTAL_FORMS": "1",
        "fundings-0-donor": str(donor.pk),
        "fundings-0-amount": "650000",
        "fundings-0-currency": "USD",
        "fundings-0-source_sentence": "",
    }

    with lock_held_elsewhere():
        response = ana.post(change_url(project), typed)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The catalogue is busy" in page and "press Save again" in page
    assert 'value="Ana\'s new title"' in page or 'value="Ana&#x27;s new title"' in page
    assert 'name="fundings-0-amount" value="650000"' in page  # the inline row typed is still there
    project.refresh_from_db()
    assert project.title == "Border help" and not project.fundings.exists()

    # Saved again once the lock is free, from the form as it came back: it goes through.
    again = form_fields(response.content, "project_form")
    assert ana.post(change_url(project), again).status_code == 302
    project.refresh_from_db()
    assert project.title == "Ana's new title" and project.fundings.get().amount == 650000


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delete_while_the_lock_is_held_asks_again_and_deletes_nothing(settings):
    settings.CATALOGUE_SAVE_LOCK_WAIT = 0.5
    area = make_area("Border management")
    ana = signed_in(make_editor("ana"))
    delete_url = reverse("admin:projects_area_delete", args=[area.pk])

    with lock_held_elsewhere():
        response = ana.post(delete_url, {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert "The catalogue is busy" in response.content.decode()
    assert Area.objects.filter(pk=area.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reload_that_cannot_get_the_lock_exits_with_one_line_and_changes_nothing(settings):
    settings.CATALOGUE_RELOAD_LOCK_WAIT = 0.5
    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"
    call_command("reload_catalogue", verbosity=0)
    Donor.objects.filter(slug="european-union").update(short_name="Staff's")
    statuses, projects = Status.objects.count(), Project.objects.count()

    with lock_held_elsewhere(), pytest.raises(CommandError) as refused:
        call_command("reload_catalogue", verbosity=0)

    message = str(refused.value)
    assert "\n" not in message
    assert "busy" in message and "Nothing was written; run the command again." in message
    assert Donor.objects.get(slug="european-union").short_name == "Staff's"
    assert (Status.objects.count(), Project.objects.count()) == (statuses, projects)
    # And once the lock is free, the same command runs.
    call_command("reload_catalogue", verbosity=0)
    assert Donor.objects.get(slug="european-union").short_name != "Staff's"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reload_waits_for_a_save_in_progress_and_then_runs(settings):
    settings.CATALOGUE_RELOAD_LOCK_WAIT = 10
    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"
    finished = []

    def reload_after_the_holder():
        try:
            call_command("reload_catalogue", verbosity=0)
            finished.append("reloaded")
        finally:
            connection.close()

    with lock_held_elsewhere():
        worker = threading.Thread(target=reload_after_the_holder)
        worker.start()
        worker.join(1)
        assert worker.is_alive() and not finished  # waiting for the lock, not failing
    worker.join(60)
    assert finished == ["reloaded"]
    assert Partner.objects.exists()

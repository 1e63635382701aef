"""The operators' commands: reload_catalogue and export_catalogue, on the real fixtures and on broken copies of them."""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.catalogue import CATALOGUE_MODELS
from projects.models import Donor, Funding, Project

from .factories import make_donor, make_funding, make_project

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"
EXPECTED_ROWS = {
    "projects.status": 1,
    "projects.area": 6,
    "projects.donor": 3,
    "projects.partner": 6,
    "projects.project": 7,
    "projects.funding": 3,
    "projects.partnership": 8,
    "projects.contextfigure": 9,
    "projects.place": 8,
    "projects.projectplace": 18,
}
CROBOWEB = "croboweb-cross-border-cooperation"
OTHER_PROJECT = "eu-supports-border-management"
CROBOWEB_TITLE = "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"


@pytest.fixture(autouse=True)
def real_fixtures_dir(settings):
    settings.CATALOGUE_FIXTURES_DIR = settings.BASE_DIR / "fixtures"


def run(command, *args, **options):
    """Run a command as an operator would; return what it wrote to stdout and stderr."""
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def reload(*paths, **options):
    return run("reload_catalogue", *map(str, paths), **options)[0]


def rows():
    return {model._meta.label_lower: model.objects.count() for model in CATALOGUE_MODELS}


def snapshot():
    """Row counts and the values a broken reload must not touch."""
    return {
        "rows": rows(),
        "titles": dict(Project.objects.values_list("slug", "title")),
        "amounts": sorted(str(amount) for amount in Funding.objects.values_list("amount", flat=True)),
    }


def records():
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def position(data, model, **fields):
    """The 0-based index of the one record of `model` whose fields include `fields`."""
    found = [
        index
        for index, item in enumerate(data)
        if item["model"] == model and all(item["fields"].get(name) == value for name, value in fields.items())
    ]
    assert len(found) == 1, (model, fields, found)
    return found[0]


# reload_catalogue ----------------------------------------------------------------------------------------------


def test_reload_creates_the_69_catalogue_objects():
    out = reload()
    assert "Catalogue reloaded: 69 created, 0 updated, 0 unchanged" in out
    assert rows() == EXPECTED_ROWS


def test_a_second_reload_creates_and_updates_nothing():
    reload()
    before = snapshot()
    out = reload()
    assert "0 created, 0 updated, 69 unchanged" in out
    assert snapshot() == before


def test_reload_puts_back_a_field_edited_in_the_database():
    reload()
    Project.objects.filter(slug=CROBOWEB).update(title="Edited title")
    out = reload()
    assert "0 created, 1 updated, 68 unchanged" in out
    assert Project.objects.get(slug=CROBOWEB).title == CROBOWEB_TITLE


def test_reload_loads_the_relations_by_slug():
    reload()
    croboweb = Project.objects.get(slug=CROBOWEB)
    assert sorted(croboweb.areas.values_list("slug", flat=True)) == [
        "border-management",
        "counter-smuggling-and-trafficking",
    ]
    funding = croboweb.fundings.get()
    assert (funding.donor.slug, str(funding.amount), funding.currency) == (
        "inl-us-state-department",
        "650000.00",
        "USD",
    )


def test_dry_run_counts_what_it_would_do_and_writes_nothing():
    out = reload(dry_run=True)
    assert "69 created, 0 updated, 0 unchanged (dry run: nothing was written)" in out
    assert set(rows().values()) == {0}


def test_dry_run_on_a_loaded_catalogue_leaves_an_edit_in_place():
    reload()
    Project.objects.filter(slug=CROBOWEB).update(title="Edited title")
    out = reload(dry_run=True)
    assert "0 created, 1 updated, 68 unchanged (dry run" in out
    assert Project.objects.get(slug=CROBOWEB).title == "Edited title"


def test_reload_leaves_entries_staff_created_alone():
    reload()
    staff_project = make_project("Staff Project", slug="staff-project", text="Written by staff.")
    staff_donor = make_donor("Staff Donor", slug="staff-donor")
    make_funding(staff_project, staff_donor, amount="1234.50", currency="CHF")
    croboweb = Project.objects.get(slug=CROBOWEB)
    make_funding(croboweb, staff_donor, amount="99", currency="EUR")  # a staff grant on a fixture project
    before = snapshot()

    out = reload()

    assert "0 created, 0 updated, 69 unchanged" in out
    assert snapshot() == before
    assert Project.objects.get(slug="staff-project").text == "Written by staff."
    assert Funding.objects.filter(project=croboweb, donor=staff_donor, amount="99").exists()
    assert Donor.objects.filter(slug="staff-donor").exists()


def test_a_reload_that_changes_nothing_keeps_each_project_last_updated_time():
    reload()
    before = dict(Project.objects.values_list("slug", "updated"))
    reload()
    assert dict(Project.objects.values_list("slug", "updated")) == before


def test_a_reload_that_changes_a_grant_marks_its_project_updated(tmp_path):
    reload()
    before = dict(Project.objects.values_list("slug", "updated"))
    data = records()
    data[position(data, "projects.funding", project=[CROBOWEB])]["fields"]["amount"] = "650001.00"
    changed = tmp_path / "catalogue.json"
    changed.write_text(json.dumps(data), encoding="utf-8")

    assert "0 created, 1 updated, 68 unchanged" in reload(changed)

    after = dict(Project.objects.values_list("slug", "updated"))
    assert after[CROBOWEB] > before[CROBOWEB]
    assert {slug: time for slug, time in after.items() if slug != CROBOWEB} == {
        slug: time for slug, time in before.items() if slug != CROBOWEB
    }


def test_reload_at_verbosity_0_says_nothing():
    out, err = run("reload_catalogue", verbosity=0)
    assert out == "" and err == ""
    assert rows() == EXPECTED_ROWS


def test_reload_at_verbosity_2_counts_each_kind_of_object():
    out = reload(verbosity=2)
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["projects"] == ["7", "0", "0"]
    assert lines["partnerships"] == ["8", "0", "0"]


def test_reload_of_a_directory_without_fixtures_says_so(settings, tmp_path):
    settings.CATALOGUE_FIXTURES_DIR = tmp_path
    with pytest.raises(CommandError, match="No fixture files in"):
        reload()


def test_reload_of_a_missing_file_names_it_and_writes_nothing(tmp_path):
    missing = tmp_path / "missing.json"
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("reload_catalogue", str(missing), stdout=StringIO(), stderr=err)
    assert f"{missing}: file not found" in err.getvalue()
    assert set(rows().values()) == {0}


# Broken fixtures: every problem named, nothing written ---------------------------------------------------------


def truncated(path):
    text = CATALOGUE.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    return ["not valid JSON"]


def invalid_json(path):
    path.write_text(CATALOGUE.read_text(encoding="utf-8").replace('"slug": "completed",', '"slug": "completed"', 1))
    return ["not valid JSON", "line "]


def edited(change):
    """A corruption that edits the parsed records; `change(data)` returns what stderr must say."""

    def corrupt(path):
        data = records()
        expected = change(data)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        return expected

    corrupt.__name__ = change.__name__
    return corrupt


@edited
def unknown_field(data):
    index = position(data, "projects.project", slug=CROBOWEB)
    data[index]["fields"]["colour"] = "red"
    return [f"object #{index + 1}", "field “colour”", "unknown field"]


@edited
def bad_decimal_amount(data):
    index = position(data, "projects.funding", donor=["inl-us-state-department"])
    data[index]["fields"]["amount"] = "650,000.00"
    return [f"object #{index + 1}", "field “amount”", "must be a decimal number"]


@edited
def missing_donor(data):
    index = position(data, "projects.funding", donor=["european-union"])
    data[index]["fields"]["donor"] = ["no-such-donor"]
    return [f"object #{index + 1}", "field “donor”", "no-such-donor", "does not exist"]


@edited
def duplicated_object(data):
    index = position(data, "projects.funding", donor=["european-union"])
    data.append(copy.deepcopy(data[index]))
    return [f"object #{len(data)}", f"object #{index + 1} has the same key", "appears twice"]


@edited
def negative_amount(data):
    index = position(data, "projects.funding", donor=["iom-international-development-fund"])
    data[index]["fields"]["amount"] = "-130000.00"
    return [f"object #{index + 1}", "field “amount”", "greater than zero"]


@edited
def zero_amount(data):
    index = position(data, "projects.funding", donor=["iom-international-development-fund"])
    data[index]["fields"]["amount"] = "0"
    return [f"object #{index + 1}", "field “amount”", "greater than zero"]


@edited
def sentence_not_in_text(data):
    index = position(data, "projects.contextfigure", key="refugees-and-migrants-january-2017")
    data[index]["fields"]["source_sentence"] = (
        "Consequently, the number of refugees and migrants exceeds 9,000 in January 2017."
    )
    return [f"object #{index + 1}", "field “source_sentence”", "does not appear in the project's text"]


@edited
def high_below_low(data):
    index = position(data, "projects.contextfigure", key="people-per-day-october-2015")
    data[index]["fields"]["value_high"] = 5000
    return [f"object #{index + 1}", "field “value_high”"]


@edited
def unknown_model(data):
    data[0]["model"] = "projects.programme"
    return ["object #1", "field “model”", "unknown model"]


def empty_file(path):
    path.write_text("", encoding="utf-8")
    return ["not valid JSON"]


def not_a_list(path):
    path.write_text(json.dumps({"model": "projects.status", "fields": {"name": "Completed"}}), encoding="utf-8")
    return ["a fixture must be a JSON list of objects"]


def not_utf8(path):
    path.write_bytes(CATALOGUE.read_text(encoding="utf-8").encode("cp1250", errors="replace"))
    return ["not UTF-8 text", "Save the file as UTF-8"]


def binary_garbage(path):
    path.write_bytes(bytes(range(256)) * 4)
    return ["not UTF-8 text"]


@edited
def object_without_fields(data):
    del data[3]["fields"]
    return ["object #4", "needs a “model” and a “fields” object"]


@edited
def missing_title(data):
    index = position(data, "projects.project", slug=CROBOWEB)
    del data[index]["fields"]["title"]
    return [f"object #{index + 1}", "field “title”", "is missing"]


@edited
def overlong_title(data):
    index = position(data, "projects.project", slug=CROBOWEB)
    data[index]["fields"]["title"] = "A" * 301
    return [f"object #{index + 1}", "field “title”", "at most 300 characters"]


@edited
def unknown_currency(data):
    index = position(data, "projects.funding", donor=["european-union"])
    data[index]["fields"]["currency"] = "XYZ"
    return [f"object #{index + 1}", "field “currency”", "not a valid choice"]


@edited
def impossible_date(data):
    index = position(data, "projects.project", slug=CROBOWEB)
    data[index]["fields"]["start_date"] = "2015-13-01"
    return [f"object #{index + 1}", "field “start_date”", "invalid date"]


@edited
def period_backwards(data):
    index = position(data, "projects.contextfigure", key="people-per-day-october-2015")
    data[index]["fields"]["period_end"] = "2014-01-01"
    return [f"object #{index + 1}", "period"]


@edited
def areas_not_a_list(data):
    index = position(data, "projects.project", slug=CROBOWEB)
    data[index]["fields"]["areas"] = "border-management"
    return [f"object #{index + 1}", "field “areas”", "must be a list"]


@edited
def grant_for_a_missing_project(data):
    index = position(data, "projects.funding", donor=["european-union"])
    data[index]["fields"]["project"] = ["no-such-project"]
    return [f"object #{index + 1}", "field “project”", "no-such-project", "does not exist"]


@edited
def script_in_a_slug(data):
    index = position(data, "projects.donor", slug="european-union")
    data[index]["fields"]["slug"] = "<script>alert(1)</script>"
    return [f"object #{index + 1}", "field “slug”", "valid"]


CORRUPTIONS = [
    truncated,
    invalid_json,
    unknown_field,
    bad_decimal_amount,
    missing_donor,
    duplicated_object,
    negative_amount,
    zero_amount,
    sentence_not_in_text,
    high_below_low,
    unknown_model,
    empty_file,
    not_a_list,
    not_utf8,
    binary_garbage,
    object_without_fields,
    missing_title,
    overlong_title,
    unknown_currency,
    impossible_date,
    period_backwards,
    areas_not_a_list,
    grant_for_a_missing_project,
    script_in_a_slug,
]


def change_a_title_too(path):
    """Rewrite a broken fixture so that it would also rename a project, if it were loaded."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    if not isinstance(data, list):
        return
    # Another project than the one the corruptions break, so this edit never hides a corruption.
    data[position(data, "projects.project", slug=OTHER_PROJECT)]["fields"]["title"] = "A title that must not be saved"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_broken_fixture_is_refused_with_file_object_and_field_named_and_an_empty_database_stays_empty(
    tmp_path, corrupt
):
    broken = tmp_path / "catalogue.json"
    expected = corrupt(broken)
    err = StringIO()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("reload_catalogue", str(broken), stdout=StringIO(), stderr=err)

    for line in err.getvalue().splitlines():
        assert line.startswith(str(broken)), line
    for words in expected:
        assert words in err.getvalue()
    assert set(rows().values()) == {0}


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_broken_fixture_leaves_a_loaded_catalogue_exactly_as_it_was(tmp_path, corrupt):
    reload()
    before = snapshot()
    broken = tmp_path / "catalogue.json"
    expected = corrupt(broken)
    change_a_title_too(broken)
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("reload_catalogue", str(broken), stdout=StringIO(), stderr=err)

    assert str(broken) in err.getvalue()
    for words in expected:
        assert words in err.getvalue()
    assert snapshot() == before
    assert Project.objects.get(slug=CROBOWEB).title == CROBOWEB_TITLE


def test_an_object_repeated_in_a_second_file_is_reported_with_the_file_of_its_first_copy(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    data = records()
    index = position(data, "projects.funding", donor=["european-union"])
    first.write_text(json.dumps(data), encoding="utf-8")
    second.write_text(json.dumps([data[index]]), encoding="utf-8")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("reload_catalogue", str(first), str(second), stdout=StringIO(), stderr=err)

    (line,) = err.getvalue().splitlines()
    assert line.startswith(f"{second}, object #1 ")
    assert "appears twice" in line
    assert f"{first}, object #{index + 1}" in line or f"{first.name}, object #{index + 1}" in line
    assert set(rows().values()) == {0}


def test_a_dry_run_of_a_broken_fixture_is_refused_too(tmp_path):
    broken = tmp_path / "catalogue.json"
    negative_amount(broken)
    with pytest.raises(CommandError):
        call_command("reload_catalogue", str(broken), dry_run=True, stdout=StringIO(), stderr=StringIO())


def test_every_problem_of_a_broken_fixture_is_reported_at_once(tmp_path):
    broken = tmp_path / "catalogue.json"
    data = records()
    data[position(data, "projects.funding", donor=["inl-us-state-department"])]["fields"]["amount"] = "-1"
    data[position(data, "projects.funding", donor=["european-union"])]["fields"]["donor"] = ["no-such-donor"]
    broken.write_text(json.dumps(data), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match=r"^2 problem\(s\) found"):
        call_command("reload_catalogue", str(broken), stdout=StringIO(), stderr=err)
    assert "field “amount”" in err.getvalue() and "field “donor”" in err.getvalue()


# export_catalogue ------------------------------------------------------------------------------------------------


def export(tmp_path, name="export.json"):
    path = tmp_path / name
    _, err = run("export_catalogue", output=str(path))
    assert f"Exported 69 objects to {path}." in err
    return path


def test_export_after_a_fresh_reload_equals_the_fixture_byte_for_byte(tmp_path):
    reload()
    assert export(tmp_path).read_bytes() == CATALOGUE.read_bytes()


def test_export_says_how_many_objects_it_wrote(tmp_path):
    reload()
    path = tmp_path / "export.json"
    _, err = run("export_catalogue", output=str(path))
    assert err.strip() == f"Exported 69 objects to {path}."


def test_export_to_standard_output_writes_the_fixture(capsys):
    reload()
    call_command("export_catalogue", verbosity=0)
    assert capsys.readouterr().out.encode("utf-8") == CATALOGUE.read_bytes()


def test_export_to_standard_output_writes_to_the_stream_call_command_is_given(capsys):
    reload()
    out, _ = run("export_catalogue", verbosity=0)
    leaked = capsys.readouterr().out
    assert leaked == "", f"{len(leaked)} characters went to sys.stdout instead of the command's stdout"
    assert out.encode("utf-8") == CATALOGUE.read_bytes()


def test_export_then_reload_changes_nothing(tmp_path):
    reload()
    path = export(tmp_path)
    before = snapshot()
    out = reload(path)
    assert "0 created, 0 updated, 69 unchanged" in out
    assert snapshot() == before


def test_export_to_a_directory_that_does_not_exist_fails_cleanly(tmp_path):
    reload()
    with pytest.raises(CommandError, match="Cannot write"):
        run("export_catalogue", output=str(tmp_path / "no-such-directory" / "export.json"))


# `flush` truncates tables, which PostgreSQL refuses inside the transaction a plain django_db test runs in.
@pytest.mark.django_db(transaction=True)
def test_an_edit_made_in_the_database_shows_in_the_export_and_survives_a_reload_into_an_empty_database(tmp_path):
    reload()
    project = Project.objects.get(slug=CROBOWEB)
    project.title = "Strengthening Cross-Border Cooperation (edited)"
    project.is_published = False
    project.save()
    Funding.objects.filter(project=project).update(amount="650001.50")

    path = export(tmp_path)
    exported = json.loads(path.read_text(encoding="utf-8"))
    fields = exported[position(exported, "projects.project", slug=CROBOWEB)]["fields"]
    assert fields["title"] == "Strengthening Cross-Border Cooperation (edited)"
    assert fields["is_published"] is False
    assert exported[position(exported, "projects.funding", project=[CROBOWEB])]["fields"]["amount"] == "650001.50"

    call_command("flush", interactive=False, verbosity=0)
    assert set(rows().values()) == {0}

    out = reload(path)

    assert "69 created, 0 updated, 0 unchanged" in out
    project = Project.objects.get(slug=CROBOWEB)
    assert project.title == "Strengthening Cross-Border Cooperation (edited)"
    assert project.is_published is False
    assert str(project.fundings.get().amount) == "650001.50"
    assert rows() == EXPECTED_ROWS


# loaddata reads the same fixtures ---------------------------------------------------------------------------------


def test_loaddata_loads_the_catalogue_fixture():
    call_command("loaddata", str(CATALOGUE), verbosity=0)
    assert rows() == EXPECTED_ROWS
    croboweb = Project.objects.get(slug=CROBOWEB)
    assert croboweb.title == CROBOWEB_TITLE
    assert str(croboweb.fundings.get().amount) == "650000.00"


def test_loading_the_fixture_twice_with_loaddata_does_not_duplicate_rows():
    call_command("loaddata", str(CATALOGUE), verbosity=0)
    call_command("loaddata", str(CATALOGUE), verbosity=0)
    assert rows() == EXPECTED_ROWS


def test_loaddata_over_a_reloaded_catalogue_does_not_duplicate_rows():
    reload()
    call_command("loaddata", str(CATALOGUE), verbosity=0)
    assert rows() == EXPECTED_ROWS
    assert "0 created, 0 updated, 69 unchanged" in reload()

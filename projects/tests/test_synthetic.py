"""seed_synthetic: a synthetic catalogue for benchmarks, clearly marked, valid, never exported, removable."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Max

from projects.caching import catalogue_generation
from projects.catalogue import export_catalogue
from projects.models import (
    SYNTHETIC_SLUG_PREFIX,
    Area,
    ContextFigure,
    Donor,
    Funding,
    Partner,
    Partnership,
    Project,
    Status,
)
from projects.synthetic import seed_synthetic

from .factories import make_donor, make_project

pytestmark = pytest.mark.django_db

SIZE = 120


def seed(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_synthetic", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_seeding_creates_the_asked_number_of_projects_and_says_so_in_one_line():
    out, _ = seed("--projects", str(SIZE))
    assert Project.objects.count() == SIZE
    assert out.count("\n") == 1
    assert f"{SIZE} projects" in out and "grants" in out and "figures" in out


def test_every_synthetic_row_is_marked_by_its_slug_and_says_so_in_its_name():
    seed_synthetic(SIZE)
    for model in [Project, Status, Area, Donor, Partner]:
        assert all(slug.startswith(SYNTHETIC_SLUG_PREFIX) for slug in model.objects.values_list("slug", flat=True))
    assert all(title.startswith("Synthetic project") for title in Project.objects.values_list("title", flat=True))
    assert all(name.endswith("(synthetic)") for name in Donor.objects.values_list("name", flat=True))


def test_the_synthetic_catalogue_has_the_shapes_of_a_real_one():
    seed_synthetic(SIZE)
    assert Status.objects.count() >= 3 and Area.objects.count() >= 5 and Donor.objects.count() >= 5
    assert set(Funding.objects.exclude(currency="").values_list("currency", flat=True)) >= {"USD", "EUR", "GBP"}
    assert Funding.objects.filter(amount__isnull=True, currency="").exists()
    assert Partnership.objects.exists() and ContextFigure.objects.exists()
    assert Project.objects.filter(is_published=False).exists()
    assert Project.objects.filter(start_date__isnull=True).exists()
    assert Project.objects.filter(text__icontains="border").exists()
    assert Project.objects.filter(areas__isnull=False).distinct().count() == SIZE


def test_every_synthetic_grant_partner_and_figure_quotes_its_project_text():
    """The models' own checks pass: each source sentence is in its project's text, word for word."""
    seed_synthetic(SIZE)
    facts = [
        *Funding.objects.select_related("project"),
        *Partnership.objects.select_related("project"),
        *ContextFigure.objects.select_related("project"),
    ]
    assert len(facts) > SIZE
    for fact in facts:
        fact.full_clean()


def test_synthetic_projects_pass_every_check_but_the_reserved_slug():
    seed_synthetic(20)
    for project in Project.objects.all():
        with pytest.raises(ValidationError) as error:
            project.full_clean()
        assert set(error.value.message_dict) == {"slug"}


def test_each_synthetic_project_stores_its_largest_stated_grant():
    seed_synthetic(SIZE)
    largest = dict(Funding.objects.values_list("project").annotate(largest=Max("amount")))
    for project in Project.objects.all():
        assert project.largest_grant == largest.get(project.pk)


def test_the_same_seed_makes_the_same_catalogue():
    seed_synthetic(30, seed=4)
    first = list(Project.objects.order_by("slug").values_list("title", "text", "largest_grant"))
    call_command("seed_synthetic", "--remove", verbosity=0)
    seed_synthetic(30, seed=4)
    assert list(Project.objects.order_by("slug").values_list("title", "text", "largest_grant")) == first


def test_seeding_again_refuses_and_says_how_to_remove_the_first_catalogue():
    seed_synthetic(10)
    with pytest.raises(CommandError, match="already holds 10 synthetic projects.*seed_synthetic --remove"):
        seed("--projects", "10")
    assert Project.objects.count() == 10


def test_progress_is_reported_for_long_runs():
    _, err = seed("--projects", "50", "--batch-size", "5")
    assert "10 of 50 projects" in err and "50 of 50 projects" in err


def test_a_dry_run_creates_nothing():
    out, _ = seed("--projects", "10", "--dry-run")
    assert "dry run" in out
    assert Project.objects.count() == 0 and Donor.objects.count() == 0


def test_seeding_and_removing_bump_the_catalogue_generation():
    before = catalogue_generation()
    seed_synthetic(5)
    seeded = catalogue_generation()
    seed("--remove")
    assert before < seeded < catalogue_generation()


def test_remove_deletes_every_synthetic_row_and_nothing_real(catalogue):
    real = {
        model: model.objects.count()
        for model in [Project, Status, Area, Donor, Partner, Funding, Partnership, ContextFigure]
    }
    seed_synthetic(SIZE)
    out, _ = seed("--remove")
    assert f"{SIZE} projects" in out
    assert {model: model.objects.count() for model in real} == real


def test_remove_also_clears_a_synthetic_donor_staff_attached_to_a_real_project():
    seed_synthetic(5)
    real = make_project("Real Project")
    real.fundings.create(donor=Donor.objects.get(slug="synthetic-donor-agency-01"))
    seed("--remove")
    assert Project.objects.get() == real
    assert not real.fundings.exists()


def test_export_catalogue_never_includes_synthetic_rows(catalogue):
    before = io.StringIO()
    export_catalogue(before)
    seed_synthetic(30)
    after = io.StringIO()
    export_catalogue(after)
    assert after.getvalue() == before.getvalue()
    assert SYNTHETIC_SLUG_PREFIX not in after.getvalue()


def test_the_real_fixtures_hold_no_synthetic_row(settings):
    for path in (settings.BASE_DIR / "fixtures").glob("*.json"):
        for record in json.loads(path.read_text(encoding="utf-8")):
            assert not str(record["fields"].get("slug", "")).startswith(SYNTHETIC_SLUG_PREFIX)
            assert not str(record["fields"].get("project", [""])[0]).startswith(SYNTHETIC_SLUG_PREFIX)


@pytest.mark.parametrize(
    "make", [lambda slug: make_donor("Some Donor", slug=slug), lambda slug: make_project("Some", slug=slug)]
)
def test_staff_cannot_give_a_real_row_a_synthetic_slug(make):
    row = make("synthetic-looking")
    with pytest.raises(ValidationError, match="reserved for benchmark data"):
        row.full_clean()

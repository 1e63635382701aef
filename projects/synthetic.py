"""
A synthetic catalogue for benchmarks: as many projects as asked, shaped like the real ones.

Several statuses, areas, donors and partners; one to three grants a project in several currencies,
some with no stated amount; partners; dated migration figures. Every grant, partner and figure
quotes a sentence of its project's generated text, so the rows would pass the models' own checks.

Every synthetic row is marked by its slug: "synthetic-..." for projects, statuses, areas, donors
and partners; a grant, partnership or figure is synthetic when its project is. The prefix is
reserved (NamedEntry.clean and Project.clean refuse it), so staff and fixtures can never make a
row that looks synthetic, and export_catalogue leaves every synthetic row out.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .caching import bump_catalogue_generation
from .models import (
    CATALOGUE_MODELS,
    SYNTHETIC_SLUG_PREFIX,
    Area,
    ContextFigure,
    Donor,
    FigureQualifier,
    FigureUnit,
    Funding,
    Partner,
    PartnerRole,
    Partnership,
    Precision,
    Project,
    SearchDocument,
    Status,
)

# Models marked by their project's slug (their natural key starts with it), and models whose own slug marks them.
PROJECT_FACT_MODELS = [model for model in CATALOGUE_MODELS if "project" in model.natural_key_fields]
NAMED_MODELS = [model for model in CATALOGUE_MODELS if model is not Project and model not in PROJECT_FACT_MODELS]

STATUSES = [("Completed", 80), ("Ongoing", 15), ("Suspended", 5)]
THEMES = [
    "Border management",
    "Asylum and reception",
    "Counter-trafficking",
    "Labour migration",
    "Migration and development",
    "Assisted voluntary return",
    "Migrant health",
    "Community support",
    "Integration of refugees",
    "Migration data",
]
PLACES = [
    "Belgrade",
    "Subotica",
    "Preševo",
    "Šid",
    "Kikinda",
    "Bujanovac",
    "Niš",
    "Novi Sad",
    "Sombor",
    "Obrenovac",
    "Dimitrovgrad",
    "Kanjiža",
    "Vranje",
    "Zaječar",
    "Sjenica",
    "Tutin",
    "Bosilegrad",
]
NEIGHBOURS = ["Hungary", "Croatia", "North Macedonia", "Bulgaria", "Bosnia and Herzegovina", "Montenegro", "Romania"]
VERBS = ["Strengthening", "Supporting", "Improving", "Building capacities for", "Modernising", "Sustaining"]
# (currency, weight): most grants are in US dollars or euros, as in the real catalogue.
CURRENCIES = [("USD", 40), ("EUR", 40), ("GBP", 6), ("CHF", 6), ("SEK", 4), ("NOK", 4)]
FILLER = [
    "Local institutions received equipment, training and guidance on international standards.",
    "Officials from several ministries took part in joint workshops and study visits.",
    "The activities followed the national migration strategy and its action plan.",
    "Migrants and asylum seekers received information in their own languages.",
    "Municipal staff learned to plan services for the communities that host migrants.",
    "Cooperation across the border improved the exchange of information between services.",
    "Mobile teams visited reception centres and transit points every week.",
    "The project closed with a conference that presented its results to the public.",
]
MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def synthetic_condition(model):
    """A Q matching the synthetic rows of a catalogue model."""
    if model in PROJECT_FACT_MODELS:
        return Q(project__slug__startswith=SYNTHETIC_SLUG_PREFIX)
    return Q(slug__startswith=SYNTHETIC_SLUG_PREFIX)


class SyntheticDataExists(Exception):
    """The database already holds a synthetic catalogue: remove it before seeding another."""

    def __init__(self, count):
        self.count = count
        super().__init__(f"{count} synthetic projects already exist")


@dataclass
class SeedReport:
    counts: dict = field(default_factory=dict)

    def summary(self):
        """One line: "100,000 projects, 187,412 grants, ... (synthetic)"."""
        return ", ".join(f"{count:,} {label}" for label, count in self.counts.items())


def month_label(date):
    return f"{MONTH_NAMES[date.month - 1]} {date.year}"


def random_month(rng, first_year, last_year):
    return datetime.date(rng.randint(first_year, last_year), rng.randint(1, 12), 1)


def weighted(rng, pairs):
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


class ProjectMaker:
    """Makes one unsaved synthetic project at a time, with its areas and the facts its text states."""

    def __init__(self, rng, statuses, areas, donors, partners):
        self.rng = rng
        self.statuses = statuses
        self.areas = areas
        self.donors = donors
        self.partners = partners
        self.now = timezone.now()

    def make(self, number):
        """(project, areas, [unsaved Funding, Partnership and ContextFigure rows without their project])."""
        rng = self.rng
        areas = rng.sample(self.areas, rng.choice([1, 1, 2, 2, 3]))
        theme = areas[0].name.removesuffix(" (synthetic)")
        place = rng.choice(PLACES)
        verb = rng.choice(VERBS)
        title = f"Synthetic project {number:06d}: {verb} {theme.lower()} in {place}"
        start = random_month(rng, 2000, 2024) if rng.random() < 0.85 else None
        duration = rng.randint(6, 48) if rng.random() < 0.8 else None

        sentences = [f"The project aimed at {verb.lower()} {theme.lower()} in {place} and the surrounding region."]
        if rng.random() < 0.35:
            sentences.append(f"It worked along the border with {rng.choice(NEIGHBOURS)}, where most migrants cross.")
        if start:
            sentences.append(
                f"It started in {month_label(start)}" + (f" and lasted {duration} months." if duration else ".")
            )
        sentences += rng.sample(FILLER, 2)
        paragraphs = [" ".join(sentences)]

        facts = []
        funding_sentences = []
        for donor in rng.sample(self.donors, rng.choice([1, 1, 2, 2, 3])):
            if rng.random() < 0.15:
                sentence = f"The project was funded by {donor.name}."
                facts.append(Funding(donor=donor, amount=None, currency="", source_sentence=sentence))
            else:
                currency = weighted(rng, CURRENCIES)
                # Log-uniform between 20,000 and 5,000,000, in round thousands.
                amount = round(10 ** rng.uniform(4.3, 6.7), -3)
                sentence = f"{donor.name} funded the project with {currency} {amount:,}."
                facts.append(Funding(donor=donor, amount=amount, currency=currency, source_sentence=sentence))
            funding_sentences.append(sentence)
        for partner in rng.sample(self.partners, rng.choice([0, 1, 1, 2])):
            role = rng.choice(PartnerRole.values)
            sentence = f"{partner.name} took part as {PartnerRole(role).label.lower()}."
            facts.append(Partnership(partner=partner, role=role, source_sentence=sentence))
            funding_sentences.append(sentence)
        paragraphs.append(" ".join(funding_sentences))

        figure_sentences = []
        for index in range(rng.choice([0, 1, 1, 2])):
            facts.append(self.make_figure(index, figure_sentences))
        if figure_sentences:
            paragraphs.append(" ".join(figure_sentences))

        project = Project(
            title=title,
            slug=f"{SYNTHETIC_SLUG_PREFIX}{number:06d}",
            text="\n\n".join(paragraphs),
            status=weighted(rng, self.statuses),
            start_date=start,
            start_precision=Precision.MONTH,
            duration_months=duration,
            is_published=rng.random() < 0.95,
            created=self.now,
            updated=self.now,
        )
        return project, areas, facts

    def make_figure(self, index, sentences):
        rng = self.rng
        place = rng.choice(PLACES)
        start = random_month(rng, 2014, 2023)
        end = min(start + datetime.timedelta(days=31 * rng.randint(0, 11)), datetime.date(2023, 12, 1)).replace(day=1)
        period = month_label(start) if end == start else f"{month_label(start)} to {month_label(end)}"
        if rng.random() < 0.3:
            low = rng.randint(1, 80) * 100
            high = low + rng.randint(1, 20) * 100
            unit = FigureUnit.PEOPLE_PER_DAY
            qualifier = FigureQualifier.ABOUT
            sentence = f"Some {low:,}-{high:,} people per day passed through {place} from {period}."
        else:
            low, high = rng.randint(5, 900) * 1000, None
            unit = FigureUnit.PEOPLE
            qualifier = rng.choice([FigureQualifier.MORE_THAN, FigureQualifier.EXACT])
            words = "More than" if qualifier == FigureQualifier.MORE_THAN else "Exactly"
            sentence = f"{words} {low:,} migrants passed through {place} from {period}."
        sentences.append(sentence)
        return ContextFigure(
            key=f"figure-{index + 1}",
            value_low=low,
            value_high=high,
            qualifier=qualifier,
            unit=unit,
            counts=f"migrants passing through {place}",
            period_label=period,
            period_start=start,
            period_end=end,
            place=place,
            source_sentence=sentence,
        )


def _named(model, name, **fields):
    slug = SYNTHETIC_SLUG_PREFIX + name.lower().replace(" ", "-")
    return model(name=f"{name} (synthetic)", slug=slug, **fields)


def seed_synthetic(project_count, *, seed=0, batch_size=2000, dry_run=False, progress=None):
    """Create `project_count` synthetic projects and what they need, in one transaction; return a SeedReport.

    Raises SyntheticDataExists when synthetic projects are already there. The same `seed` makes the same
    catalogue. `progress(done, total)` is called after each batch. Bulk inserts send no per-row signals:
    at the end, one refresh_derived() fills the projects' derived data (largest grant, search document) and
    one bump of the catalogue generation retires every cached page, as the signals would have.
    """
    if existing := Project.objects.filter(synthetic_condition(Project)).count():
        raise SyntheticDataExists(existing)
    rng = random.Random(seed)
    report = SeedReport()
    with transaction.atomic():
        statuses = Status.objects.bulk_create(
            [_named(Status, name, order=order) for order, (name, _) in enumerate(STATUSES, start=1)]
        )
        areas = Area.objects.bulk_create([_named(Area, theme) for theme in THEMES])
        donors = Donor.objects.bulk_create([_named(Donor, f"Donor agency {n:02d}") for n in range(1, 31)])
        partners = Partner.objects.bulk_create([_named(Partner, f"Partner organisation {n:02d}") for n in range(1, 41)])
        maker = ProjectMaker(rng, list(zip(statuses, [w for _, w in STATUSES])), areas, donors, partners)
        counts = {"projects": 0, "grants": 0, "partnerships": 0, "figures": 0, "area links": 0}
        AreaLink = Project.areas.through
        for first in range(1, project_count + 1, batch_size):
            made = [maker.make(number) for number in range(first, min(first + batch_size, project_count + 1))]
            projects = Project.objects.bulk_create([project for project, _, _ in made])
            links, facts = [], {model: [] for model in PROJECT_FACT_MODELS}
            for project, (_, project_areas, project_facts) in zip(projects, made):
                links += [AreaLink(project_id=project.pk, area_id=area.pk) for area in project_areas]
                for fact in project_facts:
                    fact.project = project
                    facts[type(fact)].append(fact)
            AreaLink.objects.bulk_create(links)
            for model, rows in facts.items():
                model.objects.bulk_create(rows)
            counts["projects"] += len(projects)
            counts["grants"] += len(facts[Funding])
            counts["partnerships"] += len(facts[Partnership])
            counts["figures"] += len(facts[ContextFigure])
            counts["area links"] += len(links)
            if progress:
                progress(counts["projects"], project_count)
        report.counts = {
            "statuses": len(statuses),
            "areas": len(areas),
            "donors": len(donors),
            "partners": len(partners),
            **counts,
        }
        # Bulk inserts send no signals: what they would have done, once, in the same transaction.
        Project.objects.filter(synthetic_condition(Project)).refresh_derived()
        bump_catalogue_generation()
        if dry_run:
            transaction.set_rollback(True)
    return report


def count_synthetic():
    """{"projects": n, ...}: the synthetic rows in the database, per model."""
    return {
        model._meta.verbose_name_plural: model.objects.filter(synthetic_condition(model)).count()
        for model in [Project, *PROJECT_FACT_MODELS, *NAMED_MODELS]
    }


def remove_synthetic(dry_run=False):
    """Delete every synthetic row in one transaction; return the counts that were (or would be) deleted.

    Plain DELETE statements, not QuerySet.delete(): the ORM would load every row into memory to send
    its delete signals, and a hundred thousand projects would take minutes. What those signals are for is
    done once instead: refresh_derived() for the real projects that lost a synthetic grant, partner or area
    (staff could have linked one), and one bump of the catalogue generation.
    """
    counts = count_synthetic()
    if dry_run:
        return counts
    prefix = SYNTHETIC_SLUG_PREFIX + "%"
    project_table = Project._meta.db_table
    synthetic_projects = f"SELECT id FROM {project_table} WHERE slug LIKE %s"
    # Rows that point at a synthetic project, or at a synthetic area, donor or partner (staff could
    # have linked one to a real project), go first, so no reference is left dangling.
    references = [
        (Project.areas.through, "area_id", Area),
        (Funding, "donor_id", Donor),
        (Partnership, "partner_id", Partner),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        real_projects_linked = set()
        for model, column, _named in references:
            real_projects_linked.update(
                model.objects.filter(**{f"{column.removesuffix('_id')}__slug__startswith": SYNTHETIC_SLUG_PREFIX})
                .exclude(project__slug__startswith=SYNTHETIC_SLUG_PREFIX)
                .values_list("project_id", flat=True)
            )
        for model in [*PROJECT_FACT_MODELS, Project.areas.through, SearchDocument]:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE project_id IN ({synthetic_projects})", [prefix])
        for model, column, named in references:
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE {column} IN "
                f"(SELECT id FROM {named._meta.db_table} WHERE slug LIKE %s)",
                [prefix],
            )
        cursor.execute(f"DELETE FROM {project_table} WHERE slug LIKE %s", [prefix])
        for model in NAMED_MODELS:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE slug LIKE %s", [prefix])
        Project.objects.filter(pk__in=real_projects_linked).refresh_derived()
        bump_catalogue_generation()
    return counts


# A large fixture file, for timing reload_catalogue against loaddata ----------------------------------------------

# Slugs of copied projects: not "synthetic-", which fixtures may not use; reload_catalogue treats them as real.
FIXTURE_COPY_SLUG = "{slug}-copy-{number:05}"


def copied_fixture_records(records, project_count):
    """Fixture records with `project_count` projects: the named rows of `records` (a fixture's list), then
    the projects of `records` copied in turn (new slug and title) with their grants, partnerships and figures.

    Copies of real, valid projects, so every copy passes reload_catalogue's checks: the same file loads with
    `loaddata` and with `reload_catalogue`, for comparing their times (bench/bench_operations.py).
    """
    named = [record for record in records if record["model"] not in ("projects.project", *_fact_labels())]
    projects = [record for record in records if record["model"] == "projects.project"]
    facts = {}
    for record in records:
        if record["model"] in _fact_labels():
            facts.setdefault(tuple(record["fields"]["project"]), []).append(record)
    copied = []
    for number in range(1, project_count + 1):
        original = projects[(number - 1) % len(projects)]
        slug = FIXTURE_COPY_SLUG.format(slug=original["fields"]["slug"], number=number)
        fields = {**original["fields"], "slug": slug, "title": f"{original['fields']['title']} (copy {number})"}
        copied.append({"model": "projects.project", "fields": fields})
        for fact in facts.get((original["fields"]["slug"],), []):
            copied.append({"model": fact["model"], "fields": {**fact["fields"], "project": [slug]}})
    return named + copied


def _fact_labels():
    return [model._meta.label_lower for model in PROJECT_FACT_MODELS]

"""Small factory functions: each makes one valid row and lets a test override what it cares about."""

from decimal import Decimal
from itertools import count

from projects.models import (
    Area,
    ContextFigure,
    Donor,
    Funding,
    Partner,
    Partnership,
    Place,
    Project,
    ProjectPlace,
    Status,
)

_serial = count(1)


def make_status(name="Completed", **fields):
    slug = fields.pop("slug", name.lower().replace(" ", "-"))
    return Status.objects.get_or_create(slug=slug, defaults={"name": name, **fields})[0]


def make_area(name=None, **fields):
    name = name or f"Area {next(_serial)}"
    return Area.objects.create(name=name, slug=fields.pop("slug", name.lower().replace(" ", "-")), **fields)


def make_donor(name=None, **fields):
    name = name or f"Donor {next(_serial)}"
    return Donor.objects.create(name=name, slug=fields.pop("slug", name.lower().replace(" ", "-")), **fields)


def make_partner(name=None, **fields):
    name = name or f"Partner {next(_serial)}"
    return Partner.objects.create(name=name, slug=fields.pop("slug", name.lower().replace(" ", "-")), **fields)


def make_project(title=None, *, areas=(), **fields):
    title = title or f"Project {next(_serial)}"
    fields.setdefault("slug", title.lower().replace(" ", "-"))
    fields.setdefault("text", f"{title} helps migrants in Serbia.")
    fields.setdefault("status", make_status())
    project = Project.objects.create(title=title, **fields)
    project.areas.set(areas)
    return project


def make_funding(project, donor=None, amount="1000", currency="USD", **fields):
    return Funding.objects.create(
        project=project,
        donor=donor or make_donor(),
        amount=None if amount is None else Decimal(amount),
        currency=currency if amount is not None else "",
        **fields,
    )


def make_partnership(project, partner=None, role="implementer", **fields):
    return Partnership.objects.create(project=project, partner=partner or make_partner(), role=role, **fields)


def make_figure(project, **fields):
    fields.setdefault("key", f"figure-{next(_serial)}")
    fields.setdefault("value_low", 700000)
    fields.setdefault("unit", "people")
    fields.setdefault("counts", "migrants passing through Serbia")
    fields.setdefault("source_sentence", project.text)
    return ContextFigure.objects.create(project=project, **fields)


def make_place(name=None, kind="country", **fields):
    name = name or f"Place {next(_serial)}"
    return Place.objects.create(name=name, slug=fields.pop("slug", name.lower().replace(" ", "-")), kind=kind, **fields)


def link_place(project, place, source_sentence=None):
    """`project` names `place`: the link quotes the project's whole text unless told which sentence."""
    return ProjectPlace.objects.create(
        project=project, place=place, source_sentence=project.text if source_sentence is None else source_sentence
    )

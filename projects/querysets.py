"""What the catalogue can be asked. Views, filters and commands call these; they never build joins themselves."""

import datetime

from django.apps import apps
from django.db import models
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

# What an empty sort key counts as in a descending sort, so it comes last: below any date, and below
# any grant (amounts are positive: funding_amount_positive).
EARLIEST_DATE = datetime.date(1, 1, 1)
NO_GRANT = 0


def _model(name):
    # The models import this module, so they are looked up lazily.
    return apps.get_model("projects", name)


class NaturalKeyQuerySet(models.QuerySet):
    """Looks rows up by slug, so fixtures refer to them by name, not by id."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def _grants_with_donors():
    return Prefetch("fundings", queryset=_model("Funding").objects.select_related("donor").order_by("donor__name"))


class ProjectQuerySet(NaturalKeyQuerySet):
    def published(self):
        """Only what the public may see."""
        return self.filter(is_published=True)

    def refresh_largest_grant(self):
        """Store each project's largest single stated amount in `largest_grant` (None when none is stated)."""
        largest = (
            _model("Funding").objects.filter(project=OuterRef("pk"))
            .values("project").annotate(largest=Max("amount")).values("largest")
        )
        return self.update(largest_grant=Subquery(largest))

    def for_listing(self):
        """Published projects with everything a list row shows, in a fixed number of queries."""
        return self.published().select_related("status").prefetch_related("areas", _grants_with_donors())

    def for_detail(self):
        """Published projects with everything the detail page shows: a list row's facts, partners and figures."""
        Partnership = _model("Partnership")
        ContextFigure = _model("ContextFigure")
        return self.for_listing().prefetch_related(
            Prefetch("partnerships", queryset=Partnership.objects.select_related("partner")),
            Prefetch("figures", queryset=ContextFigure.objects.order_by(F("period_start").asc(nulls_last=True), "key")),
        )

    def search(self, query):
        """Projects whose title or text contains every word of `query` (case-insensitive)."""
        words = query.split()
        condition = Q()
        for word in words:
            condition &= Q(title__icontains=word) | Q(text__icontains=word)
        return self.filter(condition)

    def funded_by(self, donors):
        """Projects funded by any of `donors` (an iterable of Donor)."""
        Funding = _model("Funding")
        return self.filter(Exists(Funding.objects.filter(project=OuterRef("pk"), donor__in=list(donors))))

    def in_areas(self, areas):
        """Projects in any of `areas`."""
        through = _model("Project").areas.through
        return self.filter(Exists(through.objects.filter(project=OuterRef("pk"), area__in=list(areas))))

    def with_funding(self, currency=None, min_amount=None, max_amount=None):
        """Projects with at least one grant that matches all the given conditions at once.

        The amount bounds compare within one grant (and one currency when given),
        so "USD, at least 500,000" never matches a EUR grant.
        """
        grants = _model("Funding").objects.filter(project=OuterRef("pk"), amount__isnull=False)
        if currency:
            grants = grants.filter(currency=currency)
        if min_amount is not None:
            grants = grants.filter(amount__gte=min_amount)
        if max_amount is not None:
            grants = grants.filter(amount__lte=max_amount)
        return self.filter(Exists(grants))

    def ordered_by(self, sort):
        """Order by a public sort key: title, amount or start, "-" for descending.

        Projects with no stated amount or start date go last in both directions. Each order is
        the one an index of Project.Meta holds (descending: COALESCE to the lowest value).
        """
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        if key == "amount":
            field, lowest = "largest_grant", Value(NO_GRANT)
        elif key == "start":
            field, lowest = "start_date", Value(EARLIEST_DATE)
        else:
            return self.order_by("-title" if descending else "title", "slug")
        expression = Coalesce(field, lowest).desc() if descending else F(field).asc(nulls_last=True)
        return self.order_by(expression, "title", "slug")

    def related_to(self, project, limit=3):
        """Other published projects sharing the most areas or donors with `project`."""
        area_ids = [area.pk for area in project.areas.all()]
        donor_ids = [funding.donor_id for funding in project.fundings.all()]
        # An aggregate filtered on an empty IN () matches nothing at all, so only count what there is.
        shared = [
            Count(relation, filter=Q(**{lookup: ids}), distinct=True)
            for relation, lookup, ids in [("areas", "areas__in", area_ids), ("fundings", "fundings__donor__in", donor_ids)]
            if ids
        ]
        if not shared:
            return self.none()
        return (
            self.published()
            .exclude(pk=project.pk)
            .annotate(shared=sum(shared[1:], shared[0]))
            .filter(shared__gt=0)
            .order_by("-shared", "title")[:limit]
        )


class AreaQuerySet(NaturalKeyQuerySet):
    def with_project_counts(self):
        """Annotate `project_count`: how many published projects are in each area."""
        return self.annotate(project_count=Count("projects", filter=Q(projects__is_published=True)))


class DonorQuerySet(NaturalKeyQuerySet):
    def with_project_counts(self):
        """Annotate `project_count`: how many published projects each donor funds."""
        return self.annotate(
            project_count=Count("fundings__project", filter=Q(fundings__project__is_published=True), distinct=True)
        )


class FundingQuerySet(models.QuerySet):
    def get_by_natural_key(self, project_slug, donor_slug):
        return self.get(project__slug=project_slug, donor__slug=donor_slug)

    def totals_by_currency(self, *group_by):
        """Stated amounts summed per currency, never across currencies.

        [{"currency": "USD", "total": Decimal(...)}, ...]; with `group_by` fields
        (e.g. "donor"), one total per group and currency, the group's value in each row.
        """
        return (
            self.exclude(amount__isnull=True)
            .values(*group_by, "currency")
            .annotate(total=Sum("amount"))
            .order_by(*group_by, "currency")
        )


class PartnershipQuerySet(models.QuerySet):
    def get_by_natural_key(self, project_slug, partner_slug):
        return self.get(project__slug=project_slug, partner__slug=partner_slug)


class ContextFigureQuerySet(models.QuerySet):
    def get_by_natural_key(self, project_slug, key):
        return self.get(project__slug=project_slug, key=key)

    def published(self):
        return self.filter(project__is_published=True)

"""Public pages. Thin: each builds a queryset from projects.querysets and hands it to a template."""

from itertools import groupby

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from .filters import ProjectFilter
from .models import Area, ContextFigure, Donor, Funding, Project


def key_figures(figures):
    """Group dated figures that state the same fact (value, unit, period), so one cited twice shows once.

    Returns [(figure, [citing projects])], in period order; the first figure of a group is its
    representative (the strongest qualifier the texts give, e.g. "more than" over "some").
    """
    def fact(figure):
        # A period without an end is a single month: the same fact as one that ends where it starts.
        end = figure.period_end or figure.period_start
        return (figure.period_start, end, figure.unit, figure.value_low, figure.value_high or figure.value_low)

    groups = []
    for _, same in groupby(sorted(figures, key=fact), key=fact):
        same = sorted(same, key=lambda f: f.qualifier != "more_than")
        groups.append((same[0], sorted({f.project for f in same}, key=lambda p: p.title)))
    return groups


class HomeView(TemplateView):
    """What the catalogue is, its headline counts and the migration context its projects cite."""

    template_name = "projects/home.html"

    def get_context_data(self, **kwargs):
        published = Project.objects.published()
        figures = ContextFigure.objects.published().filter(period_start__isnull=False).select_related("project")
        return super().get_context_data(
            project_count=published.count(),
            donor_count=Donor.objects.with_project_counts().filter(project_count__gt=0).count(),
            totals=Funding.objects.filter(project__is_published=True).totals_by_currency(),
            key_figures=key_figures(figures),
            areas=Area.objects.with_project_counts().filter(project_count__gt=0),
            **kwargs,
        )


class ProjectListView(FilterView):
    """The catalogue, filtered by query parameters (see projects.filters)."""

    filterset_class = ProjectFilter
    queryset = Project.objects.for_listing()
    template_name = "projects/project_list.html"
    context_object_name = "projects"
    paginate_by = 20
    # An invalid parameter is reported on the page; the valid ones still filter.
    strict = False

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.filterset.errors:
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["active_filters"] = self.filterset.active_filters()
        return context


class ProjectDetailView(DetailView):
    """One project: its text and every fact drawn from it."""

    queryset = Project.objects.for_detail()
    template_name = "projects/project_detail.html"
    context_object_name = "project"

    def get_context_data(self, **kwargs):
        return super().get_context_data(related=Project.objects.related_to(self.object), **kwargs)


class DonorListView(ListView):
    template_name = "projects/donor_list.html"
    context_object_name = "donors"

    def get_queryset(self):
        return Donor.objects.with_project_counts().filter(project_count__gt=0)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_donor = {}
        for row in Funding.objects.filter(project__is_published=True).totals_by_currency("donor"):
            by_donor.setdefault(row["donor"], []).append(row)
        for donor in context["donors"]:
            donor.totals = by_donor.get(donor.pk, [])
        return context


class DonorDetailView(DetailView):
    template_name = "projects/donor_detail.html"
    context_object_name = "donor"
    queryset = Donor.objects.all()

    def get_context_data(self, **kwargs):
        grants = Funding.objects.filter(donor=self.object, project__is_published=True)
        return super().get_context_data(
            fundings=grants.select_related("project").order_by("project__title"),
            totals=grants.totals_by_currency(),
            **kwargs,
        )


class AreaListView(ListView):
    template_name = "projects/area_list.html"
    context_object_name = "areas"

    def get_queryset(self):
        return Area.objects.with_project_counts()


class AreaDetailView(DetailView):
    template_name = "projects/area_detail.html"
    context_object_name = "area"
    queryset = Area.objects.all()

    def get_context_data(self, **kwargs):
        projects = Project.objects.for_listing().filter(areas=self.object)
        return super().get_context_data(
            projects=projects,
            totals=Funding.objects.filter(project__in=projects).totals_by_currency(),
            **kwargs,
        )


def healthz(request):
    """For a load balancer: 200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # A failed check must not poison the next one: drop the broken connection.
        connection.close_if_unusable_or_obsolete()
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503,
                            headers={"Cache-Control": "no-store"})
    return JsonResponse({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})

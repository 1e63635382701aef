"""Public pages. Thin: each builds a queryset from projects.querysets and hands it to a template."""

from itertools import groupby

from django.db import DatabaseError, connection
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from . import exports
from .charts import figures_timeline, funding_charts
from .filters import ProjectFilter
from .models import Area, ContextFigure, Donor, Funding, Project
from .structured_data import project_schema


def with_query(path, query):
    return f"{path}?{query}" if query else path


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


# Enough for every figure of the real catalogue (nine), few enough for a page that loads at once.
HOME_FIGURES = 60


class HomeView(TemplateView):
    """What the catalogue is, its headline counts and the migration context its projects cite."""

    template_name = "projects/home.html"

    def get_context_data(self, **kwargs):
        published = Project.objects.published()
        # The earliest dated figures, at most HOME_FIGURES of them, so the page stays the same size however
        # many projects cite figures; /context/ lists every one.
        figures = key_figures(
            ContextFigure.objects.published().filter(period_start__isnull=False)
            .select_related("project").order_by("period_start", "pk")[:HOME_FIGURES]
        )
        per_donor = Funding.objects.filter(project__is_published=True).totals_by_currency(
            "donor__name", "donor__short_name"
        )
        return super().get_context_data(
            project_count=published.count(),
            donor_count=Donor.objects.with_project_counts().filter(project_count__gt=0).count(),
            totals=Funding.objects.filter(project__is_published=True).totals_by_currency(),
            funding_charts=funding_charts(
                (row["currency"], row["donor__short_name"] or row["donor__name"], row["total"]) for row in per_donor
            ),
            per_donor=per_donor,
            key_figures=figures,
            timeline=figures_timeline(figure for figure, _projects in figures),
            areas=Area.objects.with_project_counts().filter(project_count__gt=0),
            **kwargs,
        )


def page_of(request, queryset, per_page):
    """The page of `queryset` the `page` parameter asks for; like the project list, 404 for one that does not exist.

    Keeps donor, area and context pages the same size however large the catalogue grows.
    """
    try:
        return Paginator(queryset, per_page).page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page") from None


class ContextView(TemplateView):
    """Every migration-context figure the published projects cite, with its sentence, and their timeline."""

    template_name = "projects/context.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        page = page_of(
            self.request,
            ContextFigure.objects.published().select_related("project"),  # Meta.ordering: by period, undated last
            self.paginate_by,
        )
        figures = list(page.object_list)
        dated = key_figures([figure for figure in figures if figure.period_start])
        return super().get_context_data(
            figures=figures,
            page_obj=page,
            timeline=figures_timeline(figure for figure, _projects in dated),
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

    def paginate_queryset(self, queryset, page_size):
        # Highlighted matches for the rows shown only: never for the count or the facets.
        return super().paginate_queryset(queryset.with_search_headlines(self.filterset.search_query), page_size)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.filterset.canonical_query()
        canonical = with_query(
            reverse("projects:project_list"), self.filterset.canonical_query(page=context["page_obj"].number)
        )
        context.update(
            active_filters=self.filterset.active_filters(),
            facets=self.filterset.facets(),
            canonical_url=self.request.build_absolute_uri(canonical),
            export_csv_url=with_query(reverse("project_export_csv"), query),
            export_json_url=with_query(reverse("project_export_json"), query),
        )
        return context


class ProjectExportView(View):
    """The filtered list as a file, every page of it: the list's parameters, validated the same way.

    An invalid parameter answers 400 with a plain message: a file that silently ignored a filter
    would not be the list the visitor asked for.
    """

    file_format = None  # "csv" or "json"
    content_types = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}

    def get(self, request):
        filterset = ProjectFilter(request.GET, queryset=Project.objects.for_listing())
        if not filterset.is_valid():
            problems = [
                f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: {message}"
                for name, messages in filterset.errors.items()
                for message in messages
            ]
            return HttpResponseBadRequest(
                _("The export could not be made. Fix these parameters and try again:") + "\n" + "\n".join(problems) + "\n",
                content_type="text/plain; charset=utf-8",
            )
        projects = filterset.qs.iterator(chunk_size=exports.CHUNK_SIZE)
        absolute_url = request.build_absolute_uri
        if self.file_format == "csv":
            lines = exports.csv_lines(projects, absolute_url)
        else:
            source = absolute_url(with_query(reverse("projects:project_list"), filterset.canonical_query()))
            lines = exports.json_chunks(projects, absolute_url, source)
        response = StreamingHttpResponse(lines, content_type=self.content_types[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="iom-serbia-projects.{self.file_format}"'
        return response


class ProjectDetailView(DetailView):
    """One project: its text and every fact drawn from it."""

    queryset = Project.objects.for_detail()
    template_name = "projects/project_detail.html"
    context_object_name = "project"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.user.is_staff:
            # Staff preview unpublished projects at their public URL (a banner says so). The page cache
            # never sees these requests: they carry a session cookie.
            return queryset | Project.objects.filter(is_published=False)
        return queryset

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if not self.object.is_published:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            related=Project.objects.related_to(self.object),
            structured_data=project_schema(self.object, self.request.build_absolute_uri),
            **kwargs,
        )


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

    paginate_by = 20

    def get_context_data(self, **kwargs):
        grants = Funding.objects.filter(donor=self.object, project__is_published=True)
        page = page_of(self.request, grants.select_related("project").order_by("project__title", "pk"), self.paginate_by)
        fundings = list(page.object_list)
        return super().get_context_data(
            fundings=fundings,
            page_obj=page,
            totals=grants.totals_by_currency(),
            funding_charts=funding_charts((g.currency, g.project.title, g.amount) for g in fundings),
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

    paginate_by = 20

    def get_context_data(self, **kwargs):
        projects = Project.objects.for_listing().filter(areas=self.object)
        page = page_of(self.request, projects, self.paginate_by)
        return super().get_context_data(
            projects=page.object_list,
            page_obj=page,
            totals=Funding.objects.filter(project__in=projects).totals_by_currency(),
            **kwargs,
        )


def robots_txt(request):
    """For crawlers: everything but the staff's admin, and where the sitemap is."""
    lines = [
        "User-agent: *",
        "Allow: /",
        f"Disallow: {reverse('admin:index')}",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


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

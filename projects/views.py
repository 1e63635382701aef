"""Public pages. Thin: each builds a queryset from projects.querysets and hands it to a template."""

import json

from django.contrib.sitemaps import views as sitemap_views
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import DatabaseError, connection, router
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView

from . import citations, exports, provenance
from .changes import public_changes
from .charts import figures_timeline, funding_charts
from .context_processors import language_tag
from .facets import facet_index_for
from .feeds import feed_url
from .filters import ProjectFilter
from .fragments import with_summaries
from .maps import place_map
from .models import Area, ContextFigure, Donor, Funding, Place, Project
from .sitemaps import urlset_xml
from .structured_data import project_schema
from .templatetags.catalogue import figure_with_unit, in_source_language


def with_query(path, query):
    return f"{path}?{query}" if query else path


# Enough for every figure of the real catalogue (nine), few enough for a page that loads at once.
HOME_FIGURES = 60


class HomeView(TemplateView):
    """What the catalogue is, its headline counts and the migration context its projects cite."""

    template_name = "projects/home.html"

    def get_context_data(self, **kwargs):
        # Counts and totals over the whole published catalogue come from the facet index (projects.facets),
        # built once per catalogue generation: in SQL each read every project, grant and area link.
        index = facet_index_for(self.request, using=Project.objects.db)
        # The earliest dated figures (Meta.ordering), at most HOME_FIGURES of them, so the page stays the same size however
        # many projects cite figures; /context/ lists every one.
        figures = (ContextFigure.objects.published().dated().select_related("project")[:HOME_FIGURES]).key_figures()
        per_donor = index.donor_totals
        counts = index.area_counts()
        areas = list(Area.objects.filter(pk__in=list(counts)))  # Meta.ordering: by name
        for area in areas:
            area.project_count = counts[area.pk]
        return super().get_context_data(
            project_count=index.size,
            donor_count=index.donor_count(),
            totals=index.totals,
            funding_charts=funding_charts(
                # The donor's name, as the table beside the chart and the rest of the page give it.
                (row["currency"], row["donor__name"], row["total"])
                for row in per_donor
            ),
            per_donor=per_donor,
            key_figures=figures,
            timeline=figures_timeline(figure for figure, _projects in figures),
            areas=areas,
            place_map=place_map(index.counted_places()),
            feed_url=feed_url(),
            **kwargs,
        )


class ContextView(ListView):
    """Every migration-context figure the published projects cite, with its sentence, and their timeline."""

    queryset = ContextFigure.objects.published().select_related("project")  # Meta.ordering: by period, undated last
    template_name = "projects/context.html"
    context_object_name = "figures"
    paginate_by = 50

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # From the facet index (projects.facets), counted once per catalogue generation, not on every visit.
        paginator.count = facet_index_for(self.request, using=queryset.db).figure_count
        return paginator

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The page's rows, read once: the timeline groups the dated ones, the template lists them all.
        dated = context["figures"].key_figures()
        context["timeline"] = figures_timeline(figure for figure, _projects in dated)
        return context


class RankedRows:
    """The rows of `ids` (a list, or a sequence that slices like one), in that order, a page at a time, for the
    paginator: one query per page by primary key.

    The ids come from the facet index (ProjectFilter.ordered_ids_kept()), or, for a search in relevance order, from
    its ranking, read once for the facets already (ProjectFilter.ranked_search_positions()): the page's rows are not
    filtered, sorted or ranked again in SQL.
    """

    def __init__(self, queryset, ids):
        self.queryset, self.ids = queryset, ids

    def count(self):
        return len(self.ids)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, key):
        ids = self.ids[key]
        rows = {row.pk: row for row in self.queryset.filter(pk__in=ids).order_by()}
        return [rows[pk] for pk in ids if pk in rows]


class ProjectListView(FilterView):
    """The catalogue, filtered by query parameters (see projects.filters)."""

    filterset_class = ProjectFilter
    queryset = Project.objects.for_rows()  # what else a row shows: projects.fragments
    template_name = "projects/project_list.html"
    context_object_name = "projects"
    paginate_by = 20
    # An invalid parameter is reported on the page; the valid ones still filter.
    strict = False

    def get(self, request, *args, **kwargs):
        # FilterView.get() less its filterset.qs: the page's rows are read by id (paginate_queryset()), so the
        # filtered and sorted SQL is never built. Invalid parameters are left out of every count and row.
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.object_list = self.get_queryset()
        response = self.render_to_response(self.get_context_data(filter=self.filterset, object_list=self.object_list))
        if self.filterset.errors:
            response.status_code = 400
        return response

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # The total from the facet index (a bitset's population), not a COUNT(*) over the catalogue.
        paginator.count = self.filterset.count()
        return paginator

    def paginate_queryset(self, queryset, page_size):
        # The page's ids come from the facet index, in the list's order: a search in relevance order ranked once
        # (ranked_ids_kept()), any other list from the index's sort orders (ordered_ids_kept()). The rows are then
        # read by id, with no filter to build or run again. Highlighted matches for the rows shown only.
        ids = self.filterset.ranked_ids_kept()
        if ids is None:
            ids = self.filterset.ordered_ids_kept()
        rows = self.get_queryset().with_search_headlines(self.filterset.search_query)
        return super().paginate_queryset(RankedRows(rows, ids), page_size)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.filterset.canonical_query()
        canonical = with_query(
            reverse("projects:project_list"), self.filterset.canonical_query(page=context["page_obj"].number)
        )
        context.update(
            projects=with_summaries(self.request, context["projects"]),
            active_filters=self.filterset.active_filters(),
            facets=self.filterset.facets(),
            canonical_url=self.request.build_absolute_uri(canonical),
            export_csv_url=with_query(reverse("project_export_csv"), query),
            export_json_url=with_query(reverse("project_export_json"), query),
            feed_url=feed_url(self.filterset),
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
        filterset = ProjectFilter(request.GET, queryset=Project.objects.published())
        if not filterset.is_valid():
            intro = _("The export could not be made. Fix these parameters and try again:")
            return HttpResponseBadRequest(filterset.problems(intro), content_type="text/plain; charset=utf-8")
        # Plain values in one snapshot of the database the page would read (the replica, for a visitor).
        database = router.db_for_read(Project)
        rows = exports.export_snapshot(exports.project_chunks(filterset.qs.using(database).for_export()), database)
        project_url = exports.project_url_maker(request.build_absolute_uri)
        if self.file_format == "csv":
            lines = exports.csv_lines(rows, project_url)
        else:
            source = request.build_absolute_uri(
                with_query(reverse("projects:project_list"), filterset.canonical_query())
            )
            lines = exports.json_chunks(rows, project_url, source)
        response = StreamingHttpResponse(lines, content_type=self.content_types[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="iom-serbia-projects.{self.file_format}"'
        return response


class ProjectDetailView(DetailView):
    """One project: its text and every fact drawn from it, and how to cite the entry and each figure."""

    queryset = Project.objects.for_detail()
    template_name = "projects/project_detail.html"
    context_object_name = "project"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.user.is_staff and self.request.user.has_perm("projects.view_project"):
            # Staff who may see projects in the admin preview unpublished projects at their public URL (a banner says so). The page cache
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
        project = self.object
        url = self.request.build_absolute_uri(project.get_absolute_url())
        for figure in project.figures.all():  # the prefetched rows the template lists
            figure.citation = citations.rendered(
                citations.figure_item(
                    figure, citations.figure_in_words(figure), f"{url}#{citations.figure_anchor(figure)}"
                ),
                english=[project.title, figure.counts, figure.place, figure.period_label],
            )
        # The sentences the facts quote, marked where they stand in the verbatim text (projects.provenance).
        paragraphs = project.paragraphs
        marks = provenance.locate(paragraphs, provenance.facts_of(project))
        interface_lang = "" if in_source_language() else language_tag(get_language())
        # The catalogue of this generation in memory (projects.facets): related projects' candidates, place counts.
        index = facet_index_for(self.request, using=Project.objects.db)
        return super().get_context_data(
            citation=citations.rendered(citations.entry_item(project, url), english=[project.title]),
            citation_files=[
                (reverse(f"project_cite_{file_format}", args=[project.slug]), label)
                for file_format, label in CITATION_FILE_LABELS
            ],
            related=Project.objects.related_to(project, index=index),
            structured_data=project_schema(project, self.request.build_absolute_uri),
            marked_paragraphs=[
                provenance.marked_paragraph(
                    paragraph, marks.get(index, []), source_mark_title, source_fact_label, interface_lang
                )
                for index, paragraph in enumerate(paragraphs)
            ],
            has_source_marks=bool(marks),
            not_stated=not_stated_facts(project),
            changes=public_changes(project),
            # The project's places, each counted over the whole catalogue (as the shading is everywhere).
            place_map=place_map(index.counted_places([link.place for link in project.place_links.all()]))
            if project.place_links.all()
            else None,
            **kwargs,
        )


# The citation files, in the order the page offers them.
CITATION_FILE_LABELS = [("bib", "BibTeX"), ("ris", "RIS"), ("json", "CSL-JSON")]


class ProjectCitationView(View):
    """A published entry's citation as a file for reference managers: BibTeX, RIS or CSL-JSON.

    One query; not streamed, so the page cache keeps it like a page. The citation's "accessed" date is
    the day the file was made.
    """

    file_format = None  # "bib", "ris" or "json"
    content_types = {
        "bib": "application/x-bibtex; charset=utf-8",
        "ris": "application/x-research-info-systems; charset=utf-8",
        "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    }

    def get(self, request, slug):
        project = Project.objects.published().only("slug", "title", "updated").filter(slug=slug).first()
        if project is None:
            raise Http404(_("No published project has this address."))
        item = citations.entry_item(project, request.build_absolute_uri(project.get_absolute_url()))
        if self.file_format == "bib":
            content = citations.to_bibtex(item)
        elif self.file_format == "ris":
            content = citations.to_ris(item)
        else:
            content = json.dumps([item], ensure_ascii=False, indent=2) + "\n"
        response = HttpResponse(content, content_type=self.content_types[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="iom-serbia-{project.slug}.{self.file_format}"'
        return response


class ContextExportView(View):
    """Every figure the published projects cite, as a file: one row per figure (README.md, "Exports")."""

    file_format = None  # "csv" or "json"
    content_types = ProjectExportView.content_types

    def get(self, request):
        database = router.db_for_read(ContextFigure)
        figures = ContextFigure.objects.using(database).published().for_export()
        rows = exports.export_snapshot(exports.fetched_in_chunks(figures), database)
        project_url = exports.project_url_maker(request.build_absolute_uri)
        if self.file_format == "csv":
            lines = exports.figure_csv_lines(rows, project_url)
        else:
            source = request.build_absolute_uri(reverse("projects:context"))
            lines = exports.figure_json_chunks(rows, project_url, source)
        response = StreamingHttpResponse(lines, content_type=self.content_types[self.file_format])
        response["Content-Disposition"] = f'attachment; filename="iom-serbia-figures.{self.file_format}"'
        return response


def source_mark_title(mark):
    """What a marked sentence's link says it leads to: "Source of: a grant, a figure"."""
    kinds = {
        "grant": _("a grant"),
        "partner": _("a partner"),
        "figure": _("a figure"),
        "start": _("the start date"),
        "duration": _("the duration"),
        "place": _("a place"),
    }
    named = list(dict.fromkeys(kinds[fact.kind] for fact in mark.facts))
    return _("Source of: %(facts)s") % {"facts": ", ".join(named)}


def source_fact_label(fact, number):
    """The words of a reference link after a sentence that gives several facts: "grant", "figure 2"."""
    kinds = {
        "grant": _("grant"),
        "partner": _("partner"),
        "figure": _("figure"),
        "start": _("start date"),
        "duration": _("duration"),
    }
    if fact.kind == "place":
        # A sentence may name several places ("Serbia, FYRM and Greece"): each link is named for its place.
        return fact.row.place.marked_label
    if number is None:
        return kinds[fact.kind]
    if fact.kind == "figure":
        # Two figures of one sentence ("some 4,000 migrants … in 18 … centres") are told apart by what they say.
        return figure_with_unit(fact.row)
    return _("%(fact)s %(number)s") % {"fact": kinds[fact.kind], "number": number}


def not_stated_facts(project):
    """The names of the facts the project's text does not give, in the order the page lists facts."""
    missing = []
    if not project.fundings.all():
        missing.append(_("donors and funding"))
    if not project.partnerships.all():
        missing.append(_("partners"))
    if not project.start_date:
        missing.append(_("start date"))
    if not project.duration_months:
        missing.append(_("duration"))
    if not project.place_links.all():
        missing.append(_("places"))
    return missing


class DonorListView(ListView):
    template_name = "projects/donor_list.html"
    context_object_name = "donors"
    queryset = Donor.objects.listed().with_project_counts()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_donor = {}
        for row in Funding.objects.published().totals_by_currency("donor"):
            by_donor.setdefault(row["donor"], []).append(row)
        for donor in context["donors"]:
            donor.totals = by_donor.get(donor.pk, [])
        return context


class ListOfOneObjectView(SingleObjectMixin, ListView):
    """A page about one object that lists its rows, a page at a time: Django's "Using SingleObjectMixin
    with ListView". The object comes from `queryset` (404 when it is not there) and is in the context under
    its model's name ("donor"); its rows come from get_rows(), paginated by ListView (a page past the end
    answers 404)."""

    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.object = self.get_object(queryset=self.queryset)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return self.get_rows(self.object)


class DonorDetailView(ListOfOneObjectView):
    template_name = "projects/donor_detail.html"
    queryset = Donor.objects.listed()

    def get_rows(self, donor):
        # In the project list's order (project_listed_title_lower): PostgreSQL walks that index and picks this
        # donor's grants as it goes, rather than sorting all of them (1.7 ms instead of 95 ms for 5,600 grants).
        return (
            Funding.objects.published()
            .filter(donor=donor)
            .select_related("project")
            .order_by(Lower("project__title"), "project__slug", "pk")
        )

    def get_paginator(self, queryset, per_page, **kwargs):
        paginator = super().get_paginator(queryset, per_page, **kwargs)
        # One grant per project and donor (funding_unique_project_donor): the donor's bitset counts them.
        paginator.count = self.facet_index().donor_bits.get(self.object.pk, 0).bit_count()
        return paginator

    def facet_index(self):
        return facet_index_for(self.request, using=Funding.objects.db)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        fundings = context["object_list"]
        context.update(
            fundings=fundings,
            totals=self.facet_index().totals_per_donor.get(self.object.pk, []),
            funding_charts=funding_charts((g.currency, g.project.title, g.amount) for g in fundings),
        )
        return context


class AreaListView(ListView):
    template_name = "projects/area_list.html"
    context_object_name = "areas"
    queryset = Area.objects.listed().with_project_counts()


class AreaDetailView(ListOfOneObjectView):
    template_name = "projects/area_detail.html"
    queryset = Area.objects.listed()

    def get_rows(self, area):
        return Project.objects.for_rows().filter(areas=area)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            projects=with_summaries(self.request, context["object_list"], heading_level=3),
            totals=Funding.objects.filter(project__in=self.get_rows(self.object)).totals_by_currency(),
        )
        return context


class PlaceListView(ListView):
    """Every place the published projects' texts name, on the map and in a list, with how many projects name each."""

    template_name = "projects/place_list.html"
    context_object_name = "places"
    queryset = Place.objects.listed().with_project_counts()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["place_map"] = place_map(list(context["places"]))
        return context


class PlaceDetailView(ListOfOneObjectView):
    """One place: the projects whose texts name it and the figures whose sentences do, and where it is on the map."""

    template_name = "projects/place_detail.html"
    queryset = Place.objects.listed().with_project_counts()

    def get_rows(self, place):
        return Project.objects.for_rows().in_places([place])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            projects=with_summaries(self.request, context["object_list"], heading_level=3),
            figures=ContextFigure.objects.published().filter(places=self.object).select_related("project"),
            place_map=place_map([self.object]),
        )
        return context


def sitemap_index(request, sitemaps):
    """/sitemap.xml: the sitemap index, one entry per section file (projects.sitemaps). It has one page:
    a page number (?p=, which section files take) answers 404."""
    if "p" in request.GET:
        raise Http404(_("The sitemap index has one page; its sections have the others."))
    return sitemap_views.index(request, sitemaps, sitemap_url_name="sitemap_section")


def sitemap_section(request, sitemaps, section):
    """/sitemap-<section>.xml?p=N: one page of a section; an unknown section or a page past the end is a 404.

    Django's sitemap view, with the XML written by projects.sitemaps.urlset_xml() instead of a template.
    """
    if section not in sitemaps:
        raise Http404(_("No sitemap has this name."))
    site = sitemaps[section]()
    try:
        urls = site.get_urls(page=request.GET.get("p", 1), site=get_current_site(request), protocol=request.scheme)
    except (EmptyPage, PageNotAnInteger):
        raise Http404(_("The sitemap has no such page.")) from None
    response = HttpResponse(urlset_xml(urls), content_type="application/xml")
    response.headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
    latest = getattr(site, "latest_lastmod", None)
    if latest is not None:
        response.headers["Last-Modified"] = http_date(latest.timestamp())
    return response


def robots_txt(request):
    """For crawlers: everything but the staff's admin, and where the sitemap index is."""
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
        return JsonResponse(
            {"status": "unavailable", "database": "unavailable"}, status=503, headers={"Cache-Control": "no-store"}
        )
    return JsonResponse({"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"})

"""What the catalogue can be asked. Views, filters and commands call these; they never build joins themselves.

The models import this module (for their managers), so it imports no model: each QuerySet reaches the
models it joins through its own model's relations (`self.model.fundings`, `self.model.areas.through`).
"""

import datetime
import functools
import re
from itertools import groupby

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    StringAgg,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Lower

from portal.serbian import to_latin

# The ContextFigure columns the figure export (projects.exports) writes, besides its project's.
EXPORTED_FIGURE_FIELDS = [
    "key",
    "value_low",
    "value_high",
    "qualifier",
    "unit",
    "counts",
    "period_start",
    "period_end",
    "period_label",
    "place",
    "source_sentence",
]
# What an empty sort key counts as in a descending sort, so it comes last: below any date, and below
# any grant (amounts are positive: funding_amount_positive).
EARLIEST_DATE = datetime.date(1, 1, 1)
NO_GRANT = 0
# How many projects per kind of link related_to() ranks: enough for any real area or donor.
RELATED_CANDIDATES = 200
# English stemming: "border" finds "borders", "managing" finds "management".
SEARCH_CONFIG = "english"
# What ts_headline puts around each match: control characters no project text uses, so that
# projects.templatetags.catalogue.highlight can escape everything else and mark only these.
MATCH_START, MATCH_END = "\x02", "\x03"
# A quoted phrase or a word, either with a leading minus: how the SQLite fallback reads a query.
SEARCH_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


def rows_of(model, relation):
    """The model on the other side of `model`'s `relation` ("fundings" of Project is Funding)."""
    return model._meta.get_field(relation).related_model


class NaturalKeyQuerySet(models.QuerySet):
    """Looks rows up by their natural key (the model's natural_key_fields), so fixtures refer to them by name, not by id."""

    def get_by_natural_key(self, *key):
        values = iter(key)
        lookups = {}
        for name in self.model.natural_key_fields:
            field = self.model._meta.get_field(name)
            # A foreign key stands for its row's own natural key, flattened: ("croboweb", "inl").
            names = (
                [f"{name}__{part}" for part in field.related_model.natural_key_fields] if field.is_relation else [name]
            )
            lookups.update((lookup, next(values)) for lookup in names)
        return self.get(**lookups)


def _grants_with_donors(project_model):
    grants = rows_of(project_model, "fundings").objects.select_related("donor").order_by("donor__name")
    return Prefetch("fundings", queryset=grants)


def _places_named(project_model):
    links = rows_of(project_model, "place_links").objects.select_related("place").order_by("place__name")
    return Prefetch("place_links", queryset=links)


def summary_prefetches(project_model):
    """What a list row shows of other tables: the project's areas, its grants with their donors, its places."""
    return ["areas", _grants_with_donors(project_model), _places_named(project_model)]


def search_terms(query):
    """'"border police" -asylum' -> (["border police"], ["asylum"]): what must and must not appear.

    Terms without a letter or digit ("-", a lone quote) are dropped, as PostgreSQL's parser drops them.
    """
    wanted, unwanted = [], []
    for minus, phrase, word in SEARCH_TERM.findall(query):
        term = " ".join((phrase or word).replace('"', " ").split())
        if any(character.isalnum() for character in term):
            (unwanted if minus else wanted).append(term)
    return wanted, unwanted


def _joined_names(rows, *fields):
    """A correlated subquery: the `fields` of one project's `rows` (its grants' donors, ...) as one string."""
    parts = []
    for field in fields:
        parts += [F(field), Value(" ")]
    names = rows.filter(project=OuterRef("pk")).order_by().values("project")
    # Ordered, so the same rows always give the same document.
    joined = StringAgg(Concat(*parts), Value(" "), order_by=fields[0])
    return Subquery(names.annotate(names=joined).values("names"))


def named_rows(project_model):
    """What search reads besides a project's title and text: [(the rows that link a project to a named entry, the
    entry's fields searched)], in English and, where the catalogue keeps one, the Serbian name (Latin script).

    The one list both search_document() (PostgreSQL) and ProjectQuerySet._mentions() (SQLite) read. A new kind of
    named entry (places, with English and Serbian names) joins search by adding its links and fields here.
    """
    return [
        (
            rows_of(project_model, "fundings").objects.all(),
            ("donor__name", "donor__short_name", "donor__search_name_sr_latn"),
        ),
        (project_model.areas.through.objects.all(), ("area__name", "area__name_sr_latn")),
        (rows_of(project_model, "partnerships").objects.all(), ("partner__name", "partner__short_name")),
        (
            rows_of(project_model, "place_links").objects.all(),
            ("place__name", "place__display_name", "place__name_sr_latn", "place__display_name_sr_latn"),
        ),
    ]


def searched_words(query):
    """A visitor's query as search reads it: Cyrillic letters as Latin, the script the Serbian names are kept in.

    Nothing the catalogue keeps is in Cyrillic, so on any page a query typed in Cyrillic finds what its Latin does.
    """
    return to_latin(query)


def search_document(project_model):
    """The weighted full-text document of a project: title A; donor, area and partner names B (English and
    Serbian, named_rows()); text C. Serbian names take the same English configuration as the query, so both
    sides are stemmed alike."""
    related_names = [_joined_names(rows, *fields) for rows, fields in named_rows(project_model)]
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector(*related_names, weight="B", config=SEARCH_CONFIG)
        + SearchVector("text", weight="C", config=SEARCH_CONFIG)
    )


def search_ranks(project_model, query, using, ranked=True):
    """The projects a visitor's search matches, published or not, in no order: [(pk, rank)] (higher is better), or
    with ranked=False only their pks. The same matches and ranks as search().

    For the list, which keeps the published ones and orders them itself, on its facet index
    (FacetIndex.in_relevance_order()). On PostgreSQL it reads the search documents alone (SearchDocument): a broad
    search matches most of the catalogue, and the project table is three times as wide. The rows are read
    straight from the cursor: the ORM's row-by-row iteration costs more than the query for 50,000 matches."""
    if connections[using].vendor != "postgresql":
        matching = project_model.objects.using(using).search(query).order_by()
        if matching.query.is_empty():  # no word to look for
            return []
        selected = matching.values_list("pk", "search_rank") if ranked else matching.values_list("pk")
    else:
        search_query = SearchQuery(searched_words(query), search_type="websearch", config=SEARCH_CONFIG)
        matching = rows_of(project_model, "search_document").objects.using(using).filter(vector=search_query)
        if ranked:
            selected = matching.annotate(rank=SearchRank(F("vector"), search_query)).values_list("project_id", "rank")
        else:
            selected = matching.values_list("project_id")
    with connections[using].cursor() as cursor:
        cursor.execute(*selected.query.sql_with_params())
        rows = cursor.fetchall()
    return rows if ranked else [pk for (pk,) in rows]


@functools.cache
def exported_links(project_model, vendor):
    """{"areas_json": RawSQL, "grants_json": RawSQL, "places_json": RawSQL}: for ProjectQuerySet.for_export(), one
    correlated subquery per kind of link that gives a project's linked rows as a JSON array of arrays, in no order:

    - areas: [name, slug];
    - grants: [donor name, grant pk, donor slug, currency, amount] (the amount a JSON number, exactly as stored);
    - places: [name, slug, display name, kind, ISO code].

    An export's first rows then need no query of their own for their areas, grants and places. Plain SQL, written
    once per database vendor, in expressions made once (each query copies them): the ORM would build and compile
    three subqueries on every export (about 3 ms, most of the time to the first row). The outer query names the
    project table by its own name, as Django's always does. PostgreSQL gives NULL, SQLite "[]", for a project with
    no such rows.
    """
    if vendor == "postgresql":
        aggregate, array = "JSON_AGG", "JSON_BUILD_ARRAY"
    else:
        aggregate, array = "JSON_GROUP_ARRAY", "JSON_ARRAY"
    project = project_model._meta.db_table

    def rows(columns, tables):
        # As text on both databases: psycopg would read a JSON column into floats, and amounts are decimals.
        sql = (
            f"SELECT CAST({aggregate}({array}({', '.join(columns)})) AS TEXT) "
            f"FROM {tables} WHERE link.project_id = {project}.id"
        )
        return RawSQL(sql, [], output_field=models.TextField())

    def joined(links, entry):
        """The link table (as `link`) joined to the table of its `entry` foreign key (as `entry`)."""
        entries = links._meta.get_field(entry).related_model._meta.db_table
        return f"{links._meta.db_table} link JOIN {entries} {entry} ON {entry}.id = link.{entry}_id"

    return {
        "areas_json": rows(["area.name", "area.slug"], joined(project_model.areas.through, "area")),
        "grants_json": rows(
            ["donor.name", "link.id", "donor.slug", "link.currency", "link.amount"],
            joined(rows_of(project_model, "fundings"), "donor"),
        ),
        "places_json": rows(
            ["place.name", "place.slug", "place.display_name", "place.kind", "place.iso_code"],
            joined(rows_of(project_model, "place_links"), "place"),
        ),
    }


class ProjectQuerySet(NaturalKeyQuerySet):
    def published(self):
        """Only what the public may see."""
        return self.filter(is_published=True)

    def refresh_derived(self):
        """Recompute everything derived from these projects' rows, in one UPDATE; return the rows updated.

        - `largest_grant`: the largest single stated amount of the project's grants (None when none states
          one), which the amount sort reads through an index;
        - on PostgreSQL, the project's SearchDocument: its full-text document (search_document()), which holds
          the names of the project's donors, areas and partners. SQLite has none (search reads the rows).

        The one owner of derived data: projects.signals calls it after every save or delete through the
        ORM, and reload_catalogue, seed_synthetic and its removal call it at their end. bulk_create() and
        update() send no signals: call it yourself after them.
        """
        largest = (
            rows_of(self.model, "fundings")
            .objects.filter(project=OuterRef("pk"))
            .values("project")
            .annotate(largest=Max("amount"))
            .values("largest")
        )
        updated = self.update(largest_grant=Subquery(largest))
        if self._on_postgresql():
            self._write_search_documents()
        return updated

    def _write_search_documents(self):
        """Write these projects' search documents (search_document()) into their table, in one statement: INSERT
        … SELECT with ON CONFLICT, which the ORM cannot say (its bulk upsert would bring every document to Python
        and back)."""
        documents = rows_of(self.model, "search_document")
        selected = self.order_by().annotate(document=search_document(self.model)).values_list("pk", "document")
        try:
            sql, params = selected.query.sql_with_params()
        except EmptyResultSet:  # no project at all (filter(pk__in=[])): nothing to write
            return
        with connections[self.db].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {documents._meta.db_table} (project_id, vector) {sql} "
                "ON CONFLICT (project_id) DO UPDATE SET vector = EXCLUDED.vector",
                params,
            )

    def for_rows(self):
        """Published projects as list rows, in one query: what a row shows of other tables is read only for the
        rows projects.fragments has not rendered yet (summary_prefetches())."""
        return self.published().select_related("status")

    def for_listing(self):
        """Published projects with everything a list row shows, in a fixed number of queries."""
        return self.for_rows().prefetch_related(*summary_prefetches(self.model))

    def for_export(self):
        """Plain values of everything the exports (projects.exports) write of each project, in one SELECT: the
        project's own fields, its status's code and label, and its areas, grants (with their donors) and places
        as JSON text (exported_links()); never `text`, which no export writes."""
        links = exported_links(self.model, connections[self.db].vendor)
        return self.values(
            "pk",
            "slug",
            "title",
            "status__slug",
            "status__name",
            "start_date",
            "start_precision",
            "duration_months",
            "editorial_note",
            **links,
        )

    def for_detail(self):
        """Published projects with everything the detail page shows: a list row's facts, partners and figures."""
        Partnership = rows_of(self.model, "partnerships")
        ContextFigure = rows_of(self.model, "figures")
        return self.for_listing().prefetch_related(
            Prefetch("partnerships", queryset=Partnership.objects.select_related("partner")),
            Prefetch("figures", queryset=ContextFigure.objects.order_by(F("period_start").asc(nulls_last=True), "key")),
        )

    def _on_postgresql(self):
        return connections[self.db].vendor == "postgresql"

    def search(self, query):
        """Projects matching a visitor's search, annotated with `search_rank` (higher is better).

        On PostgreSQL: full-text search of the stored document (search_document()) through its GIN
        index, in web-search syntax ("a phrase", -word, or), with English stemming, ranked by SearchRank.
        On SQLite: every word or quoted phrase must appear in the title, the text or the name of a donor,
        area or partner (case-insensitive), and no -word may; the rank counts the terms in the title.
        """
        query = searched_words(query)
        if self._on_postgresql():
            search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
            return self.filter(search_document__vector=search_query).annotate(
                search_rank=SearchRank(F("search_document__vector"), search_query)
            )
        wanted, unwanted = search_terms(query)
        if not wanted and not unwanted:
            return self.none()
        condition = Q()
        for term in wanted:
            condition &= self._mentions(term)
        for term in unwanted:
            condition &= ~self._mentions(term)
        in_title = [Case(When(title__icontains=term, then=Value(1)), default=Value(0)) for term in wanted]
        return self.filter(condition).annotate(search_rank=sum(in_title, Value(0)))

    def _mentions(self, term):
        """Q: the project's title, text, or a name of one of its donors, areas or partners (named_rows()) contains `term`."""
        condition = Q(title__icontains=term) | Q(text__icontains=term)
        for rows, fields in named_rows(self.model):
            named = Q()
            for field in fields:
                named |= Q(**{f"{field}__icontains": term})
            condition |= Exists(rows.filter(named, project=OuterRef("pk")))
        return condition

    def with_search_headlines(self, query):
        """Annotate `title_headline` and `text_headline`: the title and the best passages of the text with the
        matches of `query` between MATCH_START and MATCH_END. PostgreSQL only (SQLite lists plain rows).

        ts_headline reads the whole text: apply this to the page shown, never to a count or an export.
        """
        if not query or not self._on_postgresql():
            return self
        query = searched_words(query)
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        marks = {"config": SEARCH_CONFIG, "start_sel": MATCH_START, "stop_sel": MATCH_END}
        return self.annotate(
            title_headline=SearchHeadline("title", search_query, highlight_all=True, **marks),
            text_headline=SearchHeadline(
                "text", search_query, max_words=35, min_words=15, max_fragments=2, fragment_delimiter=" … ", **marks
            ),
        )

    def funded_by(self, donors):
        """Projects funded by any of `donors` (an iterable of Donor)."""
        grants = rows_of(self.model, "fundings").objects.filter(project=OuterRef("pk"), donor__in=list(donors))
        return self.filter(Exists(grants))

    def in_places(self, places):
        """Projects whose text names any of `places`."""
        links = rows_of(self.model, "place_links").objects.filter(project=OuterRef("pk"), place__in=list(places))
        return self.filter(Exists(links))

    def in_areas(self, areas):
        """Projects in any of `areas`."""
        through = self.model.areas.through
        return self.filter(Exists(through.objects.filter(project=OuterRef("pk"), area__in=list(areas))))

    def with_funding(self, currency=None, min_amount=None, max_amount=None):
        """Projects with at least one grant that matches all the given conditions at once.

        The amount bounds compare within one grant (and one currency when given),
        so "USD, at least 500,000" never matches a EUR grant.
        """
        grants = rows_of(self.model, "fundings").objects.within(currency, min_amount, max_amount)
        return self.filter(Exists(grants.filter(project=OuterRef("pk"))))

    def ordered_by(self, sort):
        """Order by a public sort key: relevance, title, amount or start, "-" for descending.

        Projects with no stated amount or start date go last in both directions. Each order is
        the one an index of Project.Meta holds (descending: COALESCE to the lowest value). Relevance
        needs search() first (its `search_rank`); without a search it orders by title.
        """
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        if key == "relevance" and "search_rank" in self.query.annotations:
            # Equal ranks in title order, as the title sort gives it (and FacetIndex.in_relevance_order()).
            return self.order_by(F("search_rank").desc(), Lower("title"), "slug")
        if key == "amount":
            field, lowest = "largest_grant", Value(NO_GRANT)
        elif key == "start":
            field, lowest = "start_date", Value(EARLIEST_DATE)
        else:
            # Case ignored ("IOM Migrants…" after "Increasing…"), as project_listed_title_lower holds it.
            title = Lower("title")
            # Descending reads the same index backwards: the slug tie-break turns too.
            return self.order_by(title.desc(), "-slug") if descending else self.order_by(title.asc(), "slug")
        expression = Coalesce(field, lowest).desc() if descending else F(field).asc(nulls_last=True)
        return self.order_by(expression, "title", "slug")

    def related_to(self, project, limit=3, index=None):
        """Other published projects sharing the most areas or donors with `project`.

        Ranked among at most RELATED_CANDIDATES projects per kind of link (the latest by id), so the
        cost stays flat when an area or a donor has tens of thousands of projects. With a catalogue
        of any realistic size per area or donor the candidates are all of them. Three queries at most: the
        candidates of each kind of link, then their ranking. Given the facet index of the catalogue's generation
        (projects.facets), the candidates come from its bitsets and the ranking is the one query.
        """
        area_ids = [area.pk for area in project.areas.all()]
        donor_ids = [funding.donor_id for funding in project.fundings.all()]
        links = [
            (relation, lookup, ids, candidates)
            for relation, lookup, ids, candidates in [
                ("areas", "areas__in", area_ids, self.model.areas.through.objects.filter(area_id__in=area_ids)),
                (
                    "fundings",
                    "fundings__donor__in",
                    donor_ids,
                    rows_of(self.model, "fundings").objects.filter(donor_id__in=donor_ids),
                ),
            ]
            if ids  # an aggregate filtered on an empty IN () matches nothing at all
        ]
        if not links:
            return self.none()
        # The candidates' ids first, one small query per kind of link: as subqueries joined by OR, PostgreSQL
        # tested every published project against them and joined every grant and area link (0.5 s at 100,000).
        if index is not None:
            near = index.related_candidates(area_ids, donor_ids, RELATED_CANDIDATES)
        else:
            near = set()
            for _relation, _lookup, _ids, candidates in links:
                near.update(
                    candidates.order_by("-project_id").values_list("project_id", flat=True)[:RELATED_CANDIDATES]
                )
        near.discard(project.pk)
        shared = [Count(relation, filter=Q(**{lookup: ids}), distinct=True) for relation, lookup, ids, _ in links]
        return (
            self.published()
            .filter(pk__in=sorted(near))
            .annotate(shared=sum(shared[1:], shared[0]))
            .filter(shared__gt=0)
            .order_by("-shared", "title")[:limit]
        )


class ListedQuerySet(NaturalKeyQuerySet):
    """Donors, areas and partners: public only while a published project uses them.

    One definition of "listed" for every page, facet, total and the sitemap. The others (used by drafts
    alone, or by nothing) are found nowhere in public, and their pages answer 404.
    """

    # The lookup from a row to its projects, and whether a project can be reached by more than one path.
    projects_lookup = None
    count_distinct = True

    def listed(self):
        used = self.model.objects.filter(pk=OuterRef("pk"), **{f"{self.projects_lookup}__is_published": True})
        return self.filter(Exists(used))

    def project_ids(self):
        """The ids of the projects these rows are linked to (as a subquery)."""
        return self.values(self.projects_lookup)

    def with_project_counts(self, among=None):
        """Annotate `project_count`: how many published projects use each row or, given `among` (a queryset
        of project ids), how many of those."""
        lookup = self.projects_lookup
        condition = Q(**{f"{lookup}__is_published": True}) if among is None else Q(**{f"{lookup}__in": among})
        counted = self.annotate(project_count=Count(lookup, filter=condition, distinct=self.count_distinct))
        # Django leaves Meta.ordering out of a grouped query: without this, PostgreSQL listed areas and places in
        # the order of its hash aggregate.
        return counted if counted.query.order_by else counted.order_by(*self.model._meta.ordering)

    def facet_counts(self, among):
        """The listed rows by name, each with `project_count` among `among`: one grouped query, whatever the size."""
        return self.listed().order_by("name").with_project_counts(among)


class AreaQuerySet(ListedQuerySet):
    projects_lookup = "projects"
    # One link per project and area.
    count_distinct = False


class DonorQuerySet(ListedQuerySet):
    projects_lookup = "fundings__project"


class PartnerQuerySet(ListedQuerySet):
    projects_lookup = "partnerships__project"


class PlaceQuerySet(ListedQuerySet):
    projects_lookup = "projects"
    # One link per project and place (project_place_unique).
    count_distinct = False


class StatusQuerySet(NaturalKeyQuerySet):
    def facet_counts(self, among):
        """Every status (in its order), annotated with `project_count`: how many of `among` (project ids) it holds.

        Ordered explicitly: a grouped query ignores Meta.ordering (PostgreSQL listed them in any order)."""
        return self.annotate(project_count=Count("projects", filter=Q(projects__in=among))).order_by("order", "name")


class FundingQuerySet(NaturalKeyQuerySet):
    def published(self):
        """The grants of published projects: the only ones the public may see or have summed."""
        return self.filter(project__is_published=True)

    def within(self, currency=None, min_amount=None, max_amount=None):
        """Grants with a stated amount, in `currency` and between the bounds (inclusive) where given."""
        grants = self.filter(amount__isnull=False)
        if currency:
            grants = grants.filter(currency=currency)
        if min_amount is not None:
            grants = grants.filter(amount__gte=min_amount)
        if max_amount is not None:
            grants = grants.filter(amount__lte=max_amount)
        return grants

    def project_counts_per_currency(self, among, in_use=None):
        """{"USD": n, ...}: how many of `among` (a queryset of project ids) these grants fund, per currency.

        With `in_use` (grants, e.g. every published one), every currency those grants are in has a key,
        0 when none of `among` matches: the currencies in use, counted in the same one query.
        """
        if in_use is None:
            grants = self.filter(project__in=among).order_by().values_list("currency")
            return dict(grants.annotate(count=Count("project", distinct=True)))
        matching = Q(pk__in=self.filter(project__in=among).values("pk"))
        grants = in_use.exclude(currency="").order_by().values_list("currency")
        return dict(grants.annotate(count=Count("project", filter=matching, distinct=True)))

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


class PartnershipQuerySet(NaturalKeyQuerySet):
    pass


class ContextFigureQuerySet(NaturalKeyQuerySet):
    def published(self):
        return self.filter(project__is_published=True)

    def dated(self):
        """Figures the text gives a date for: a start, or only an end ("until the beginning of March 2016")."""
        return self.filter(Q(period_start__isnull=False) | Q(period_end__isnull=False))

    def for_export(self):
        """Plain values of every figure with its project's slug and title, one query, in Meta.ordering's order
        (by period, undated last). Values, not instances: the export streams them from one cursor."""
        return self.values(*EXPORTED_FIGURE_FIELDS, "project__slug", "project__title")

    def key_figures(self):
        """Group the dated figures among these that state the same fact, so one cited twice shows once.

        Two figures are one fact only when value, range, unit, qualifier and period (its dates and their
        precision) all agree: "more than 700,000 as of mid-2015" and "some 700,000 until March 2016" are two.
        Returns [(figure, [citing projects])], in period order, each group crediting only the projects whose
        own figure it is. Reads the rows already fetched when the queryset was evaluated (a page's rows): no
        query of its own then.
        """

        def fact(figure):
            # A period without an end is a single month: the same fact as one that ends where it starts.
            end = figure.period_end or figure.period_start
            end_precision = figure.period_end_precision if figure.period_end else figure.period_start_precision
            return (
                figure.period_start or end,
                figure.period_start is None,
                figure.period_start_precision,
                end,
                end_precision,
                figure.unit,
                figure.value_low,
                figure.value_high or figure.value_low,
                figure.qualifier,
            )

        groups = []
        dated = [figure for figure in self if figure.is_dated]
        for _fact, same in groupby(sorted(dated, key=fact), key=fact):
            same = list(same)
            groups.append((same[0], sorted({f.project for f in same}, key=lambda p: p.title)))
        return groups

"""The public list's query parameters, parsed and validated by django-filter.

Parameter names are a public contract (shared links depend on them):
q, donor, area, place, status, currency, min_amount, max_amount, sort, page.
"""

import copy
from dataclasses import dataclass
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.functional import cached_property, lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .facets import bitset, facet_index_for
from .models import Area, Currency, Donor, Funding, Place, Status
from .querysets import search_ranks
from .templatetags.catalogue import in_source_language, plain_number
from .translation import own_words

SORT_CHOICES = [
    ("relevance", _("Best match")),
    ("title", _("Title (A to Z)")),
    ("-title", _("Title (Z to A)")),
    ("-amount", _("Largest grant first")),
    ("amount", _("Smallest grant first")),
    ("-start", _("Newest start first")),
    ("start", _("Oldest start first")),
]
# Best match ranks search results; with no search words there is nothing to rank and the list is
# in title order (querysets.ProjectQuerySet.ordered_by), so one default serves both.
DEFAULT_SORT = "relevance"
# The example phrase is the project texts' own words, in English in every interface (lang="en"), and one
# that finds projects; its quotes are the page language's („…“ in Serbian).
SEARCH_EXAMPLE = "asylum seekers"


def _search_hint():
    return format_html(
        gettext(
            "Words in the title, the text or the names of donors, areas and partners. "
            "Put a phrase in quotes (“{example}”); put a minus before a word to leave it out."
        ),
        example=SEARCH_EXAMPLE if in_source_language() else format_html('<span lang="en">{}</span>', SEARCH_EXAMPLE),
    )


search_hint = lazy(_search_hint, SafeString)
# The parameters that narrow the list (sort and page only order and slice it).
FILTER_PARAMETERS = ["q", "donor", "area", "place", "status", "currency", "min_amount", "max_amount"]
# The ones that take several values (the list shows projects of any of them); every other one, one: the last, as
# QueryDict.get() and Django's form widgets read it.
MULTIPLE_VALUE_PARAMETERS = {"donor", "area", "place"}

# A text box with a decimal keypad (as GOV.UK advises) rather than type=number, which mangles bad input.
AMOUNT_FIELD = {
    "max_digits": 14,
    "decimal_places": 2,
    "min_value": 0,
    "widget": forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
}


class KeptInOrder:
    """The ids of the projects of a bitset in a sort order, read a slice at a time (FacetIndex.ordered_ids())."""

    def __init__(self, index, bits, sort):
        self.index, self.bits, self.sort = index, bits, sort

    def __len__(self):
        return self.bits.bit_count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("KeptInOrder takes a slice, as a paginator asks")
        start, stop, _ = key.indices(len(self))
        return self.index.ordered_ids(self.bits, self.sort, start, stop)


class PositionsInOrder:
    """The ids of the projects at a list of the facet index's positions, in that order, read a slice at a time: a
    page of a search that matches 50,000 projects looks up 20 ids, not 50,000."""

    def __init__(self, index, positions):
        self.index, self.positions = index, positions

    def __len__(self):
        return len(self.positions)

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("PositionsInOrder takes a slice, as a paginator asks")
        pks = self.index.pks
        return [pks[where] for where in self.positions[key]]


def given(value):
    """Whether a cleaned filter value asks for anything. No donor, area or place chosen cleans to an empty
    QuerySet (.none()), whose truth would be asked of the database compiler (about 0.5 ms each); it is known empty."""
    if isinstance(value, QuerySet):
        return not value.query.is_empty()
    return value not in (None, "", [], ())


def entries_chosen(value):
    """The entries of a cleaned donor, area or place choice; none, without asking the compiler, when none is chosen
    (given())."""
    return value if given(value) else []


@dataclass
class FacetOption:
    """One choice of a facet and how many projects it would list together with the other filters."""

    value: str
    label: str
    count: int
    selected: bool

    @property
    def disabled(self):
        # Nothing to find, so nothing to choose; a choice already made stays, so it can be unticked.
        return self.count == 0 and not self.selected


class ProjectFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_amount", _("The largest amount must not be below the smallest."))
        return data


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=200,
        help_text=search_hint(),
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "id_q-hint"}),
        # Control characters (the null character has its own message, from CharField) can be in no project's text,
        # and XML 1.0 cannot carry them: the feed's title, which names the search, could not be written at all.
        validators=[RegexValidator(r"[\x01-\x08\x0B\x0C\x0E-\x1F]", inverse_match=True)],
    )
    donor = django_filters.ModelMultipleChoiceFilter(
        label=_("Donor"),
        # Only listed donors and areas can be chosen: one that only drafts use is not public, even by slug.
        queryset=Donor.objects.listed().order_by("name"),
        to_field_name="slug",
        method="filter_donor",
        widget=forms.CheckboxSelectMultiple,
    )
    area = django_filters.ModelMultipleChoiceFilter(
        label=_("Area (catalogue’s assignment)"),
        queryset=Area.objects.listed().order_by("name"),
        to_field_name="slug",
        method="filter_area",
        widget=forms.CheckboxSelectMultiple,
    )
    place = django_filters.ModelMultipleChoiceFilter(
        label=_("Place named in the text"),
        queryset=Place.objects.listed().order_by("name"),
        to_field_name="slug",
        method="filter_place",
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.ModelChoiceFilter(
        label=_("Status"), queryset=Status.objects.all(), to_field_name="slug", empty_label=_("Any status")
    )
    currency = django_filters.ChoiceFilter(
        label=_("Currency"), choices=Currency.choices, method="filter_funding", empty_label=_("Any currency")
    )
    min_amount = django_filters.NumberFilter(label=_("Grant of at least"), method="filter_funding", **AMOUNT_FIELD)
    max_amount = django_filters.NumberFilter(label=_("Grant of at most"), method="filter_funding", **AMOUNT_FIELD)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=SORT_CHOICES,
        method="filter_sort",
        empty_label=None,
        help_text=_(
            "Best match puts the projects that match your search words best first; with no search words the list is in title order."
        ),
    )

    class Meta:
        form = ProjectFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's own __init__ (26.x), without its deep copy of every filter, with its queryset and widget:
        # 0.5 ms of every list page, feed and export, most of which use no filter (see `filters`).
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix

    @cached_property
    def filters(self):
        """This filterset's own copies of the filters, each told its model and its filterset (whose filter_* method it
        calls), made when one is first used: a filter applies only when its parameter is given (narrowed()), and the
        form is built from the class's filters once (get_form_class())."""
        filters = copy.deepcopy(self.base_filters)
        for filter_ in filters.values():
            filter_.model = self.queryset.model
            filter_.parent = self
        return filters

    def get_form_class(self):
        """The form class, built once per FilterSet class: its fields depend on nothing of a request (the choices'
        querysets are fixed), and django-filter would build the fields and the class anew for every filterset
        (0.4 ms of every list page, feed and export). Each form deep-copies the class's fields, as Django's forms do."""
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    @property
    def nothing_given(self):
        """Whether the address has no parameter at all (the whole list, the plain export or feed): then there is
        nothing to validate, and the form (0.6 ms to build and clean) is built only if a page shows it."""
        return self.is_bound and not self.data

    def is_valid(self):
        return self.nothing_given or super().is_valid()

    @property
    def errors(self):
        return ErrorDict() if self.nothing_given else super().errors

    @property
    def cleaned_data(self):
        """The valid parameters ({} with none given); an invalid one is left out, and the page says so."""
        if not self.is_bound or self.nothing_given:
            return {}
        self.form.errors  # noqa: B018 -- validates once (cached); cleaned_data then holds every valid value
        return self.form.cleaned_data

    @property
    def search_query(self):
        return self.cleaned_data.get("q") or ""

    def active_filters(self):
        """The filters in force, each with a link that removes just it: [{"label", "value", "is_source", "remove_url"}]."""
        if not self.is_bound:
            return []
        data = self.data
        cleaned = self.cleaned_data
        names = {}
        for field in ("donor", "area"):
            names[field] = {obj.slug: own_words(obj, "name") for obj in entries_chosen(cleaned.get(field))}
        names["place"] = {obj.slug: obj.marked_label for obj in entries_chosen(cleaned.get("place"))}
        if cleaned.get("status"):
            names["status"] = {cleaned["status"].slug: own_words(cleaned["status"], "name")}
        active = []
        for field in FILTER_PARAMETERS:
            if field in self.form.errors:
                # Not applied: the error summary and the field say so; a chip would claim it filters.
                continue
            # Only what the form read: every value of a donor, area or place, the last of any other parameter.
            for value in data.getlist(field) if field in MULTIPLE_VALUE_PARAMETERS else [data.get(field, "")]:
                if not value.strip():
                    continue
                remaining = data.copy()
                remaining.setlist(field, [v for v in data.getlist(field) if v != value])
                remaining.pop("page", None)
                query = remaining.urlencode()
                active.append(
                    {
                        # The class's own filter: its label is the same, and self.filters would deep-copy them all.
                        "label": self.base_filters[field].label,
                        # What the filter applied: the form strips the ends (CharField), control characters too.
                        "value": names.get(field, {}).get(value, value.strip()),
                        # A donor's name is the source's, in English in every interface; an area's or a status's
                        # is the catalogue's own, in the page's language once translated (the `source` filter tells).
                        "is_source": value in names.get(field, {}),
                        "remove_url": f"?{query}" if query else "?",
                    }
                )
        return active

    def problems(self, intro):
        """A plain-text answer for a file the list's parameters could not make (an export, the feed):
        `intro`, then one line per invalid parameter ("Donor: Select a valid choice. …")."""
        lines = [
            f"{self.form.fields[name].label if name in self.form.fields else name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        ]
        return intro + "\n" + "\n".join(lines) + "\n"

    def canonical_query(self, page=1):
        """The list's state as a query string: valid values only, empty and default ones dropped, in a fixed order.

        Two addresses that list the same projects in the same order give the same string
        (repeated or reordered slugs, "10.00" and "10", sort=title and no sort when not searching).
        The page comes last, and only after the first.
        """
        cleaned = self.cleaned_data
        pairs = []
        search = " ".join((cleaned.get("q") or "").split())
        if search:
            pairs.append(("q", search))
        for name in ("donor", "area", "place"):
            pairs += [(name, slug) for slug in sorted({entry.slug for entry in entries_chosen(cleaned.get(name))})]
        if cleaned.get("status"):
            pairs.append(("status", cleaned["status"].slug))
        if cleaned.get("currency"):
            pairs.append(("currency", cleaned["currency"]))
        for name in ("min_amount", "max_amount"):
            if cleaned.get(name) is not None:
                pairs.append((name, plain_number(cleaned[name])))
        sort = cleaned.get("sort") or DEFAULT_SORT
        same_as_default = sort == DEFAULT_SORT or (sort == "title" and not search)
        if not same_as_default:
            pairs.append(("sort", sort))
        if page > 1:
            pairs.append(("page", page))
        return urlencode(pairs)

    def facets(self):
        """For donor, area, place, status and currency: every option, with how many projects it would list.

        Each facet's counts apply every OTHER filter in force, never its own: a donor's count is how
        many of the projects the other filters keep that donor funds, so ticking a second donor (donors
        combine with "or") adds about that many. Counted on the facet index (projects.facets: one bitset
        per option, rebuilt once per catalogue generation), exactly as facets_in_sql() counts them.
        Returns {"donor": [FacetOption, ...], "area": [...], "place": [...], "status": [...], "currency": [...]}.
        """
        index = self.facet_index()
        cleaned = self.cleaned_data

        def chosen(name):
            return set(self.data.getlist(name)) if self.is_bound else set()

        def options(facet, rows, bits, label=lambda row: own_words(row, "name")):
            kept = self.kept_bits(leave_out=facet)
            return [
                FacetOption(
                    row.slug,
                    label(row),
                    (kept & bits.get(row.pk, 0)).bit_count(),
                    row.slug in chosen(facet),
                )
                for row in rows
            ]

        # A currency's count keeps the amount bounds: they compare grants in that currency.
        kept = self.kept_bits(leave_out="currency")
        low, high = cleaned.get("min_amount"), cleaned.get("max_amount")
        per_currency = {
            code: (kept & index.with_funding(code, low, high)).bit_count() for code in index.currencies_in_use
        }
        return {
            "donor": options("donor", index.donors, index.donor_bits),
            "area": options("area", index.areas, index.area_bits),
            "place": options("place", index.places, index.place_bits, lambda place: place.marked_label),
            "status": options("status", index.statuses, index.status_bits),
            "currency": [
                FacetOption(code, label, per_currency.get(code, 0), code in chosen("currency"))
                for code, label in Currency.choices
                if code in per_currency or code in chosen("currency")
            ],
        }

    def facet_index(self):
        """The facet index of the current generation (read once per request; the page cache may have read it)."""
        if not hasattr(self, "_facet_index"):
            self._facet_index = facet_index_for(self.request, using=self.queryset.db)
        return self._facet_index

    def kept_bits(self, leave_out=None):
        """narrowed(), on the facet index: the bitset of the published projects every valid filter but
        `leave_out` keeps. The search words are matched in the database, once per request."""
        index = self.facet_index()
        cleaned = self.cleaned_data
        kept = index.everything
        if cleaned.get("q"):
            if not hasattr(self, "_search_bits"):
                ranked = self.ranked_search_positions()
                if ranked is not None:  # in relevance order: the ranking read for the page serves here too
                    self._search_bits = bitset(ranked, index.size)
                else:
                    ids = search_ranks(self.queryset.model, cleaned["q"], self.queryset.db, ranked=False)
                    self._search_bits = index.of_ids(ids)
            kept &= self._search_bits
        if leave_out != "donor" and cleaned.get("donor"):
            kept &= index.any_of(index.donor_bits, [donor.pk for donor in cleaned["donor"]])
        if leave_out != "area" and cleaned.get("area"):
            kept &= index.any_of(index.area_bits, [area.pk for area in cleaned["area"]])
        if leave_out != "place" and cleaned.get("place"):
            kept &= index.any_of(index.place_bits, [place.pk for place in cleaned["place"]])
        if leave_out != "status" and cleaned.get("status"):
            kept &= index.status_bits.get(cleaned["status"].pk, 0)
        currency = None if leave_out == "currency" else cleaned.get("currency")
        low, high = cleaned.get("min_amount"), cleaned.get("max_amount")
        if currency or low is not None or high is not None:
            kept &= index.with_funding(currency or None, low, high)
        return kept

    def ranked_search_positions(self):
        """For a search in relevance order: the facet index's positions of every published project its words
        match, best first (the order of ordered_by("relevance")); None for any other list.

        One query serves both the facets (as a bitset) and the page's rows (ranked_ids_kept()): a broad search
        matches most of the catalogue, and PostgreSQL reads every matching document to find and rank it. The
        database neither filters by publication nor sorts: the facet index does both (in_relevance_order())."""
        cleaned = self.cleaned_data
        if not cleaned.get("q") or (cleaned.get("sort") or DEFAULT_SORT) != "relevance":
            return None
        if not hasattr(self, "_ranked_positions"):
            ranks = search_ranks(self.queryset.model, cleaned["q"], self.queryset.db)
            self._ranked_positions = self.facet_index().in_relevance_order(ranks)
        return self._ranked_positions

    def ranked_ids_kept(self):
        """The ids of ranked_search_positions() that every other filter in force keeps (on the facet index), in
        that order, or None."""
        ranked = self.ranked_search_positions()
        if ranked is None:
            return None
        index = self.facet_index()
        kept = self.kept_bits()
        if kept != self._search_bits:  # another filter narrows the matches
            flags = kept.to_bytes((index.size + 7) // 8 or 1, "little")
            ranked = [where for where in ranked if flags[where >> 3] >> (where & 7) & 1]
        return PositionsInOrder(index, ranked)

    def ordered_ids_kept(self):
        """The ids of the listed projects in the list's order, as a sequence the paginator slices (KeptInOrder): from
        the facet index, for any filters and sort but a search in relevance order (ranked_ids_kept() has those)."""
        sort = self.cleaned_data.get("sort") or DEFAULT_SORT
        if sort == "relevance":  # without search words, relevance is title order (ordered_by())
            sort = "title"
        return KeptInOrder(self.facet_index(), self.kept_bits(), sort)

    def count(self):
        """How many projects the list holds: its bitset's population, no COUNT(*) over the catalogue."""
        return self.kept_bits().bit_count()

    def facets_in_sql(self):
        """facets(), counted by one grouped SQL query per facet: the reference the facet index is tested against.

        Each facet's counts apply every OTHER filter in force, never its own: a donor's count is how
        many of the projects the other filters keep that donor funds, so ticking a second donor (donors
        combine with "or") adds about that many. One grouped query per facet, whatever the catalogue's size
        (the QuerySets' facet_counts()).
        Returns {"donor": [FacetOption, ...], "area": [...], "place": [...], "status": [...], "currency": [...]}.
        """
        cleaned = self.cleaned_data

        def kept_by_the_others(facet):
            return self.narrowed(self.queryset, leave_out=facet).values("pk")

        def chosen(name):
            return set(self.data.getlist(name)) if self.is_bound else set()

        # A currency's count keeps the amount bounds: they compare grants in that currency.
        grants = Funding.objects.within(min_amount=cleaned.get("min_amount"), max_amount=cleaned.get("max_amount"))
        # Only the currencies some published grant is in (and one already chosen, so it can be unchosen).
        per_currency = grants.project_counts_per_currency(
            kept_by_the_others("currency"), in_use=Funding.objects.published()
        )

        def options(facet, rows, label=lambda row: own_words(row, "name")):
            return [FacetOption(row.slug, label(row), row.project_count, row.slug in chosen(facet)) for row in rows]

        return {
            "donor": options("donor", Donor.objects.facet_counts(kept_by_the_others("donor"))),
            "area": options("area", Area.objects.facet_counts(kept_by_the_others("area"))),
            # "North Macedonia (the text says “FYRM”)": today's name first where the text's is out of date.
            "place": options(
                "place", Place.objects.facet_counts(kept_by_the_others("place")), lambda row: row.marked_label
            ),
            "status": options("status", Status.objects.facet_counts(kept_by_the_others("status"))),
            "currency": [
                FacetOption(code, label, per_currency.get(code, 0), code in chosen("currency"))
                for code, label in Currency.choices
                if code in per_currency or code in chosen("currency")
            ],
        }

    def narrowed(self, queryset, leave_out=None):
        """`queryset` narrowed by every valid filter except `leave_out` (a facet's own), not yet ordered."""
        cleaned = self.cleaned_data
        for name, value in cleaned.items():
            if name != leave_out and given(value):
                queryset = self.filters[name].filter(queryset, value)
        currency = None if leave_out == "currency" else cleaned.get("currency")
        low, high = cleaned.get("min_amount"), cleaned.get("max_amount")
        if currency or low is not None or high is not None:
            queryset = queryset.with_funding(currency=currency or None, min_amount=low, max_amount=high)
        return queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_donor(self, queryset, name, value):
        return queryset.funded_by(value) if value else queryset

    def filter_area(self, queryset, name, value):
        return queryset.in_areas(value) if value else queryset

    def filter_place(self, queryset, name, value):
        return queryset.in_places(value) if value else queryset

    def filter_funding(self, queryset, name, value):
        # Currency and the amount bounds are applied together, to one grant, in narrowed().
        return queryset

    def filter_sort(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        return self.narrowed(queryset).ordered_by(self.cleaned_data.get("sort") or DEFAULT_SORT)

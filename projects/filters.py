"""The public list's query parameters, parsed and validated by django-filter.

Parameter names are a public contract (shared links depend on them):
q, donor, area, status, currency, min_amount, max_amount, sort, page.
"""

import django_filters
from django import forms

from .models import Area, Currency, Donor, Status

SORT_CHOICES = [
    ("title", "Title (A to Z)"),
    ("-title", "Title (Z to A)"),
    ("-amount", "Largest grant first"),
    ("amount", "Smallest grant first"),
    ("-start", "Newest start first"),
    ("start", "Oldest start first"),
]
DEFAULT_SORT = "title"
# The parameters that narrow the list (sort and page only order and slice it).
FILTER_PARAMETERS = ["q", "donor", "area", "status", "currency", "min_amount", "max_amount"]

# A text box with a decimal keypad (as GOV.UK advises) rather than type=number, which mangles bad input.
AMOUNT_FIELD = {
    "max_digits": 14,
    "decimal_places": 2,
    "min_value": 0,
    "widget": forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
}


class ProjectFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_amount", "The largest amount must not be below the smallest.")
        return data


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        max_length=200,
        help_text="Words in the title or the text.",
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "id_q-hint"}),
    )
    donor = django_filters.ModelMultipleChoiceFilter(
        label="Donor",
        queryset=Donor.objects.order_by("name"),
        to_field_name="slug",
        method="filter_donor",
        widget=forms.CheckboxSelectMultiple,
    )
    area = django_filters.ModelMultipleChoiceFilter(
        label="Area",
        queryset=Area.objects.order_by("name"),
        to_field_name="slug",
        method="filter_area",
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.ModelChoiceFilter(
        label="Status", queryset=Status.objects.all(), to_field_name="slug", empty_label="Any status"
    )
    currency = django_filters.ChoiceFilter(
        label="Currency", choices=Currency.choices, method="filter_funding", empty_label="Any currency"
    )
    min_amount = django_filters.NumberFilter(
        label="Grant of at least", method="filter_funding", **AMOUNT_FIELD
    )
    max_amount = django_filters.NumberFilter(
        label="Grant of at most", method="filter_funding", **AMOUNT_FIELD
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by", choices=SORT_CHOICES, method="filter_sort", empty_label=None
    )

    class Meta:
        form = ProjectFilterForm

    def active_filters(self):
        """The filters in force, each with a link that removes just it: [{"label", "value", "remove_url"}]."""
        if not self.is_bound:
            return []
        data = self.data
        self.form.errors  # validates once (cached); cleaned_data then holds every valid value
        cleaned = self.form.cleaned_data
        names = {}
        for field in ("donor", "area"):
            names[field] = {obj.slug: obj.name for obj in cleaned.get(field) or []}
        if cleaned.get("status"):
            names["status"] = {cleaned["status"].slug: cleaned["status"].name}
        active = []
        for field in FILTER_PARAMETERS:
            for value in data.getlist(field):
                if not value.strip():
                    continue
                remaining = data.copy()
                remaining.setlist(field, [v for v in data.getlist(field) if v != value])
                remaining.pop("page", None)
                query = remaining.urlencode()
                active.append(
                    {
                        "label": self.filters[field].label,
                        "value": names.get(field, {}).get(value, value),
                        "remove_url": f"?{query}" if query else "?",
                    }
                )
        return active

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_donor(self, queryset, name, value):
        return queryset.funded_by(value) if value else queryset

    def filter_area(self, queryset, name, value):
        return queryset.in_areas(value) if value else queryset

    def filter_funding(self, queryset, name, value):
        # Currency and the amount bounds are applied together, to one grant, in filter_queryset.
        return queryset

    def filter_sort(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        currency, low, high = data.get("currency"), data.get("min_amount"), data.get("max_amount")
        if currency or low is not None or high is not None:
            queryset = queryset.with_funding(currency=currency or None, min_amount=low, max_amount=high)
        return queryset.ordered_by(data.get("sort") or DEFAULT_SORT)

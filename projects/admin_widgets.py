"""Widgets, fields and list filters of the staff's project form (projects.admin uses them).

- MonthField: a month and a year, for facts the texts give to the month ("September 2015"), never a day.
- SourceSentenceSelect: the sentences of the project's text as choices, so a fact's source is picked,
  not retyped.
- The one-line readings shown on each grant, partnership and figure card before it is opened.
"""

import datetime
import re

from django import forms
from django.contrib import admin
from django.utils.dates import MONTHS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .templatetags.catalogue import figure_period, figure_with_unit, grant

# A sentence ends at ".", "!" or "?" (maybe closed by a quote or bracket) followed by white space and
# a capital, a digit or an opening quote. "U.S. State" does not end one: the next word must start a sentence
# after a word longer than one letter or a number.
SENTENCE_END = re.compile(r"(?:(?<=[^\s.]{2}[.!?])|(?<=[^\s.]{2}[.!?][\"”’)]))\s+(?=[A-Z0-9“\"(])")
# A paragraph may open with a heading label ("Introduction: The EU provides..."): not part of any sentence.
HEADING_LABEL = re.compile(r"^[A-Z][\w ]{0,30}:\s+(?=[A-Z“\"])")


def sentences_of(text):
    """The sentences of a project's text, in order, each with its white space folded."""
    sentences = []
    for paragraph in re.split(r"\n\s*\n", text or ""):
        paragraph = HEADING_LABEL.sub("", " ".join(paragraph.split()))
        sentences.extend(part.strip() for part in SENTENCE_END.split(paragraph) if part.strip())
    return sentences


class SourceSentenceSelect(forms.Select):
    """A choice among the project text's sentences, keeping the current sentence even if it is no longer one.

    The choices are set per project by the inline (ProjectAdmin's inlines, get_formset()). A select
    needs no JavaScript; with it (static/js/admin-sentences.js), selecting words in the project text
    picks the sentence that holds them.
    """

    template_name = "admin/projects/widgets/source_sentence.html"

    def __init__(self, sentences=(), attrs=None):
        super().__init__(attrs={"class": "source-sentence", **(attrs or {})})
        self.sentences = list(sentences)

    def get_context(self, name, value, attrs):
        sentences = list(self.sentences)
        current = " ".join((value or "").split())
        if current and current not in sentences:
            sentences.insert(0, value)
        self.choices = [("", gettext("— Choose the sentence this comes from —"))] + [(s, s) for s in sentences]
        return super().get_context(name, value, attrs)


class MonthWidget(forms.MultiWidget):
    """A month (a select, or "year only") and a four-digit year: no day, no calendar, no "Today"."""

    template_name = "admin/projects/widgets/month.html"

    def __init__(self, attrs=None):
        months = [("", gettext("— (year only)"))] + [(str(number), name) for number, name in MONTHS.items()]
        super().__init__(
            [
                forms.Select(choices=months, attrs={"class": "month-input__month"}),
                forms.NumberInput(
                    attrs={"class": "month-input__year", "min": 1900, "max": 2100, "inputmode": "numeric"}
                ),
            ],
            attrs,
        )

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.month), str(value.year)]
        return ["", ""]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Each part gets its own label: the month and the year are two controls for screen readers.
        labels = [gettext("Month"), gettext("Year")]
        for subwidget, label in zip(context["widget"]["subwidgets"], labels):
            subwidget["label"] = label
        return context


class MonthField(forms.MultiValueField):
    """A date stored as the first day of its month (of January when only the year is given)."""

    widget = MonthWidget

    def __init__(self, *, year_only_month=1, **kwargs):
        kwargs.pop("max_length", None)
        self.year_only_month = year_only_month
        fields = [
            forms.TypedChoiceField(
                choices=[("", "")] + [(str(n), str(n)) for n in range(1, 13)], coerce=int, required=False
            ),
            forms.IntegerField(
                min_value=1900,
                max_value=2100,
                required=False,
                error_messages={
                    "min_value": _("Enter a year between 1900 and 2100."),
                    "max_value": _("Enter a year between 1900 and 2100."),
                },
            ),
        ]
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        month, year = data_list
        if year in (None, ""):
            if month not in (None, ""):
                raise forms.ValidationError(_("Enter the year as well as the month."), code="no_year")
            return None
        return datetime.date(year, month or self.year_only_month, 1)


def funding_reading(funding):
    """ "European Union · EUR 1,000,000"."""
    return " · ".join(str(part) for part in [funding.donor, grant(funding)] if part)


def partnership_reading(partnership):
    """ "Implemented by · Commissariat for Refugees and Migration"."""
    return f"{partnership.get_role_display()} · {partnership.partner}"


def figure_reading(figure):
    """ "more than 700,000 people · As of mid-2015 until the beginning of March 2016 · Republic of Serbia"."""
    parts = [figure_with_unit(figure), figure_period(figure)]
    if figure.place:
        parts.append(figure.place)
    return " · ".join(str(part) for part in parts)


def place_reading(link):
    """ "FYRM (North Macedonia) · Country"."""
    place = link.place
    name = f"{place.name} ({place.display_name})" if place.display_name else place.name
    return f"{name} · {place.get_kind_display()}"


def reading(obj):
    """The one-line reading of a grant, partnership, figure or place (projects.admin's inline cards)."""
    for attribute, read in (
        ("donor_id", funding_reading),
        ("partner_id", partnership_reading),
        ("place_id", place_reading),
    ):
        if hasattr(obj, attribute):
            return read(obj)
    return figure_reading(obj)


class RelatedFilterSayingNone(admin.RelatedFieldListFilter):
    """A related-field filter whose empty choice says what it means ("No area"), not "-"."""

    empty_label = _("None")

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = self.empty_label


class AreaFilter(RelatedFilterSayingNone):
    empty_label = _("No area")


class DonorFilter(RelatedFilterSayingNone):
    empty_label = _("No donor")


class PublishedFilter(admin.BooleanFieldListFilter):
    """ "Published" / "Not published" rather than a bare "Yes" / "No"."""

    def choices(self, changelist):
        labels = {"1": _("Published"), "0": _("Not published")}
        for choice in super().choices(changelist):
            for value, label in labels.items():
                if f"{self.lookup_kwarg}={value}" in choice["query_string"]:
                    choice["display"] = label
            yield choice

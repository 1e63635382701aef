"""How the portal says money, figures and dates, the same way on every page."""

import dataclasses
import functools
import json
import re
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dates import MONTHS
from django.utils.formats import get_format, number_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext, npgettext
from django.utils.translation import gettext_lazy as _

from projects.context_processors import language_tag as bcp47_tag
from projects.context_processors import url_in_language
from projects.models import FigureQualifier, FigureUnit, Precision
from projects.querysets import MATCH_END, MATCH_START
from projects.translation import in_page_language, own_words

register = template.Library()

MATCH = re.compile(f"{MATCH_START}(.*?){MATCH_END}", flags=re.DOTALL)
# What json_script escapes: inside <script>, "</script>" or "<!--" in a text can then never end the element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

NOT_STATED = _("not stated")
# The language of the project texts, names and quoted sentences, whatever the interface's language.
SOURCE_LANGUAGE = "en"


def group_digits(value):
    """12345678 -> "12,345,678" in English, "12.345.678" in Serbian; keeps cents only when there are any.

    Grouped the way the interface's language writes numbers: "650,000" would read as 650 in Serbian.
    """
    value = Decimal(value)
    decimal_places = 0 if value == value.to_integral_value() else 2
    if value.as_tuple().exponent < -2:  # more places than amounts have: as Django writes them (it truncates)
        return number_format(value, decimal_places, use_l10n=True, force_grouping=True)
    # Python's own grouping, then the language's marks: what number_format() writes for these values (groups of
    # three in English and Serbian, NUMBER_GROUPING), at about half its cost; a page of totals writes hundreds.
    grouped = f"{value:,.{decimal_places}f}"
    marks = number_marks(get_language())
    return grouped if marks is None else grouped.translate(marks)


@functools.cache
def number_marks(language):
    """The translation from Python's "," and "." to `language`'s thousands and decimal marks; None for the same."""
    thousands, decimal = get_format("THOUSAND_SEPARATOR", language), get_format("DECIMAL_SEPARATOR", language)
    return None if (thousands, decimal) == (",", ".") else {ord(","): thousands, ord("."): decimal}


@register.filter
def money(amount, currency=""):
    """Decimal("650000.00"), "USD" -> "USD 650,000"; no amount -> "not stated" (never 0)."""
    if amount is None or amount == "":
        return NOT_STATED
    return f"{currency} {group_digits(amount)}".strip()


@register.filter
def grant(funding):
    """A Funding row's amount: "USD 650,000" or "not stated"."""
    return money(funding.amount, funding.currency)


@register.filter
def plain_number(amount):
    """Decimal("650000.00") -> "650000", Decimal("12.50") -> "12.5": digits any program reads; None -> ""."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return str(int(amount))
    return format(amount.normalize(), "f")


@register.filter
def number(value):
    return NOT_STATED if value is None else group_digits(value)


@register.filter
def figure_value(figure):
    """ "more than 700,000", "some 4,000", "6,000–7,000" (an en dash between the ends of a range)."""
    value = group_digits(figure.value_low)
    if figure.is_range:
        value += "–" + group_digits(figure.value_high)
    if figure.qualifier != FigureQualifier.EXACT:
        value = f"{figure.get_qualifier_display()} {value}"
    return value


# What a figure counts, in the form its number takes: Serbian has three ("1 centar", "2 centra", "5 centara";
# "21 osoba", "3 osobe", "700.000 osoba"), chosen by the catalogue's Plural-Forms rule.
UNIT_WORDS = {
    FigureUnit.PEOPLE: lambda n: npgettext("figure unit", "person", "people", n),
    FigureUnit.PEOPLE_PER_DAY: lambda n: npgettext("figure unit", "person per day", "people per day", n),
    FigureUnit.CENTRES: lambda n: npgettext("figure unit", "centre", "centres", n),
}


@register.filter
def unit_words(figure):
    """The unit after a figure's number, agreeing with it: with a range, its upper end ("6,000–7,000 people")."""
    said = figure.value_high if figure.is_range else figure.value_low
    words = UNIT_WORDS.get(figure.unit)
    return words(said) if words else figure.get_unit_display()


@register.filter
def figure_with_unit(figure):
    """ "6,000–7,000 people per day", "1 centre", "5 centara"."""
    return f"{figure_value(figure)} {unit_words(figure)}"


@register.filter
def partial_date(value, precision=Precision.MONTH):
    """A date at the precision the text gives it: "2015", "September 2015", "1 September 2015", "about July 2015"
    ("septembar 2015.", "1. septembar 2015." in Serbian)."""
    if value is None:
        return NOT_STATED
    if precision == Precision.YEAR:
        return str(value.year)
    parts = {"day": value.day, "month": MONTHS[value.month], "year": value.year}
    if precision == Precision.DAY:
        return gettext("%(day)s %(month)s %(year)s") % parts
    if precision == Precision.APPROXIMATE:
        # The month stands in for looser words ("mid-2015"): say so rather than claim the month.
        return gettext("about %(month)s %(year)s") % parts
    return gettext("%(month)s %(year)s") % parts


@register.filter
def figure_period(figure):
    """The period in the text's own words, else from its dates at their precision."""
    if figure.period_label:
        return own_words(figure, "period_label")
    start, end = figure.period_start, figure.period_end
    if start is None and end is None:
        return NOT_STATED
    if start is None:
        return gettext("until %(end)s") % {"end": partial_date(end, figure.period_end_precision)}
    said = partial_date(start, figure.period_start_precision)
    if end and end != start:
        return gettext("%(start)s to %(end)s") % {"start": said, "end": partial_date(end, figure.period_end_precision)}
    return said


@register.filter
def duration(months):
    if months is None:
        return NOT_STATED
    if months % 12 == 0:
        years = months // 12
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}


@register.filter
def in_minutes(delta):
    """A timedelta as a phrase staff read at a glance: "15 minutes", "1 minute"."""
    minutes = max(1, round(delta.total_seconds() / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def in_source_language():
    return (get_language() or SOURCE_LANGUAGE) == SOURCE_LANGUAGE


@register.filter
def source(text):
    """A text from the catalogue (a title, a name, a quoted sentence) marked as English on pages in another language.

    The project texts stay in English, as the source gives them: screen readers and translation
    tools then read them as English inside a Serbian page. The catalogue's own words in the page's
    language (projects.translation.OwnWords, e.g. `area.translated.name`) need no mark.
    """
    if in_source_language() or in_page_language(text):
        return text
    return format_html('<span lang="{}">{}</span>', SOURCE_LANGUAGE, text)


@register.filter
def place_label(place):
    """A place as pages name it, in the page's language: "Greece", "Grčka", or "Severna Makedonija (u tekstu:
    „FYRM“)", every English name (the text's own always) inside lang="en" on pages in another language."""
    return place.marked_label


@register.simple_tag
def source_lang(text=None):
    """` lang="en"` for an element that holds only catalogue text, on pages in another language.

    With `text` (OwnWords, e.g. `{% source_lang area.translated.name %}`): only when that text is English.
    """
    if in_source_language() or (text is not None and in_page_language(text)):
        return ""
    return format_html(' lang="{}"', SOURCE_LANGUAGE)


@register.filter
def language_tag(code):
    """A Django language code as a BCP 47 tag for lang attributes: "sr-latn" -> "sr-Latn"."""
    return bcp47_tag(code)


@register.filter
def in_language(url, code):
    """The same page's address in another interface language: "/projects/?q=x" -> "/sr-latn/projects/?q=x"."""
    return url_in_language(url, code)


@register.filter
def highlight(headline):
    """A search headline as HTML: all of it escaped, then only the matches the database marked put in <mark>.

    The text is never trusted as HTML: markup in a project's text shows as text.
    """
    marked = MATCH.sub(r"<mark>\1</mark>", escape(headline))
    return mark_safe(marked.replace(MATCH_START, "").replace(MATCH_END, ""))


@register.filter
def json_ld(data):
    """`data` as a schema.org JSON-LD block. Browsers never run it (it is data, so the CSP allows it), and it
    is escaped the way json_script escapes, so no text can close the element early."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


class CaptureNode(template.Node):
    def __init__(self, nodelist, name):
        self.nodelist = nodelist  # "nodelist", so {% extends %} finds the blocks inside
        self.name = name

    def render(self, context):
        # Already rendered (and escaped) by the template engine: keep it as it is, white space folded.
        context[self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))
        return ""


@register.tag
def capture(parser, token):
    """{% capture as name %}...{% endcapture %}: render the enclosed template once and keep it in `name`.

    base.html captures the title and description blocks, so <title>, the meta description and the
    Open Graph tags all say the same thing.
    """
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Use {% capture as name %}...{% endcapture %}.")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


@register.simple_tag
def not_stated():
    """What every page shows where a text does not give a fact: "not stated", in its one style."""
    return format_html('<span class="not-stated">{}</span>', NOT_STATED)


@register.filter
def opening(text):
    """A list row's words of what the project did: its text's first sentence, verbatim, cut at a word with "…"."""
    from projects.provenance import first_sentence

    return first_sentence(text)


def _number_spellings(value):
    """How a source text may write `value`: "700,000", "700000", and "1 million" for 1,000,000."""
    value = int(value)
    spellings = [f"{value:,}", str(value)]
    if value >= 1_000_000 and value % 1_000_000 == 0:
        spellings.append("million")
    return spellings


@register.filter
def figure_words(figure):
    """The words of a figure's sentence around the figure itself, "…" where cut (the card links to the whole)."""
    from projects.provenance import words_around

    return words_around(figure.source_sentence, _number_spellings(figure.value_low))


@register.filter
def grant_words(funding):
    """The words of a grant's sentence around its amount, "…" where cut."""
    from projects.provenance import words_around

    needles = _number_spellings(funding.amount) if funding.amount is not None else []
    return words_around(funding.source_sentence, needles + ["fund", "financ"])


def _key_part(value):
    """`value` as part of a fragment's key: lists, error lists and dataclasses (FacetOption) become tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(_key_part(item) for item in value)
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, *(_key_part(getattr(value, field.name)) for field in dataclasses.fields(value)))
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


class KeptFragmentNode(template.Node):
    def __init__(self, name, nodelist, vary_on):
        self.name, self.nodelist, self.vary_on = name, nodelist, vary_on

    def render(self, context):
        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)
        from projects.fragments import fragments_for

        key = ("tag", self.name, get_language(), *(_key_part(value.resolve(context)) for value in self.vary_on))
        fragments = fragments_for(request)
        html = fragments.get(key)
        if html is None:
            html = self.nodelist.render(context)
            fragments.put(key, html)
        return html


@register.tag
def kept_fragment(parser, token):
    """`{% kept_fragment "name" var1 var2 %}...{% endkept_fragment %}`: what is inside, rendered once per catalogue
    generation, language and values of the variables, then taken from this worker's memory (projects.fragments).

    Like Django's `{% cache %}`, but with no timeout: the catalogue generation retires it. The variables must be
    everything the inside shows apart from the catalogue itself and the language.
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a name")
    nodelist = parser.parse(("endkept_fragment",))
    parser.delete_first_token()
    return KeptFragmentNode(bits[1].strip("\"'"), nodelist, [parser.compile_filter(bit) for bit in bits[2:]])

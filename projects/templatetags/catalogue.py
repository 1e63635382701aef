"""How the portal says money, figures and dates, the same way on every page."""

import json
import re
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dates import MONTHS
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from projects.models import FigureQualifier, Precision
from projects.querysets import MATCH_END, MATCH_START

register = template.Library()

MATCH = re.compile(f"{MATCH_START}(.*?){MATCH_END}", flags=re.DOTALL)
# What json_script escapes: inside <script>, "</script>" or "<!--" in a text can then never end the element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

NOT_STATED = "not stated"


def group_digits(value):
    """12345678 -> "12,345,678"; keeps cents only when there are any."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


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
    """"more than 700,000", "some 4,000", "6,000–7,000" (an en dash between the ends of a range)."""
    value = group_digits(figure.value_low)
    if figure.is_range:
        value += "–" + group_digits(figure.value_high)
    if figure.qualifier != FigureQualifier.EXACT:
        value = f"{figure.get_qualifier_display()} {value}"
    return value


@register.filter
def figure_with_unit(figure):
    """"6,000–7,000 people per day"."""
    return f"{figure_value(figure)} {figure.get_unit_display()}"


@register.filter
def partial_date(value, precision=Precision.MONTH):
    """A date at the precision the text gives it: "2015", "September 2015", "1 September 2015"."""
    if value is None:
        return NOT_STATED
    if precision == Precision.YEAR:
        return str(value.year)
    if precision == Precision.DAY:
        return f"{value.day} {MONTHS[value.month]} {value.year}"
    return f"{MONTHS[value.month]} {value.year}"


@register.filter
def figure_period(figure):
    """The period in the text's own words, else from its dates."""
    if figure.period_label:
        return figure.period_label
    if figure.period_start is None:
        return NOT_STATED
    start = partial_date(figure.period_start)
    if figure.period_end and figure.period_end != figure.period_start:
        return f"{start} to {partial_date(figure.period_end)}"
    return start


@register.filter
def duration(months):
    if months is None:
        return NOT_STATED
    if months % 12 == 0:
        years = months // 12
        return f"{years} year" if years == 1 else f"{years} years"
    return f"{months} month" if months == 1 else f"{months} months"


@register.filter
def in_minutes(delta):
    """A timedelta as a phrase staff read at a glance: "15 minutes", "1 minute"."""
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


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

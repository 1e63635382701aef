"""How the portal says money, figures and dates, the same way on every page."""

from decimal import Decimal

from django import template
from django.utils.dates import MONTHS

from projects.models import FigureQualifier, Precision

register = template.Library()

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

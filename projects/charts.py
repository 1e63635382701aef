"""Where the marks of the server-rendered SVG charts go: plain facts in, positions out. No queries, no markup.

Across the width, positions are percentages, so a chart fills any screen, 390 px wide or a printed page,
while its text keeps its size; down the page they are pixels. They are handed to the templates as
strings ("41.67%"), so no locale ever writes a decimal comma into an SVG attribute.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import groupby

from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import FigureUnit
from .templatetags.catalogue import figure_period, figure_value, money, number

# Funding bars: per row a label line, then the bar with its amount.
BAR_ROW = 52
BAR_LABEL_BASELINE = 15
BAR_TOP = 22
BAR_THICKNESS = 20
BAR_LABEL_CHARACTERS = 44
# An amount fits inside its bar, in white, when the bar is at least this wide; else it goes after it.
AMOUNT_INSIDE_FROM = 60
# The smallest bar drawn, so a small grant beside a large one is still seen.
SMALLEST_BAR = Decimal("0.5")

# Timeline panels: room for value labels above the plot and the year labels below it.
PLOT_TOP = 24
PLOT_HEIGHT = 120
AXIS_HEIGHT = 28
# A mark's label goes to its right, unless the mark is this far across: then to its left.
LABEL_FLIPS_AT = 60


def percent(value):
    return f"{value:.2f}%"


@dataclass
class Bar:
    label: str
    amount: str  # as the portal says it: "USD 650,000"
    width: str
    amount_inside: bool
    label_y: int
    bar_y: int
    amount_y: int


@dataclass
class BarChart:
    """One currency's bars: amounts in different currencies are never drawn on one scale."""

    currency: str
    bars: list
    height: int


def funding_charts(amounts):
    """Horizontal bar charts of stated amounts, one per currency, largest first.

    `amounts`: (currency, label, amount) for each bar, e.g. ("USD", "INL", Decimal("650000")).
    Rows without an amount are left out: "not stated" is not a bar of length 0.
    """
    stated = sorted((a for a in amounts if a[2] is not None), key=lambda a: (a[0], -a[2], a[1]))
    charts = []
    for currency, rows in groupby(stated, key=lambda a: a[0]):
        rows = list(rows)
        largest = rows[0][2]
        bars = []
        for number, (_currency, label, amount) in enumerate(rows):
            share = max(amount / largest * 100, SMALLEST_BAR)
            top = number * BAR_ROW
            bars.append(
                Bar(
                    label=Truncator(label).chars(BAR_LABEL_CHARACTERS),
                    amount=money(amount, currency),
                    width=percent(share),
                    amount_inside=share >= AMOUNT_INSIDE_FROM,
                    label_y=top + BAR_LABEL_BASELINE,
                    bar_y=top + BAR_TOP,
                    amount_y=top + BAR_TOP + BAR_THICKNESS - 5,
                )
            )
        charts.append(BarChart(currency=currency, bars=bars, height=len(rows) * BAR_ROW))
    return charts


@dataclass
class Mark:
    """One figure on a panel: a point (one month), a range (6,000–7,000 in one month) or a period."""

    label: str  # "6,000–7,000"
    when: str  # "October 2015", in the text's own words where it gives them
    x: str
    x_end: str  # where a period ends; equal to x for a single month
    y: int
    y_high: int  # the top of a range; equal to y otherwise
    is_period: bool
    label_x: str
    label_y: int
    anchor: str  # "start": label to the right of the mark; "end": to its left
    dx: int


@dataclass
class Panel:
    """The figures of one kind, on a scale of their own."""

    key: str  # "people_per_day": one of PANEL_TITLES
    title: str
    marks: list
    gridlines: list  # [(y, "10,000"), ...], from the top
    height: int = PLOT_TOP + PLOT_HEIGHT + AXIS_HEIGHT
    axis_y: int = PLOT_TOP + PLOT_HEIGHT


@dataclass
class Timeline:
    first_year: int
    last_year: int
    panels: list
    years: list = field(default_factory=list)  # [(x, "2015"), ...]


# The kinds of figure the texts give, in the order they are shown. People counted over a period
# (a total that passed through) and people counted at one time (how many are there) are different
# measures even though both count people, so they never share a scale.
PANEL_TITLES = {
    "people_per_day": _("People per day"),
    "people_over_a_period": _("People over a period (total)"),
    "people_at_a_time": _("People at one time"),
    "centres": _("Centres"),
}


def panel_key(figure):
    if figure.unit == FigureUnit.PEOPLE:
        spans_months = figure.period_end is not None and figure.period_end != figure.period_start
        return "people_over_a_period" if spans_months else "people_at_a_time"
    return figure.unit


def nice_ceiling(value):
    """The scale's top: 7,000 -> 10,000; 18 -> 20; 700,000 -> 1,000,000."""
    magnitude = 10 ** (len(str(int(value))) - 1)
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def figures_timeline(figures):
    """Panels of dated figures on one time axis, January of the first year to December of the last.

    `figures`: ContextFigure rows with a period_start (one per fact: see ContextFigureQuerySet.key_figures).
    Returns None when there is nothing to draw.
    """
    figures = [f for f in figures if f.period_start]
    if not figures:
        return None
    first_year = min(f.period_start.year for f in figures)
    last_year = max((f.period_end or f.period_start).year for f in figures)
    months = (last_year - first_year + 1) * 12

    def across(date, offset):
        """Percent across the axis: offset 0 is the month's start, 0.5 its middle, 1 its end."""
        return ((date.year - first_year) * 12 + date.month - 1 + offset) / months * 100

    by_kind = {}
    for figure in figures:
        by_kind.setdefault(panel_key(figure), []).append(figure)
    panels = []
    for key, title in PANEL_TITLES.items():
        kind = by_kind.get(key)
        if not kind:
            continue
        top = nice_ceiling(max(f.value_high or f.value_low for f in kind))

        def down(value, top=top):
            return PLOT_TOP + round(PLOT_HEIGHT * (1 - value / top))

        marks = []
        for figure in sorted(kind, key=lambda f: (f.period_start, f.value_low)):
            end = figure.period_end or figure.period_start
            is_period = end != figure.period_start
            start_x = across(figure.period_start, 0 if is_period else 0.5)
            end_x = across(end, 1) if is_period else start_x
            y, y_high = down(figure.value_low), down(figure.value_high or figure.value_low)
            if is_period:
                # Above the bar, from its start (or its end, near the right edge).
                flips = start_x > LABEL_FLIPS_AT
                label_x, label_y, dx = (end_x if flips else start_x), y - 8, 0
            else:
                flips = start_x > LABEL_FLIPS_AT
                label_x, label_y, dx = start_x, (y + y_high) // 2 + 5, (-10 if flips else 10)
            marks.append(
                Mark(
                    label=figure_value(figure),
                    when=figure_period(figure),
                    x=percent(start_x),
                    x_end=percent(end_x),
                    y=y,
                    y_high=y_high,
                    is_period=is_period,
                    label_x=percent(label_x),
                    label_y=label_y,
                    anchor="end" if flips else "start",
                    dx=dx,
                )
            )
        gridlines = [(down(value), number(value)) for value in (top, top // 2, 0)]
        panels.append(Panel(key=key, title=title, marks=marks, gridlines=gridlines))
    years = [(percent(across(date(year, 1, 1), 0)), str(year)) for year in range(first_year, last_year + 1)]
    return Timeline(first_year=first_year, last_year=last_year, panels=panels, years=years)

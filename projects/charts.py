"""Where the marks of the server-rendered SVG charts go: plain facts in, positions out. No queries, no markup.

Across the width, positions are percentages, so a chart fills any screen, 390 px wide or a printed page,
while its text keeps its size; down the page they are pixels. They are handed to the templates as
strings ("41.67%"), so no locale ever writes a decimal comma into an SVG attribute.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import groupby

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .models import FigureUnit, Precision
from .templatetags.catalogue import figure_period, figure_value, money, number, source_lang

# Funding bars: per row the label's lines, then the bar with its amount; below the rows, the axis in the currency.
LABEL_LINE = 18
BAR_LABEL_BASELINE = 15
BAR_GAP = 4  # between the label's last line and its bar
BAR_THICKNESS = 20
ROW_GAP = 12
# Labels are the names the page's table gives, never abbreviations: long ones wrap onto more lines.
BAR_LABEL_CHARACTERS = 40
# An amount fits inside its bar, in white, when the bar is at least this wide; else it goes after it.
AMOUNT_INSIDE_FROM = 60
# The smallest bar drawn, so a small grant beside a large one is still seen.
SMALLEST_BAR = Decimal("0.5")
AXIS_ROOM = 44  # the tick labels and the axis title under the bars
# The fewest values worth a chart: one value is said by the number and the table.
FEWEST_TO_DRAW = 2


def percent(value):
    return f"{value:.2f}%"


def wrapped(label, width=BAR_LABEL_CHARACTERS):
    """A label in lines of at most `width` characters, broken between words (a longer word keeps its line)."""
    lines = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


@dataclass
class Bar:
    label: str
    label_lines: list  # [(y, "International Narcotics and Law"), ...]
    amount: str  # as the portal says it: "USD 650,000"
    width: str
    amount_inside: bool
    bar_y: int
    amount_y: int

    def svg(self):
        """The bar's label, rect and amount as SVG markup (escaped), as includes/_funding_charts.html places it.

        Made here rather than in the template: a chart of every donor or every grant has dozens of bars, and
        the template engine spent more on them than on the rest of the page."""
        # Plain strings, each value escaped once: format_html() would cost more than the rest of a chart of 200 bars.
        label = " ".join(f'<tspan x="0" y="{y}">{escape(line)}</tspan>' for y, line in self.label_lines)
        width, amount_y, amount = escape(self.width), self.amount_y, escape(self.amount)
        if self.amount_inside:
            amount = (
                f'<text class="chart__amount chart__amount--inside" x="{width}" dx="-6" y="{amount_y}" '
                f'text-anchor="end">{amount}</text>'
            )
        else:
            amount = f'<text class="chart__amount" x="{width}" dx="6" y="{amount_y}">{amount}</text>'
        # The label is a donor's or a project's name: English in every interface, so marked on other pages.
        return mark_safe(
            f'<text class="chart__label"{source_lang()}>{label}</text>\n'
            f'    <rect class="chart__bar" x="0" y="{self.bar_y}" width="{width}" height="20"/>\n'
            f"    {amount}\n"
        )


@dataclass
class BarChart:
    """One currency's bars, on an axis of its own in that currency: amounts in different currencies never share one."""

    currency: str
    bars: list
    ticks: list  # [(x, "500,000", anchor), ...] along the axis
    axis_y: int
    height: int


def funding_charts(amounts):
    """Horizontal bar charts of stated amounts, one per currency, largest first.

    `amounts`: (currency, label, amount) for each bar, e.g. ("USD", "IOM International Development Fund", 130000).
    Rows without an amount are left out: "not stated" is not a bar of length 0. A currency with a single stated
    amount gets no chart: one bar compares nothing, and the page's number and table already say it.
    """
    stated = sorted((a for a in amounts if a[2] is not None), key=lambda a: (a[0], -a[2], a[1]))
    charts = []
    for currency, rows in groupby(stated, key=lambda a: a[0]):
        rows = list(rows)
        if len(rows) < FEWEST_TO_DRAW:
            continue
        top = nice_ceiling(rows[0][2])
        bars = []
        y = 0
        for _currency, label, amount in rows:
            share = max(amount / top * 100, SMALLEST_BAR)
            lines = wrapped(label)
            label_lines = [(y + BAR_LABEL_BASELINE + n * LABEL_LINE, line) for n, line in enumerate(lines)]
            bar_y = y + len(lines) * LABEL_LINE + BAR_GAP
            bars.append(
                Bar(
                    label=label,
                    label_lines=label_lines,
                    amount=money(amount, currency),
                    width=percent(share),
                    amount_inside=share >= AMOUNT_INSIDE_FROM,
                    bar_y=bar_y,
                    amount_y=bar_y + BAR_THICKNESS - 5,
                )
            )
            y = bar_y + BAR_THICKNESS + ROW_GAP
        half = Decimal(top) / 2
        ticks = [("0%", number(0), "start"), ("50%", number(half), "middle"), ("100%", number(top), "end")]
        charts.append(BarChart(currency=currency, bars=bars, ticks=ticks, axis_y=y, height=y + AXIS_ROOM))
    return charts


# Timeline panels: room for value labels above the plot and the year labels below it.
PLOT_TOP = 24
PLOT_HEIGHT = 120
AXIS_HEIGHT = 28
# A mark's label goes to its right, unless the mark is this far across: then to its left.
LABEL_FLIPS_AT = 60
# A year's label goes left of its line when the line is this close to the axis's end.
YEAR_LABEL_FLIPS_AT = 92
# Periods of the same value would be drawn on one line: each further one a few pixels lower, labelled below.
LANE_OFFSET = 8


@dataclass
class Mark:
    """One figure on a panel: a point (one month), a range (6,000–7,000 in one month) or a period.

    A period's bound that the text gives loosely ("mid-2015") or not at all ("until March 2016") is drawn as a
    dashed stretch (`x_loose`..`x`) before the solid part, which starts where the words are firm.
    """

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
    when_is_source: bool = False  # `when` is the text's own (English) words, marked lang="en" on other pages
    x_loose: str = ""  # where the dashed stretch of a loose or unstated start begins; "" when the start is firm
    start_is_open: bool = False  # the text gives no start at all


@dataclass
class Panel:
    """The figures of one kind, on a scale of their own."""

    key: str  # "people_per_day": one of PANEL_TITLES
    title: str
    marks: list
    gridlines: list  # [(y, "10,000"), ...], from the top
    height: int = PLOT_TOP + PLOT_HEIGHT + AXIS_HEIGHT
    axis_y: int = PLOT_TOP + PLOT_HEIGHT

    @property
    def has_loose_bound(self):
        return any(mark.x_loose for mark in self.marks)


@dataclass
class Timeline:
    first_year: int
    last_year: int
    panels: list
    years: list = field(default_factory=list)  # [(x, "2015", anchor, dx), ...]


# The kinds of figure the texts give, in the order they are shown. People counted over a period
# (a total that passed through) and people counted at one time (how many are there) are different
# measures even though both count people, so they never share a scale.
PANEL_TITLES = {
    "people_per_day": _("People per day"),
    "people_over_a_period": _("People over a period (total)"),
    "people_at_a_time": _("People at one time"),
    "centres": _("Centres"),
}


def spans_months(figure):
    if figure.period_start is None:
        return figure.period_end is not None  # a total "until" a date: a period whose start is not stated
    return figure.period_end is not None and figure.period_end != figure.period_start


def panel_key(figure):
    if figure.unit == FigureUnit.PEOPLE:
        return "people_over_a_period" if spans_months(figure) else "people_at_a_time"
    return figure.unit


def nice_ceiling(value):
    """The scale's top: 7,000 -> 10,000; 18 -> 20; 700,000 -> 1,000,000."""
    magnitude = 10 ** (len(str(int(value))) - 1)
    return next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value)


def figures_timeline(figures):
    """Panels of dated figures on one time axis, from January of the first year to the end of the last month
    any figure reaches: the axis ends where the figures end.

    `figures`: ContextFigure rows (one per fact: see ContextFigureQuerySet.key_figures); undated ones are left
    out. A kind with a single figure gets no panel (one mark compares nothing; the table says it). Returns None
    when there is nothing to draw.
    """
    figures = [f for f in figures if f.is_dated]
    by_kind = {}
    for figure in figures:
        by_kind.setdefault(panel_key(figure), []).append(figure)
    by_kind = {key: kind for key, kind in by_kind.items() if len(kind) >= FEWEST_TO_DRAW}
    drawn = [figure for kind in by_kind.values() for figure in kind]
    if not drawn:
        return None
    first_year = min((f.period_start or f.period_end).year for f in drawn)
    last = max(f.period_end or f.period_start for f in drawn)
    months = (last.year - first_year) * 12 + last.month

    def across(date, offset):
        """Percent across the axis: offset 0 is the month's start, 0.5 its middle, 1 its end."""
        return ((date.year - first_year) * 12 + date.month - 1 + offset) / months * 100

    panels = []
    for key, title in PANEL_TITLES.items():
        kind = by_kind.get(key)
        if not kind:
            continue
        top = nice_ceiling(max(f.value_high or f.value_low for f in kind))

        def down(value, top=top):
            return PLOT_TOP + round(PLOT_HEIGHT * (1 - value / top))

        marks = []
        lanes = {}  # y -> how many periods are already drawn there
        for figure in sorted(kind, key=lambda f: (f.period_start or f.period_end, f.value_low)):
            start, end = figure.period_start, figure.period_end or figure.period_start
            is_period = spans_months(figure)
            y, y_high = down(figure.value_low), down(figure.value_high or figure.value_low)
            x_loose, line_start = "", None
            if not is_period:
                start_x = end_x = across(start, 0.5)
                flips = start_x > LABEL_FLIPS_AT
                label_x, label_y, dx = start_x, (y + y_high) // 2 + 5, (-10 if flips else 10)
            else:
                end_x = across(end, 1)
                if start is None:
                    # No start in the text: dashed from the axis's start, solid only in the month it ends.
                    line_start, start_x = 0, across(end, 0)
                elif figure.period_start_precision == Precision.APPROXIMATE:
                    # "mid-2015": dashed across the month either side of the one that stands for it.
                    line_start, start_x = max(across(start, -1), 0), across(start, 2)
                else:
                    line_start = start_x = across(start, 0)
                if line_start != start_x:
                    x_loose = percent(line_start)
                lane = lanes.get(y, 0)
                lanes[y] = lane + 1
                y = y_high = y + lane * LANE_OFFSET
                # Above the line (below it for a further lane), from where it begins, or its end near the right.
                flips = line_start > LABEL_FLIPS_AT
                label_x, label_y, dx = (end_x if flips else line_start), (y - 8 if lane == 0 else y + 18), 0
            marks.append(
                Mark(
                    label=figure_value(figure),
                    when=figure_period(figure),
                    when_is_source=bool(figure.period_label),
                    x=percent(start_x),
                    x_end=percent(end_x),
                    y=y,
                    y_high=y_high,
                    is_period=is_period,
                    label_x=percent(label_x),
                    label_y=label_y,
                    anchor="end" if flips else "start",
                    dx=dx,
                    x_loose=x_loose,
                    start_is_open=is_period and start is None,
                )
            )
        gridlines = [(down(value), number(value)) for value in (top, top // 2, 0)]
        panels.append(Panel(key=key, title=title, marks=marks, gridlines=gridlines))
    years = []
    for year in range(first_year, last.year + 1):
        x = across(date(year, 1, 1), 0)
        flips = x > YEAR_LABEL_FLIPS_AT
        years.append((percent(x), str(year), "end" if flips else "start", -4 if flips else 4))
    return Timeline(first_year=first_year, last_year=last.year, panels=panels, years=years)

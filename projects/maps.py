"""The map of Serbia and its neighbours: which countries the project texts name, and the lines they name.

The boundaries come from projects/map_data.json, which `manage.py build_map` makes from Natural Earth
(world-atlas) and which is committed: nothing is fetched at run time. Here they are joined with the
catalogue's places for one page: a country a text names is shaded by how many projects name it and is a
link to the list filtered by it; a border or a route is a line labelled as approximate. The same facts
go in a table beside the map (templates/includes/_map.html). No query: the caller passes the places.
"""

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .choices import PlaceKind
from .translation import own_words

MAP_DATA = Path(__file__).resolve().parent / "map_data.json"
# How many shades of the country fill (static/css/portal.css: .map-shade-1 … .map-shade-4).
SHADES = 4
# Which drawn line stands for which place: the texts' "Balkan route" and "Western Balkan route" run the
# same way, so they share one line, labelled with both names.
LINE_OF_PLACE = {
    "border-with-bulgaria": "border-with-bulgaria",
    "western-balkan-route": "western-balkan",
    "balkan-route": "western-balkan",
    "eastern-mediterranean-route": "eastern-mediterranean",
}

# The names of the countries drawn (map_data.json, from Natural Earth), in the page's language.
COUNTRY_NAMES = {
    "AL": gettext_lazy("Albania"),
    "AT": gettext_lazy("Austria"),
    "BA": gettext_lazy("Bosnia and Herzegovina"),
    "BG": gettext_lazy("Bulgaria"),
    "GR": gettext_lazy("Greece"),
    "HR": gettext_lazy("Croatia"),
    "HU": gettext_lazy("Hungary"),
    "IT": gettext_lazy("Italy"),
    "MD": gettext_lazy("Moldova"),
    "ME": gettext_lazy("Montenegro"),
    "MK": gettext_lazy("North Macedonia"),
    "RO": gettext_lazy("Romania"),
    "RS": gettext_lazy("Serbia"),
    "SI": gettext_lazy("Slovenia"),
    "SK": gettext_lazy("Slovakia"),
    "TR": gettext_lazy("Türkiye"),
    "UA": gettext_lazy("Ukraine"),
    "XK": gettext_lazy("Kosovo*"),
}


@cache
def map_data():
    return json.loads(MAP_DATA.read_text(encoding="utf-8"))


@dataclass
class MapCountry:
    code: str
    name: str
    path: str
    label_at: list | None
    place: object = None  # the catalogue's Place, when a text names the country
    count: int = 0
    shade: int = 0
    url: str = ""
    accessible_name: str = ""


@dataclass
class MapLine:
    key: str
    path: str
    label_at: list | None
    places: list = field(default_factory=list)
    names: str = ""
    label: str = ""


@dataclass
class MapRow:
    """A row of the table beside the map: one place, its count and how the map shows it."""

    place: object
    count: int
    shown_as: str


@dataclass
class PlaceMap:
    width: int
    height: int
    countries: list
    lines: list
    kosovo_line: str
    rows: list
    source: dict

    @property
    def shaded(self):
        return [country for country in self.countries if country.place is not None]


def count_label(name, count):
    """ "Greece: 1 project": a shaded country's accessible name."""
    return ngettext("%(name)s: %(count)s project", "%(name)s: %(count)s projects", count) % {
        "name": name,
        "count": count,
    }


def place_map(places, list_url=None):
    """The map of `places` (Place rows annotated with `project_count`), every country they name shaded and linked.

    A country's shade grows with its count, relative to the most named country on the map (1 to SHADES).
    """
    data = map_data()
    list_url = list_url or reverse("projects:project_list")
    by_code = {place.iso_code: place for place in places if place.kind == PlaceKind.COUNTRY and place.iso_code}
    most = max([place.project_count for place in by_code.values()] or [1]) or 1
    countries = []
    for outline in data["countries"]:
        name = str(COUNTRY_NAMES.get(outline["code"], outline["name"]))
        country = MapCountry(outline["code"], name, outline["path"], outline["label"])
        place = by_code.get(country.code)
        if place is not None:
            country.place = place
            country.count = place.project_count
            country.shade = max(1, math.ceil(SHADES * place.project_count / most))
            country.url = f"{list_url}?{urlencode({'place': place.slug})}"
            country.accessible_name = count_label(
                own_words(place, "display_name" if place.display_name else "name"), place.project_count
            )
        countries.append(country)
    lines = {}
    for place in places:
        key = LINE_OF_PLACE.get(place.slug)
        if key is None or key not in data["lines"]:
            continue
        outline = data["lines"][key]
        line = lines.setdefault(key, MapLine(key, outline["path"], outline["label"]))
        line.places.append(place)
    for line in lines.values():
        line.names = " / ".join(own_words(place, "name") for place in line.places)
        line.label = _("(approximate)")
    drawn = {country.code for country in countries}
    rows = []
    for place in places:
        if place.kind == PlaceKind.COUNTRY and place.iso_code in drawn:
            shown_as = _("shaded country")
        elif LINE_OF_PLACE.get(place.slug) in lines:
            shown_as = _("line, approximate")
        else:
            shown_as = _("not drawn: it lies outside the map or has no outline")
        rows.append(MapRow(place, place.project_count, shown_as))
    return PlaceMap(
        width=data["width"],
        height=data["height"],
        countries=countries,
        lines=list(lines.values()),
        kosovo_line=data["lines"]["kosovo-boundary"]["path"],
        rows=rows,
        source=data["source"],
    )

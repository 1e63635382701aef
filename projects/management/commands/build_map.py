"""Build the map's boundaries (projects/map_data.json) from Natural Earth, through the npm package world-atlas.

    npm ci && python manage.py build_map

Reads node_modules/world-atlas/countries-50m.json (TopoJSON), decodes it (build_outlines() below: delta-decoded
arcs and the quantization transform), projects it around Serbia (equirectangular, centred at 44°N 21°E),
keeps what falls in the view, simplifies every arc once (Douglas–Peucker, so shared boundaries stay shared)
and writes SVG path data. The output is committed: pages read it, nothing is fetched or built at run time.
Routes are not in Natural Earth: ROUTES gives a few towns they pass through, drawn as approximate lines.
"""

import json
import math
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.maps import MAP_DATA

SOURCE = Path(settings.BASE_DIR) / "node_modules" / "world-atlas"
# The view: longitude and latitude bounds, and the width in SVG units (the height follows).
WEST, EAST, SOUTH, NORTH = 13.8, 29.0, 36.3, 48.4
CENTRE_LAT, CENTRE_LON = 44.0, 21.0
WIDTH = 640
# Simplification tolerance in SVG units (about 0.6 px on a 390 px phone).
TOLERANCE = 1.0
# Natural Earth's numeric (ISO 3166-1 numeric) ids, or its name where it has none, with UN names and ISO alpha-2.
COUNTRIES = {
    "688": ("RS", "Serbia"),
    "Kosovo": ("XK", "Kosovo*"),  # no ISO 3166-1 code; shown under UNSCR 1244 (see the map's note)
    "499": ("ME", "Montenegro"),
    "070": ("BA", "Bosnia and Herzegovina"),
    "191": ("HR", "Croatia"),
    "348": ("HU", "Hungary"),
    "642": ("RO", "Romania"),
    "100": ("BG", "Bulgaria"),
    "807": ("MK", "North Macedonia"),
    "008": ("AL", "Albania"),
    "300": ("GR", "Greece"),
    "705": ("SI", "Slovenia"),
    "792": ("TR", "Türkiye"),
    "040": ("AT", "Austria"),
    "380": ("IT", "Italy"),
    "703": ("SK", "Slovakia"),
    "804": ("UA", "Ukraine"),
    "498": ("MD", "Moldova"),
}
# Where each name stands (longitude, latitude); countries without one are drawn unlabelled.
LABELS = {
    "RS": (20.8, 44.0),
    "XK": (20.9, 42.55),
    "ME": (19.05, 43.0),
    "BA": (17.3, 44.35),
    "HR": (15.9, 45.6),
    "HU": (19.3, 47.3),
    "RO": (24.8, 45.9),
    "BG": (25.3, 42.75),
    "MK": (21.7, 41.55),
    "AL": (20.05, 40.9),
    "GR": (22.2, 39.4),
    "TR": (27.6, 37.6),
}
# Boundaries drawn as lines: a border a text names, and Serbia's with Kosovo* (dashed, as UN maps draw it).
SHARED_BOUNDARIES = {"border-with-bulgaria": ("RS", "BG"), "kosovo-boundary": ("RS", "XK")}
SHARED_BOUNDARY_LABELS = {"border-with-bulgaria": (22.75, 44.45)}
# The routes as towns they pass through (longitude, latitude): an approximation, and labelled so.
ROUTES = {
    "western-balkan": {
        "points": [
            (22.94, 40.64),
            (22.53, 41.15),
            (21.43, 42.0),
            (21.65, 42.32),
            (21.9, 43.32),
            (20.46, 44.82),
            (19.97, 46.15),
            (19.4, 47.1),
        ],
        "label": (17.4, 47.95),
    },
    "eastern-mediterranean": {
        "points": [(27.3, 38.9), (26.4, 39.15), (24.6, 38.6), (23.64, 37.94), (22.94, 40.64)],
        "label": (21.2, 36.9),
    },
}


def project_point(lon, lat):
    """Equirectangular around (CENTRE_LAT, CENTRE_LON), scaled so the view is WIDTH wide; y grows downwards."""
    scale = WIDTH / ((EAST - WEST) * math.cos(math.radians(CENTRE_LAT)))
    x = (lon - WEST) * math.cos(math.radians(CENTRE_LAT)) * scale
    y = (NORTH - lat) * scale
    return x, y


def height():
    return round(project_point(WEST, SOUTH)[1])


def decode_arcs(topology):
    """Every arc as a list of (lon, lat): quantized positions, delta-encoded, then the transform."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify(points, tolerance=TOLERANCE):
    """Douglas–Peucker: drop the points closer than `tolerance` to the line their neighbours make."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = math.hypot(x2 - x1, y2 - y1)
    far, far_index = -1.0, 0
    for index, (x, y) in enumerate(points[1:-1], start=1):
        if length:
            distance = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
        else:
            distance = math.hypot(x - x1, y - y1)
        if distance > far:
            far, far_index = distance, index
    if far <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: far_index + 1], tolerance)[:-1] + simplify(points[far_index:], tolerance)


def in_view(points, margin=40):
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return max(xs) > -margin and min(xs) < WIDTH + margin and max(ys) > -margin and min(ys) < height() + margin


def clamp(point, margin=20):
    """A point outside the view moved onto a frame just beyond it: the shape inside the view stays exact."""
    x, y = point
    return min(max(x, -margin), WIDTH + margin), min(max(y, -margin), height() + margin)


def path_data(rings, closed=True):
    parts = []
    for ring in rings:
        deduped = [ring[0]] + [p for previous, p in zip(ring, ring[1:]) if p != previous]
        if len(deduped) < (3 if closed else 2):
            continue
        head, *rest = deduped
        parts.append(f"M{head[0]} {head[1]}" + "".join(f"L{x} {y}" for x, y in rest) + ("Z" if closed else ""))
    return "".join(parts)


def rounded(points):
    return [(round(x, 1), round(y, 1)) for x, y in points]


def build_outlines(topology):
    """{"countries": [...], "lines": {...}, "width", "height"}: the map's data, as projects/map_data.json holds it."""
    arcs = [[clamp(project_point(*p)) for p in arc] for arc in decode_arcs(topology)]
    arcs = [rounded(simplify(arc)) for arc in arcs]

    def arc_points(index):
        return arcs[index] if index >= 0 else arcs[~index][::-1]

    def ring_points(ring):
        points = []
        for index in ring:
            points.extend(arc_points(index)[1:] if points else arc_points(index))
        return points

    countries, used_arcs = [], {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        key = geometry.get("id") or geometry["properties"]["name"]
        if key not in COUNTRIES:
            continue
        code, name = COUNTRIES[key]
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [ring_points(ring) for polygon in polygons for ring in polygon]
        rings = [ring for ring in rings if in_view(ring)]
        used_arcs[code] = {
            index if index >= 0 else ~index for polygon in polygons for ring in polygon for index in ring
        }
        label = LABELS.get(code)
        countries.append(
            {
                "code": code,
                "name": name,
                "path": path_data(rings),
                "label": [round(v) for v in project_point(*label)] if label else None,
            }
        )
    lines = {}
    for key, (first, second) in SHARED_BOUNDARIES.items():
        shared = sorted(used_arcs[first] & used_arcs[second])
        label = SHARED_BOUNDARY_LABELS.get(key)
        lines[key] = {
            "path": path_data([arcs[index] for index in shared], closed=False),
            "label": [round(v) for v in project_point(*label)] if label else None,
        }
    for key, route in ROUTES.items():
        points = rounded([project_point(*p) for p in route["points"]])
        lines[key] = {
            "path": path_data([points], closed=False),
            "label": [round(v) for v in project_point(*route["label"])],
        }
    return {"width": WIDTH, "height": height(), "countries": countries, "lines": lines}


class Command(BaseCommand):
    help = (
        "Build projects/map_data.json (the map's boundaries) from world-atlas's Natural Earth TopoJSON in node_modules."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", default=str(SOURCE), help="The world-atlas package directory.")
        parser.add_argument("--dry-run", action="store_true", help="Build and report the size; write nothing.")

    def handle(self, *args, **options):
        package = Path(options["source"])
        try:
            topology = json.loads((package / "countries-50m.json").read_text(encoding="utf-8"))
            version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Cannot read world-atlas at {package} ({exc}). Run `npm ci` first.") from exc
        data = build_outlines(topology)
        data["source"] = {"package": "world-atlas", "version": version, "natural_earth": "4.1.0", "scale": "1:50m"}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
        if options["dry_run"]:
            self.stdout.write(f"Would write {len(text):,} bytes to {MAP_DATA}.")
            return
        MAP_DATA.write_text(text, encoding="utf-8")
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"Wrote {MAP_DATA} ({len(text):,} bytes, world-atlas {version})."))

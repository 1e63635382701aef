"""The public pages every browser check visits: the axe audit, the phone-width check and the CSP check.

One line per page: a new page (`/context/`) is covered by all three by adding it here, in every language
(`/sr-latn/...` and `/sr/...` follow from the English path). The detail pages come from the real catalogue
fixture, so every published project, donor and area is visited, including ones added to the fixture later.
"""

import json
from typing import NamedTuple

from django.conf import settings


class PublicPage(NamedTuple):
    name: str
    path: str
    status: int = 200


def _published_slugs(model):
    objects = json.loads((settings.CATALOGUE_FIXTURES_DIR / "catalogue.json").read_text(encoding="utf-8"))
    return [o["fields"]["slug"] for o in objects if o["model"] == model and o["fields"].get("is_published", True)]


PUBLIC_PAGES = [
    PublicPage("home", "/"),
    PublicPage("project list", "/projects/"),
    PublicPage("project list searched", "/projects/?q=border"),
    PublicPage("project list filtered", "/projects/?q=border&donor=european-union&area=border-management&sort=-amount"),
    PublicPage("project list with no match", "/projects/?q=nothing-matches-this"),
    PublicPage("project list with an invalid filter", "/projects/?min_amount=abc", status=400),
    PublicPage(
        "project list with a valid and an invalid filter", "/projects/?donor=european-union&min_amount=abc", status=400
    ),
    PublicPage("project list with two filters active", "/projects/?donor=european-union&area=border-management"),
    *(PublicPage(f"project {slug}", f"/projects/{slug}/") for slug in _published_slugs("projects.project")),
    PublicPage("donors", "/donors/"),
    # Every donor of the fixture states one amount: its page has the number and the table, and no chart of one bar.
    *(PublicPage(f"donor {slug}", f"/donors/{slug}/") for slug in _published_slugs("projects.donor")),
    PublicPage("areas", "/areas/"),
    *(PublicPage(f"area {slug}", f"/areas/{slug}/") for slug in _published_slugs("projects.area")),
    PublicPage("migration context", "/context/"),
    PublicPage("places", "/places/"),
    *(PublicPage(f"place {slug}", f"/places/{slug}/") for slug in _published_slugs("projects.place")),
    PublicPage("project list filtered by place", "/projects/?place=greece&place=serbia"),
    PublicPage("page not found", "/projects/no-such-project/", status=404),
]
# Every page again in Serbian, in each script: /sr-latn/ (Latin) and /sr/ (Cyrillic) before the same path.
SERBIAN_PREFIXES = {"in Serbian": "/sr-latn", "in Serbian Cyrillic": "/sr"}
PUBLIC_PAGES += [
    PublicPage(f"{page.name} {language}", f"{prefix}{page.path}", page.status)
    for language, prefix in SERBIAN_PREFIXES.items()
    for page in PUBLIC_PAGES
]

"""Every public page is valid HTML5, checked offline by the Nu HTML Checker (vnu-jar from npm, on Java)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.system

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

PUBLIC_PAGES = [
    "/",
    "/projects/",
    "/projects/?q=border&donor=european-union&donor=inl-us-state-department&sort=-amount",
    "/projects/?q=nothing-matches-this",
    # An invalid filter: the error summary and the field errors must be valid markup too.
    "/projects/?min_amount=abc&max_amount=-1&donor=unknown&currency=XYZ",
    "/projects/strengthening-migration-and-asylum-management/",
    "/projects/information-management-communication-and-planning/",
    "/projects/open-communities-successful-communities/",
    "/projects/increasing-capacities-irregular-migration/",
    "/projects/croboweb-cross-border-cooperation/",
    "/projects/eu-supports-border-management/",
    "/projects/iom-migrants-and-refugees-in-serbia/",
    "/donors/",
    "/donors/european-union/",
    "/areas/",
    "/areas/asylum-and-reception/",
    "/context/",
    # Search results (highlighted matches on PostgreSQL), a zero-count facet kept because it is chosen.
    "/projects/?q=%22western+balkan%22+-smuggling",
    "/projects/?donor=european-union&area=community-support&status=completed&currency=GBP",
    "/projects/?page=1&q=%3Cb%3Eborder%3C%2Fb%3E",
    "/donors/inl-us-state-department/",
    "/projects/no-such-project/",
    # Issue 11: the filters' <details> with a count of those active, and a valid filter beside an invalid one.
    "/projects/?donor=european-union&area=border-management",
    "/projects/?donor=european-union&min_amount=abc",
    "/sr-latn/projects/?donor=european-union&min_amount=abc",
    "/sr-latn/projects/information-management-communication-and-planning/",
    "/sr-latn/projects/open-communities-successful-communities/",
    # The Serbian interface: the same pages under /sr-latn/, with their lang="en" marks on the source texts.
    "/sr-latn/",
    "/sr-latn/projects/",
    "/sr-latn/projects/?q=border&donor=european-union&donor=inl-us-state-department&sort=-amount",
    "/sr-latn/projects/?min_amount=abc&max_amount=-1&donor=unknown&currency=XYZ",
    "/sr-latn/projects/?donor=european-union&area=community-support&status=completed&currency=GBP",
    "/sr-latn/projects/strengthening-migration-and-asylum-management/",
    "/sr-latn/projects/croboweb-cross-border-cooperation/",
    "/sr-latn/projects/iom-migrants-and-refugees-in-serbia/",
    # Figure cards with "Cite this figure", in Serbian.
    "/sr-latn/projects/open-communities-successful-communities/",
    "/sr-latn/projects/information-management-communication-and-planning/",
    # The editorial note, approximate and open-ended periods, undated figures, areas marked as assigned.
    "/sr-latn/projects/increasing-capacities-irregular-migration/",
    "/sr-latn/projects/information-management-communication-and-planning/",
    "/sr-latn/projects/open-communities-successful-communities/",
    "/areas/community-support/",
    "/sr-latn/areas/community-support/",
    "/sr-latn/donors/",
    "/sr-latn/donors/european-union/",
    "/sr-latn/areas/",
    "/sr-latn/areas/asylum-and-reception/",
    "/sr-latn/context/",
    "/sr-latn/projects/no-such-project/",
    # Issue 13: the places, their map and the place filter.
    "/places/",
    "/places/serbia/",
    "/places/fyrm/",
    "/places/western-balkan-route/",
    "/places/western-europe/",
    "/projects/?place=greece&place=serbia",
    "/sr-latn/places/",
    "/sr-latn/places/fyrm/",
    "/sr-latn/places/border-with-bulgaria/",
    "/sr-latn/projects/?place=fyrm",
]
# The Cyrillic interface: every Serbian page above again under /sr/.
PUBLIC_PAGES += list(
    dict.fromkeys(url.replace("/sr-latn/", "/sr/", 1) for url in PUBLIC_PAGES if url.startswith("/sr-latn/"))
)


@pytest.fixture
def checker():
    java = shutil.which("java")
    assert java, "The HTML tests need Java: apt-get install default-jre-headless"
    assert VNU_JAR.exists(), f"The HTML tests need {VNU_JAR}: run `npm ci` (make test does)."
    return [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only"]


def test_every_public_page_is_valid_html(client, checker, tmp_path, catalogue):
    files = {}
    for number, url in enumerate(PUBLIC_PAGES):
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        path = tmp_path / f"page-{number}.html"
        path.write_bytes(response.content)
        files[path.name] = url

    # One run of the checker for every page: the JVM starts once.
    result = subprocess.run([*checker, *map(str, tmp_path.glob("*.html"))], capture_output=True, text=True, timeout=120)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{files.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
    ]
    assert errors == []
    assert result.returncode == 0

"""The list page's weight: at most 30 KB compressed in all, its stylesheet its only render-blocking request."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import reverse

from projects.synthetic import seed_synthetic

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")
BUDGET = 30 * 1024
GZIP = {"accept-encoding": "gzip"}


@pytest.fixture
def full_catalogue(catalogue):
    """The real catalogue and a synthetic one: a full page of 20 rows, 30-odd donors and areas in the filters."""
    seed_synthetic(45)


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def assets_of(html):
    """Every URL the page makes the browser fetch: stylesheets, scripts, images, fonts, icons. Not the links that
    only name other addresses (rel="canonical", rel="alternate": the page in each language), which no browser loads."""
    tags = re.findall(r"<(?:link|script|img|source)\b[^>]*>", html)
    tags = [tag for tag in tags if not re.search(r'\srel="(?:canonical|alternate)"', tag)]
    return [re.search(r'\s(?:href|src)="([^"]+)"', tag).group(1) for tag in tags if re.search(r'\s(?:href|src)="', tag)]


def test_the_list_page_with_everything_it_loads_weighs_at_most_30_kb_compressed(client, full_catalogue):
    page = client.get(LIST, headers=GZIP)
    assert page.status_code == 200
    assert page["Content-Encoding"] == "gzip"
    total = len(page.content)

    html = client.get(LIST).content.decode()
    assert html.count('class="project-summary"') == 20
    assert len(assets_of(html)) == 3  # the stylesheet, the favicon, the filters' script
    for url in assets_of(html):
        asset = client.get(url, headers=GZIP)
        assert asset.status_code == 200, url
        total += len(body(asset))
    print(f"list page, compressed: {len(page.content):,} bytes HTML, {total:,} bytes in all (budget {BUDGET:,})")
    assert total <= BUDGET


def test_the_list_page_blocks_rendering_on_its_stylesheet_alone(client, full_catalogue):
    html = client.get(LIST).content.decode()
    head = html[: html.index("</head>")]
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    assert stylesheets == [settings.STATIC_URL + staticfiles_storage.stored_name("css/portal.css")]
    # No script in the head that is not deferred, no web font, no @import chaining another stylesheet.
    assert not re.search(r"<script(?![^>]*\b(?:defer|async)\b)[^>]*>", head)
    assert "@font-face" not in (settings.STATIC_ROOT / staticfiles_storage.stored_name("css/portal.css")).read_text()
    assert "@import" not in (settings.STATIC_ROOT / staticfiles_storage.stored_name("css/portal.css")).read_text()


def test_the_stylesheet_is_served_compressed_under_its_hashed_name(client):
    url = settings.STATIC_URL + staticfiles_storage.stored_name("css/portal.css")
    response = client.get(url, headers=GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert (
        len(body(response)) < (settings.STATIC_ROOT / staticfiles_storage.stored_name("css/portal.css")).stat().st_size
    )


def test_hashed_static_files_are_cached_for_ever(client):
    url = settings.STATIC_URL + staticfiles_storage.stored_name("css/portal.css")
    cache_control = client.get(url)["Cache-Control"]
    assert "immutable" in cache_control
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= 365 * 24 * 3600

"""What search engines and link previews read: sitemap.xml, robots.txt, meta and Open Graph tags, JSON-LD."""

import html
import json
import re
import xml.etree.ElementTree as ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Project

from .factories import make_area, make_donor, make_funding, make_project

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
CROBOWEB = "/projects/croboweb-cross-border-cooperation/"


def head_tags(response):
    """{"description": ..., "og:title": ..., "canonical": ...}: the page's meta and link tags, unescaped."""
    page = response.content.decode()
    tags = {
        name: html.unescape(value)
        for name, value in re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">', page)
    }
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', page)
    if canonical:
        tags["canonical"] = html.unescape(canonical[0])
    (title,) = re.findall(r"<title>(.*?)</title>", page, flags=re.S)
    tags["title"] = html.unescape(title)
    return tags


def json_ld_blocks(response):
    return re.findall(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), flags=re.S)


# sitemap.xml and robots.txt -------------------------------------------------------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}link"


def sitemap_files(client):
    """The addresses of every sitemap file the index at /sitemap.xml lists, in its order."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    return [loc.text for loc in root.findall("s:sitemap/s:loc", SITEMAP_NS)]


def sitemap_entries(client):
    """Every <url> of every file the index lists, in order."""
    entries = []
    for address in sitemap_files(client):
        response = client.get(address.removeprefix("http://testserver"))
        assert response.status_code == 200, address
        assert response["Content-Type"] == "application/xml"
        entries += ElementTree.fromstring(response.content).findall("s:url", SITEMAP_NS)
    return entries


def sitemap_locations(client):
    return [url.find("s:loc", SITEMAP_NS).text for url in sitemap_entries(client)]


def test_the_sitemap_is_an_index_of_one_file_per_section(client, catalogue):
    assert sitemap_files(client) == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-projects.xml",
        "http://testserver/sitemap-donors.xml",
        "http://testserver/sitemap-areas.xml",
        "http://testserver/sitemap-places.xml",
    ]


def test_the_sitemap_lists_the_fixed_pages_and_every_published_project_donor_and_area(client, catalogue):
    locations = sitemap_locations(client)
    english = [location for location in locations if not re.search(r"^http://testserver/sr(-latn)?/", location)]
    assert english[:4] == [
        "http://testserver/",
        "http://testserver/projects/",
        "http://testserver/places/",
        "http://testserver/context/",
    ]
    for project in Project.objects.all():
        assert f"http://testserver{project.get_absolute_url()}" in english
        assert f"http://testserver/sr{project.get_absolute_url()}" in locations
        assert f"http://testserver/sr-latn{project.get_absolute_url()}" in locations
    assert "http://testserver/donors/inl-us-state-department/" in english
    assert "http://testserver/areas/community-support/" in english
    assert "http://testserver/sr/places/greece/" in locations
    # Every page once in each interface language (English, Serbian Cyrillic, Serbian Latin).
    assert len(english) == 4 + 7 + 3 + 6 + 8  # pages, projects, donors, areas, places
    assert len(locations) == 3 * len(english) == len(set(locations))


def test_each_sitemap_entry_names_its_page_in_every_language_and_x_default(client, catalogue):
    for url in sitemap_entries(client):
        location = url.find("s:loc", SITEMAP_NS).text
        english = re.sub(r"^http://testserver/sr(-latn)?/", "http://testserver/", location)
        alternates = {link.get("hreflang"): link.get("href") for link in url.findall(XHTML)}
        assert alternates == {
            "en": english,
            "sr-Cyrl": english.replace("http://testserver/", "http://testserver/sr/", 1),
            "sr-Latn": english.replace("http://testserver/", "http://testserver/sr-latn/", 1),
            "x-default": english,
        }, location


def test_the_sitemap_gives_each_project_its_last_change(client, catalogue):
    project = Project.objects.get(slug="croboweb-cross-border-cooperation")
    found = 0
    for url in sitemap_entries(client):
        if url.find("s:loc", SITEMAP_NS).text.endswith(CROBOWEB):
            # The sitemap writes the date in the site's time zone (Belgrade), not UTC.
            assert url.find("s:lastmod", SITEMAP_NS).text == timezone.localdate(project.updated).isoformat()
            found += 1
    assert found == 3, "CROBOWEB is not in the sitemap in all three languages"


def test_the_index_dates_the_projects_section_by_the_latest_change(client, catalogue):
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    (entry,) = [
        e for e in root.findall("s:sitemap", SITEMAP_NS) if e.find("s:loc", SITEMAP_NS).text.endswith("projects.xml")
    ]
    latest = max(Project.objects.published().values_list("updated", flat=True))
    assert entry.find("s:lastmod", SITEMAP_NS).text == timezone.localtime(latest).isoformat()


def test_the_sitemap_leaves_out_unpublished_projects_and_entries_with_no_published_project(client):
    area, donor = make_area("Border management", slug="border"), make_donor("European Union", slug="eu")
    make_funding(make_project("Public Project", areas=[area]), donor)
    hidden = make_project("Hidden Project", areas=[make_area("Secret Area", slug="secret")], is_published=False)
    make_funding(hidden, make_donor("Secret Donor", slug="secret-donor"))
    text = " ".join(sitemap_locations(client))
    assert "/projects/public-project/" in text and "/areas/border/" in text and "/donors/eu/" in text
    assert "hidden-project" not in text and "secret" not in text


def test_with_small_sections_every_published_project_is_listed_exactly_once_per_language(client, settings):
    """SITEMAP_SECTION_SIZE addresses per file: the projects section runs to several files (?p=2, ...),
    the index lists each, and together they hold every published project once in each language."""
    settings.SITEMAP_SECTION_SIZE = 4
    published = [make_project(f"Project {number:02}", slug=f"project-{number:02}") for number in range(11)]
    make_project("Draft", slug="draft", is_published=False)
    files = sitemap_files(client)
    projects_files = [address for address in files if "sitemap-projects.xml" in address]
    # 11 projects x 3 languages = 33 addresses, 4 a file: 9 files.
    assert projects_files == ["http://testserver/sitemap-projects.xml"] + [
        f"http://testserver/sitemap-projects.xml?p={page}" for page in range(2, 10)
    ]
    locations = []
    for address in projects_files:
        root = ElementTree.fromstring(client.get(address.removeprefix("http://testserver")).content)
        entries = root.findall("s:url/s:loc", SITEMAP_NS)
        assert 1 <= len(entries) <= 4
        locations += [loc.text for loc in entries]
    expected = [
        f"http://testserver{prefix}/projects/{project.slug}/"
        for project in published
        for prefix in ("", "/sr", "/sr-latn")
    ]
    assert sorted(locations) == sorted(expected)
    assert len(locations) == len(set(locations)) == 33
    assert client.get("/sitemap-projects.xml?p=10").status_code == 404


def test_sitemap_files_never_hold_more_than_the_protocols_50000_addresses(settings):
    from projects.sitemaps import section_size

    settings.SITEMAP_SECTION_SIZE = 10**6
    assert section_size() == 50_000


def test_robots_txt_points_at_the_sitemap_index(client):
    assert "Sitemap: http://testserver/sitemap.xml\n" in client.get("/robots.txt").content.decode()


def test_robots_txt_allows_all_but_the_admin_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "User-agent: *\nAllow: /\nDisallow: /admin/\nSitemap: http://testserver/sitemap.xml\n"
    )


@pytest.mark.parametrize("query", ["p=abc", "p=0", "p=99", "p=2", "p=%00", "p=1.5", "p=-1", "p=" + "9" * 400])
@pytest.mark.parametrize("path", ["/sitemap.xml", "/sitemap-projects.xml", "/sitemap-pages.xml"])
def test_an_odd_sitemap_page_answers_404_never_a_server_error(client, catalogue, path, query):
    assert client.get(f"{path}?{query}").status_code == 404


@pytest.mark.parametrize("section", ["nope", "pages-2", "PROJECTS"])
def test_an_unknown_sitemap_section_answers_404(client, catalogue, section):
    assert client.get(f"/sitemap-{section}.xml").status_code == 404


def test_sitemap_and_robots_live_outside_any_language_prefix():
    assert (reverse("sitemap"), reverse("robots_txt")) == ("/sitemap.xml", "/robots.txt")
    assert reverse("sitemap_section", args=["projects"]) == "/sitemap-projects.xml"


# Meta description, canonical link and Open Graph -----------------------------------------------------------------

PAGES = [
    "/",
    "/projects/",
    CROBOWEB,
    "/donors/",
    "/donors/european-union/",
    "/areas/",
    "/areas/border-management/",
    "/context/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_a_description_a_canonical_link_and_open_graph_tags(client, catalogue, url):
    tags = head_tags(client.get(url))
    assert tags["canonical"] == f"http://testserver{url}"
    assert tags["og:url"] == tags["canonical"]
    assert tags["og:title"] and tags["title"] == f"{tags['og:title']} – IOM Serbia Project Catalogue"
    assert len(tags["description"]) > 40
    assert tags["og:description"] == tags["description"]
    assert tags["og:type"] == ("article" if url == CROBOWEB else "website")
    assert tags["og:site_name"] == "IOM Serbia Project Catalogue"


def test_a_project_page_describes_itself_with_its_own_title_and_text(client, catalogue):
    tags = head_tags(client.get(CROBOWEB))
    assert tags["og:title"] == "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"
    assert tags["description"].startswith("This one year project has been financed by the International Narcotics")
    assert "\n" not in tags["description"]


def test_the_canonical_link_of_a_page_drops_its_query_string(client, catalogue):
    tags = head_tags(client.get(f"{CROBOWEB}?utm_source=newsletter&x=%3Cb%3E"))
    assert tags["canonical"] == f"http://testserver{CROBOWEB}"


def test_a_page_that_is_not_found_has_no_canonical_link(client, catalogue):
    response = client.get("/projects/no-such-project/")
    assert response.status_code == 404
    assert "canonical" not in head_tags(response)
    assert "og:url" not in head_tags(response)


def test_titles_and_descriptions_are_escaped_in_the_head(client):
    make_project('Roads & "Bridges" <b>', slug="roads", text='A text with "quotes" & <tags>.')
    response = client.get("/projects/roads/")
    page = response.content.decode()
    assert '<meta property="og:title" content="Roads &amp; &quot;Bridges&quot; &lt;b&gt;">' in page
    assert head_tags(response)["description"] == 'A text with "quotes" & <tags>.'


# JSON-LD ------------------------------------------------------------------------------------------------------


def test_a_project_page_describes_the_project_in_schema_org_json_ld(client, catalogue):
    (block,) = json_ld_blocks(client.get(CROBOWEB))
    data = json.loads(block)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Project"
    assert data["name"] == "Strenthening Cross-Border Cooperation Along the Western Balkan Route (CROBOWEB)"
    assert data["url"] == f"http://testserver{CROBOWEB}"
    assert data["funder"] == [
        {
            "@type": "Organization",
            "name": "International Narcotics and Law Enforcement Affairs, US State Department",
            "url": "http://testserver/donors/inl-us-state-department/",
        }
    ]
    assert data["funding"][0]["amount"] == {"@type": "MonetaryAmount", "currency": "USD", "value": "650000.00"}
    assert data["keywords"] == ["Border management", "Counter-smuggling and trafficking"]
    assert data["areaServed"] == [
        "Eastern Mediterranean route",
        "North Macedonia",
        "Greece",
        "Serbia",
        "Western Balkan route",
    ]


def test_json_ld_gives_a_start_date_at_the_precision_the_text_gives(client, catalogue):
    (block,) = json_ld_blocks(client.get("/projects/increasing-capacities-irregular-migration/"))
    assert json.loads(block)["foundingDate"] == "2015-09"


def test_json_ld_states_no_amount_where_the_text_states_none(client):
    project = make_project("Unknown Amount Project")
    make_funding(project, make_donor("Swiss Agency", slug="swiss"), amount=None)
    (block,) = json_ld_blocks(client.get(project.get_absolute_url()))
    data = json.loads(block)
    assert [funder["name"] for funder in data["funder"]] == ["Swiss Agency"]
    assert "funding" not in data and "foundingDate" not in data


def test_no_text_can_close_the_json_ld_block_early(client):
    title = '</script><script>alert(1)</script> <!-- & "quotes"'
    project = make_project(title, slug="hostile", text=f"{title}\n\nMore.")
    response = client.get(project.get_absolute_url())
    (block,) = json_ld_blocks(response)
    assert "<" not in block and ">" not in block
    assert json.loads(block)["name"] == title
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_only_project_pages_carry_json_ld_and_no_page_has_an_executable_inline_script(client, catalogue):
    for url in PAGES:
        response = client.get(url)
        # A script from a file of ours (src=, allowed by script-src 'self') is not inline.
        inline_scripts = [
            attrs for attrs in re.findall(r"<script([^>]*)>", response.content.decode()) if " src=" not in attrs
        ]
        assert inline_scripts == ([' type="application/ld+json"'] if url == CROBOWEB else []), url
    assert "script-src 'self'" in client.get(CROBOWEB)["Content-Security-Policy"]

"""Pages that cannot be flooded or fooled: a Host we do not serve, paths that look like another host,
query strings that would fill the cache, and If-Modified-Since right after an edit."""

import html
import re
import time
import urllib.error
import urllib.request
from urllib.parse import quote, unquote_to_bytes, urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date, parse_http_date
from django.views import defaults
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.context_processors import url_in_language
from projects.models import CatalogueGeneration, Project

from .factories import make_donor, make_funding, make_project

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")


@pytest.fixture
def project(db):
    project = make_project("Cached Project")
    make_funding(project, make_donor("European Union", slug="european-union"), amount="650000")
    make_funding(project, make_donor("Switzerland", slug="switzerland"), amount="1000")
    return project


# A Host outside ALLOWED_HOSTS ----------------------------------------------------------------------------------------


def get_with_host(url, host):
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/projects/?donor=european-union",
        "/sr-latn/donors/",
        "/no-such-page/",
        "//evil.example/",
        "/admin/",
        "/healthz",
    ],
)
def test_a_host_outside_allowed_hosts_gets_the_styled_400_page_and_the_log_no_traceback(
    live_server, transactional_db, settings, caplog, path
):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True  # as in production: the HTTPS redirect asks for the host first

    status, body = get_with_host(live_server.url + path, "evil.example")

    assert status == 400
    assert "The request could not be understood" in body
    assert 'rel="stylesheet"' in body  # the portal's own page, styled, not Django's bare one
    assert "//evil.example" not in body  # the bad host never becomes a link
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.exc_info]
    assert any("evil.example" in record.getMessage() for record in caplog.records)  # one line says why


@pytest.mark.parametrize(
    "handler, template",
    [
        (defaults.bad_request, "400.html"),
        (defaults.permission_denied, "403.html"),
        (defaults.page_not_found, "404.html"),
    ],
)
def test_every_error_page_renders_for_a_request_whose_host_is_not_allowed(rf, handler, template):
    """Django renders these for a bad Host too, should any middleware ask for the host before ours answers."""
    request = rf.get("/projects/", HTTP_HOST="evil.example")

    response = handler(request, Exception("bad"), template_name=template)

    assert response.status_code in (400, 403, 404)
    assert "//evil.example" not in response.content.decode()


def test_a_link_in_another_language_made_from_a_scheme_relative_address_stays_a_path():
    assert url_in_language("//evil.example/projects/?q=x", "sr-latn") == "/sr-latn/evil.example/projects/?q=x"
    assert url_in_language("/sr-latn//evil.example/x", "en") == "/evil.example/x"
    assert url_in_language("http://testserver/sr-latn/projects/?q=x", "en") == "http://testserver/projects/?q=x"


# Links built from the request path ---------------------------------------------------------------------------------


def links_from_the_path(page):
    """The language switcher's links, the canonical and hreflang links and og:url, as a browser reads them."""
    found = re.findall(r'<a href="([^"]*)" lang="[^"]*" hreflang=', page)
    found += re.findall(r'<link rel="(?:canonical|alternate)"[^>]* href="([^"]*)"', page)
    found += re.findall(r'<meta property="og:url" content="([^"]*)"', page)
    return [html.unescape(link) for link in found]


def get_path(client, path):
    """GET `path` exactly as a server hands it to Django: the test client alone would read "//host/" as a host."""
    path, _, query = path.partition("?")
    return client.get("/", QUERY_STRING=query, PATH_INFO=unquote_to_bytes(path).decode("iso-8859-1"))


def assert_every_link_stays_on_this_host(response, path):
    if response.has_header("Location"):  # a redirect ("/sr-latn" -> "/sr-latn/") is a link too
        links = [response["Location"]]
    else:
        links = links_from_the_path(response.content.decode())
        assert links, path  # the switcher is on every page
    for link in links:
        # Browsers read a backslash in a path as a slash ("/\\evil.example" goes to evil.example).
        target = urlsplit(urljoin("http://testserver/", link.replace("\\", "/")))
        assert target.netloc == "testserver", (path, link)


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example/",
        "//evil.example/projects/",
        "/sr-latn//evil.example/x",
        "/sr-latn/%2F%2Fevil.example/",
        "/%2F%2Fevil.example/",
        "/\\evil.example/",
        "/sr-latn/\\\\evil.example/",
        "///evil.example//x",
        "/%5C%5Cevil.example/",
        "/projects//evil.example/",
        "/sr-latn///evil.example",
        "/sr//evil.example/x",
        "/sr/%2F%2Fevil.example/",
        "/sr/\\\\evil.example/",
    ],
)
def test_no_link_built_from_the_path_points_to_another_host(client, project, path):
    assert_every_link_stays_on_this_host(get_path(client, path), path)


def test_the_switcher_on_a_missing_page_links_to_the_same_address_in_the_other_language(client, project):
    page = get_path(client, "//evil.example/").content.decode()
    assert '<a href="/sr-latn/evil.example/" lang="sr-Latn"' in page


def test_the_switcher_keeps_the_page_and_its_query_string(client, project):
    page = client.get("/sr-latn/projects/cached-project/?x=1").content.decode()
    assert '<a href="/projects/cached-project/?x=1" lang="en"' in page


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "/",
                    "//",
                    "\\",
                    "%2F",
                    "%5C",
                    "sr-latn",
                    "sr",
                    "evil.example",
                    "projects",
                    "@",
                    ":",
                    "%2f%2f",
                    "..",
                    "?",
                    "#",
                ]
            ),
            st.text(max_size=8).map(lambda text: quote(text, safe="/\\:@")),
        ),
        max_size=6,
    ).map("".join)
)
def test_no_path_whatever_makes_a_link_to_another_host(client, project, path):
    path = "/" + path.split("#")[0]
    assert_every_link_stays_on_this_host(get_path(client, path), path)


# The page cache's key ----------------------------------------------------------------------------------------------


def etag(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response["ETag"]


@pytest.mark.parametrize(
    "url, same_as",
    [
        (f"{LIST}?utm_source=x", LIST),
        (f"{LIST}?utm_source=x&fbclid=y&gclid=z", LIST),
        (f"{LIST}?q=", LIST),
        (f"{LIST}?q=&donor=european-union", f"{LIST}?donor=european-union"),
        (f"{LIST}?donor=switzerland&donor=european-union", f"{LIST}?donor=european-union&donor=switzerland"),
        (f"{LIST}?page=&utm_medium=email", LIST),
        (f"{reverse('projects:donor_list')}?ref=newsletter", reverse("projects:donor_list")),
    ],
)
def test_parameters_no_page_reads_and_empty_values_share_the_canonical_pages_cache_entry(client, project, url, same_as):
    assert etag(client, url) == etag(client, same_as)


def test_the_cached_copy_of_the_canonical_page_answers_304_to_a_tracking_link(client, project):
    tag = etag(client, LIST)
    assert client.get(f"{LIST}?utm_source=random123", headers={"if-none-match": tag}).status_code == 304


def test_parameters_a_page_reads_still_make_pages_of_their_own(client, project):
    assert etag(client, f"{LIST}?donor=european-union") != etag(client, LIST)
    assert etag(client, f"{LIST}?q=cached") != etag(client, LIST)
    assert etag(client, f"{LIST}?sort=-amount") != etag(client, LIST)


def test_a_flood_of_random_tracking_parameters_stores_one_page(client, project, settings):

    for n in range(30):
        client.get(f"{LIST}?utm_source={n}&x{n}=1")
    assert len([key for key in cache._cache if ":page:" in key]) == 1


# Retiring every cached page at once --------------------------------------------------------------------------------


def test_retire_cached_pages_shows_an_update_that_sent_no_signals(client, project):

    client.get(LIST)
    Project.objects.filter(pk=project.pk).update(title="Renamed By update()")
    assert "Renamed By update()" not in client.get(LIST).content.decode()  # still the cached page

    call_command("retire_cached_pages", verbosity=0)

    assert "Renamed By update()" in client.get(LIST).content.decode()


def test_retire_cached_pages_says_what_it_did(capsys, project):
    call_command("retire_cached_pages")
    assert "Retired every cached page" in capsys.readouterr().out


# Last-Modified and If-Modified-Since -------------------------------------------------------------------------------


def test_if_modified_since_alone_never_gets_a_304_for_a_page_edited_in_the_second_it_was_cached(client, project):
    client.get(f"{LIST}?q=warm")  # templates loaded, so the three steps below take well under a second
    # At the start of the next second (the project was made in an earlier one), so all that follows falls within it.
    time.sleep(1.05 - time.time() % 1)
    started = int(time.time())
    first = client.get(LIST)
    assert "Cached Project" in first.content.decode()

    project.title = "Edited In The Same Second"
    project.save()
    # A page served so soon after a change carries no Last-Modified (caching.LAST_MODIFIED_SETTLE_SECONDS);
    # a client sending this second's date anyway must still get the edit.
    assert "Last-Modified" not in first
    response = client.get(LIST, headers={"if-modified-since": http_date(started)})

    assert int(time.time()) == started, "the test took more than a second: rerun it on a less loaded machine"
    assert response.status_code == 200
    assert "Edited In The Same Second" in response.content.decode()


def test_last_modified_is_the_time_of_the_catalogues_last_change(client, project):
    changed = timezone.now().replace(microsecond=0) - timezone.timedelta(days=3)
    CatalogueGeneration.objects.update(changed_at=changed)

    assert parse_http_date(client.get(LIST)["Last-Modified"]) == int(changed.timestamp())

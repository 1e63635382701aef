"""Property-based tests (Hypothesis): random and hostile query strings and paths never get a 5xx or a traceback."""

from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support.bad_input import BAD_QUERIES, short

pytestmark = pytest.mark.django_db

# Every public page and export. Paths with a slug take one of the catalogue's or a hostile one.
PUBLIC_PATHS = [
    "/",
    "/projects/",
    "/projects/{project}/",
    "/donors/",
    "/donors/{donor}/",
    "/areas/",
    "/areas/{area}/",
    "/context/",
    "/projects/export.csv",
    "/projects/export.json",
    "/sitemap.xml",
    "/sitemap-projects.xml",
    "/sitemap-pages.xml",
    "/robots.txt",
    "/healthz",
    "/projects/{project}/cite.bib",
    "/projects/{project}/cite.ris",
    "/projects/{project}/cite.json",
    "/context/export.csv",
    "/context/export.json",
    "/projects/feed.atom",
    "/sr-latn/projects/feed.atom",
]
EXPORTS = ["/projects/export.csv", "/projects/export.json"]
FEEDS = ["/projects/feed.atom", "/sr-latn/projects/feed.atom"]
LIST_PARAMETERS = ["q", "donor", "area", "status", "currency", "min_amount", "max_amount", "sort", "page"]
KNOWN_VALUES = [
    "european-union",
    "border-management",
    "completed",
    "USD",
    "EUR",
    "title",
    "-amount",
    "start",
    "1",
    "2",
    "0",
    "-1",
    "9" * 40,
    "1e309",
    "NaN",
    "Infinity",
    "0x10",
    "1,000",
    "12.345",
    "border",
    '"border crossing"',
    "-border",
]
HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%00",
    "\x00",
    "\u202e",
    "😀",
    "../../etc/passwd",
    "{{ 7*7 }}",
    "{% debug %}",
    "%(foo)s",
    "\\",
    "a" * 5000,
    "Ž",
    "\r\nSet-Cookie: x=1",
    "%ff%fe",
    "[]",
    "{}",
    "null",
]

SETTINGS = settings(
    max_examples=120,
    deadline=None,  # page times vary with the database; speed is measured by `make bench`, not here
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

values = st.one_of(st.sampled_from(KNOWN_VALUES), st.sampled_from(HOSTILE_TEXT), st.text(max_size=60))
names = st.one_of(st.sampled_from(LIST_PARAMETERS), st.text(max_size=12))
query_strings = st.one_of(
    st.lists(st.tuples(names, values), max_size=8).map(urlencode),
    # Raw bytes, percent-encoded: invalid UTF-8, stray separators, anything a client may send.
    st.binary(max_size=80).map(lambda raw: quote(raw, safe="=&;+%")),
    st.text(max_size=80).map(lambda text: quote(text, safe="=&;+%?#")),
)
slugs = st.one_of(
    st.sampled_from(["croboweb-cross-border-cooperation", "european-union", "border-management"]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40).map(lambda s: quote(s, safe="")),
)


def assert_handled(response):
    assert response.status_code < 500, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Traceback" not in body
    assert b"Exception Value" not in body


@SETTINGS
@given(path=st.sampled_from(PUBLIC_PATHS), slug=slugs, query=query_strings)
def test_any_query_string_on_any_public_url_gets_an_answer_not_an_error(client, catalogue, path, slug, query):
    url = path.format(project=slug, donor=slug, area=slug)

    assert_handled(client.get(f"{url}?{query}"))


@SETTINGS
@given(parameters=st.dictionaries(st.sampled_from(LIST_PARAMETERS), st.lists(values, min_size=1, max_size=3)))
def test_any_combination_of_list_parameters_gets_the_list_or_a_400_with_its_message(client, catalogue, parameters):
    response = client.get("/projects/", parameters)

    assert_handled(response)
    assert response.status_code in (200, 400, 404)  # 404 only for a page number past the end
    if response.status_code == 400:
        assert "Some filters could not be used" in response.content.decode()


@SETTINGS
@given(path=st.text(max_size=60).map(lambda text: quote(text, safe="/")))
def test_any_path_gets_an_answer_not_an_error(client, catalogue, path):
    assert_handled(client.get("/" + path))


@SETTINGS
@given(
    path=st.sampled_from(EXPORTS + FEEDS),
    parameters=st.dictionaries(st.sampled_from(LIST_PARAMETERS), st.lists(values, min_size=1, max_size=3)),
)
def test_any_combination_of_list_parameters_gets_a_file_or_a_400_with_a_plain_message(
    client, catalogue, path, parameters
):
    """The exports and the feed read the list's parameters with the list's FilterSet: a file, or a plain 400."""
    response = client.get(path, parameters)

    assert_handled(response)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("query", BAD_QUERIES, ids=short)
@pytest.mark.parametrize("path", ["/projects/", *EXPORTS, *FEEDS])
def test_the_lists_bad_parameters_get_a_clear_answer_from_the_list_its_exports_and_its_feed(
    client, catalogue, path, query
):
    response = client.get(f"{path}?{query}")

    assert_handled(response)
    if path == "/projects/":
        assert response.status_code in (200, 400, 404)  # 404 only for a page number past the end
    else:
        assert response.status_code in (200, 400)  # files take no page
    if response.status_code == 400 and path != "/projects/":
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        # The Serbian feed says it in Serbian.
        intros = ("The export could not be made.", "The feed could not be made.", "Fid nije mogao da se napravi.")
        assert response.content.decode().startswith(intros)

"""/projects/feed.atom: the list as an Atom 1.0 feed, read with feedparser as a feed reader would."""

import datetime
import re
import xml.etree.ElementTree as ElementTree

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from projects.feeds import FEED_ENTRIES
from projects.models import Project

from .factories import make_area, make_donor, make_funding, make_project
from .support.bad_input import BAD_QUERIES, short

pytestmark = pytest.mark.django_db

FEED = "/projects/feed.atom"
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def read(client, url):
    """The feed at `url`, parsed by feedparser (which must find nothing wrong), and its XML root."""
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed, ElementTree.fromstring(response.content)


@pytest.fixture
def three_projects(db):
    """Three published projects changed on three days, and a draft: EU funds two, Switzerland one."""
    eu, swiss = make_donor("European Union", slug="european-union"), make_donor("Switzerland", slug="switzerland")
    border, asylum = make_area("Border management", slug="border-management"), make_area("Asylum", slug="asylum")
    oldest = make_project("Oldest Project", areas=[border], text="First of all. It began long ago.")
    middle = make_project("Middle Project", areas=[asylum], text="Reception centres & <care>. More.")
    newest = make_project("Newest Project", areas=[border, asylum], text="The newest one. Details.")
    make_funding(oldest, eu)
    make_funding(middle, swiss)
    make_funding(newest, eu)
    make_project("Draft Project", is_published=False)
    for days, project in enumerate([newest, middle, oldest]):
        Project.objects.filter(pk=project.pk).update(updated=timezone.now() - datetime.timedelta(days=days))
    return {"oldest": oldest, "middle": middle, "newest": newest}


def test_the_feed_lives_beside_the_list_in_every_language():
    assert reverse("projects:project_feed") == FEED


def test_the_feed_is_valid_atom_with_the_elements_rfc_4287_requires(client, three_projects):
    feed, root = read(client, FEED)
    # atom:feed: id, title, updated (and an author, as no entry has its own), one alternate link, a self link.
    assert root.findtext("a:id", namespaces=ATOM) == "http://testserver/projects/"
    assert root.findtext("a:title", namespaces=ATOM) == "Projects: IOM Serbia Project Catalogue"
    assert root.find("a:updated", ATOM) is not None
    assert root.findtext("a:author/a:name", namespaces=ATOM) == "IOM Serbia Project Catalogue"
    assert feed.feed.link == "http://testserver/projects/"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == ["http://testserver/projects/feed.atom"]
    entries = root.findall("a:entry", ATOM)
    assert len(entries) == 3
    for entry in entries:
        for element in ("id", "title", "updated"):
            assert entry.findtext(f"a:{element}", namespaces=ATOM), element
        assert entry.find("a:link", ATOM).get("href").startswith("http://testserver/projects/")
    # The feed's updated is its newest entry's.
    assert feed.feed.updated_parsed == feed.entries[0].updated_parsed


def test_entries_come_newest_change_first_with_title_link_summary_and_categories(client, three_projects):
    feed, _root = read(client, FEED)
    assert [entry.title for entry in feed.entries] == ["Newest Project", "Middle Project", "Oldest Project"]
    newest = feed.entries[0]
    assert newest.link == "http://testserver/projects/newest-project/"
    assert newest.id == "http://testserver/projects/newest-project/"
    assert newest.summary == "The newest one."
    assert sorted(tag.term for tag in newest.tags) == ["Asylum", "Border management", "European Union"]
    project = three_projects["newest"]
    assert newest.updated_parsed[:6] == project.updated.astimezone(datetime.UTC).timetuple()[:6]


def test_a_summary_is_the_texts_first_sentence_as_text_never_markup(client, three_projects):
    feed, root = read(client, FEED)
    middle = next(entry for entry in feed.entries if entry.title == "Middle Project")
    assert middle.summary == "Reception centres &amp; &lt;care&gt;."  # escaped HTML: the text, shown as text
    summary = next(
        e for e in root.findall("a:entry", ATOM) if e.findtext("a:title", namespaces=ATOM) == "Middle Project"
    )
    assert summary.find("a:summary", ATOM).get("type") == "html"


def test_unpublished_projects_are_never_in_the_feed(client, three_projects):
    feed, _root = read(client, FEED)
    assert "Draft Project" not in [entry.title for entry in feed.entries]


def test_the_feed_takes_the_lists_filters(client, three_projects):
    feed, root = read(client, f"{FEED}?donor=european-union")
    assert [entry.title for entry in feed.entries] == ["Newest Project", "Oldest Project"]
    assert feed.feed.title == "Projects (Donor: European Union): IOM Serbia Project Catalogue"
    # Its own id and links: the filtered list's, and its own address with the filter.
    assert root.findtext("a:id", namespaces=ATOM) == "http://testserver/projects/?donor=european-union"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        "http://testserver/projects/feed.atom?donor=european-union"
    ]
    feed, _root = read(client, f"{FEED}?area=asylum&donor=switzerland")
    assert [entry.title for entry in feed.entries] == ["Middle Project"]
    feed, _root = read(client, f"{FEED}?q=newest")
    assert [entry.title for entry in feed.entries] == ["Newest Project"]


def test_a_feed_that_matches_nothing_is_still_a_valid_feed(client, three_projects):
    feed, root = read(client, f"{FEED}?q=nothing-matches-this")
    assert feed.entries == []
    assert root.find("a:updated", ATOM) is not None


def test_the_feed_ignores_the_lists_sort_and_page(client, three_projects):
    feed, _root = read(client, f"{FEED}?sort=title&page=7")
    assert [entry.title for entry in feed.entries] == ["Newest Project", "Middle Project", "Oldest Project"]


def test_the_feed_holds_the_latest_changes_only(client, db):
    for number in range(FEED_ENTRIES + 5):
        make_project(f"Project {number:03}")
    feed, _root = read(client, FEED)
    assert len(feed.entries) == FEED_ENTRIES


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("donor=nobody", "Donor: Select a valid choice. nobody is not one of the available choices."),
        ("min_amount=abc", "Grant of at least: Enter a number."),
        ("sort=bogus", "Sort by: Select a valid choice. bogus is not one of the available choices."),
        ("q=a%00b", "Search: Null characters are not allowed."),
        # XML 1.0 cannot carry a control character: the feed's title, which names the search, could not be written.
        ("q=a%01b", "Search: Enter a valid value."),
    ],
    ids=short,
)
def test_an_invalid_parameter_answers_400_with_a_plain_message(client, three_projects, query, message):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("The feed could not be made.")
    assert message in text


def test_the_serbian_feed_is_under_the_language_prefix_and_links_to_the_serbian_list(client, three_projects):
    feed, root = read(client, f"/sr-latn{FEED}?donor=european-union")
    assert root.findtext("a:id", namespaces=ATOM) == "http://testserver/sr-latn/projects/?donor=european-union"
    assert feed.entries[0].link == "http://testserver/sr-latn/projects/newest-project/"
    assert feed.feed.language == "sr-latn"


def announced_feeds(response):
    return re.findall(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', response.content.decode()
    )


def test_the_home_page_announces_the_feed_of_every_project(client, three_projects):
    assert announced_feeds(client.get("/")) == [FEED]
    assert announced_feeds(client.get("/sr-latn/")) == [f"/sr-latn{FEED}"]


def test_the_list_page_announces_the_feed_of_the_list_it_shows(client, three_projects):
    assert announced_feeds(client.get("/projects/")) == [FEED]
    response = client.get("/projects/?area=asylum&donor=european-union&sort=-title&page=1")
    assert announced_feeds(response) == [f"{FEED}?donor=european-union&amp;area=asylum"]
    assert announced_feeds(client.get("/sr-latn/projects/?donor=european-union")) == [
        f"/sr-latn{FEED}?donor=european-union"
    ]


def test_the_feed_makes_the_same_queries_whatever_the_number_of_projects(client, django_assert_num_queries, db):
    """Guards against N+1 in the feed: the catalogue generation (page cache), the entries, their areas,
    their grants with donors, their places (the list's rows); the same for 3 projects as for 30."""
    donor, area = make_donor(), make_area()
    for size in (3, 30):
        for _number in range(size - Project.objects.count()):
            make_funding(make_project(areas=[area]), donor)
        with django_assert_num_queries(1 + 4):
            response = client.get(FEED)
        assert response.content.decode().count("<entry>") == size


@pytest.mark.parametrize("query", BAD_QUERIES, ids=short)
def test_odd_feed_parameters_answer_200_or_400_never_a_server_error(client, three_projects, query):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert not feedparser.parse(response.content).bozo


def test_a_search_ending_in_a_control_character_names_what_it_searched(client, three_projects):
    """The form strips the ends of the words, \x1f included (Python counts it as white space): the feed's title names
    the search as applied. It named the raw words, which XML 1.0 cannot carry, and the feed was a 500."""
    response = client.get(FEED, {"q": "0\x1f"})
    assert response.status_code == 200
    assert "Search: 0)" in response.content.decode()


def test_a_repeated_single_valued_parameter_is_named_as_the_form_read_it(client, three_projects):
    """The form reads the last of repeated values (QueryDict.get()): here none. The title named every value, so an
    earlier invalid one, which XML 1.0 cannot carry either, made the feed a 500."""
    response = client.get(f"{FEED}?max_amount=%C2%B0y%0B%1Ee&max_amount=")
    assert response.status_code == 200
    assert "Grant of at most" not in response.content.decode()

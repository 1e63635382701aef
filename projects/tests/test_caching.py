"""The page cache: what it keeps, what it never keeps, and that every edit shows on the next public request."""

import time

import pytest
from django.core.management import call_command
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import http_date

from projects import caching, facets
from projects.caching import bump_catalogue_generation, catalogue_generation, is_cacheable, page_key
from projects.models import CatalogueGeneration, Donor, Project

from .factories import make_area, make_donor, make_figure, make_funding, make_project

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")
DONORS = reverse("projects:donor_list")


@pytest.fixture
def project(db):
    project = make_project("Cached Project")
    make_funding(project, make_donor("European Union", slug="european-union"), amount="650000")
    return project


def generation():
    return catalogue_generation()


# What is kept ------------------------------------------------------------------------------------------------------


def test_a_public_page_asked_for_twice_is_rendered_once(client, project, django_assert_num_queries):
    first = client.get(LIST)
    with django_assert_num_queries(1):  # the catalogue generation, nothing else
        second = client.get(LIST)
    assert second.status_code == 200
    assert second.content == first.content
    assert "Cached Project" in second.content.decode()


def test_a_cached_page_keeps_its_content_type_and_security_headers(client, project):
    client.get(LIST)
    response = client.get(LIST)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_each_query_string_is_a_page_of_its_own(client, project):
    make_project("Zebra Project")  # not "Other": a stop word, which PostgreSQL's search ignores
    # Links, not titles: on PostgreSQL the matched words in titles are highlighted.
    assert "/projects/zebra-project/" in client.get(f"{LIST}?q=zebra").content.decode()
    response = client.get(f"{LIST}?q=cached")
    assert "/projects/cached-project/" in response.content.decode()
    assert "/projects/zebra-project/" not in response.content.decode()


def test_the_cache_key_holds_the_generation_the_language_and_the_full_path():
    request = RequestFactory().get("/projects/?donor=eu&page=2")
    key = page_key(7, request)
    assert key.startswith("page:7:en:")
    assert page_key(8, request) != key
    assert page_key(7, RequestFactory().get("/projects/?donor=eu&page=3")) != key
    keys = {key}
    for code in ("sr-latn", "sr"):
        with translation.override(code):
            keys.add(page_key(7, request))
    assert len(keys) == 3  # English, Serbian Latin and Serbian Cyrillic: three pages


# What is never kept -------------------------------------------------------------------------------------------------


def test_a_signed_in_visitor_always_gets_a_fresh_page(admin_client, project):
    admin_client.get(LIST)
    Project.objects.filter(pk=project.pk).update(title="Renamed Without Signals")
    response = admin_client.get(LIST)
    assert "Renamed Without Signals" in response.content.decode()
    assert "ETag" not in response


def test_the_admin_is_never_cached(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert "ETag" not in response
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_never_cached(client, django_assert_num_queries):
    client.get("/healthz")
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response


@pytest.mark.parametrize("url", ["/projects/no-such-project/", f"{LIST}?min_amount=abc"])
def test_error_pages_are_never_cached(client, project, url):
    first = client.get(url)
    assert first.status_code in (400, 404)
    assert "ETag" not in first
    Project.objects.filter(pk=project.pk).update(title="Renamed Without Signals")
    # The rows rendered for this generation (projects.fragments) are kept whatever the page's status; an update()
    # without signals leaves the generation as it was, so drop them: the question is whether the page was kept.
    facets.forget_fragments()
    if first.status_code == 400:
        assert "Renamed Without Signals" in client.get(url).content.decode()


def test_streamed_responses_and_responses_that_set_cookies_are_not_cacheable():
    assert is_cacheable(HttpResponse("page"))
    assert not is_cacheable(StreamingHttpResponse(iter(["a", "b"])))
    with_cookie = HttpResponse("page")
    with_cookie.set_cookie("choice", "1")
    assert not is_cacheable(with_cookie)
    private = HttpResponse("page", headers={"Cache-Control": "private"})
    assert not is_cacheable(private)
    assert not is_cacheable(HttpResponse("gone", status=404))


def test_page_cache_seconds_zero_turns_the_cache_off(client, project, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get(LIST)
    Project.objects.filter(pk=project.pk).update(title="Renamed Without Signals")
    facets.forget_fragments()  # the rows kept for this generation (projects.fragments), which update() leaves as it is
    response = client.get(LIST)
    assert "Renamed Without Signals" in response.content.decode()
    assert "ETag" not in response


# Invalidation ------------------------------------------------------------------------------------------------------


def test_an_admin_edit_appears_on_the_next_public_request(client, admin_client, project):
    donor = Donor.objects.get(slug="european-union")
    assert "European Union" in client.get(project.get_absolute_url()).content.decode()
    assert "European Union" in client.get(DONORS).content.decode()

    url = reverse("admin:projects_donor_change", args=[donor.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["edit_token"] = form.fields["edit_token"].initial  # the stale-form check, as the page carries it
    data["name"] = "European Commission"
    assert admin_client.post(url, data).status_code == 302

    assert "European Commission" in client.get(project.get_absolute_url()).content.decode()
    assert "European Commission" in client.get(DONORS).content.decode()


def test_saving_a_catalogue_row_bumps_the_generation(project):
    before = generation()
    make_figure(project)
    assert generation() > before


def test_deleting_a_catalogue_row_bumps_the_generation(project):
    before = generation()
    project.fundings.all().delete()
    assert generation() > before


def test_changing_a_project_areas_bumps_the_generation(project):
    area = make_area("Border management")
    before = generation()
    project.areas.add(area)
    assert generation() > before
    before = generation()
    project.areas.clear()
    assert generation() > before


def test_an_edit_bumps_the_generation_in_its_own_transaction(project, django_capture_on_commit_callbacks):
    before = generation()
    with django_capture_on_commit_callbacks() as callbacks:
        Donor.objects.filter(slug="european-union").get().save()
    assert generation() > before
    assert callbacks == []  # nothing left for after the commit: the bump commits with the edit


def test_reload_catalogue_bumps_the_generation():
    before = generation()
    call_command("reload_catalogue", verbosity=0)
    assert generation() > before


def test_a_dry_run_of_reload_catalogue_leaves_the_generation_as_it_was():
    before = generation()
    call_command("reload_catalogue", "--dry-run", verbosity=0)
    assert generation() == before


def test_a_lost_generation_restarts_above_every_earlier_one():
    before = generation()
    CatalogueGeneration.objects.all().delete()  # as a flushed database
    assert generation() > before


def test_the_generation_is_read_from_the_database_so_every_process_sees_an_edit_at_once(client, project):
    client.get(DONORS)
    # Another process's edit: straight in the database, as another worker would commit it.
    Donor.objects.filter(slug="european-union").update(name="European Commission")
    bump_catalogue_generation()
    assert "European Commission" in client.get(DONORS).content.decode()


# ETag, Last-Modified and 304 ---------------------------------------------------------------------------------------


@pytest.fixture
def settled(project):
    """The catalogue's last change a minute ago: long enough settled for pages to carry Last-Modified."""
    CatalogueGeneration.objects.update(changed_at=timezone.now() - timezone.timedelta(minutes=1))


def test_a_public_page_has_an_etag_a_last_modified_date_and_asks_browsers_to_revalidate(client, settled):
    response = client.get(LIST)
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert "no-cache" in response["Cache-Control"]


def test_a_request_with_the_current_etag_gets_304_without_a_body(client, project, django_assert_num_queries):
    etag = client.get(LIST)["ETag"]
    with django_assert_num_queries(1):  # the catalogue generation
        response = client.get(LIST, headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_a_head_request_with_the_current_etag_gets_304(client, project):
    etag = client.get(LIST)["ETag"]
    assert client.head(LIST, headers={"if-none-match": etag}).status_code == 304


def test_a_request_with_the_last_modified_date_gets_304(client, settled):
    last_modified = client.get(LIST)["Last-Modified"]
    assert client.get(LIST, headers={"if-modified-since": last_modified}).status_code == 304


def test_right_after_a_change_pages_revalidate_by_etag_alone(client, project):
    """A change's time is stamped before it commits: a later change could still fall in the same second."""
    response = client.get(LIST)
    assert "Last-Modified" not in response
    assert client.get(LIST, headers={"if-modified-since": http_date(time.time())}).status_code == 200
    assert client.get(LIST, headers={"if-none-match": response["ETag"]}).status_code == 304


def test_after_an_edit_the_old_etag_gets_the_new_page(client, project):
    etag = client.get(LIST)["ETag"]
    project.title = "Edited Project"
    project.save()
    response = client.get(LIST, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "Edited Project" in response.content.decode()


def test_an_etag_weakened_by_compression_still_gets_304(client, project):
    """GZipMiddleware marks the ETag of a compressed page weak; the browser sends that back."""
    etag = client.get(LIST, headers={"accept-encoding": "gzip"})["ETag"]
    assert etag.startswith('W/"')
    assert client.get(LIST, headers={"if-none-match": etag, "accept-encoding": "gzip"}).status_code == 304


# A cache outage ----------------------------------------------------------------------------------------------------


@pytest.fixture
def cache_down(settings):
    """Redis at an address where nothing listens; the circuit breaker reset before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    caching._CacheHealth.retry_at = 0.0
    yield
    caching._CacheHealth.retry_at = 0.0


def test_with_the_cache_server_down_pages_are_still_served(client, project, cache_down):
    for url in [LIST, project.get_absolute_url(), DONORS]:
        response = client.get(url)
        assert response.status_code == 200
        assert "Cached Project" in response.content.decode() or url == DONORS


def test_with_the_cache_server_down_an_edit_is_saved_and_shows_at_once(client, project, cache_down):
    client.get(project.get_absolute_url())
    project.title = "Edited While Down"
    project.save()
    assert "Edited While Down" in client.get(project.get_absolute_url()).content.decode()


# Single flight: a burst after an edit renders a page once ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_requests_after_an_edit_renders_the_page_once_per_cache():
    """Twenty visitors ask for the list at the same moment, just after an edit: one renders it ("miss"),
    the others wait for that copy ("shared") or find it ("hit"); none renders it again."""
    import threading

    from django.db import connection
    from django.test import Client

    make_project("Burst One", text="Text.")
    bump_catalogue_generation()
    start = threading.Barrier(20)
    answers = []

    def visit():
        client = Client()
        start.wait()
        try:
            response = client.get(reverse("projects:project_list"))
            answers.append((response.status_code, response[caching.RENDER_HEADER]))
        finally:
            connection.close()  # each thread has its own: the test database must be droppable afterwards

    threads = [threading.Thread(target=visit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in answers} == {200}
    how = [served for _, served in answers]
    assert how.count("miss") == 1, how
    assert set(how) <= {"miss", "shared", "hit"}, how


def test_a_request_that_finds_the_page_being_rendered_waits_for_that_copy(client, project):
    """While another request holds the page's render lock, a request waits and serves the copy it leaves."""
    import threading

    list_url = reverse("projects:project_list")
    request = RequestFactory().get(list_url, HTTP_HOST="testserver")
    key = page_key(catalogue_generation(), request)
    assert caching.cache.add(caching.render_lock_key(key), 1, 10)
    copy = {"content": b"<p>the other request's copy</p>", "headers": {"Content-Type": "text/html"}, "etag": '"x"'}
    threading.Timer(1.0, lambda: caching.cache.set(key, copy, 60)).start()
    response = client.get(list_url)
    assert response[caching.RENDER_HEADER] == "shared"
    assert response.content == copy["content"]


@pytest.mark.parametrize("name", ["donor", "area", "place"])
def test_every_value_of_a_repeated_filter_is_part_of_the_cache_key(name):
    """`?place=greece&place=serbia` is a page of its own: it was served the cached `?place=serbia` (the key kept the
    last value only), with the wrong boxes ticked and the wrong projects listed."""
    both = page_key(7, RequestFactory().get(f"/projects/?{name}=greece&{name}=serbia"))
    assert both != page_key(7, RequestFactory().get(f"/projects/?{name}=serbia"))
    assert both == page_key(7, RequestFactory().get(f"/projects/?{name}=serbia&{name}=greece"))

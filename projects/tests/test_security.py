"""Secure defaults: the portal refuses to start unsafely, and every response carries the security headers."""

import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from bench.harness import GUNICORN, Portal, free_ports

from .factories import make_project

BASE_DIR = Path(settings.BASE_DIR)
REAL_KEY = secrets.token_urlsafe(50)
# What README.md documents for production, with a host name of our own.
PRODUCTION_ENV = {"DEBUG": "0", "SECRET_KEY": REAL_KEY, "ALLOWED_HOSTS": "catalogue.example.org"}


def manage(*args, env, timeout=60):
    """Run manage.py in a fresh process with exactly `env` on top of PATH, as an operator would."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=timeout
    )


def setting(name, env):
    """A setting's value as a fresh process with `env` computes it."""
    result = manage("shell", "-v0", "-c", f"from django.conf import settings; print(repr(settings.{name}))", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# Refusing to start ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, says",
    [
        (None, "SECRET_KEY is not set"),
        ("short", "too short or a placeholder"),
        ("django-insecure-" + "x" * 60, "too short or a placeholder"),
    ],
)
def test_with_debug_off_a_missing_or_weak_secret_key_stops_the_portal_with_a_plain_message(key, says):
    env = {"DEBUG": "0"} | ({"SECRET_KEY": key} if key else {})

    result = manage("check", env=env)

    assert result.returncode != 0
    assert says in result.stderr
    assert "secrets.token_urlsafe" in result.stderr  # says how to make one
    assert "Traceback" not in result.stderr


@pytest.mark.system
def test_gunicorn_without_a_secret_key_stops_at_once_with_the_message_and_no_traceback():
    env = {"PATH": os.environ["PATH"], "DEBUG": "0"}

    result = subprocess.run(
        [str(GUNICORN), "portal.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0  # the master stops instead of respawning workers forever
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_with_debug_on_a_missing_secret_key_is_allowed_for_development():
    assert manage("check", env={"DEBUG": "1"}).returncode == 0


def test_check_deploy_reports_no_warning_under_the_documented_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_defaults_redirect_to_https_send_hsts_and_keep_cookies_secure():
    assert setting("SECURE_SSL_REDIRECT", PRODUCTION_ENV) == "True"
    assert int(setting("SECURE_HSTS_SECONDS", PRODUCTION_ENV)) >= 31536000
    assert setting("SESSION_COOKIE_SECURE", PRODUCTION_ENV) == "True"
    assert setting("CSRF_COOKIE_SECURE", PRODUCTION_ENV) == "True"
    assert setting("SESSION_COOKIE_HTTPONLY", PRODUCTION_ENV) == "True"


def test_an_operator_behind_a_tls_proxy_turns_the_redirect_off_and_names_the_proxy_header():
    env = PRODUCTION_ENV | {"SECURE_SSL_REDIRECT": "0", "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https"}

    assert setting("SECURE_SSL_REDIRECT", env) == "False"
    assert setting("SECURE_PROXY_SSL_HEADER", env) == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert setting("SECURE_HSTS_SECONDS", env) == "31536000"  # still sent on the proxy's HTTPS


def test_a_malformed_proxy_header_setting_stops_the_portal_with_an_example():
    result = manage("check", env=PRODUCTION_ENV | {"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"})

    assert result.returncode != 0
    assert "HTTP_X_FORWARDED_PROTO,https" in result.stderr
    assert "Traceback" not in result.stderr


def test_trusted_origins_come_from_the_environment():
    env = PRODUCTION_ENV | {"CSRF_TRUSTED_ORIGINS": "https://catalogue.example.org, https://www.example.org"}

    assert setting("CSRF_TRUSTED_ORIGINS", env) == "['https://catalogue.example.org', 'https://www.example.org']"


# Headers on every response -------------------------------------------------------------------------------

PAGES = ["/", "/projects/", "/projects/?q=border", "/donors/", "/areas/", "/healthz", "/admin/login/", "/no-such-page/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_hsts_is_sent_over_https_and_plain_http_is_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000

    plain = client.get("/projects/")
    secure = client.get("/projects/", secure=True)

    assert plain.status_code == 301 and plain["Location"] == "https://testserver/projects/"
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_the_health_check_is_not_redirected_so_a_load_balancer_can_probe_it_over_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_pages_hold_no_inline_script_or_style_that_the_policy_would_block(client):
    project = make_project("Border <help>", slug="border-help")
    for path in ["/", "/projects/", project.get_absolute_url(), "/donors/", "/areas/", "/no-such-page/"]:
        html = client.get(path).content.decode()
        assert " style=" not in html, path
        assert "<style" not in html, path
        for script in html.split("<script")[1:]:
            # Only data blocks (JSON-LD), which never run, and files of ours (static/js/) may appear.
            attributes = script[: script.index(">")]
            assert script.lstrip().startswith('type="application/ld+json"') or ' src="/static/js/' in attributes, path


# Error pages that leak nothing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_404_page_is_the_portals_own_and_says_nothing_about_the_code(client):
    response = client.get("/projects/no-such-project/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and "Browse all projects" in html
    for leak in ["Traceback", "urlpatterns", "portal.urls", "DEBUG", "Django"]:
        assert leak not in html


def test_the_500_page_is_self_contained_and_says_nothing_about_the_error():
    response = server_error(RequestFactory().get("/"))

    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "Traceback" not in html and "Exception" not in html


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_the_portals_403_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "a", "password": "b"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "The form has expired" in html
    assert "CSRF" not in html and "Traceback" not in html


@pytest.mark.django_db
def test_the_health_check_says_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"] == "no-store"


# The database down: 503, not 500 ---------------------------------------------------------------------------


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def portal_without_a_database(tmp_path):
    """gunicorn in production settings, pointed at a PostgreSQL port where nothing listens."""
    port, dead = free_ports(2)
    env = {
        "PATH": os.environ["PATH"],
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead}/nowhere",
    }
    with Portal(env, port, log_path=tmp_path / "gunicorn.log", ready_status=503) as portal:
        yield portal.base_url


@pytest.mark.system
@pytest.mark.parametrize("path", ["/", "/projects/?donor=european-union", "/donors/"])
def test_pages_answer_503_with_the_unavailable_page_while_the_database_is_down(portal_without_a_database, path):
    status, headers, html = fetch(portal_without_a_database + path)

    assert status == 503
    assert "unavailable for a moment" in html
    assert headers["Retry-After"] == "10"
    assert "Traceback" not in html and "OperationalError" not in html


@pytest.mark.system
def test_the_health_check_answers_503_while_the_database_is_down(portal_without_a_database):
    status, _, body = fetch(portal_without_a_database + "/healthz")

    assert status == 503
    assert '"database": "unavailable"' in body

"""Every public page runs clean in a real browser with the Content-Security-Policy enforced."""

from .checks import BrowserErrors
from .pages import PUBLIC_PAGES


def is_the_pages_own_status(error, public_page, url):
    """Chromium logs a 4xx page's own status as a console error; for the 404 page that is the point."""
    own_status = f"console: Failed to load resource: the server responded with a status of {public_page.status} "
    return error.startswith(own_status) and error.endswith(f"({url})")


def test_every_public_page_loads_under_the_csp_with_no_console_error_or_csp_violation(page):
    errors = BrowserErrors(page)
    problems = []
    for public_page in PUBLIC_PAGES:
        response = page.goto(public_page.path)
        if response.status != public_page.status:
            problems.append(f"{public_page.name}: status {response.status}, expected {public_page.status}")
        if "style-src 'self'" not in response.headers.get("content-security-policy", ""):
            problems.append(f"{public_page.name}: served without the strict Content-Security-Policy")
        problems += [
            f"{public_page.name}: {error}"
            for error in errors.collect()
            if not is_the_pages_own_status(error, public_page, response.url)
        ]
    assert problems == []


def test_an_inline_style_added_to_a_page_is_blocked_and_reported(page):
    """The check above can fail: the browser enforces the CSP and the listener reports what it blocks."""
    errors = BrowserErrors(page)
    page.goto("/")
    assert errors.collect() == []
    blocked = page.evaluate("""new Promise((resolve) => {
        document.addEventListener("securitypolicyviolation", (event) => resolve(event.violatedDirective), {once: true});
        document.body.setAttribute("style", "background: red");
    })""")
    assert blocked == "style-src-attr"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    assert [error.split(" at ")[0] for error in errors.collect() if error.startswith("CSP violation:")] == [
        "CSP violation: style-src-attr blocked inline"
    ]

"""What the browser tests check on a page, as functions a new test can call in one line."""

from axe_playwright_python.sync_playwright import Axe

# The WCAG 2.1 A and AA rules of axe-core (bundled with axe-playwright-python, nothing downloaded).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Reports each violation from inside the page; Playwright's binding carries it out past the CSP.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI} at ${event.sourceFile || event.documentURI}:${event.lineNumber}`
  );
});
"""


def record_errors(page):
    """Start recording the page's console errors, uncaught script errors and CSP violations.

    Call before page.goto(); returns the list that fills as the page loads and runs.
    """
    errors = []
    page.on("console", lambda message: errors.append(console_line(message)) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.expose_function("reportCspViolation", lambda violation: errors.append(f"CSP violation: {violation}"))
    page.add_init_script(CSP_LISTENER)
    return errors


def console_line(message):
    return f"console: {message.text} ({message.location['url']})"


def axe_violations(page):
    """axe-core's WCAG 2.1 A/AA violations on the page as it stands, one readable line per element."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: {', '.join(map(str, node['target']))}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


def sideways_overflow(page):
    """How many CSS pixels the page is wider than the window (0 when it does not scroll sideways)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")

"""What the browser tests check on a page, as functions a new test can call in one line."""

from axe_playwright_python.sync_playwright import Axe

# The WCAG 2.1 A and AA rules of axe-core (bundled with axe-playwright-python, nothing downloaded).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Hands each violation over to Python through Playwright's binding, which the CSP does not govern.
# window.cspViolationsReported settles once Python holds every violation reported so far.
CSP_LISTENER = """
window.cspViolationsReported = Promise.resolve();
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = `${event.violatedDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`;
  window.cspViolationsReported = window.cspViolationsReported.then(() => window.reportCspViolation(violation));
});
"""


class BrowserErrors:
    """A page's console errors, uncaught script errors and CSP violations, recorded as they happen.

    Create it before page.goto(); collect() after each step of the test.
    """

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.on(
            "console", lambda message: self.errors.append(console_line(message)) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: self.errors.append(f"script error: {error}"))
        page.expose_function("reportCspViolation", lambda violation: self.errors.append(f"CSP violation: {violation}"))
        page.add_init_script(CSP_LISTENER)

    def collect(self):
        """The errors recorded since the last collect(), once every CSP violation so far has reached us."""
        self.page.evaluate("window.cspViolationsReported")
        errors, self.errors = self.errors, []
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


def chart_text_outside_its_chart(page):
    """Every text of an SVG chart that reaches past the chart's own box, as "text: N px out"."""
    return page.evaluate("""() => [...document.querySelectorAll("svg text")].flatMap((text) => {
        const chart = text.ownerSVGElement.getBoundingClientRect(), box = text.getBoundingClientRect();
        const out = Math.round(Math.max(chart.left - box.left, box.right - chart.right, chart.top - box.top, 0));
        return out > 0 ? [`${text.textContent}: ${out} px out`] : [];
    })""")

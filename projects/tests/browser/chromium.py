"""How the browser tests and `make screenshots` start Chromium: Debian's build, headless, quiet.

Playwright's own browser download cannot reach its servers here, so both drive /usr/bin/chromium.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests and CI run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    # No traffic but to the portal: no update checks, sync, field trials or QUIC probes.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# The two widths the portal is designed for: a laptop and a small phone.
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


class ChromiumMissing(RuntimeError):
    pass


def launch_chromium(playwright, back_forward_cache=False):
    """Chromium through Playwright, or ChromiumMissing with the command that installs it.

    Playwright turns Chromium's back/forward cache off; visitors' browsers keep it on, and
    back_forward_cache=True does too, for the tests of what Back shows.
    """
    if not CHROMIUM.exists():
        raise ChromiumMissing(
            f"The browser tests need Chromium at {CHROMIUM}, which is missing. Install it with: "
            "apt-get install -y chromium"
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"] if back_forward_cache else None,
    )

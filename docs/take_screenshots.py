"""Full-page screenshots of the portal for README.md: `make screenshots` writes docs/screenshots/*.png.

Serves the portal with gunicorn on a free loopback port, as `make run` does (DEBUG off, static files by
whitenoise, no HTTPS redirect), then opens each page in Chromium, started as the browser tests start it,
at desktop and phone widths. Run it through make, which migrates, loads the catalogue, collects the
static files and sets SECRET_KEY first. The server is bench/harness.py's Portal, the one the system
tests start.
"""

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.harness import VIEWPORTS, Portal, ServerError, launch_chromium

OUTPUT = Path(__file__).resolve().parent / "screenshots"
PAGES = {
    "home": "/",
    "projects-by-donor": "/projects/?donor=european-union&donor=inl-us-state-department",
    "project": "/projects/open-communities-successful-communities/",
    "donor": "/donors/inl-us-state-department/",
    "context": "/context/",
}
STARTUP_SECONDS = 30


def take_screenshots(base_url):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for viewport_name, viewport in VIEWPORTS.items():
            context = browser.new_context(base_url=base_url, viewport=viewport)
            page = context.new_page()
            for page_name, path in PAGES.items():
                response = page.goto(path)
                if response.status != 200:
                    sys.exit(f"{path} answered {response.status}; is the catalogue loaded (make catalogue)?")
                target = OUTPUT / f"{page_name}-{viewport_name}.png"
                page.screenshot(path=target, full_page=True)
                print(
                    f"{target.relative_to(OUTPUT.parent.parent)}: {viewport['width']} px wide, "
                    f"{page.evaluate('document.documentElement.scrollHeight')} px tall, "
                    f"{target.stat().st_size // 1024} KiB"
                )
            context.close()
        browser.close()


def main():
    # Exactly the environment make gives us (SECRET_KEY and the local settings of `make run`).
    with Portal(os.environ, workers=2, startup_seconds=STARTUP_SECONDS) as portal:
        take_screenshots(portal.base_url)


if __name__ == "__main__":
    try:
        main()
    except ServerError as error:
        sys.exit(f"The portal did not start: {error}")

"""Full-page screenshots of the portal for README.md: `make screenshots` writes docs/screenshots/*.png.

Serves the portal with gunicorn on a free loopback port, as `make run` does (DEBUG off, static files by
whitenoise, no HTTPS redirect), then opens each page in Chromium, started as the browser tests start it,
at desktop and phone widths. Run it through make, which migrates, loads the catalogue, collects the
static files and sets SECRET_KEY first.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from projects.tests.browser.chromium import VIEWPORTS, launch_chromium

OUTPUT = Path(__file__).resolve().parent / "screenshots"
PAGES = {
    "home": "/",
    "projects-by-donor": "/projects/?donor=european-union&donor=inl-us-state-department",
    "project": "/projects/open-communities-successful-communities/",
    "donor": "/donors/inl-us-state-department/",
    "context": "/context/",
}
STARTUP_SECONDS = 30


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base_url, server):
    """Poll /healthz until the portal answers, the server dies, or STARTUP_SECONDS pass."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped with exit status {server.returncode} before serving the portal.")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"The portal did not answer at {base_url}/healthz within {STARTUP_SECONDS} seconds.")


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
                print(f"{target.relative_to(OUTPUT.parent.parent)}: {viewport['width']} px wide, "
                      f"{page.evaluate('document.documentElement.scrollHeight')} px tall, "
                      f"{target.stat().st_size // 1024} KiB")
            context.close()
        browser.close()


def main():
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # A throwaway server needs no control socket; a `make run` beside it may own the default one.
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--no-control-socket"],
        env=os.environ,
    )
    try:
        wait_until_serving(base_url, server)
        take_screenshots(base_url)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()

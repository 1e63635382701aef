"""
make drill-reload-under-edits: two editors save through the real admin while reload_catalogue runs in a loop.

On a throwaway database (SQLite file or a PostgreSQL database made and dropped on --pg-url), it migrates,
loads the catalogue and serves the portal with gunicorn (production settings, plain HTTP on loopback).
Two editors, Ana and Boris, sign in like a browser (CSRF cookie and token) and, for --duration seconds,
each in turn opens the change form of the same donor and the same project (GET), changes the one field
that is theirs (Ana: the donor's short name and the project's title; Boris: the donor's description and
the project's editorial note) to a new value, and posts the form back with everything else as the page gave it,
the edit token included. Meanwhile `manage.py reload_catalogue` runs again and again over the same rows;
each run keeps the editors' edits (exit status 3) and loads the rest, so reloads and saves write at the
same moments.

Each save attempt ends one of these ways:
  saved              the admin answered 302 (the save was accepted);
  refused            200, the form again with an error message and the value the editor typed still in
                     it (the other editor or a reload saved in between, or the catalogue was busy);
  lost               anything else: a 5xx, no answer, or a page without what the editor typed.
An accepted save is also LOST when, in the edit history afterwards, no version by that editor holds its
value (the answer said saved but the write did not stay), or the next version of the object that changes
the field was saved by the OTHER editor (who could only have done that from a form opened before the save:
a silent overwrite). Its value may be superseded by a later save of the same editor, and then it is not
lost; a reload must never put it back (reloads keep staff edits).

Targets: 0 edits lost, 0 5xx answers, 0 tracebacks in gunicorn's log or a reload's output, 0 failed
reloads, 0 saves put back by a reload. It prints the figures per database and exits 1 when a target is missed, 2 when it could not run.

    .venv/bin/python bench/drill_reload_under_edits.py [--db sqlite|postgres|both] [--duration 60] [--quick]
"""

import argparse
import html
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from harness import (
    DEFAULT_PG_URL,
    REPO,
    Portal,
    fail,
    free_port,
    machine_description,
    prepare_site,
    production_env,
    say,
    throwaway_postgres_database,
    tool_versions,
)

DONOR, PROJECT = "european-union", "eu-supports-border-management"
# Who edits what: each editor owns one field of each object, so a change to it by the other is an overwrite.
EDITORS = {
    "ana": {"donor": "short_name", "project": "title"},
    "boris": {"donor": "description", "project": "editorial_note"},
}
PASSWORD = "a long drill password 1"
REQUEST_TIMEOUT = 30


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=60, help="seconds of editing (default 60)")
    parser.add_argument(
        "--reload-pause",
        type=float,
        default=0.2,
        help="seconds between one reload's end and the next one's start (default 0.2)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument("--port", type=int, default=0, help="the portal's port (default: a free one)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server (default {DEFAULT_PG_URL})")
    parser.add_argument("--quick", action="store_true", help="a short drill for the test suite: 8 s of editing")
    args = parser.parse_args()
    if args.quick:
        args.duration = 8
    return args


# A browser's view of the admin ------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """The fields a browser would post from the form with `form_id`, unchanged (as projects/tests/forms.py)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.data = form_id, False, []
        self._select = self._textarea = None
        self._selected, self._text = [], ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.append((attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea":
            self._textarea, self._text = attrs["name"], ""
        elif tag == "select":
            self._select, self._selected = attrs["name"], []
        elif tag == "option" and self._select and "selected" in attrs:
            self._selected.append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            self.data.extend((self._select, value) for value in self._selected)
            self._select = None


def form_fields(page, form_id):
    reader = _FormReader(form_id)
    reader.feed(page)
    return reader.data


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at, as the admin's "saved" signal


class Browser:
    """One editor's browser: its own cookies, no redirects followed, every answer kept."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects)

    def request(self, path, data=None):
        """(status, body text); a timeout or a refused connection raises OSError."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers={"Referer": self.base_url + path})
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode("utf-8", "replace")

    def sign_in(self, username):
        status, page = self.request("/admin/login/?next=/admin/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            fail(f"the admin's sign-in page answered {status} without a CSRF token")
        status, _ = self.request(
            "/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": PASSWORD, "next": "/admin/"},
        )
        if status != 302:
            fail(f"{username} could not sign in (answer {status})")


# The drill -----------------------------------------------------------------------------------------------------


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = Counter()
        self.accepted = []  # (editor, kind, field, value)
        self.lost_answers = []  # why an attempt was lost, for the report

    def add(self, key, count=1):
        with self.lock:
            self.counts[key] += count


def editor_loop(browser, username, urls, tally, stop):
    fields = EDITORS[username]
    attempt = 0
    while not stop.is_set():
        for kind in ("donor", "project"):
            if stop.is_set():
                return
            attempt += 1
            field = fields[kind]
            value = f"{username} edit {attempt}"
            try:
                status, page = browser.request(urls[kind])
                if status != 200:
                    tally.add("5xx" if status >= 500 else "other answers")
                    continue
                data = [(name, v) for name, v in form_fields(page, f"{kind}_form") if name != field]
                data += [(field, value), ("_save", "Save")]
                status, page = browser.request(urls[kind], data)
            except OSError as error:
                tally.add("lost")
                tally.lost_answers.append(f"{username} {kind}: no answer ({error})")
                continue
            tally.add("attempts")
            if status == 302:
                tally.add("saved")
                with tally.lock:
                    tally.accepted.append((username, kind, field, value))
            elif status == 200 and "errornote" in page and html.escape(value) in page:
                tally.add("refused")
                if "was changed by" in page:
                    tally.add("refused: changed by someone else")
                elif "catalogue is busy" in page:
                    tally.add("refused: catalogue busy")
            else:
                tally.add("lost")
                if status >= 500:
                    tally.add("5xx")
                tally.lost_answers.append(f"{username} {kind}: answer {status}")


# One long-lived process reloading back to back, so reloads come as often as the machine allows (starting a
# manage.py per run would leave seconds between them). Each run prints one line; a traceback is printed whole.
RELOAD_LOOP_SCRIPT = """
import os, time, traceback
from pathlib import Path
from django.core.management import CommandError, call_command
stop = Path(os.environ["DRILL_STOP_FILE"])
while not stop.exists():
    time.sleep(float(os.environ["DRILL_RELOAD_PAUSE"]))
    try:
        call_command("reload_catalogue", verbosity=0)
        print("RELOAD ok", flush=True)
    except CommandError as error:
        # Exit status 3: the reload ran and kept staff edits (here, the editors' own): a success.
        if getattr(error, "returncode", 1) == 3:
            print("RELOAD ok, kept staff edits", flush=True)
        else:
            print("RELOAD failed:", str(error).splitlines()[0], flush=True)
    except Exception as error:
        traceback.print_exc()
        print("RELOAD failed:", repr(error).splitlines()[0], flush=True)
"""


def reload_loop(env, tally, stop_file, failures, pause, first_done):
    env = {**env, "DRILL_STOP_FILE": str(stop_file), "DRILL_RELOAD_PAUSE": str(pause)}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", RELOAD_LOOP_SCRIPT],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        if line.startswith("RELOAD "):
            tally.add("reloads")
            first_done.set()
        if line.startswith("RELOAD ok, kept staff edits"):
            tally.add("reloads that kept staff edits")
        if line.startswith("RELOAD failed:"):
            tally.add("failed reloads")
            failures.append(line.removeprefix("RELOAD failed:").strip())
        elif line.startswith("Traceback"):
            tally.add("reload tracebacks")
    process.wait()
    first_done.set()  # even if it never reloaded: the drill must not wait forever


HISTORY_SCRIPT = """
import json
from reversion.models import Version
from projects.models import Donor, Project
out = {}
for kind, obj in (("donor", Donor.objects.get(slug=%(donor)r)), ("project", Project.objects.get(slug=%(project)r))):
    versions = Version.objects.get_for_object(obj).select_related("revision__user").order_by("pk")
    out[kind] = {
        "current": {name: getattr(obj, name) for name in ("short_name", "description", "title", "editorial_note") if hasattr(obj, name)},
        "versions": [
            {"user": v.revision.user.username if v.revision.user else None,
             "fields": json.loads(v.serialized_data)[0]["fields"]}
            for v in versions
        ],
    }
print(json.dumps(out))
"""


def lost_accepted_saves(env, accepted):
    """Accepted saves the history shows did not stay or were overwritten by the other editor (docstring)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", HISTORY_SCRIPT % {"donor": DONOR, "project": PROJECT}],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        fail(f"could not read the edit history:\n{result.stderr}")
    history = json.loads(result.stdout.strip().splitlines()[-1])
    lost, reverted_by_reload = [], 0
    for username, kind, field, value in accepted:
        versions = history[kind]["versions"]
        mine = [i for i, v in enumerate(versions) if v["user"] == username and v["fields"].get(field) == value]
        if not mine:
            lost.append(f"{username}'s {kind} {field} = {value!r}: accepted, but in no version of the history")
            continue
        later = [v for v in versions[mine[0] + 1 :] if v["fields"].get(field) != value]
        if not later:
            if history[kind]["current"][field] != value:
                lost.append(f"{username}'s {kind} {field} = {value!r}: the last version, but not in the database")
        elif later[0]["user"] not in (username, None):
            lost.append(f"{username}'s {kind} {field} = {value!r}: overwritten by {later[0]['user']}'s stale form")
        elif later[0]["user"] is None:
            reverted_by_reload += 1
    return lost, reverted_by_reload


def create_editors(env):
    script = (
        "from django.contrib.auth.models import Group, User\n"
        f"for name in {list(EDITORS)!r}:\n"
        f"    user = User.objects.create_user(name, password={PASSWORD!r}, is_staff=True, first_name=name.title())\n"
        "    user.groups.add(Group.objects.get(name='Editors'))\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        fail(f"could not create the editors:\n{result.stderr}")


def object_urls(env):
    script = (
        "from projects.models import Donor, Project\n"
        f"print(Donor.objects.get(slug={DONOR!r}).pk, Project.objects.get(slug={PROJECT!r}).pk)\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=env, capture_output=True, text=True
    )
    # The shell may print a line of its own first (the objects it imported): the answer is the last line.
    donor, project = result.stdout.strip().splitlines()[-1].split()
    return {"donor": f"/admin/projects/donor/{donor}/change/", "project": f"/admin/projects/project/{project}/change/"}


def drill(database, database_url, args, workdir):
    env = production_env(database_url, workdir / "static")
    # Plain HTTP on loopback: cookies without the Secure flag, as `make run` serves them.
    env.update(SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0")
    env.pop("REDIS_URL", None)
    say(f"[{database}] migrating, collecting static files and loading the catalogue ...")
    prepare_site(env)
    create_editors(env)
    urls = object_urls(env)
    port = args.port or free_port()
    log_path = workdir / f"gunicorn-{database}.log"
    tally, stop, reload_failures = Tally(), threading.Event(), []
    with Portal(env, port, args.workers, log_path) as portal:
        browsers = {name: Browser(portal.base_url) for name in EDITORS}
        for name, browser in browsers.items():
            browser.sign_in(name)
        say(f"[{database}] two editors saving and reload_catalogue in a loop for {args.duration:g} s ...")
        stop_file = workdir / "stop-reloading"
        first_reload = threading.Event()
        reloads = (env, tally, stop_file, reload_failures, args.reload_pause, first_reload)
        threads = [threading.Thread(target=reload_loop, args=reloads)]
        threads[0].start()
        # The editing starts once the reload loop runs (starting Django takes a few seconds on a busy machine).
        first_reload.wait(120)
        threads += [
            threading.Thread(target=editor_loop, args=(browsers[name], name, urls, tally, stop)) for name in EDITORS
        ]
        for thread in threads[1:]:
            thread.start()
        time.sleep(args.duration)
        stop.set()
        stop_file.touch()
        for thread in threads:
            thread.join()
    lost_saves, reverted = lost_accepted_saves(env, tally.accepted)
    log = log_path.read_text(errors="replace")
    counts = tally.counts
    figures = {
        "saves made": counts["saved"],
        "saves refused with a message": counts["refused"],
        "edits lost": counts["lost"] + len(lost_saves),
        "5xx answers": counts["5xx"],
        "tracebacks": log.count("Traceback") + counts["reload tracebacks"],
        "failed reloads": counts["failed reloads"],
        # Reloads keep staff edits: an accepted save that a reload put back is an edit lost to the reload.
        "saves put back by a reload": reverted,
    }
    say(f"[{database}] {counts['attempts']} save attempts, {counts['reloads']} reloads")
    for name, figure in figures.items():
        target = "" if name in ("saves made", "saves refused with a message") else " (must be 0)"
        say(f"  {name:30} {figure:>6}{target}")
    say(
        f"    of the refusals: {counts['refused: changed by someone else']} changed by someone else, "
        f"{counts['refused: catalogue busy']} catalogue busy"
    )
    say(f"    reloads that kept the editors' edits (exit status 3): {counts['reloads that kept staff edits']}")
    for line in (tally.lost_answers + lost_saves)[:10]:
        say(f"    lost: {line}")
    for line in reload_failures[:5]:
        say(f"    failed reload: {line}")
    if "Traceback" in log:
        first = log.index("Traceback")
        say("    gunicorn's log, first traceback:\n      " + "\n      ".join(log[first:].splitlines()[:25]))
    missed = [
        name
        for name, figure in figures.items()
        if figure and name not in ("saves made", "saves refused with a message")
    ]
    if counts["saved"] == 0:
        missed.append("no save was accepted at all")
    if counts["reloads"] < 2:
        missed.append("fewer than 2 reloads ran: nothing to collide with")
    return missed


def main():
    args = parse_args()
    say(f"drill-reload-under-edits on {machine_description()}")
    say(tool_versions(wrk=False))
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    missed = {}
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="iom-drill-reload-") as directory:
            workdir = Path(directory)
            if database == "sqlite":
                missed[database] = drill(database, f"sqlite:///{workdir / 'db.sqlite3'}", args, workdir)
            else:
                name = f"iom_drill_reload_{os.getpid()}"
                with throwaway_postgres_database(args.pg_url, name) as url:
                    missed[database] = drill(database, url, args, workdir)
    failed = {database: names for database, names in missed.items() if names}
    if failed:
        say("drill-reload-under-edits: FAILED: " + "; ".join(f"{db}: {', '.join(n)}" for db, n in failed.items()))
        raise SystemExit(1)
    say(f"drill-reload-under-edits: PASSED on {' and '.join(databases)}: 0 edits lost, 0 5xx, 0 tracebacks")


if __name__ == "__main__":
    main()

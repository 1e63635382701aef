"""
make loadtest: the portal under load on PostgreSQL while the catalogue is reloaded again and again.

It creates a throwaway PostgreSQL database (dropped at the end), migrates it, loads the catalogue and
serves it with gunicorn (production settings). Then, at the same time, for --duration seconds:
  - wrk keeps --connections clients busy over the URL mix below (one wrk run; wrk_mix.lua takes the
    next path of the list for each request);
  - a loop runs `manage.py reload_catalogue`, alternating between the real fixtures and a copy in which
    every project title ends with RELOAD_MARK, so that each reload really rewrites all 7 projects in
    its one transaction;
  - a checker loop fetches the project list and /projects/export.json and checks that
    every answer shows all 7 projects, all from the same reload (all titles marked, or none).
It prints throughput, p50/p95/p99/max latency, the reloads done and the checks made, and exits 1 if
any request failed (non-2xx/3xx, socket error, timeout), any reload failed or any check saw a partial
catalogue; 2 if it could not run.

    .venv/bin/python bench/loadtest.py [--duration 60] [--connections 50] [--workers N] [--threads 2]
"""

import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from harness import (
    BENCH_DIR,
    PROBE_HEADERS,
    REPO,
    Portal,
    add_load_options,
    describe_wrk_errors,
    fail,
    fetch,
    machine_description,
    prepare_site,
    production_env,
    require_wrk,
    run,
    run_wrk,
    say,
    throwaway_postgres_database,
    tool_versions,
    wrk_errors,
)

# The URL mix, taken in turn. Every path must answer 200 before the load starts. Repeat a path to
# give it more weight.
MIX = [
    "/",
    "/projects/",
    "/projects/?donor=european-union",
    "/projects/?area=border-management&sort=-amount",
    "/projects/?q=border",
    "/projects/?q=asylum+reception",
    "/projects/eu-supports-border-management/",
    "/projects/croboweb-cross-border-cooperation/",
    "/projects/iom-migrants-and-refugees-in-serbia/",
    "/donors/",
    "/donors/european-union/",
    "/donors/inl-us-state-department/",
    "/areas/border-management/",
    "/projects/export.csv",
    "/projects/export.json",
]
PROJECT_LIST = "/projects/"
EXPORT_JSON = "/projects/export.json"
PROJECT_COUNT = 7
RELOAD_MARK = " [reload check]"
REQUEST_TIMEOUT_SECONDS = 10
# The list page names each project in <h2 class="project-summary__title"><a href="/projects/<slug>/">.
LISTED_PROJECT = re.compile(r'class="project-summary__title"><a href="/projects/([\w-]+)/">([^<]*)</a>')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_options(parser, duration=60, connections=50, port=8131)
    return parser.parse_args()


def write_marked_fixtures(directory):
    """A copy of the fixtures in which every project title ends with RELOAD_MARK."""
    directory.mkdir()
    for path in sorted((REPO / "fixtures").glob("*.json")):
        records = json.loads(path.read_text(encoding="utf-8"))
        for record in records:
            if record["model"] == "projects.project":
                record["fields"]["title"] += RELOAD_MARK
        (directory / path.name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return directory


class ReloadLoop(threading.Thread):
    """Runs reload_catalogue until stopped, alternating the marked and the real fixtures."""

    def __init__(self, env, fixture_dirs, stop):
        super().__init__(daemon=True)
        self.env, self.fixture_dirs, self.stop = env, fixture_dirs, stop
        self.done, self.failures = 0, []

    def run(self):
        while not self.stop.is_set():
            fixtures = sorted(str(p) for p in self.fixture_dirs[self.done % 2].glob("*.json"))
            result = subprocess.run(
                [sys.executable, "manage.py", "reload_catalogue", *fixtures],
                cwd=REPO,
                env=self.env,
                capture_output=True,
                text=True,
            )
            if result.returncode == 0 and not re.search(rf"\b{PROJECT_COUNT} updated", result.stdout):
                # The mark was not written: the check below would prove nothing.
                self.failures.append(f"the reload did not update {PROJECT_COUNT} projects: {result.stdout.strip()}")
            elif result.returncode != 0:
                self.failures.append(f"exit status {result.returncode}: {(result.stdout + result.stderr).strip()}")
            self.done += 1


def projects_on_list_page(body):
    """{slug: title} of the projects the list page shows."""
    return {slug: html.unescape(title) for slug, title in LISTED_PROJECT.findall(body)}


def projects_in_export(body):
    """{slug: title} of the projects in /projects/export.json: a list of projects, or {"projects": [...]}."""
    data = json.loads(body)
    rows = data.get("projects", []) if isinstance(data, dict) else data
    return {row.get("slug"): row.get("title", "") for row in rows if isinstance(row, dict)}


class CatalogueChecker(threading.Thread):
    """Fetches whole-catalogue pages until stopped and checks each shows the full catalogue of one reload."""

    def __init__(self, portal, pages, stop):
        super().__init__(daemon=True)
        self.portal, self.pages, self.stop = portal, pages, stop
        self.checks, self.problems = Counter(), []
        # How many checks saw each reload's version: both, if the reloads were visible to readers.
        self.versions_seen = Counter()

    def run(self):
        while not self.stop.is_set():
            for path, read_projects in self.pages:
                self.checks[path] += 1
                problem = self.check(path, read_projects)
                if problem:
                    self.problems.append(f"{time.strftime('%H:%M:%S')} {path}: {problem}")
            time.sleep(0.1)

    def check(self, path, read_projects):
        try:
            status, _, body = fetch(self.portal.url(path), timeout=REQUEST_TIMEOUT_SECONDS)
        except OSError as error:
            return f"request failed: {error}"
        if status != 200:
            return f"answered {status}"
        projects = read_projects(body)
        marked = sum(title.endswith(RELOAD_MARK) for title in projects.values())
        if len(projects) != PROJECT_COUNT:
            return f"partial catalogue: {len(projects)} projects instead of {PROJECT_COUNT}"
        if marked not in (0, PROJECT_COUNT):
            return f"half-reloaded catalogue: {marked} of {PROJECT_COUNT} titles marked"
        self.versions_seen["marked" if marked else "real"] += 1
        return None


def access_log_table(access_log):
    """Status counts per path from gunicorn's access log, leaving out the probes made before the load."""
    by_path = defaultdict(Counter)
    for line in Path(access_log).read_text().splitlines():
        status, request_line, user_agent = line.split("\t")
        if user_agent != PROBE_HEADERS["User-Agent"]:
            by_path[request_line.split(" ")[1]][status] += 1
    return by_path


def milliseconds(microseconds):
    return f"{microseconds / 1000:,.1f} ms"


def main():
    args = parse_args()
    require_wrk()
    say("Load test of the IOM Serbia Project Catalogue on PostgreSQL, with the catalogue reloaded during the load.")
    say(f"Machine: {machine_description()}")
    say(f"Tools: {tool_versions()}")
    say(
        f"Settings: DEBUG=0, gunicorn {args.workers} sync workers on 127.0.0.1:{args.port}; wrk {args.threads} "
        f"threads, {args.connections} connections for {args.duration} s, {REQUEST_TIMEOUT_SECONDS} s timeout"
    )
    say(
        "The load generator, the reloads and the portal share this machine, which may be shared too: "
        "figures are indicative."
    )

    name = f"iom_bench_load_{os.getpid()}"
    with (
        tempfile.TemporaryDirectory(prefix="iom-loadtest-") as tmp,
        throwaway_postgres_database(args.pg_url, name) as database_url,
    ):
        workdir = Path(tmp)
        env = production_env(database_url, workdir / "static")
        say(f"\n== PostgreSQL ({args.pg_url}, throwaway database {name}): migrate, collectstatic, reload_catalogue")
        prepare_site(env)
        fixture_dirs = [write_marked_fixtures(workdir / "marked-fixtures"), REPO / "fixtures"]
        access_log = workdir / "access.log"
        with Portal(env, args.port, args.workers, workdir / "gunicorn.log", access_log=access_log) as portal:
            for path in MIX:
                status = fetch(portal.url(path), REQUEST_TIMEOUT_SECONDS, PROBE_HEADERS)[0]
                if status != 200:
                    fail(f"{path} answers {status} before any load")
            mix = MIX
            pages = [(PROJECT_LIST, projects_on_list_page), (EXPORT_JSON, projects_in_export)]
            say(f"   URL mix ({len(mix)} paths, taken in turn): {' '.join(mix)}")
            say(f"   catalogue checks on: {' '.join(path for path, _ in pages)}")

            stop = threading.Event()
            reloads = ReloadLoop(env, fixture_dirs, stop)
            checker = CatalogueChecker(portal, pages, stop)
            say(f"\n== {args.duration} s of load, reloads and checks")
            reloads.start()
            checker.start()
            result = run_wrk(
                portal.url("/"),
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
                timeout=REQUEST_TIMEOUT_SECONDS,
                script=BENCH_DIR / "wrk_mix.lua",
                script_args=mix,
            )
            stop.set()
            checker.join()
            reloads.join()
        by_path = access_log_table(access_log)

    seconds = result["duration_us"] / 1_000_000
    errors = wrk_errors(result)
    say("\nResults")
    say(f"  requests        {result['requests']:,} in {seconds:.1f} s: {result['requests'] / seconds:,.1f} req/s")
    say(
        f"  latency         p50 {milliseconds(result['p50_us'])}, p95 {milliseconds(result['p95_us'])}, "
        f"p99 {milliseconds(result['p99_us'])}, max {milliseconds(result['max_us'])}"
    )
    say(f"  errors          {errors:,} ({describe_wrk_errors(result)})")
    say(
        f"  reloads         {reloads.done} done, {len(reloads.failures)} failed "
        f"(each rewrote all {PROJECT_COUNT} project titles in one transaction)"
    )
    for failure in reloads.failures[:5]:
        say(f"                  {failure}")
    checks = ", ".join(f"{count:,} of {path}" for path, count in checker.checks.items())
    say(
        f"  catalogue checks {sum(checker.checks.values()):,} ({checks}); "
        f"{len(checker.problems)} saw a failed request or a partial catalogue; the whole catalogue with marked "
        f"titles {checker.versions_seen['marked']:,} times, with the real ones {checker.versions_seen['real']:,} times"
    )
    for problem in checker.problems[:10]:
        say(f"                  {problem}")
    say("  answers per path (gunicorn access log, checker included):")
    for path, statuses in sorted(by_path.items()):
        tally = " ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items()))
        say(f"    {sum(statuses.values()):>7,}  {path:50} {tally}")

    failed = errors or reloads.failures or checker.problems or not reloads.done
    say(
        f"\nloadtest: {'FAILED' if failed else 'OK'}: {result['requests']:,} requests from {args.connections} clients "
        f"in {seconds:.0f} s, {errors:,} errors, {reloads.done} reloads ({len(reloads.failures)} failed), "
        f"{sum(checker.checks.values()):,} catalogue checks ({len(checker.problems)} saw a partial catalogue "
        f"or failed)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(main))

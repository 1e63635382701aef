"""
What the catalogue's bulk operations cost: the exports, the sitemap and reload_catalogue (issue 15).

    .venv/bin/python bench/bench_operations.py                     # the 7 real projects
    .venv/bin/python bench/bench_operations.py --projects 100000   # plus 100,000 synthetic ones (seeding takes minutes)
    .venv/bin/python bench/bench_operations.py --database-url postgres://.../big   # a database already seeded

On PostgreSQL, with production settings, under gunicorn as README "Serving in production" runs it (gthread
workers). Prints one table:

- the CSV and JSON exports of every project: time to the first data row (beside a cached page's response
  time), total time, rows, and the serving worker's RSS before and its peak after;
- the sitemap index and the first file of its projects section (uncached: the first request for each);
- reload_catalogue of the real fixtures when nothing changed (queries and seconds), and of a fixture file of
  --fixture-projects copies of the real projects into an empty database, beside Django's own `loaddata` of the
  same file into another empty database, then once more unchanged.

Each operation runs once (the 100,000-project figures take minutes each): a table for the record, not a
statistic. Exit status 0, or 2 when something could not be measured.
"""

import argparse
import csv
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from harness import (
    DEFAULT_PG_URL,
    REPO,
    Portal,
    ServerError,
    fail,
    fetch,
    machine_description,
    manage,
    prepare_site,
    production_env,
    run,
    say,
    throwaway_postgres_database,
    tool_versions,
)

# The production command's workers (README "Serving in production"): threads, so a long export is not cut off.
GUNICORN_ARGS = ["--worker-class", "gthread", "--threads", "4", "--timeout", "30"]
# In the reload process: count its queries and time the command, nothing else.
RELOAD_SCRIPT = """
import json, sys, time
import django
django.setup()
from django.core.management import call_command
from django.db import connection

queries = 0
def count(execute, sql, params, many, context):
    global queries
    queries += 1
    return execute(sql, params, many, context)

command, *arguments = sys.argv[1:]
with connection.execute_wrapper(count):
    started = time.perf_counter()
    call_command(command, *arguments, verbosity=0)
    seconds = time.perf_counter() - started
print("RESULT " + json.dumps({"queries": queries, "seconds": seconds}))
"""


def timed_command(env, command, *arguments):
    """{"queries", "seconds"} of one management command run in a fresh process (its start-up not counted)."""
    result = subprocess.run(
        [sys.executable, "-c", RELOAD_SCRIPT, command, *map(str, arguments)],
        cwd=REPO,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    fail(f"{command} failed:\n{result.stdout}{result.stderr}")


def worker_pids(master):
    """The gunicorn workers of the master process `master`."""
    pids = []
    for task in Path(f"/proc/{master}/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    return pids


def memory_kib(pid, key):
    """VmRSS (now) or VmHWM (the peak so far) of process `pid`, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def stream(url, is_row):
    """GET `url`, reading it as it arrives: (seconds to the first data row, total seconds, rows, bytes, status)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    first = None
    lines, size = [], 0
    while True:
        line = response.readline()
        if not line:
            break
        size += len(line)
        if first is None and is_row(line):
            first = time.perf_counter() - started
        lines.append(line.decode("utf-8"))
    total = time.perf_counter() - started
    connection.close()
    return first, total, lines, size, response.status


def csv_rows(lines):
    return sum(1 for _ in csv.reader(lines)) - 1  # quoted cells may hold line breaks: csv counts records


def json_rows(lines):
    return len(json.loads("".join(lines))["projects"])


def milliseconds(seconds):
    return "–" if seconds is None else f"{seconds * 1000:,.0f} ms"


def measure_server(env, portal_port, rows_out, repeat):
    """Exports and sitemap under gunicorn: appends (operation, figures) rows to `rows_out`."""
    with (
        tempfile.TemporaryDirectory() as logs,
        Portal(
            env, port=portal_port, workers=2, log_path=Path(logs) / "gunicorn.log", gunicorn_args=GUNICORN_ARGS
        ) as portal,
    ):
        # A cached page: the list, after one request has filled the cache (of whichever worker answers).
        for _ in range(4):
            fetch(portal.url("/projects/"))
        cached = []
        for _ in range(20):
            started = time.perf_counter()
            fetch(portal.url("/projects/"))
            cached.append(time.perf_counter() - started)
        cached_ms = statistics.median(cached)
        rows_out.append(("cached page /projects/ (median of 20)", f"{milliseconds(cached_ms)}"))

        workers = worker_pids(portal.process.pid)
        # Each worker's first export pays for code paths no page uses: a small one first (it matches nothing).
        for _ in range(4):
            fetch(portal.url("/projects/export.csv?q=warm-up"))
        for path, is_row, count in [
            ("/projects/export.csv", lambda line: not line.startswith(b"\xef\xbb\xbf"), csv_rows),  # after the header
            ("/projects/export.json", lambda line: line.startswith(b'{"slug"'), json_rows),
        ]:
            before = {pid: memory_kib(pid, "VmRSS") for pid in workers}
            runs = []
            for _ in range(repeat):
                first, total, lines, size, status = stream(portal.url(path), is_row)
                if status != 200:
                    fail(f"{path} answered {status}")
                rows = count(lines)
                del lines
                runs.append((first, total))
            first, total = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            after = {pid: memory_kib(pid, "VmHWM") for pid in workers}
            grown = max(workers, key=lambda pid: after[pid] - before[pid])
            rows_out.append(
                (
                    f"{path}" + (f" (median of {repeat})" if repeat > 1 else ""),
                    f"first row {milliseconds(first)} ({first / cached_ms:.1f}× the cached page), "
                    f"total {total:,.2f} s, {rows:,} rows, {size / 1e6:,.1f} MB, worker RSS "
                    f"{before[grown] / 1024:,.0f} MB before, peak {after[grown] / 1024:,.0f} MB",
                )
            )

        started = time.perf_counter()
        status, _headers, index = fetch(portal.url("/sitemap.xml"), timeout=600)
        index_seconds = time.perf_counter() - started
        files = re.findall(r"<loc>(.*?)</loc>", index)
        rows_out.append(("/sitemap.xml (index)", f"{milliseconds(index_seconds)}, {len(files)} files, status {status}"))
        projects_files = [f for f in files if "sitemap-projects.xml" in f]
        for address in [projects_files[0], projects_files[-1]] if len(projects_files) > 1 else projects_files:
            path = address.split("127.0.0.1", 1)[-1].split("/", 1)[-1]
            started = time.perf_counter()
            status, _headers, body = fetch(portal.url("/" + path), timeout=600)
            seconds = time.perf_counter() - started
            rows_out.append(
                (
                    f"/{path}",
                    f"{seconds:,.2f} s, {body.count('<url>'):,} addresses, {len(body) / 1e6:,.1f} MB, status {status}",
                )
            )


def measure_fixture_load(pg_url, base_env, project_count, rows_out):
    """A fixture file of `project_count` copied projects: loaddata into one empty database, reload_catalogue into
    another, then reload_catalogue once more (nothing changed)."""
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"catalogue-{project_count}.json"
        writer = (
            "import json, sys\nsys.path.insert(0, '.')\nimport django\ndjango.setup()\n"
            "from projects.synthetic import copied_fixture_records\n"
            "records = json.load(open('fixtures/catalogue.json', encoding='utf-8'))\n"
            f"json.dump(copied_fixture_records(records, {project_count}), open({str(path)!r}, 'w', encoding='utf-8'), "
            "ensure_ascii=False)\n"
        )
        subprocess.run(
            [sys.executable, "-c", writer],
            cwd=REPO,
            env={**base_env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
            check=True,
        )
        objects = len(json.loads(path.read_text(encoding="utf-8")))
        label = f"{project_count:,}-project fixture ({objects:,} objects)"
        with throwaway_postgres_database(pg_url, f"bench_ops_loaddata_{os.getpid()}") as url:
            env = {**base_env, "DATABASE_URL": url}
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            loaddata = timed_command(env, "loaddata", path)
        with throwaway_postgres_database(pg_url, f"bench_ops_reload_{os.getpid()}") as url:
            env = {**base_env, "DATABASE_URL": url}
            manage(env, "migrate", "--noinput", "--verbosity", "0")
            first = timed_command(env, "reload_catalogue", path)
            again = timed_command(env, "reload_catalogue", path)
        rows_out.append((f"loaddata, {label}", f"{loaddata['seconds']:,.1f} s, {loaddata['queries']:,} queries"))
        rows_out.append(
            (
                f"reload_catalogue, {label}, empty database",
                f"{first['seconds']:,.1f} s ({first['seconds'] / loaddata['seconds']:.2f}× loaddata), "
                f"{first['queries']:,} queries",
            )
        )
        rows_out.append(
            (f"reload_catalogue, {label}, nothing changed", f"{again['seconds']:,.1f} s, {again['queries']:,} queries")
        )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=0, help="synthetic projects to seed beside the 7 real ones")
    parser.add_argument(
        "--database-url", help="measure this PostgreSQL database as it is (already migrated, loaded and seeded)"
    )
    parser.add_argument("--fixture-projects", type=int, default=10_000, help="projects in the fixture file (10000)")
    parser.add_argument("--skip-fixture-load", action="store_true", help="leave out loaddata and the fixture reload")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server (default {DEFAULT_PG_URL})")
    parser.add_argument("--port", type=int, default=None, help="gunicorn's port (default: a free one)")
    options = parser.parse_args()

    say(f"Machine: {machine_description()}")
    say(f"Tools: {tool_versions(wrk=False)}; gunicorn {' '.join(GUNICORN_ARGS)}, 2 workers")
    rows = []
    with tempfile.TemporaryDirectory() as static_root:
        base_env = production_env("", static_root)
        if options.database_url:
            database = _given(options.database_url)
        else:
            database = throwaway_postgres_database(options.pg_url, f"bench_ops_{os.getpid()}")
        with database as url:
            env = {**base_env, "DATABASE_URL": url}
            if options.database_url:
                manage(env, "collectstatic", "--noinput", "--verbosity", "0")
            else:
                prepare_site(env)
                if options.projects:
                    say(f"Seeding {options.projects:,} synthetic projects…")
                    manage(env, "seed_synthetic", "--projects", str(options.projects), "--verbosity", "0")
            count = subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "from projects.models import Project as P; print(P.objects.count(), P.objects.published().count())",
                ],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
            ).stdout.split()[-2:]
            say(f"Catalogue: {int(count[0]):,} projects, {int(count[1]):,} published")
            # Small catalogues answer in milliseconds: the median of five; a large one's export once.
            measure_server(env, options.port, rows, repeat=5 if int(count[1]) < 10_000 else 1)
            real = timed_command(env, "reload_catalogue")
            rows.append(
                (
                    "reload_catalogue, real fixtures, nothing changed",
                    f"{real['seconds']:,.2f} s, {real['queries']} queries",
                )
            )
        if not options.skip_fixture_load:
            measure_fixture_load(options.pg_url, base_env, options.fixture_projects, rows)

    width = max(len(name) for name, _ in rows)
    say()
    say(f"{'operation':<{width}}  result")
    say(f"{'-' * width}  {'-' * 60}")
    for name, figures in rows:
        say(f"{name:<{width}}  {figures}")
    return 0


class _given:
    """A database given by URL, used as it is and never dropped (the counterpart of throwaway_postgres_database)."""

    def __init__(self, url):
        self.url = url

    def __enter__(self):
        return self.url

    def __exit__(self, *exc_info):
        return False


if __name__ == "__main__":
    try:
        sys.exit(run(main))
    except ServerError as error:
        fail(str(error))

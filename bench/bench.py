"""
make bench: how fast the portal serves each kind of page, on SQLite and on PostgreSQL, with and without
the page cache.

For each database (a throwaway SQLite file; a throwaway PostgreSQL database it creates and drops) it
migrates, collects the static files and loads the catalogue, starts gunicorn with production settings
(DEBUG off, a fresh SECRET_KEY, no HTTPS redirect on loopback), checks each URL of the table below
answers, warms it with a short wrk run, then measures it with wrk: once with the page cache
("cached"), once with PAGE_CACHE_SECONDS=0 ("uncached"), side by side. Per URL and column: requests
per second, p50/p95/p99 latency, and its throughput as a fraction of /healthz's in the same run.

After the cached run it retires every cached page (as an edit does) and sends a burst of
BURST_REQUESTS concurrent requests for one URL: the X-Page-Cache header of each answer says whether it
was rendered ("miss", "rendered") or served from another request's render ("shared", "hit"); the table
gives the renders (projects/caching.py, single flight: at most one per cache, so one per worker with the
local-memory cache, one in all with Redis).

With --projects N (make bench PROJECTS=100000) it then seeds N synthetic projects on PostgreSQL
(seed_synthetic, then VACUUM ANALYZE), measures the URLs of BIG_TARGETS uncached, and prints each one's
p95 beside the p95 of the same kind of URL with the seven real projects, their ratio and the issue's
target. Seeding 100,000 takes minutes: --big-database NAME reuses a database already seeded (it is
migrated, never dropped).

It exits 1 if any request failed (a non-2xx/3xx answer, a socket error or a timeout), 2 if it could not run.

    .venv/bin/python bench/bench.py [--db sqlite|postgres|both] [--duration S] [--connections N]
                                    [--threads N] [--workers N] [--projects N [--big-database NAME]]
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import psycopg

from harness import (
    Portal,
    add_load_options,
    describe_wrk_errors,
    fetch,
    machine_description,
    manage,
    prepare_site,
    production_env,
    require_wrk,
    run,
    run_wrk,
    say,
    static_path,
    throwaway_postgres_database,
    tool_versions,
    wrk_errors,
)


class Target(NamedTuple):
    label: str
    path: str


# The URL mix. The first two are the yardsticks every other row is compared with.
STATIC_FILE = Target("static file (whitenoise)", "/static/css/portal.css")  # hashed name from staticfiles.json
TRIVIAL_VIEW = Target("trivial view", "/healthz")
TARGETS = [
    STATIC_FILE,
    TRIVIAL_VIEW,
    Target("home", "/"),
    Target("project list", "/projects/"),
    Target("filtered list", "/projects/?donor=european-union"),
    Target("search", "/projects/?q=border"),
    Target("project detail", "/projects/eu-supports-border-management/"),
    Target("donor", "/donors/european-union/"),
    Target("context", "/context/"),
    Target("CSV export", "/projects/export.csv"),
]
REQUEST_TIMEOUT_SECONDS = 10
# The single-flight burst: this many concurrent requests for one URL just after every page was retired.
BURST_PATH = "/projects/?donor=european-union"
BURST_REQUESTS = 50
# The first visit to each URL after an edit (nothing cached, nothing kept): the median of this many.
AFTER_EDIT_SAMPLES = 5
# With --projects: seconds of load on /projects/ before measuring, so every worker has built its facet index.
PRIME_SECONDS = 15


class BigTarget(NamedTuple):
    """A URL of the synthetic catalogue, the URL of the same kind with the seven real projects, and the
    largest ratio of their p95s the issue allows."""

    label: str
    path: str
    seven_path: str
    target: float


BIG_TARGETS = [
    BigTarget("home", "/", "/", 3),
    BigTarget("project list", "/projects/", "/projects/", 3),
    BigTarget("filtered: donor", "/projects/?donor=synthetic-donor-agency-01", "/projects/?donor=european-union", 3),
    BigTarget(
        "filtered: area, currency",
        "/projects/?area=synthetic-asylum-and-reception&currency=USD",
        "/projects/?area=border-management&currency=USD",
        3,
    ),
    BigTarget("sorted by amount", "/projects/?sort=-amount", "/projects/?sort=-amount", 3),
    # Seven projects have one page: page 50's yardstick is the first page.
    BigTarget("page 50", "/projects/?page=50", "/projects/", 3),
    BigTarget("project detail", "/projects/synthetic-000123/", "/projects/eu-supports-border-management/", 3),
    BigTarget("donor", "/donors/synthetic-donor-agency-01/", "/donors/european-union/", 3),
    BigTarget("context", "/context/", "/context/", 3),
    # "border" matches about 60% of the synthetic projects; "kikinda hungary" well under 1%.
    BigTarget("search, broad", "/projects/?q=border", "/projects/?q=border", 10),
    BigTarget("search, selective", "/projects/?q=kikinda+hungary", "/projects/?q=kikinda+hungary", 3),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded load per URL first (default 2)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="a Redis database for the cached run's page cache, shared by every worker (env BENCH_REDIS_URL; "
        "default: each worker's local memory)",
    )
    parser.add_argument("--projects", type=int, help="also measure a synthetic catalogue of N projects on PostgreSQL")
    parser.add_argument(
        "--big-database", help="with --projects: a PostgreSQL database already seeded with them, reused as it is"
    )
    add_load_options(parser, duration=10, connections=10, port=8130)
    return parser.parse_args()


def measure(portal, env, paths, args, label_of):
    """wrk each path (warm-up, then measurement): [(label, path, status, result or None)], failed count."""
    rows, failed = [], 0
    for label, path in zip(label_of, paths):
        status = fetch(portal.url(path), timeout=REQUEST_TIMEOUT_SECONDS)[0]
        if status != 200:
            say(f"   {label:26} {path}: answered {status}, expected 200: not measured, counted as failed")
            rows.append((label, path, status, None))
            failed += 1
            continue
        say(f"   {label:26} {path}: warming {args.warmup} s, measuring {args.duration} s")
        wrk = {"threads": args.threads, "connections": args.connections, "timeout": REQUEST_TIMEOUT_SECONDS}
        run_wrk(portal.url(path), duration=args.warmup, **wrk)
        result = run_wrk(portal.url(path), duration=args.duration, **wrk)
        rows.append((label, path, status, result))
        failed += wrk_errors(result)
    return rows, failed


def burst_after_an_edit(portal, env, path=BURST_PATH, requests=BURST_REQUESTS):
    """Retire every cached page, then ask for `path` `requests` times at once: Counter of X-Page-Cache values."""
    manage(env, "retire_cached_pages", "--verbosity", "0")
    start = threading.Barrier(requests)
    answers = Counter()
    lock = threading.Lock()

    def visit():
        start.wait()
        status, headers, _ = fetch(portal.url(path), timeout=30)
        with lock:
            answers[headers.get("X-Page-Cache", f"status {status}")] += 1

    threads = [threading.Thread(target=visit) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def first_visits_after_an_edit(portal, env, paths, samples=AFTER_EDIT_SAMPLES):
    """{path: median ms of the first request after an edit}: each sample retires every cached page and every kept
    piece of page (projects.fragments) first, as a save in the admin does. What a crawler or the first visitor
    after a change waits, which neither the page cache nor the kept pieces help."""
    took = {}
    for path in paths:
        times = []
        for _ in range(samples):
            manage(env, "retire_cached_pages", "--verbosity", "0")
            start = time.perf_counter()
            fetch(portal.url(path), timeout=30)
            times.append((time.perf_counter() - start) * 1000)
        took[path] = statistics.median(times)
    return took


def bench_database(label, database_url, args, workdir, extra_paths=()):
    """Serve the portal on `database_url`, cached then uncached, and measure every target.

    Returns ({"cached": rows, "uncached": rows}, burst Counter, failed request count); `extra_paths` are
    measured uncached too (the seven-project yardsticks of --projects).
    """
    env = production_env(database_url, workdir / "static")
    say(f"\n== {label}: migrate, collectstatic, reload_catalogue")
    prepare_site(env)
    paths = [static_path(env, "css/portal.css") if target is STATIC_FILE else target.path for target in TARGETS]
    labels = [target.label for target in TARGETS]
    runs, failed = {}, 0
    for column, seconds in [("cached", None), ("uncached", "0")]:
        column_env = dict(env)
        if seconds is not None:
            column_env["PAGE_CACHE_SECONDS"] = seconds
        elif args.redis_url:
            column_env.update(REDIS_URL=args.redis_url, CACHE_KEY_PREFIX=f"bench-{os.getpid()}-{label}")
        say(f"-- {label}, {column}")
        with Portal(column_env, args.port, args.workers, workdir / f"gunicorn-{label}-{column}.log") as portal:
            more = [path for path in extra_paths if path not in paths] if column == "uncached" else []
            runs[column], column_failed = measure(
                portal, column_env, paths + more, args, labels + ["(for --projects)"] * len(more)
            )
            failed += column_failed
            if column == "cached":
                burst = burst_after_an_edit(portal, column_env)
            else:
                runs["after an edit"] = first_visits_after_an_edit(portal, column_env, paths[1:])
    return runs, burst, failed


def bench_big_catalogue(args, workdir, database_url, seed):
    """Seed (unless reusing) the synthetic catalogue and measure BIG_TARGETS uncached: (rows, failed)."""
    env = production_env(database_url, workdir / "static")
    env["PAGE_CACHE_SECONDS"] = "0"
    say(f"\n== PostgreSQL, {args.projects:,} projects: migrate, collectstatic")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    if seed:
        manage(env, "reload_catalogue", "--verbosity", "0")
        say(f"   seed_synthetic --projects {args.projects} (minutes at 100,000)")
        manage(env, "seed_synthetic", "--projects", str(args.projects), "--verbosity", "0")
    with psycopg.connect(database_url, autocommit=True) as connection:
        # As autovacuum would in time: the planner needs the new tables' statistics.
        connection.execute("VACUUM ANALYZE")
        count = connection.execute("SELECT count(*) FROM projects_project").fetchone()[0]
        searchable = connection.execute("SELECT count(vector) FROM projects_searchdocument").fetchone()[0]
        broad = connection.execute(
            "SELECT count(*) FROM projects_project JOIN projects_searchdocument ON project_id = id "
            "WHERE is_published AND vector @@ websearch_to_tsquery('english', 'border')"
        ).fetchone()[0]
    say(f"   {count:,} projects, {searchable:,} with a search document; 'border' matches {broad:,}")
    with Portal(env, args.port, args.workers, workdir / "gunicorn-big.log") as portal:
        # Each worker builds its facet index once per catalogue generation (projects/facets.py: about 0.5 s of
        # CPU at 100,000 projects), on its first list request: prime every worker before anything is measured.
        say(f"   priming: {PRIME_SECONDS} s of /projects/ so each worker builds its facet index")
        run_wrk(
            portal.url("/projects/"),
            duration=PRIME_SECONDS,
            threads=args.threads,
            connections=max(args.connections, 2 * args.workers),
            timeout=REQUEST_TIMEOUT_SECONDS,
        )
        return measure(portal, env, [t.path for t in BIG_TARGETS], args, [t.label for t in BIG_TARGETS])


def requests_per_second(result):
    return result["requests"] / (result["duration_us"] / 1_000_000)


def ratio(rps, yardstick_rps):
    return f"{rps / yardstick_rps:.3f}" if yardstick_rps else "-"


def figures(rows):
    return {path: result for _, path, _, result in rows if result}


def print_table(label, runs, burst, cache_kind):
    """One line per URL: the cached and the uncached columns side by side, each with its ratio to /healthz."""
    say(f"\n{label}")
    head = f"{'req/s':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'/healthz':>9}"
    say(f"{'':24}{'':44}{'cached (ms)':^37}   {'uncached: PAGE_CACHE_SECONDS=0 (ms)':^37}")
    say(f"{'':24}{'URL':44}{head}   {head}")
    after_edit = runs.pop("after an edit", {})
    measured = {column: figures(rows) for column, rows in runs.items()}
    healthz = {column: measured[column].get(TRIVIAL_VIEW.path) for column in runs}
    for label_, path, status, _ in runs["cached"]:
        cells = []
        for column in ("cached", "uncached"):
            result = measured[column].get(path)
            if result is None:
                cells.append(f"{'not measured (' + str(status) + ')':>37}")
                continue
            rps = requests_per_second(result)
            base = requests_per_second(healthz[column]) if healthz[column] else None
            cells.append(
                f"{rps:>7,.0f}{result['p50_us'] / 1000:>7.1f}{result['p95_us'] / 1000:>7.1f}"
                f"{result['p99_us'] / 1000:>7.1f}{ratio(rps, base):>9}"
            )
        say(f"{label_:24}{path[:43]:44}{cells[0]}   {cells[1]}")
        for column in ("cached", "uncached"):
            result = measured[column].get(path)
            if result and wrk_errors(result):
                say(f"{'':68}{column} failed: {describe_wrk_errors(result)}")
    if after_edit:
        say(
            f"First visit after an edit (every cached page and kept piece retired; median of {AFTER_EDIT_SAMPLES}, ms):"
        )
        for label_, path, _, _ in runs["cached"]:
            if path in after_edit:
                say(f"{label_:24}{path[:43]:44}{after_edit[path]:>7.1f}")
    renders = burst.get("miss", 0) + burst.get("rendered", 0)
    served = ", ".join(f"{count} {how}" for how, count in sorted(burst.items()))
    say(
        f"Burst after an edit: {sum(burst.values())} concurrent requests for {BURST_PATH} -> {renders} renders "
        f"({served}; the page cache in {cache_kind})"
    )


def print_big_table(projects, seven_rows, big_rows):
    """Per kind of URL: the p95 with the synthetic catalogue beside the p95 with the seven real projects."""
    seven, big = figures(seven_rows), figures(big_rows)
    say(f"\nPostgreSQL, uncached (PAGE_CACHE_SECONDS=0): p95 with {projects:,} projects against seven")
    say(f"{'':26}{'URL':60}{'req/s':>7}{'p95 ms':>8}{'7: p95':>8}{'ratio':>7}{'target':>8}")
    for target in BIG_TARGETS:
        result, yardstick = big.get(target.path), seven.get(target.seven_path)
        if result is None or yardstick is None:
            say(f"{target.label:26}{target.path[:59]:60}  not measured")
            continue
        ratio_ = result["p95_us"] / yardstick["p95_us"]
        verdict = "ok" if ratio_ <= target.target else "MISSED"
        say(
            f"{target.label:26}{target.path[:59]:60}{requests_per_second(result):>7,.0f}"
            f"{result['p95_us'] / 1000:>8.1f}{yardstick['p95_us'] / 1000:>8.1f}{ratio_:>7.2f}"
            f"{'<= ' + str(target.target):>8} {verdict}"
        )


def main():
    args = parse_args()
    require_wrk()
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if args.projects and "postgres" not in databases:
        databases.append("postgres")
    say("Benchmark of the IOM Serbia Project Catalogue under gunicorn with production settings.")
    say(f"Machine: {machine_description()}")
    say(f"Load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min)")
    say(f"Tools: {tool_versions()}")
    say(
        f"Settings: DEBUG=0, SECURE_SSL_REDIRECT=0, gunicorn {args.workers} sync workers on 127.0.0.1:{args.port}; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.warmup} s warm-up + "
        f"{args.duration} s per URL, {REQUEST_TIMEOUT_SECONDS} s timeout; databases: {', '.join(databases)}"
    )
    say(
        "The load generator runs on the same machine as the portal, and the machine may be shared: "
        "figures are indicative."
    )

    runs_count, total, failed = 0, 0, 0
    seven_postgres = []
    cache_kind = f"Redis ({args.redis_url}), shared by the workers" if args.redis_url else "each worker's local memory"
    extra = [target.seven_path for target in BIG_TARGETS] if args.projects else []
    with tempfile.TemporaryDirectory(prefix="iom-bench-") as tmp:
        workdir = Path(tmp)
        for database in databases:
            if database == "sqlite":
                runs, burst, database_failed = bench_database(
                    "SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", args, workdir
                )
                print_table("SQLite (throwaway file)", runs, burst, cache_kind)
            else:
                name = f"iom_bench_{os.getpid()}"
                with throwaway_postgres_database(args.pg_url, name) as database_url:
                    runs, burst, database_failed = bench_database("PostgreSQL", database_url, args, workdir, extra)
                print_table(f"PostgreSQL ({args.pg_url}, throwaway database {name}, dropped)", runs, burst, cache_kind)
                seven_postgres = runs["uncached"]
            failed += database_failed
            for rows in runs.values():
                runs_count += sum(1 for *_, result in rows if result)
                total += sum(result["requests"] for *_, result in rows if result)
        if args.projects:
            if args.big_database:
                big_rows, big_failed = bench_big_catalogue(args, workdir, f"{args.pg_url}/{args.big_database}", False)
            else:
                name = f"iom_bench_big_{os.getpid()}"
                with throwaway_postgres_database(args.pg_url, name) as database_url:
                    big_rows, big_failed = bench_big_catalogue(args, workdir, database_url, True)
            print_big_table(args.projects, seven_postgres, big_rows)
            failed += big_failed
            runs_count += sum(1 for *_, result in big_rows if result)
            total += sum(result["requests"] for *_, result in big_rows if result)

    say(f"\nLoad after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min)")
    say(
        f"bench: {'FAILED' if failed else 'OK'}: {runs_count} URL runs on {' and '.join(databases)}, "
        f"{total:,} requests, {failed:,} failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(main))

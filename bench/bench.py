"""
make bench: how fast the portal serves each kind of page, on SQLite and on PostgreSQL.

For each database (a throwaway SQLite file; a throwaway PostgreSQL database it creates and drops) it
migrates, collects the static files and loads the catalogue, starts gunicorn with production settings
(DEBUG off, a fresh SECRET_KEY, no HTTPS redirect on loopback), checks each URL of the table below
answers, warms it with a short wrk run, then measures it with wrk. It prints, per URL, requests per
second, p50/p95/p99 latency, failed requests, and its throughput as a fraction of the static file's and
of the trivial view's. It exits 1 if any request failed (a non-2xx/3xx answer, a socket error or a
timeout), 2 if it could not run.

    .venv/bin/python bench/bench.py [--db sqlite|postgres|both] [--duration S] [--connections N]
                                    [--threads N] [--workers N]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

from harness import (
    Portal,
    add_load_options,
    describe_wrk_errors,
    fetch,
    machine_description,
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
    Target("CSV export", "/projects/export.csv"),
]
REQUEST_TIMEOUT_SECONDS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded load per URL first (default 2)")
    add_load_options(parser, duration=10, connections=10, port=8130)
    return parser.parse_args()


def bench_database(label, database_url, args, workdir):
    """Serve the portal on `database_url` and measure every target. Returns (rows, failed request count)."""
    env = production_env(database_url, workdir / "static")
    say(f"\n== {label}: migrate, collectstatic, reload_catalogue")
    prepare_site(env)
    rows, failed = [], 0
    with Portal(env, args.port, args.workers, workdir / f"gunicorn-{label}.log") as portal:
        for target in TARGETS:
            path = static_path(env, "css/portal.css") if target is STATIC_FILE else target.path
            status = fetch(portal.url(path), timeout=REQUEST_TIMEOUT_SECONDS)[0]
            if status != 200:
                say(f"   {target.label:26} {path}: answered {status}, expected 200: not measured, counted as failed")
                rows.append((target, path, status, None))
                failed += 1
                continue
            say(f"   {target.label:26} {path}: warming {args.warmup} s, measuring {args.duration} s")
            wrk = {"threads": args.threads, "connections": args.connections, "timeout": REQUEST_TIMEOUT_SECONDS}
            run_wrk(portal.url(path), duration=args.warmup, **wrk)
            result = run_wrk(portal.url(path), duration=args.duration, **wrk)
            rows.append((target, path, status, result))
            failed += wrk_errors(result)
    return rows, failed


def requests_per_second(result):
    return result["requests"] / (result["duration_us"] / 1_000_000)


def ratio(rps, yardstick_rps):
    return f"{rps / yardstick_rps:.3f}" if yardstick_rps else "-"


def print_table(label, rows):
    """One line per URL; the ratios compare its throughput with the two yardsticks'."""
    measured = {target: result for target, _, _, result in rows if result}
    static_rps = requests_per_second(measured[STATIC_FILE]) if STATIC_FILE in measured else None
    trivial_rps = requests_per_second(measured[TRIVIAL_VIEW]) if TRIVIAL_VIEW in measured else None
    say(f"\n{label}")
    say(
        f"{'':25}{'URL':42}{'status':>7}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'failed':>7}"
        f"{'vs static':>10}{'vs healthz':>11}"
    )
    for target, path, status, result in rows:
        if result is None:
            say(f"{target.label:25}{path:42}{status:>7}  not measured")
            continue
        rps = requests_per_second(result)
        say(
            f"{target.label:25}{path:42}{status:>7}{rps:>8,.0f}{result['p50_us'] / 1000:>8.1f}"
            f"{result['p95_us'] / 1000:>8.1f}{result['p99_us'] / 1000:>8.1f}{wrk_errors(result):>7,}"
            f"{ratio(rps, static_rps):>10}{ratio(rps, trivial_rps):>11}"
        )
        if wrk_errors(result):
            say(f"{'':67}failed: {describe_wrk_errors(result)}")


def main():
    args = parse_args()
    require_wrk()
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    say("Benchmark of the IOM Serbia Project Catalogue under gunicorn with production settings.")
    say(f"Machine: {machine_description()}")
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

    runs, total, failed = 0, 0, 0
    with tempfile.TemporaryDirectory(prefix="iom-bench-") as tmp:
        workdir = Path(tmp)
        for database in databases:
            if database == "sqlite":
                rows, database_failed = bench_database(
                    "SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", args, workdir
                )
                print_table("SQLite (throwaway file)", rows)
            else:
                name = f"iom_bench_{os.getpid()}"
                with throwaway_postgres_database(args.pg_url, name) as database_url:
                    rows, database_failed = bench_database("PostgreSQL", database_url, args, workdir)
                print_table(f"PostgreSQL ({args.pg_url}, throwaway database {name}, dropped)", rows)
            failed += database_failed
            runs += sum(1 for *_, result in rows if result)
            total += sum(result["requests"] for *_, result in rows if result)

    say(
        f"\nbench: {'FAILED' if failed else 'OK'}: {runs} URL runs on {' and '.join(databases)}, "
        f"{total:,} requests, {failed:,} failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(main))

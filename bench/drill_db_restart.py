"""
make drill-db-restart: what visitors get while PostgreSQL restarts under the portal.

It never touches the machine's own PostgreSQL: it makes a private throwaway cluster (initdb into a
temporary directory, run as the `postgres` OS user when started as root, on --pg-port), migrates it,
loads the catalogue and serves the portal with gunicorn (production settings). Then, under light load
(a few client threads cycling over /healthz and some pages, each request with a timeout), it stops
PostgreSQL (pg_ctl stop -m fast) for --outage seconds and starts it again, without touching gunicorn.

It passes when:
  - before the outage every answer is 200;
  - while PostgreSQL is down, /healthz answers 503, and pages answer 503 with Retry-After and a page
    that says the catalogue is unavailable (or 200, should a page come from a cache);
  - no answer is a 5xx other than 503, and no request times out or is refused;
  - after PostgreSQL is back, every answer is 200 again within --max-recovery seconds, and stays 200.
It prints a timeline (status counts per second) and a summary, and exits 1 when the drill fails,
2 when it could not run.

    .venv/bin/python bench/drill_db_restart.py [--outage 5] [--quick] [--port 8132] [--pg-port 55432]
"""

import argparse
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from harness import (
    PROBE_HEADERS,
    Portal,
    fail,
    fetch,
    machine_description,
    prepare_site,
    production_env,
    run,
    say,
    tool_versions,
)

# What the clients cycle over: the trivial view and pages that each query the database.
PATHS = [
    "/healthz",
    "/",
    "/projects/",
    "/projects/?q=border",
    "/projects/eu-supports-border-management/",
    "/donors/european-union/",
]
HEALTHZ = "/healthz"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=5, help="seconds PostgreSQL stays down (default 5)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before the stop (default 3)")
    parser.add_argument(
        "--settle",
        type=float,
        default=3,
        help="seconds of 200s needed after the restart to call it recovered (default 3)",
    )
    parser.add_argument(
        "--max-recovery",
        type=float,
        default=10,
        help="seconds after PostgreSQL is back by which the portal must answer 200 (default 10)",
    )
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=5,
        help="seconds a request may take before it counts as a hang (default 5)",
    )
    parser.add_argument("--port", type=int, default=8132)
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short drill for the test suite: 1 s of load, a 1 s outage, 1 s to settle, 2 clients "
        "(overrides those options)",
    )
    args = parser.parse_args()
    if args.quick:
        args.warmup, args.outage, args.settle, args.clients = 1, 1, 1, 2
    return args


def postgres_version(initdb_path):
    """[15] for /usr/lib/postgresql/15/bin/initdb: the newest version sorts last."""
    return [int(n) for n in Path(initdb_path).parts[4].split(".")]


def postgres_bin_dir():
    """The directory of initdb and pg_ctl: the newest /usr/lib/postgresql/<version>/bin, or PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=postgres_version)
    if candidates:
        return Path(candidates[-1]).parent
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(shutil.which("initdb")).parent
    if os.geteuid() != 0:
        fail("the PostgreSQL server programs (initdb, pg_ctl) are missing: sudo apt-get install -y postgresql")
    say("The PostgreSQL server programs are missing: installing them with apt-get install -y postgresql")
    subprocess.run(["apt-get", "install", "-y", "postgresql"], check=False)
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    return Path(candidates[0]).parent if candidates else fail("could not install PostgreSQL")


class PrivateCluster:
    """A throwaway PostgreSQL cluster in `directory`, listening on 127.0.0.1:`port` only.

    PostgreSQL refuses to run as root: started as root, every command runs as the postgres user.
    """

    def __init__(self, directory, port):
        self.directory, self.port = directory, port
        self.data, self.log = directory / "data", directory / "postgres.log"
        self.bin = postgres_bin_dir()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(directory, user.pw_uid, user.pw_gid)

    def run(self, *command):
        result = subprocess.run(
            [*self.as_postgres, str(self.bin / command[0]), *command[1:]], capture_output=True, text=True
        )
        if result.returncode != 0:
            fail(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}\n{self.log_tail()}")

    def initdb(self):
        self.run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )

    def start(self):
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
        self.run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.log),
            "--wait",
            "--timeout",
            "30",
            "--options",
            options,
        )

    def stop(self, mode="fast"):
        self.run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", mode, "--wait", "--timeout", "30")

    def is_running(self):
        return (self.data / "postmaster.pid").exists()

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def log_tail(self, lines=20):
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Answer:
    """One request of the drill: when it was sent and answered (seconds since the load began), and how."""

    path: str
    sent: float
    received: float
    status: int | None = None  # None: no HTTP answer (timeout, refused, reset)
    error: str = ""
    retry_after: str | None = None
    says_unavailable: bool = False


class Clients:
    """`count` threads that request PATHS in turn, with a pause, until stopped; every answer is kept."""

    def __init__(self, portal, count, timeout):
        self.portal, self.count, self.timeout = portal, count, timeout
        self.answers, self.lock, self.stopping = [], threading.Lock(), threading.Event()
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(count)]

    def now(self):
        return time.monotonic() - self.started

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def run(self, number):
        turn = number  # the clients start at different paths
        while not self.stopping.is_set():
            path = PATHS[turn % len(PATHS)]
            turn += 1
            sent = self.now()
            try:
                status, headers, body = fetch(self.portal.url(path), self.timeout, PROBE_HEADERS)
                answer = Answer(
                    path,
                    sent,
                    self.now(),
                    status,
                    retry_after=headers.get("Retry-After"),
                    says_unavailable="unavailable" in body.lower(),
                )
            except OSError as error:  # includes a timeout: a hang is a failure
                answer = Answer(path, sent, self.now(), error=f"{type(error).__name__}: {error}")
            with self.lock:
                self.answers.append(answer)
            time.sleep(0.05)

    def since(self, moment):
        with self.lock:
            return [a for a in self.answers if a.sent >= moment]


def kind(answer):
    """The column an answer is counted in on the timeline."""
    if answer.status is None:
        return "no answer"
    if answer.status in (200, 503):
        return str(answer.status)
    return "other 5xx" if answer.status >= 500 else "other"


def print_timeline(answers, down_from, down_until):
    """Status counts per second of the drill (by when each answer arrived)."""
    columns = ["200", "503", "other 5xx", "other", "no answer"]
    say(f"\n{'second':>6}  " + "".join(f"{c:>10}" for c in columns) + "  PostgreSQL")
    per_second = {}
    for answer in answers:
        per_second.setdefault(int(answer.received), Counter())[kind(answer)] += 1
    for second in range(int(max((a.received for a in answers), default=0)) + 1):
        counts = per_second.get(second, Counter())
        overlaps_outage = second + 1 > down_from and second < down_until
        say(f"{second:>6}  " + "".join(f"{counts[c]:>10}" for c in columns) + ("  down" if overlaps_outage else "  up"))


def judge(answers, stopping_at, down_at, starting_at, up_at, args):
    """The drill's verdict: (failures, facts for the summary)."""
    failures = []
    before = [a for a in answers if a.received < stopping_at]
    # Down for the whole request: sent after pg_ctl stop returned, answered before pg_ctl start began.
    during = [a for a in answers if a.sent >= down_at and a.received <= starting_at]
    after = [a for a in answers if a.sent >= up_at]

    bad_before = [a for a in before if a.status != 200]
    if bad_before:
        failures.append(f"{len(bad_before)} answers before the outage were not 200 (first: {describe(bad_before[0])})")
    if not before:
        failures.append("no answers before the outage: no load ran")

    other_5xx = [a for a in answers if a.status and a.status >= 500 and a.status != 503]
    if other_5xx:
        failures.append(f"{len(other_5xx)} answers were a 5xx other than 503 (first: {describe(other_5xx[0])})")
    no_answer = [a for a in answers if a.status is None]
    if no_answer:
        failures.append(
            f"{len(no_answer)} requests got no answer (timeout or refused; first: {describe(no_answer[0])})"
        )

    health_checks = [a for a in during if a.path == HEALTHZ]
    if not health_checks:
        failures.append("no /healthz request fell inside the outage: make it longer (--outage)")
    wrong_health = [a for a in health_checks if a.status != 503]
    if wrong_health:
        failures.append(f"/healthz answered {wrong_health[0].status} while PostgreSQL was down, not 503")
    pages_during = [a for a in during if a.path != HEALTHZ]
    unavailable_pages = [a for a in pages_during if a.status == 503]
    if not unavailable_pages:
        failures.append("no page answered 503 while PostgreSQL was down")
    wrong_pages = [a for a in pages_during if a.status not in (200, 503)]
    if wrong_pages:
        failures.append(
            f"{len(wrong_pages)} pages answered neither 503 nor 200 while down ({describe(wrong_pages[0])})"
        )
    unexplained = [
        a for a in answers if a.status == 503 and a.path != HEALTHZ and not (a.retry_after and a.says_unavailable)
    ]
    if unexplained:
        failures.append(
            f"{len(unexplained)} 503 pages lacked Retry-After or the word 'unavailable' ({describe(unexplained[0])})"
        )

    not_ok_after = [a for a in after if a.status != 200]
    recovered_at = max((a.received for a in not_ok_after), default=up_at)
    recovery = recovered_at - up_at
    settled = [a for a in after if a.sent > recovered_at]
    if recovery > args.max_recovery:
        failures.append(
            f"the portal answered 200 again only {recovery:.1f} s after PostgreSQL was back "
            f"(allowed: {args.max_recovery:g} s)"
        )
    elif not settled:
        failures.append("no answers after the recovery: the portal never answered 200 again")

    unavailable = [a for a in answers if a.status == 503]
    facts = {
        "down": up_at - stopping_at,
        "answers": len(answers),
        "503s": len(unavailable),
        "503 span": (max(a.received for a in unavailable) - min(a.sent for a in unavailable)) if unavailable else 0,
        "from cache": sum(1 for a in pages_during if a.status == 200),
        "recovery": recovery,
        "other 5xx": len(other_5xx),
        "no answer": len(no_answer),
    }
    return failures, facts


def describe(answer):
    outcome = answer.status if answer.status is not None else answer.error
    return f"{answer.path} -> {outcome} at {answer.received:.2f} s"


def main():
    args = parse_args()
    say("Database restart drill: PostgreSQL stops and starts again under a portal served by gunicorn.")
    say(f"Machine: {machine_description()}")
    say(f"Tools: {tool_versions(wrk=False)}, PostgreSQL binaries in {postgres_bin_dir()}")
    say(
        f"Settings: DEBUG=0, gunicorn {args.workers} sync workers on 127.0.0.1:{args.port}, private cluster on "
        f"127.0.0.1:{args.pg_port}; {args.clients} clients, {args.request_timeout:g} s timeout per request; "
        f"{args.warmup:g} s of load, {args.outage:g} s outage, {args.settle:g} s of 200s to call it recovered"
    )

    with tempfile.TemporaryDirectory(prefix="iom-drill-") as tmp:
        workdir = Path(tmp)
        cluster = PrivateCluster(workdir, args.pg_port)
        try:
            say(f"\n== private PostgreSQL cluster in {workdir}: initdb, start, create the database")
            cluster.initdb()
            cluster.start()
            with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
                admin.execute("CREATE DATABASE catalogue")
            env = production_env(cluster.url("catalogue"), workdir / "static")
            say("== migrate, collectstatic, reload_catalogue")
            prepare_site(env)
            with Portal(env, args.port, args.workers, workdir / "gunicorn.log") as portal:
                say(f"== load for {args.warmup:g} s, then pg_ctl stop -m fast")
                clients = Clients(portal, args.clients, args.request_timeout)
                clients.start()
                time.sleep(args.warmup)
                stopping_at = clients.now()
                cluster.stop("fast")
                down_at = clients.now()
                say(f"   PostgreSQL stopped at {down_at:.2f} s; down for {args.outage:g} s")
                time.sleep(args.outage)
                starting_at = clients.now()
                cluster.start()
                up_at = clients.now()
                say(f"   PostgreSQL accepting connections again at {up_at:.2f} s; gunicorn untouched")
                deadline = up_at + args.max_recovery + args.settle
                while clients.now() < deadline:
                    recent = clients.since(clients.now() - args.settle)
                    recovered = clients.now() - up_at >= args.settle and all(a.status == 200 for a in recent)
                    if recovered and recent:
                        break
                    time.sleep(0.2)
                clients.stop()
                gunicorn_log = portal.log_tail()
        finally:
            if cluster.is_running():
                cluster.stop("immediate")

    answers = sorted(clients.answers, key=lambda a: a.received)
    print_timeline(answers, stopping_at, up_at)
    failures, facts = judge(answers, stopping_at, down_at, starting_at, up_at, args)
    say("\nSummary")
    say(f"  PostgreSQL down      {facts['down']:.1f} s (from pg_ctl stop to pg_ctl start returning)")
    say(f"  503 answers          {facts['503s']:,} of {facts['answers']:,}, over {facts['503 span']:.1f} s")
    if facts["from cache"]:
        say(f"  200 while down       {facts['from cache']:,} pages (served without the database, from a cache)")
    say(f"  time to recover      {facts['recovery']:.1f} s after PostgreSQL was back (last non-200 answer)")
    say(f"  other 5xx            {facts['other 5xx']:,} (must be 0)")
    say(f"  no answer            {facts['no answer']:,} (timeouts, refusals; must be 0)")
    for failure in failures:
        say(f"  FAILED: {failure}")
    if failures:
        say(f"\ngunicorn's log, last lines:\n{gunicorn_log}")
    say(
        f"\ndrill-db-restart: {'FAILED' if failures else 'PASSED'}: 503 for {facts['503 span']:.1f} s, "
        f"recovered {facts['recovery']:.1f} s after PostgreSQL was back, {facts['other 5xx']} other 5xx, "
        f"{facts['no answer']} requests without an answer"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(run(main))

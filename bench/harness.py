"""
What the bench/ scripts share: the portal under gunicorn with production settings, throwaway
databases, wrk, and plain HTTP fetches. Standard library only, plus psycopg from requirements.txt.

It is also the one launcher of servers and browsers outside the test process: the system tests
(`bench.harness.Portal`, `free_port`), the browser tests and docs/take_screenshots.py (`launch_chromium`)
start theirs here, so there is one way to start, wait for and stop the portal under gunicorn.

The scripts run with the virtual environment's Python (`.venv/bin/python bench/<script>.py`), so
`sys.executable` is that Python and gunicorn sits beside it.
"""

import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
WRK_REPORT_LUA = BENCH_DIR / "wrk_report.lua"
# The shared PostgreSQL server the benchmark and the load test make their throwaway databases on.
DEFAULT_PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
# Requests the scripts make to check the portal before measuring: access-log tallies leave them out.
PROBE_HEADERS = {"User-Agent": "iom-bench-probe"}


def say(message=""):
    print(message, flush=True)


def fail(message):
    """Stop the script with a plain message and exit status 2 (1 means "the measurement failed")."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(2)


class ServerError(RuntimeError):
    """The portal under gunicorn did not start or answer: the message says why, with the end of its log.

    An exception, not `fail()`, so a test sees a failure with the message rather than the run exiting;
    the scripts turn it into `fail()` with `run()`.
    """


def run(main):
    """A script's exit status from `main()`, with a ServerError said as a plain message (status 2)."""
    try:
        return main()
    except ServerError as error:
        fail(str(error))


def require_wrk():
    """The path of wrk, installing it from Debian when it is missing and we may (CI runs as root)."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() != 0:
        fail("wrk is not installed. Install it with: sudo apt-get install -y wrk")
    say("wrk is not installed: installing it with apt-get install -y wrk")
    if subprocess.run(["apt-get", "install", "-y", "wrk"]).returncode != 0:
        subprocess.run(["apt-get", "update"], check=False)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False)
    return shutil.which("wrk") or fail("could not install wrk (apt-get install -y wrk failed)")


def add_load_options(parser, *, duration, connections, port):
    """The options every load script takes: how long and how hard, how many workers, where."""
    workers = 2 * (os.cpu_count() or 1) + 1
    parser.add_argument("--duration", type=int, default=duration, help=f"seconds of load (default {duration})")
    parser.add_argument(
        "--connections",
        type=int,
        default=connections,
        help=f"wrk's open connections, the concurrent clients (default {connections})",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (default 2)")
    parser.add_argument(
        "--workers", type=int, default=workers, help=f"gunicorn sync workers (default 2 x cores + 1 = {workers})"
    )
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument(
        "--pg-url",
        default=DEFAULT_PG_URL,
        help=f"PostgreSQL server for the throwaway database (default {DEFAULT_PG_URL}; env BENCH_PG_URL)",
    )


def production_env(database_url, static_root):
    """The environment of a production deployment on plain HTTP: DEBUG off, a fresh secret key."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        # wrk and urllib speak plain HTTP on loopback, as the portal would behind a TLS proxy.
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
    )
    return env


def manage(env, *args):
    """Run a manage.py command; on failure, show its output and stop."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def prepare_site(env):
    """Migrate, collect the static files (hashed, compressed) and load the catalogue, as a deployment does."""
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    manage(env, "reload_catalogue", "--verbosity", "0")


def static_path(env, name):
    """The hashed URL path collectstatic gave `name` (e.g. "css/portal.css"), from staticfiles.json."""
    manifest = json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"][name]


def port_is_free(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def free_ports(count):
    """`count` different TCP ports nothing listens on now, picked by the OS (all held open while it picks)."""
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def free_port():
    """A TCP port nothing listens on now (the OS picks it)."""
    return free_ports(1)[0]


def fetch(url, timeout=10, headers=None):
    """GET `url`: (status, headers, body text). HTTP errors are answers; a timeout or refusal raises OSError."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode("utf-8", "replace")


class Portal:
    """The portal served by gunicorn (sync workers, as `make run`) on 127.0.0.1:`port` until stopped.

    `with Portal(env, ...) as portal:` starts it with exactly `env`, waits until /healthz answers
    `ready_status` (200; 503 for a portal whose database is down on purpose), and stops it on leaving.
    gunicorn's output goes to `log_path` (its tail is in any ServerError), or to ours when it is None.
    """

    def __init__(
        self,
        env,
        port=None,
        workers=1,
        log_path=None,
        access_log=None,
        ready_status=200,
        startup_seconds=30,
        gunicorn_args=(),
    ):
        self.env, self.workers, self.log_path, self.access_log = env, workers, log_path, access_log
        # More of gunicorn's options, e.g. the production command's ("--worker-class", "gthread", ...).
        self.gunicorn_args = list(gunicorn_args)
        self.port = port or free_port()
        self.ready_status, self.startup_seconds = ready_status, startup_seconds
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = self.log = None

    def url(self, path):
        return self.base_url + path

    def __enter__(self):
        if not port_is_free(self.port):
            raise ServerError(f"port {self.port} is already in use; choose another with --port")
        # A throwaway server needs no control socket, and two of them (or a `make run` beside one)
        # would fight over gunicorn's default one.
        command = [
            str(GUNICORN),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--no-control-socket",
            *self.gunicorn_args,
        ]
        if self.access_log:
            # Tab-separated: status, request line ("GET /projects/?q=border HTTP/1.1"), user agent.
            command += ["--access-logfile", str(self.access_log), "--access-logformat", "%(s)s\t%(r)s\t%(a)s"]
        if self.log_path:
            self.log = open(self.log_path, "w")  # closed in __exit__
        self.process = subprocess.Popen(
            command, cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT if self.log else None
        )
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.__exit__()
                raise ServerError(f"gunicorn exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                if fetch(self.url("/healthz"), 2, PROBE_HEADERS)[0] == self.ready_status:
                    return self
            except OSError:  # refused while it boots, or too slow to answer yet
                pass
            time.sleep(0.2)
        self.__exit__()
        raise ServerError(
            f"gunicorn at {self.base_url} did not answer /healthz with {self.ready_status} within "
            f"{self.startup_seconds} s:\n{self.log_tail()}"
        )

    def __exit__(self, *exc_info):
        if self.process and self.process.poll() is None:
            self.process.terminate()  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.close()

    def log_tail(self, lines=30):
        if not self.log_path:
            return "(gunicorn's output is above)"
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def throwaway_postgres_database(server_url, name):
    """Create database `name` on the PostgreSQL server at `server_url`, yield its URL, then drop it."""
    try:
        admin = psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        fail(
            f"PostgreSQL does not answer at {server_url} ({error}). Start it, or name another server "
            "with BENCH_PG_URL=postgres://user@host:port"
        )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server_url}/{name}"
        finally:
            # FORCE: a gunicorn worker that did not exit cleanly must not keep the database alive.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_wrk(url, duration, connections, threads, timeout, script=WRK_REPORT_LUA, script_args=()):
    """Run wrk against `url` and return the figures wrk_report.lua prints (latencies in microseconds)."""
    command = [
        "wrk",
        "--threads",
        str(threads),
        "--connections",
        str(connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        f"{timeout}s",
        "--script",
        str(script),
        url,
    ]
    if script_args:
        command += ["--", *script_args]
    result = subprocess.run(command, capture_output=True, text=True)
    for line in result.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            return json.loads(line.removeprefix("WRK_RESULT "))
    fail(f"wrk printed no result (exit status {result.returncode}):\n{result.stdout}{result.stderr}")


def wrk_errors(result):
    """Every failed request in a wrk result: non-2xx/3xx answers, socket errors and timeouts."""
    return sum(result[key] for key in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))


def describe_wrk_errors(result):
    parts = {
        "non-2xx/3xx": "status_errors",
        "connect": "connect_errors",
        "read": "read_errors",
        "write": "write_errors",
        "timeouts": "timeouts",
    }
    return ", ".join(f"{label} {result[key]:,}" for label, key in parts.items())


def machine_description():
    """One line about the machine: cores, CPU model, memory, load."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    load = ", load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}){memory}{load}; "
        f"{platform.system()} {platform.release()}"
    )


def tool_versions(wrk=True):
    """Versions of what serves and (with `wrk`) of what measures, for the record."""
    gunicorn = subprocess.run([str(GUNICORN), "--version"], capture_output=True, text=True).stdout.strip()
    versions = f"Python {platform.python_version()}, {gunicorn}"
    if wrk:
        # "wrk debian/4.1.0-3+b2 [epoll] Copyright ..." -> "wrk debian/4.1.0-3+b2"
        versions += ", " + subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    return versions


# Chromium ----------------------------------------------------------------------------------------------------
# How the browser tests and `make screenshots` start Chromium: Debian's build, headless, quiet.
# Playwright's own browser download cannot reach its servers here, so both drive /usr/bin/chromium.

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

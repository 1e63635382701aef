"""
make drill-slow-clients: does /healthz keep answering while slow clients hold connections open?

It starts the production shape on loopback: gunicorn (production settings, sync workers as
`make run`, a throwaway SQLite database in a temporary directory) behind nginx, with the
configuration in deploy/nginx.conf (only its two "drill:" lines are replaced, with free ports; the
rest of nginx's configuration, its pid file, logs and temporary files, lives in a temporary prefix).
Then it holds --connections slow-header connections for --duration seconds: each sends a request
line and then one header line a second, never finishing its headers, and reconnects when it is
cut off. Meanwhile a probe requests /healthz through nginx every 0.5 s (5 s timeout).

It prints the failed probes (errors, timeouts, non-200 answers) and the probe's p95 latency, and
passes when no probe failed and the p95 is under 0.5 s. Exit status: 0 passed, 1 missed the target,
2 could not run.

With --direct it puts the slow clients and the probe on gunicorn itself, with no nginx in front:
the shape `make run` serves, which this drill shows is for one machine's local use.

    .venv/bin/python bench/drill_slow_clients.py [--duration 30] [--connections 50] [--quick] [--direct]
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    PROBE_HEADERS,
    REPO,
    Portal,
    fail,
    fetch,
    free_port,
    machine_description,
    port_is_free,
    prepare_site,
    production_env,
    say,
    tool_versions,
)

NGINX_SITE = REPO / "deploy" / "nginx.conf"
PROBE_INTERVAL = 0.5
PROBE_TIMEOUT = 5
TARGET_P95 = 0.5

# nginx's main context for a run as any user in a temporary prefix; the site is deploy/nginx.conf.
NGINX_MAIN = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""


def site_config(nginx_port, gunicorn_port):
    """deploy/nginx.conf with its "drill:" lines pointed at loopback ports."""
    text = NGINX_SITE.read_text()
    replacements = [
        (r"server 127\.0\.0\.1:\d+;  # drill: gunicorn", f"server 127.0.0.1:{gunicorn_port};"),
        (r"listen \d+;  # drill: listen", f"listen 127.0.0.1:{nginx_port};"),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            fail(f"{NGINX_SITE}: expected one line matching {pattern!r}, found {count}; keep the 'drill:' markers")
    return text


class Nginx:
    """Debian's nginx serving deploy/nginx.conf on 127.0.0.1:`port`, from a temporary prefix, until stopped."""

    def __init__(self, port, gunicorn_port, prefix):
        self.port, self.prefix = port, Path(prefix)
        self.base_url = f"http://127.0.0.1:{port}"
        (self.prefix / "site.conf").write_text(site_config(port, gunicorn_port))
        (self.prefix / "nginx.conf").write_text(NGINX_MAIN.format(prefix=self.prefix))
        self.process = None

    def url(self, path):
        return self.base_url + path

    def __enter__(self):
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
        if not nginx:
            fail("nginx is not installed. Install Debian's: apt-get install -y nginx")
        command = [
            nginx,
            "-p",
            str(self.prefix),
            "-c",
            str(self.prefix / "nginx.conf"),
            "-e",
            str(self.prefix / "error.log"),
        ]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            fail(f"nginx rejected the configuration:\n{check.stderr}")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if fetch(self.url("/healthz"), 2, PROBE_HEADERS)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.__exit__()
        fail(f"nginx did not answer /healthz within 10 s:\n{(self.prefix / 'error.log').read_text(errors='replace')}")

    def __exit__(self, *exc_info):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class SlowClients(threading.Thread):
    """`count` connections that send a request's headers one line a second and never finish them."""

    def __init__(self, port, count):
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stopping = threading.Event()
        self.connections_made = 0
        self.cut_off = 0  # closed by the server, then opened again

    def open_one(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setblocking(False)
        sock.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.connections_made += 1
        return sock

    def run(self):
        sockets = []
        for _ in range(self.count):
            try:
                sockets.append(self.open_one())
            except OSError:
                sockets.append(None)
        line = 0
        while not self.stopping.wait(1):
            line += 1
            for index, sock in enumerate(sockets):
                try:
                    if sock is None:
                        raise OSError
                    sock.send(f"X-Slow-{line}: {'x' * 10}\r\n".encode())
                    # A server that gave up answers (408) or closes: read it, so the close is noticed.
                    if sock.recv(4096, socket.MSG_PEEK) == b"":
                        raise OSError
                except BlockingIOError:
                    pass  # nothing to read: the server is still waiting for the rest of the headers
                except OSError:
                    if sock is not None:
                        sock.close()
                        self.cut_off += 1
                    try:
                        sockets[index] = self.open_one()
                    except OSError:
                        sockets[index] = None
        for sock in sockets:
            if sock is not None:
                sock.close()


def probe(url, results, lock):
    started = time.monotonic()
    try:
        status = fetch(url, PROBE_TIMEOUT, PROBE_HEADERS)[0]
        problem = None if status == 200 else f"status {status}"
    except OSError as error:
        problem = f"{type(error).__name__}: {error}"
    with lock:
        results.append((time.monotonic() - started, problem))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def run_drill(base_url, port, duration, connections):
    """Slow clients on `port`, probes of base_url/healthz: (probes, failures, p95, slow clients thread)."""
    slow = SlowClients(port, connections)
    slow.start()
    time.sleep(1.5)  # every slow connection open and holding before the first probe
    results, lock, probes = [], threading.Lock(), []
    start = time.monotonic()
    for tick in range(int(duration / PROBE_INTERVAL)):
        time.sleep(max(0.0, start + tick * PROBE_INTERVAL - time.monotonic()))
        thread = threading.Thread(target=probe, args=(base_url + "/healthz", results, lock), daemon=True)
        thread.start()
        probes.append(thread)
    for thread in probes:
        thread.join(PROBE_TIMEOUT + 1)
    slow.stopping.set()
    slow.join(5)
    latencies = [elapsed for elapsed, _ in results]
    failures = [problem for _, problem in results if problem]
    return len(results), failures, percentile(latencies, 0.95) if latencies else float("inf"), slow


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds the slow clients hold on (default 30)")
    parser.add_argument("--connections", type=int, default=50, help="slow-header connections (default 50)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3, as make run)")
    parser.add_argument("--quick", action="store_true", help="6 s instead of --duration, for the test suite")
    parser.add_argument("--direct", action="store_true", help="no nginx: slow clients and probe on gunicorn itself")
    parser.add_argument("--port", type=int, default=0, help="nginx's port (default: a free one)")
    parser.add_argument("--gunicorn-port", type=int, default=0, help="gunicorn's port (default: a free one)")
    args = parser.parse_args()
    duration = 6 if args.quick else args.duration
    gunicorn_port = args.gunicorn_port or free_port()
    nginx_port = args.port or free_port()
    for port in (gunicorn_port, nginx_port):
        if not port_is_free(port):
            fail(f"port {port} is already in use; choose another with --port / --gunicorn-port")
    shape = (
        "gunicorn directly, no proxy (as make run)" if args.direct else "nginx (deploy/nginx.conf) in front of gunicorn"
    )

    say(
        f"drill-slow-clients: {args.connections} slow-header connections for {duration} s, "
        f"/healthz probed every {PROBE_INTERVAL} s; {shape}, {args.workers} sync workers"
    )
    say(f"  machine: {machine_description()}")
    with tempfile.TemporaryDirectory(prefix="iom-slow-clients-") as scratch:
        scratch = Path(scratch)
        os.chmod(scratch, 0o755)  # nginx's workers (user nobody when started as root) use its temp dirs
        env = production_env(f"sqlite:///{scratch / 'db.sqlite3'}", scratch / "static")
        env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        say("  preparing a throwaway SQLite database: migrate, collectstatic, reload_catalogue ...")
        prepare_site(env)
        with Portal(env, gunicorn_port, args.workers, scratch / "gunicorn.log"):
            if args.direct:
                target_url, target_port = f"http://127.0.0.1:{gunicorn_port}", gunicorn_port
                probes, failures, p95, slow = run_drill(target_url, target_port, duration, args.connections)
            else:
                nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
                say(f"  {tool_versions(wrk=False)}, {nginx_version}")
                (scratch / "nginx").mkdir()
                with Nginx(nginx_port, gunicorn_port, scratch / "nginx"):
                    probes, failures, p95, slow = run_drill(
                        f"http://127.0.0.1:{nginx_port}", nginx_port, duration, args.connections
                    )

    passed = not failures and p95 < TARGET_P95
    say(f"  slow connections     {slow.connections_made:,} opened, {slow.cut_off:,} cut off by the server")
    say(f"  probes               {probes}")
    say(f"  failed probes        {len(failures)} (target 0)")
    for problem, count in sorted({p: failures.count(p) for p in failures}.items()):
        say(f"    {count} x {problem}")
    say(f"  probe p95            {p95:.3f} s (target under {TARGET_P95} s)")
    verdict = "PASSED" if passed else "FAILED"
    say(f"drill-slow-clients: {verdict} ({len(failures)} failed of {probes} probes, p95 {p95:.3f} s; {shape})")
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()

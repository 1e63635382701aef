"""The slow-clients drill (bench/drill_slow_clients.py) in its quick mode, so CI runs it on every change.

It serves deploy/nginx.conf with Debian's nginx in front of gunicorn, each in a subprocess with a
throwaway SQLite database of its own: it uses none of the test run's databases.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system  # starts gunicorn (and nginx) in subprocesses

REPO = Path(__file__).resolve().parents[2]


def test_behind_nginx_fifty_slow_header_clients_do_not_stop_healthz_answering():
    result = subprocess.run(
        [sys.executable, "bench/drill_slow_clients.py", "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"failed probes +0 \(target 0\)", output), output
    # nginx, not gunicorn, cut the slow clients off (client_header_timeout), and they came back.
    opened, cut_off = (
        int(n.replace(",", "")) for n in re.search(r"([\d,]+) opened, ([\d,]+) cut off", output).groups()
    )
    assert cut_off >= 50 and opened >= 100, output
    assert output.splitlines()[-1].startswith("drill-slow-clients: PASSED"), output

"""The database restart drill (bench/drill_db_restart.py) in its quick mode, so CI runs it on every change.

The drill makes its own PostgreSQL cluster and gunicorn in subprocesses: it uses none of the test
run's databases, so it runs the same whether the suite itself is on SQLite or PostgreSQL.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import free_ports

pytestmark = pytest.mark.system

REPO = Path(__file__).resolve().parents[2]


def test_database_restart_drill_sees_503s_while_postgresql_is_down_and_200s_once_it_is_back():
    portal_port, postgres_port = free_ports(2)
    result = subprocess.run(
        [
            sys.executable,
            "bench/drill_db_restart.py",
            "--quick",
            "--port",
            str(portal_port),
            "--pg-port",
            str(postgres_port),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    counts = re.search(r"503 answers +([\d,]+) of ([\d,]+)", output).groups()
    unavailable, answers = (int(count.replace(",", "")) for count in counts)
    assert 0 < unavailable < answers, output
    assert "other 5xx            0 (must be 0)" in output
    assert "no answer            0 (" in output
    assert output.splitlines()[-1].startswith("drill-db-restart: PASSED"), output

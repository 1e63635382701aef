"""The reload-under-edits drill (bench/drill_reload_under_edits.py) in its quick mode, on the suite's database.

The drill serves the portal with gunicorn on a throwaway database of its own: a SQLite file when the suite
runs on SQLite, a database made and dropped on the suite's PostgreSQL server when it runs on PostgreSQL.
"""

import re
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings

pytestmark = pytest.mark.system  # starts gunicorn (and nginx) in subprocesses

REPO = Path(__file__).resolve().parents[2]


def test_two_editors_saving_while_the_catalogue_reloads_lose_no_edit_and_see_no_5xx():
    engine = settings.DATABASES["default"]["ENGINE"]
    command = [sys.executable, "bench/drill_reload_under_edits.py", "--quick"]
    if "postgresql" in engine:
        url = dj_database_url.config()  # the suite's own server, from DATABASE_URL
        server = f"postgres://{url['USER']}@{url['HOST']}:{url['PORT'] or 5432}"
        command += ["--db", "postgres", "--pg-url", server]
    else:
        command += ["--db", "sqlite"]

    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert int(re.search(r"saves made +(\d+)", output).group(1)) > 0, output
    assert int(re.search(r"(\d+) reloads", output).group(1)) > 0, output
    for figure in ("edits lost", "5xx answers", "tracebacks", "failed reloads"):
        assert re.search(rf"{figure} +0 \(must be 0\)", output), output
    assert output.splitlines()[-1].startswith("drill-reload-under-edits: PASSED"), output

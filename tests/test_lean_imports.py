"""A run imports only what it needs: the kiosk on a SQLite database at the current schema
reaches the point of drawing its login screen without PostgreSQL's dialect, psycopg, Alembic
or zxcvbn (the password checker, loaded when a password is first checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kidb_tui import bootstrap
from kidb_tui.config import Settings

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sqlalchemy.dialects.postgresql", "psycopg", "alembic", "zxcvbn")

_PROBE = """
import json, sys
from kidb_tui.app import KidbApp
from kidb_tui.cli import main

def report(app):
    print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {"alembic", "psycopg", "zxcvbn"}
                            or name.startswith("sqlalchemy.dialects.postgresql"))))

KidbApp.run = report
main(["--database", sys.argv[1]])
"""


def _modules_at_start(url: str, data_dir: Path) -> list[str]:
    env = {**os.environ, "KIDB_DATA_DIR": str(data_dir), "KIDB_PEPPER": "pepper-for-the-import-test-0123456789",
           "KIDB_AUDIT_KEY": "audit-key-for-the-import-test-0123456789"}
    done = subprocess.run([sys.executable, "-c", _PROBE, url], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_kiosk_on_sqlite_starts_without_postgresql_alembic_or_zxcvbn(tmp_path, settings: Settings):
    bootstrap.prepare(settings).engine.dispose()
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    assert _modules_at_start(settings.database_url, data_dir) == []


"""A run imports only what it needs: the kiosk on a SQLite database at the current schema
reaches the point of drawing its login screen without PostgreSQL's dialect, psycopg, Alembic
or zxcvbn (the password checker, loaded when a password is first checked); and the local
`kidb` draws its login screen before the database layer (SQLAlchemy, SQLModel, the services)
is imported at all: that is prepared behind the first frame (kidb_tui/pending_runtime.py).
Nor is babel (dates, times, plurals and amounts
import it when first shown) imported before the first frame, nor pydantic (plainly valid settings
are read without it, kidb_tui/config.py; the database layer imports it behind the first frame)."""

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



DATABASE_LAYER = ("sqlalchemy", "sqlmodel", "kidb_tui.services", "kidb_tui.models", "kidb_tui.db", "kidb_tui.bootstrap")
BEFORE_THE_FIRST_FRAME_NOT = (*DATABASE_LAYER, "babel", "pydantic", "kidb_tui.attach")

_FIRST_FRAME_PROBE = """
import json, sys
from kidb_tui.app import KidbApp
from kidb_tui.cli import main
from kidb_tui.terminal_app import TerminalApp

LAYER = %r
seen = {}
run = KidbApp.run

def first_frame(app):
    seen["screen"] = type(app.screen).__name__
    seen["loaded"] = sorted({name for name in sys.modules if name.startswith(LAYER)})
    app.exit()

TerminalApp.on_ready = first_frame
KidbApp.run = lambda app: run(app, headless=True, size=(80, 24))
main(["--database", sys.argv[1]])
print(json.dumps(seen))
"""


def _layer_loaded(code: str, *args: str, data_dir: Path) -> dict:
    env = {**os.environ, "KIDB_DATA_DIR": str(data_dir), "KIDB_PEPPER": "pepper-for-the-import-test-0123456789",
           "KIDB_AUDIT_KEY": "audit-key-for-the-import-test-0123456789"}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_login_screen_module_imports_no_service_nor_the_database_layer(tmp_path):
    code = (f"import json, sys; import kidb_tui.app, kidb_tui.cli, kidb_tui.screens.auth.login; "
            f"print(json.dumps({{'loaded': sorted(n for n in sys.modules if n.startswith({DATABASE_LAYER!r}))}}))")
    assert _layer_loaded(code, data_dir=tmp_path)["loaded"] == []


def test_the_kiosk_draws_its_login_screen_before_the_database_layer_is_imported(tmp_path, settings: Settings):
    bootstrap.prepare(settings).engine.dispose()
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    seen = _layer_loaded(_FIRST_FRAME_PROBE % (BEFORE_THE_FIRST_FRAME_NOT,), settings.database_url, data_dir=data_dir)
    assert seen["screen"] == "LoginScreen"
    assert seen["loaded"] == []

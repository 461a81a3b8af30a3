"""What the session host prepares before it forks, so that sessions share it instead of
building (and copying) it each: SQLAlchemy's mappers configured, a session's database work
rehearsed on a throwaway database (never the real one, without a word in the log and without
a thread left), the sessions' engine made but not connected, and the free blocks of the
small-object pools taken; glibc asked for huge pages for large chunks (argon2's memory)."""

from __future__ import annotations

import json
import subprocess
import sys

from kidb_tui.db import make_engine
from kidb_tui.host import child, pools
from kidb_tui.ssh.host_client import host_environment

WARM_UP = """
import json, logging, sys, threading
from kidb_tui.config import load_settings
from kidb_tui.host import warm
from kidb_tui.models import Participant
logging.basicConfig(stream=sys.stderr, level=logging.DEBUG)
warm.warm_up(load_settings())
print(json.dumps({"configured": Participant.__mapper__.configured, "threads": threading.active_count()}))
"""


def test_the_host_configures_the_mappers_and_rehearses_on_a_throwaway_database(tmp_path, kiosk_env):
    database = tmp_path / "never.sqlite3"
    env = {**kiosk_env, "KIDB_DATABASE_URL": f"sqlite:///{database}"}
    result = subprocess.run([sys.executable, "-I", "-c", WARM_UP], capture_output=True, text=True, timeout=120,
                            check=True, env=env)
    assert json.loads(result.stdout) == {"configured": True, "threads": 1}
    assert not database.exists()
    assert "kidb" not in result.stderr  # the rehearsal's logins and audit are not logged


def test_a_session_connects_the_engine_the_host_made(kiosk_env):
    made = make_engine(kiosk_env["KIDB_DATABASE_URL"])
    try:
        assert child._engine_at_head(kiosk_env["KIDB_DATABASE_URL"], made) is made
        assert made.pool.checkedin() == 1  # the connection the schema check opened, kept for the session
    finally:
        made.dispose()


def test_filling_takes_the_free_blocks_of_the_pools_in_use():
    objects = [bytes(70) for _ in range(20_000)]  # 103 bytes each: the 112-byte class
    del objects[::2]
    assert pools.free_blocks()[112] >= 9_000
    pools.fill()
    assert pools.free_blocks()[112] < 200  # what is left: a pool begun after the others filled


def test_the_host_runs_with_huge_pages_for_large_chunks_and_keeps_the_servers_tunables(monkeypatch, tmp_path):
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    env = host_environment("sqlite:///x", tmp_path)
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0")
    assert host_environment("sqlite:///x", tmp_path)["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=0"  # the operator's


FORKED_SESSION = """
import json, os, threading
from kidb_tui.config import load_settings
from kidb_tui.db import make_engine
from kidb_tui.host import child, warm
settings = load_settings()
warm.warm_up(settings)
made = make_engine(settings.database_url)
read, write = os.pipe()
if os.fork() == 0:
    engine = child._engine_at_head(settings.database_url, made)
    os.write(write, json.dumps({"connected_the_hosts": engine is made}).encode())
    os._exit(0)
os.close(write)
found = json.loads(os.read(read, 100))
print(json.dumps({**found, "host_threads": threading.active_count(), "host_pooled": made.pool.checkedin()}))
"""


def test_on_postgresql_a_session_connects_the_hosts_engine_and_the_host_holds_no_connection(pg_cluster, kiosk_env):
    from sqlalchemy import create_engine, text

    from kidb_tui.bootstrap import prepare
    from kidb_tui.config import load_settings

    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('DROP DATABASE IF EXISTS "host_warm"'))
        connection.execute(text('CREATE DATABASE "host_warm"'))
    admin.dispose()
    env = {**kiosk_env, "KIDB_DATABASE_URL": pg_cluster.url("host_warm")}
    prepare(load_settings().with_(database_url=env["KIDB_DATABASE_URL"])).engine.dispose()
    result = subprocess.run([sys.executable, "-I", "-c", FORKED_SESSION], capture_output=True, text=True,
                            timeout=120, check=True, env=env)
    assert json.loads(result.stdout) == {"connected_the_hosts": True, "host_threads": 1, "host_pooled": 0}


def test_a_rehearsal_the_settings_refuse_is_logged_and_the_host_goes_on(kiosk_env, caplog, monkeypatch):
    """A failed rehearsal costs only what it saves: here its participant's account is locked
    by a wrong PIN before its login (lock_threshold 1), and the login is refused."""
    from kidb_tui.config import load_settings
    from kidb_tui.host import rehearse

    settings = load_settings()
    assert rehearse.rehearse(settings)
    real_login = rehearse.auth.login

    def wrong_pin_first(rt, nib, secret, language=""):
        if secret == rehearse.PIN:
            real_login(rt, nib, "000000")
        return real_login(rt, nib, secret, language)

    monkeypatch.setattr(rehearse.auth, "login", wrong_pin_first)
    with caplog.at_level("WARNING", logger="kidb.host"):
        assert not rehearse.rehearse(settings.with_(lock_threshold=1))
    assert "rehearsal of a session's database work skipped" in caplog.text and "the login failed" in caplog.text


def test_the_host_counts_handler_parameters_as_textual_counts_them_for_a_bound_method(monkeypatch):
    """host/handlers.py relies on Textual's private textual._callback keeping the count of a bound
    method's parameters on its function (`_param_count`): after count_all(), calling a handler
    of a loaded class counts nothing again, and the count is the bound method's."""
    import inspect

    from textual import _callback

    from kidb_tui.host import handlers, warm
    from kidb_tui.screens.auth.login import LoginScreen
    from kidb_tui.widgets.form_field import FormField

    warm.import_all()
    assert handlers.count_all() > 100
    monkeypatch.setattr(_callback, "signature", lambda func: (_ for _ in ()).throw(AssertionError(func)))
    field = FormField.__new__(FormField)
    assert _callback.count_parameters(field.on_resize) == len(inspect.signature(FormField.on_resize).parameters) - 1
    screen = LoginScreen.__new__(LoginScreen)
    assert _callback.count_parameters(screen.on_mount) == 0

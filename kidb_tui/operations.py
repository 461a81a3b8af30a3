"""The operator's commands behind `kidb check`, `kidb config show` and `kidb db current|upgrade|
backup|restore`: plain English lines on stdout, problems on stderr, an exit status a script or
a monitoring probe can act on."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from kidb_tui import migrate
from kidb_tui.config import (
    ENV_PREFIX,
    RULES,
    KeyFileError,
    Loaded,
    Settings,
    SettingsError,
    default_database_url,
    load_audit_key,
    load_pepper,
    user_data_dir,
)
from kidb_tui.services import backup

HOST_KEY_FILE = "ssh_host_ed25519_key"
AUTHORIZED_KEYS_FILE = "authorized_keys"
_KEYS = {"pepper": ("KIDB_PEPPER", "pepper_file", "pepper.key"),
         "audit_key": ("KIDB_AUDIT_KEY", "audit_key_file", "audit.key")}


def shown_url(url: str) -> str:
    """A database URL with its password masked."""
    return make_url(url).render_as_string(hide_password=True)


def _key_source(name: str, loaded: Loaded) -> str:
    """Where a secret key comes from, without reading or creating it."""
    env_name, option, file_name = _KEYS[name]
    if os.environ.get(env_name):
        return env_name
    if os.environ.get(f"{env_name}_FILE"):
        return f"{env_name}_FILE {os.environ[f'{env_name}_FILE']}"
    named = getattr(loaded.options, option)
    if named is not None:
        return f"{option} {named} ({loaded.sources[option]})"
    path = user_data_dir() / file_name
    return f"file {path}" if path.exists() else f"file {path} (created on first start)"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def show_config(loaded: Loaded) -> str:
    """Every setting as a line of TOML (so it can be pasted into kidb.toml) with where it comes
    from; the database URL's password and both keys masked."""
    options = loaded.options
    lines = [f"# config file: {loaded.config_file or 'none'}; precedence: flag > {ENV_PREFIX}* > file > default"]
    effective = {"database_url": shown_url(options.database_url or default_database_url()),
                 "data_dir": str(options.data_dir or user_data_dir())}
    for name in RULES:
        value = effective.get(name, getattr(options, name))
        if value is None:
            continue
        lines.append(f"{name} = {_toml(value)}  # {loaded.sources[name]}")
    for name in _KEYS:
        lines.append(f'# {name} = "********"  # {_key_source(name, loaded)}')
    return "\n".join(lines)


class Checks:
    """`kidb check`'s lines: `ok   name: detail` or `FAIL name: detail`, and whether all passed."""

    def __init__(self, out=None) -> None:
        self.out = out or sys.stdout
        self.failed = 0

    def report(self, name: str, ok: bool, detail: str) -> bool:
        self.failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", file=self.out, flush=True)
        return ok

    def run(self, name: str, check: Callable[[], str]) -> bool:
        """`check` returns the detail of a pass or raises with the reason of a failure."""
        try:
            return self.report(name, True, check())
        except Exception as error:  # noqa: BLE001  (any failure is this check's line, never a traceback)
            return self.report(name, False, str(error).splitlines()[0] if str(error) else type(error).__name__)


def _private_key(name: str, loaded: Loaded) -> str:
    """A key that is there (never created by a check), long enough and closed to others."""
    source = _key_source(name, loaded)
    if "created on first start" in source:
        raise KeyFileError(f"missing: {source}")
    load = load_pepper if name == "pepper" else load_audit_key
    load(named_file=getattr(loaded.options, _KEYS[name][1]))
    return f"present, private ({source})"


def run_checks(loaded: Loaded, database_flag: str | None, authorized_keys: Path | None,
               host_key: Path | None) -> int:
    """Each check on its own line; exit 0 when every one passed, else 1."""
    checks = Checks()
    checks.report("settings", True, f"valid (config file: {loaded.config_file or 'none'})")
    checks.run("pepper", lambda: _private_key("pepper", loaded))
    audit_key = checks.run("audit key", lambda: _private_key("audit_key", loaded))
    url = database_flag or loaded.options.database_url or default_database_url()
    from kidb_tui.db import make_engine

    engine = make_engine(url) if _exists(url) else None
    try:
        reachable = checks.run("database", lambda: _reachable(engine, url))
        current = reachable and checks.run("schema", lambda: _schema(engine))
        if not reachable:
            checks.report("schema", False, "not checked: the database is not reachable")
        checks.run("host key", lambda: _host_key(host_key or user_data_dir() / HOST_KEY_FILE))
        checks.run("authorized keys", lambda: _authorized_keys(authorized_keys or user_data_dir() / AUTHORIZED_KEYS_FILE))
        if current and audit_key:
            checks.run("audit chain", lambda: _audit(loaded, url, engine))
        else:
            checks.report("audit chain", False, "not checked: " + (
                "the audit key is missing or unsafe" if current else "the schema is not current"))
    finally:
        if engine is not None:
            engine.dispose()
    return 1 if checks.failed else 0


def _exists(url: str) -> bool:
    """False for a SQLite file that does not exist (opening it would create it)."""
    path = backup.sqlite_path(url)
    return path is None or path.exists()


def _reachable(engine, url: str) -> str:
    if engine is None:
        raise FileNotFoundError(f"{shown_url(url)}: no such database file")
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return f"reachable ({shown_url(url)})"


def _schema(engine) -> str:
    revision = migrate.current_revision(engine)
    if revision != migrate.HEAD:
        raise RuntimeError(f"at revision {revision or 'none'}, this kidb needs {migrate.HEAD}: run `kidb db upgrade`")
    return f"current (revision {revision})"


def _host_key(path: Path) -> str:
    from kidb_tui.ssh.keys import load_or_create_host_key

    if not path.exists():
        raise FileNotFoundError(f"{path} is missing (kidb serve creates it on first start)")
    key, _ = load_or_create_host_key(path)
    return f"readable, private ({path}, {key.get_fingerprint()})"


def _authorized_keys(path: Path) -> str:
    from kidb_tui.ssh.keys import parse_authorized_keys

    if not path.exists():
        raise FileNotFoundError(f"{path} is missing")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o022:
        raise PermissionError(f"{path} is writable by group or others (mode {mode:04o})")
    terminals = parse_authorized_keys(path.read_text(encoding="utf-8"), str(path))
    return f"{len(terminals)} terminal(s) ({path})"


def _audit(loaded: Loaded, url: str, engine) -> str:
    from kidb_tui.services import audit_checkpoint
    from kidb_tui.services.runtime import Runtime

    settings = Settings(database_url=url, audit_key=load_audit_key(named_file=loaded.options.audit_key_file))
    path = audit_checkpoint.default_path()
    checkpoints = audit_checkpoint.read_checkpoints(path) if path.exists() else []
    result = audit_checkpoint.verify(Runtime.create(settings, engine=engine), checkpoints)
    if result.problem is not None:
        raise RuntimeError(result.problem)
    last = f", the last of {checkpoints[-1].stamp}" if checkpoints else ""
    return f"verifies ({result.rows} rows, {result.checkpoints} checkpoint(s){last})"


def database_command(settings: Settings, args) -> int:
    """`kidb db current|upgrade|backup|restore`."""
    handler = {"current": _current, "upgrade": _upgrade, "backup": _backup, "restore": _restore}[args.db_command]
    try:
        return handler(settings, args)
    except (backup.BackupError, SettingsError, KeyFileError) as error:
        print(f"kidb db {args.db_command}: {error}", file=sys.stderr)
        return 2


def _engine(settings: Settings):
    from kidb_tui.db import make_engine

    return make_engine(settings.database_url)


def _current(settings: Settings, args) -> int:
    engine = _engine(settings)
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if revision == migrate.HEAD:
        print(f"{revision} (current)")
        return 0
    print(f"{revision or 'none'} (this kidb needs {migrate.HEAD}: run `kidb db upgrade`)")
    return 1


def _upgrade(settings: Settings, args) -> int:
    """Say what will be done, back a SQLite database up, migrate, bring reference data up to date."""
    from kidb_tui import bootstrap

    engine = _engine(settings)
    try:
        revision = migrate.current_revision(engine)
        steps = migrate.pending(engine) if revision != migrate.HEAD else []
        empty = migrate.is_empty(engine)
    finally:
        engine.dispose()
    print(f"database {shown_url(settings.database_url)} is at revision {revision or 'none'}; "
          f"this kidb's schema is {migrate.HEAD}")
    for step, what in steps:
        print(f"  will apply {step}: {what}")
    if not steps:
        print("  nothing to migrate; reference data (claim types, banks) will be brought up to date")
    if args.dry_run:
        return 0
    path = backup.sqlite_path(settings.database_url)
    if steps and not empty:
        if path is not None:
            target = args.backup or backup.timestamped(user_data_dir() / backup.BACKUP_FOLDER, revision or "none")
            copied = backup.backup_sqlite(path, target)
            print(f"backup written to {copied.path} ({copied.size} bytes); restore it with `kidb db restore {copied.path}`")
        else:
            print("PostgreSQL is not backed up by kidb: take a pg_dump first, e.g. "
                  + backup.pg_dump_command(settings.database_url, Path("kidb-before-upgrade.dump")).shown())
    bootstrap.upgrade(settings).engine.dispose()
    print(f"database is at the latest schema ({migrate.HEAD})")
    return 0


def _backup(settings: Settings, args) -> int:
    path = backup.sqlite_path(settings.database_url)
    if path is not None:
        copied = backup.backup_sqlite(path, args.file)
        print(f"backup of {path} written to {copied.path} ({copied.size} bytes, schema {copied.revision}, mode 0600)")
        print("keep the pepper and the audit key in a separate, safe place: they are not in this file")
        return 0
    command = backup.pg_dump_command(settings.database_url, args.file)
    if args.print_only:
        print(command.shown())
        return 0
    print(f"running: {command.shown()}", flush=True)
    status = command.run()
    if status == 0:
        args.file.chmod(0o600)
        print(f"backup written to {args.file}")
    return 1 if status else 0


def _restore(settings: Settings, args) -> int:
    path = backup.sqlite_path(settings.database_url)
    if path is not None:
        revision, kept = backup.restore_sqlite(args.file, path, user_data_dir() / backup.BACKUP_FOLDER)
        if kept is not None:
            print(f"the database it replaced was copied to {kept}")
        print(f"restored {args.file} into {path} (schema {revision})")
        if revision != migrate.HEAD:
            print(f"the backup's schema is {revision}, this kidb's is {migrate.HEAD}: run `kidb db upgrade`")
        return 0
    command = backup.pg_restore_command(settings.database_url, args.file)
    if args.print_only:
        print(command.shown())
        return 0
    engine = _engine(settings)
    try:
        others, tables = backup.pg_in_use(engine)
    finally:
        engine.dispose()
    if others:
        raise backup.BackupError(f"the database is in use ({others} other connection(s)): stop kidb serve, "
                                 "the kiosks and the back office, then restore")
    if tables:
        raise backup.BackupError("the database is not empty: restore into a new, empty database "
                                 "(createdb -O kidb kidb_restored), then point KIDB_DATABASE_URL at it")
    print(f"running: {command.shown()}", flush=True)
    return 1 if command.run() else 0
